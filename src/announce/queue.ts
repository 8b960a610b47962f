/**
 * The durable per-user announcement queue: one file per announcement in a
 * private directory (0700). Hooks write entries in plain shell
 * (hooks/notify-block.sh: created with O_EXCL, complete once the final
 * `end` line is there); commands write them here, complete or not at all
 * (temp file, fsync, rename, fsync of the directory). An entry leaves the
 * queue only after the server acknowledged the presence that carried it
 * (deliver.ts), or when it is unreadable, then set aside as `.bad-…`.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { QueueError } from "../errors.js";
import { formatQueueEntry, isQueueEntryName, MAX_ENTRY_BYTES, parseQueueEntry, type QueueEntry } from "./queue-entry.js";

export interface QueuedEntry {
  name: string;
  entry: QueueEntry;
  /** When it was written (the file's mtime). */
  at: number;
}

export interface Queue {
  readonly dir: string;
  add(entry: QueueEntry): Promise<string>;
  /** Entry file names, oldest first. */
  list(): Promise<string[]>;
  /** Complete entries, oldest first; unreadable ones are set aside and reported, ones still being written skipped. */
  readAll(onBad?: (name: string, reason: string) => void): Promise<QueuedEntry[]>;
  /** Deletes entries (already gone is fine: another sender delivered them). */
  remove(names: readonly string[]): Promise<void>;
}

/** An entry without its `end` line this long after its last write: its writer died; what it has is sent. */
export const ABANDONED_ENTRY_MS = 10 * 60_000;

export function openQueue(dir: string): Queue {
  const fail = (what: string, error: unknown) => new QueueError(`${what}: ${(error as Error).message}`, error);
  return {
    dir,
    async add(entry) {
      await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
        throw fail(`cannot create ${dir}`, error);
      });
      const name = `e.${Date.now()}-${process.pid}-${randomBytes(4).toString("hex")}`;
      const temp = join(dir, `.tmp-${name}`);
      try {
        const file = await open(temp, "wx", 0o600);
        try {
          await file.writeFile(formatQueueEntry(entry));
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temp, join(dir, name));
        await syncDir(dir);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw fail(`cannot write to ${dir}`, error);
      }
      return name;
    },
    async list() {
      return (await listWithTimes(dir).catch((error: unknown) => Promise.reject(fail(`cannot read ${dir}`, error)))).map((e) => e.name);
    },
    async readAll(onBad) {
      const items: QueuedEntry[] = [];
      for (const { name, at } of await listWithTimes(dir).catch((error: unknown) => Promise.reject(fail(`cannot read ${dir}`, error)))) {
        const read = await readEntry(join(dir, name), at);
        if (read === undefined) continue;
        if ("entry" in read) items.push({ name, entry: read.entry, at });
        else {
          await rename(join(dir, name), join(dir, `.bad-${name}`)).catch(() => undefined);
          onBad?.(name, read.reason);
        }
      }
      return items;
    },
    async remove(names) {
      for (const name of names) {
        await unlink(join(dir, name)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw fail(`cannot delete ${join(dir, name)}`, error);
        });
      }
    },
  };
}

async function listWithTimes(dir: string): Promise<Array<{ name: string; at: number }>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isQueueEntryName);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const entries: Array<{ name: string; at: number }> = [];
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isFile()) entries.push({ name, at: info.mtimeMs });
  }
  return entries.sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : 1));
}

/** undefined: skip for now (gone, or still being written); else the entry or why it is bad. */
async function readEntry(path: string, at: number): Promise<{ entry: QueueEntry } | { reason: string } | undefined> {
  let text: string;
  try {
    if ((await stat(path)).size > MAX_ENTRY_BYTES) return { reason: `larger than ${MAX_ENTRY_BYTES} bytes` };
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return { reason: (error as Error).message };
  }
  const parsed = parseQueueEntry(text);
  if (parsed.ok) return { entry: parsed.entry };
  if (!parsed.incomplete) return { reason: parsed.reason };
  if (Date.now() - at < ABANDONED_ENTRY_MS) return undefined;
  // Its writer died before `end`: the header may still name the repository; announce it without refs.
  const salvaged = parseQueueEntry(`${text.split("\n\n")[0]}\n\nend\n`);
  return salvaged.ok ? { entry: salvaged.entry } : { reason: `abandoned while written: ${parsed.reason}` };
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
