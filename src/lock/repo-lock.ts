/**
 * One `listen` per repository: a pid lock in the repository's git directory
 * (never in the work tree, never pushed or pulled).
 */
import { repoStatePaths } from "../state/paths.js";
import { DaemonRunningError } from "../errors.js";
import { acquirePidLock, liveLockHolder, type LockHolder } from "./pid-lock.js";

export function listenLockPath(gitDir: string): string {
  return repoStatePaths(gitDir).listenLock;
}

/** Takes the repository's listen lock or throws DaemonRunningError naming the holder. */
export async function lockRepositoryForListen(repoDir: string, gitDir: string): Promise<() => Promise<void>> {
  const path = listenLockPath(gitDir);
  const attempt = await acquirePidLock(path);
  if (!attempt.acquired) throw new DaemonRunningError(repoDir, attempt.holder.pid, path);
  return attempt.release;
}

export function runningListener(gitDir: string): Promise<LockHolder | undefined> {
  return liveLockHolder(listenLockPath(gitDir));
}
