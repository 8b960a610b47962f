/**
 * A pid lock file: created complete or not at all (the pid is written to a
 * private temp file that is then hard-linked to the lock name, and link(2)
 * fails with EEXIST when the lock exists), and broken only when its holder
 * is gone (kill(pid, 0) answers ESRCH). Breaking a stale lock is itself
 * serialized by a short-lived breaker file, so two processes that both saw
 * the same stale lock cannot delete each other's fresh one.
 */
import { hostname } from "node:os";
import { link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export interface LockHolder {
  pid: number;
  host: string | undefined;
}

/** The lock file's text: pid, then host name (a lock on a shared file system may belong to another machine). */
export function formatLockContent(pid: number, host: string): string {
  return `${pid}\n${host}\n`;
}

export function parseLockContent(text: string): LockHolder | undefined {
  const [pidLine, hostLine] = text.split("\n");
  if (!pidLine || !/^\d{1,10}$/.test(pidLine.trim())) return undefined;
  const pid = Number(pidLine.trim());
  if (pid <= 0) return undefined;
  return { pid, host: hostLine?.trim() || undefined };
}

/** Whether a process with this pid exists (EPERM: it does, it is another user's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether a lock's holder still holds it. A holder on another host cannot
 * be checked and counts as live; an unreadable lock (not written by us)
 * counts as stale.
 */
export function isHeld(holder: LockHolder | undefined, alive: (pid: number) => boolean = isProcessAlive, host = hostname()): boolean {
  if (!holder) return false;
  if (holder.host && holder.host !== host) return true;
  return alive(holder.pid);
}

export type LockAttempt = { acquired: true; release(): Promise<void> } | { acquired: false; holder: LockHolder };

export async function readLockHolder(path: string): Promise<LockHolder | undefined> {
  try {
    return parseLockContent(await readFile(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The live holder of the lock, if any. */
export async function liveLockHolder(path: string): Promise<LockHolder | undefined> {
  const holder = await readLockHolder(path);
  return isHeld(holder) ? holder : undefined;
}

export async function acquirePidLock(path: string, pid = process.pid): Promise<LockAttempt> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const host = hostname();
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryLink(path, formatLockContent(pid, host))) {
      return {
        acquired: true,
        async release() {
          // Only remove the lock if it is still ours.
          const holder = await readLockHolder(path).catch(() => undefined);
          if (holder?.pid === pid) await unlink(path).catch(() => undefined);
        },
      };
    }
    const holder = await readLockHolder(path);
    if (holder && isHeld(holder, isProcessAlive, host)) return { acquired: false, holder };
    await breakStaleLock(path, holder);
  }
  const holder = await readLockHolder(path);
  return { acquired: false, holder: holder ?? { pid: 0, host: undefined } };
}

async function tryLink(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const file = await open(temp, "wx", 0o600);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** A breaker older than this belongs to a process that died while breaking. */
const STALE_BREAKER_MS = 10_000;

async function breakStaleLock(path: string, seen: LockHolder | undefined): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await tryLink(breaker, formatLockContent(process.pid, hostname())))) {
    const info = await stat(breaker).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_BREAKER_MS) await unlink(breaker).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return;
  }
  try {
    // Re-read under the breaker: delete only the very lock we judged stale.
    const now = await readLockHolder(path);
    if (now?.pid === seen?.pid && !isHeld(now)) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}
