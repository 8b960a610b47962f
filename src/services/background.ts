/**
 * Starting our own CLI as a detached background process (for `ensure`):
 * its own session, stdin closed, stdout and stderr appended to a private
 * log file, not waited for. The log is rotated when a daemon starts: one
 * that has grown past LOG_ROTATE_BYTES becomes `<log>.1` (replacing the
 * previous one), so months of restarts by cron keep at most two logs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/cli.js, next to dist/services/. */
export const CLI_PATH = fileURLToPath(new URL("../cli.js", import.meta.url));

export const LOG_ROTATE_BYTES = 8 * 1024 * 1024;

/** Moves `logFile` to `<logFile>.1` when it is at least `maxBytes` long; says whether it did. */
export function rotateLog(logFile: string, maxBytes = LOG_ROTATE_BYTES): boolean {
  let size: number;
  try {
    size = statSync(logFile).size;
  } catch {
    return false;
  }
  if (size < maxBytes) return false;
  renameSync(logFile, `${logFile}.1`);
  return true;
}

export function spawnDetachedCli(args: readonly string[], options: { logFile: string; env: NodeJS.ProcessEnv; cwd: string }): ChildProcess {
  mkdirSync(dirname(options.logFile), { recursive: true, mode: 0o700 });
  rotateLog(options.logFile);
  const fd = openSync(options.logFile, "a", 0o600);
  try {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: options.env,
      cwd: options.cwd,
    });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}
