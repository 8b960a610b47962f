/**
 * The durable spool: one file per announcement in a private directory.
 * A writer never exposes a partial file: it writes a dot-named temp file in
 * the same directory, fsyncs it, renames it into place (atomic within one
 * file system, POSIX rename(2)) and fsyncs the directory so that the rename
 * itself survives a crash. Names carry pid and randomness, so any number of
 * hooks may write at once without locking.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Announcement } from "../notify/announcement.js";
import { SpoolError } from "../errors.js";
import { entryName, MAX_ENTRY_BYTES, parseSpooledAnnouncement, serializeAnnouncement, sortEntryNames, type SpoolItem } from "./entry.js";

export interface Spool {
  readonly dir: string;
  /** Durably stores one announcement; resolves with its entry name once it is on disk. */
  add(announcement: Announcement): Promise<string>;
  /** Entry names, oldest first. */
  list(): Promise<string[]>;
  /** Reads entries, oldest first; unreadable ones are set aside (renamed `.bad-…`) and reported. */
  readAll(onBad?: (name: string, reason: string) => void): Promise<SpoolItem[]>;
  /** Deletes entries (already gone is fine: another flusher may have delivered them). */
  remove(names: readonly string[]): Promise<void>;
}

/** Temp files older than this are left-overs of a writer that died mid-write. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export function openSpool(dir: string): Spool {
  const ensureDir = async () => {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new SpoolError(`cannot create ${dir}: ${(error as Error).message}`, error);
    }
  };

  return {
    dir,
    async add(announcement) {
      await ensureDir();
      const name = entryName(announcement.createdAt, process.pid, randomBytes(6).toString("hex"));
      const temp = join(dir, `.tmp-${name}`);
      try {
        const file = await open(temp, "wx", 0o600);
        try {
          await file.writeFile(serializeAnnouncement(announcement));
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temp, join(dir, name));
        await syncDir(dir);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw new SpoolError(`cannot write to ${dir}: ${(error as Error).message}`, error);
      }
      return name;
    },
    async list() {
      try {
        return sortEntryNames(await readdir(dir));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw new SpoolError(`cannot read ${dir}: ${(error as Error).message}`, error);
      }
    },
    async readAll(onBad) {
      await removeStaleTemps(dir);
      const items: SpoolItem[] = [];
      for (const name of await this.list()) {
        const path = join(dir, name);
        let text: string;
        try {
          if ((await stat(path)).size > MAX_ENTRY_BYTES) throw new BadEntry(`larger than ${MAX_ENTRY_BYTES} bytes`);
          text = await readFile(path, "utf8");
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // delivered meanwhile by another flusher
          if (!(error instanceof BadEntry)) throw new SpoolError(`cannot read ${path}: ${(error as Error).message}`, error);
          await setAside(dir, name);
          onBad?.(name, error.message);
          continue;
        }
        const parsed = parseSpooledAnnouncement(text);
        if (parsed.ok) {
          items.push({ name, announcement: parsed.announcement });
        } else {
          await setAside(dir, name);
          onBad?.(name, parsed.reason);
        }
      }
      return items;
    },
    async remove(names) {
      for (const name of names) {
        await unlink(join(dir, name)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw new SpoolError(`cannot delete ${join(dir, name)}: ${error.message}`, error);
        });
      }
    },
  };
}

class BadEntry extends Error {}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Keeps a bad entry for inspection without ever reading it again. */
async function setAside(dir: string, name: string): Promise<void> {
  await rename(join(dir, name), join(dir, `.bad-${name}`)).catch(() => undefined);
}

async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names.filter((n) => n.startsWith(".tmp-"))) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_TEMP_MS) await unlink(path).catch(() => undefined);
  }
}
