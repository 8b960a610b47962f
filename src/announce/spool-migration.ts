/**
 * Announcements an earlier version left in its spool
 * ($XDG_STATE_HOME/git-annex-xmpp/spool/<account>/<time>-<pid>-<random>.json,
 * one JSON announcement a file: {uuids, refs, createdAt, repo?, sealed?})
 * move into the queue, so that an upgrade loses none. Each file is claimed
 * by a rename (of two processes, one wins; see claim), queued as a `notify` entry of
 * its repository with its UUIDs and refs (sealing and the secret are the
 * repository's own when it is sent, as for every entry), then deleted. A
 * file that names no repository or is no announcement stays, named once.
 */
import { readdir, readFile, rename, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive } from "../lock/pid-lock.js";
import type { Logger } from "../log.js";
import type { Queue } from "./queue.js";
import type { QueueEntry } from "./queue-entry.js";
import type { RefUpdate } from "./refs.js";

const OLD_ENTRY = /^\d{15}-\d+-[0-9a-z]+\.json$/;
/** `.migrating-<pid>-<old name>`: claimed by that process. */
const CLAIMED = /^\.migrating-(\d+)-(.+)$/;

/** Moves the old spool's announcements into `queue`; how many it moved. */
export async function migrateOldSpool(stateDir: string, queue: Queue, log: Logger): Promise<number> {
  const spool = join(stateDir, "spool");
  const accounts = await readdir(spool).catch(() => [] as string[]);
  let moved = 0;
  for (const account of accounts) {
    const dir = join(spool, account);
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
      const claimed = await claim(dir, name);
      if (claimed === undefined) continue;
      const text = await readFile(join(dir, claimed.file), "utf8").catch((error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? undefined : ""));
      if (text === undefined) continue;
      const entry = oldEntry(text);
      if (typeof entry === "string") {
        await rename(join(dir, claimed.file), join(dir, claimed.original)).catch(() => undefined);
        log.warn(`old spool: ${join(dir, claimed.original)} stays (${entry}); remove it once you have announced its push another way`);
        continue;
      }
      await queue.add(entry);
      await unlink(join(dir, claimed.file)).catch(() => undefined);
      moved++;
    }
    await rmdir(dir).catch(() => undefined);
  }
  await rmdir(spool).catch(() => undefined);
  if (moved > 0) log.info(`old spool: moved ${moved} announcement(s) into the queue ${queue.dir}`);
  return moved;
}

/**
 * Claims one spool file by renaming it to `.migrating-<our pid>-<name>`: of
 * two processes, one wins. A file claimed by a process that still runs is
 * its own (the agent and a sender may migrate at once); one whose claimer
 * died before deleting it is taken again (a duplicate costs one presence,
 * a loss a push).
 */
async function claim(dir: string, name: string): Promise<{ file: string; original: string } | undefined> {
  const taken = CLAIMED.exec(name);
  if (taken === null && !OLD_ENTRY.test(name)) return undefined;
  if (taken !== null && (Number(taken[1]) === process.pid || isProcessAlive(Number(taken[1])))) return undefined;
  const original = taken === null ? name : taken[2]!;
  const file = `.migrating-${process.pid}-${original}`;
  return (await rename(join(dir, name), join(dir, file)).then(() => true, () => false)) ? { file, original } : undefined;
}

/** An old spool file as a queue entry, or why it cannot be one. Pure. */
export function oldEntry(text: string): QueueEntry | string {
  let value: { uuids?: unknown; refs?: unknown; repo?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    return "not JSON";
  }
  if (value === null || typeof value !== "object") return "not an announcement";
  if (typeof value.repo !== "string" || !value.repo.startsWith("/")) return "it names no repository";
  const uuids = Array.isArray(value.uuids) ? value.uuids.filter((u): u is string => typeof u === "string" && u !== "" && !/\s/.test(u)) : [];
  if (uuids.length === 0) return "it names no UUID";
  const refs: RefUpdate[] = (Array.isArray(value.refs) ? value.refs : []).flatMap((r: unknown) => {
    const ref = r as { ref?: unknown; old?: unknown; new?: unknown } | null;
    if (ref === null || typeof ref !== "object" || typeof ref.ref !== "string" || /\s/.test(ref.ref) || ref.ref === "") return [];
    const sha = (v: unknown) => (typeof v === "string" && /^[0-9a-f]{40,64}$/.test(v) ? v : undefined);
    const [old, next] = [sha(ref.old), sha(ref.new)];
    return [{ ref: ref.ref, ...(old !== undefined && next !== undefined ? { old, new: next } : {}) }];
  });
  // An entry's ref lines are all post-receive lines or all ref names (queue-entry.ts).
  const uniform = refs.every((r) => r.old !== undefined) ? refs : refs.map((r) => ({ ref: r.ref }));
  return { hook: "notify", repo: value.repo, uuids, refs: uniform };
}
