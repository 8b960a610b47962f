/**
 * Starting our own CLI as a detached background process (for `ensure`):
 * its own session, stdin closed, stdout and stderr appended to a private
 * log file, not waited for. The log is rotated when it has grown past
 * LOG_ROTATE_BYTES: `<log>.1` replaces the previous one, so a daemon that
 * cron keeps alive (`ensure` rotates a running daemon's log in place) keeps
 * at most two logs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, copyFileSync, mkdirSync, openSync, renameSync, statSync, truncateSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/cli.js, next to dist/services/. */
export const CLI_PATH = fileURLToPath(new URL("../cli.js", import.meta.url));

export const LOG_ROTATE_BYTES = 8 * 1024 * 1024;

/**
 * When `logFile` is at least `maxBytes` long, keeps it as `<logFile>.1` and
 * starts it empty; says whether it did. `inPlace` (a daemon still writes to
 * it, in append mode) copies and truncates instead of renaming, so the
 * daemon's next line lands at the start of the same file. Never throws: a
 * log that cannot be rotated must not keep a daemon from starting.
 */
export function rotateLog(logFile: string, maxBytes = LOG_ROTATE_BYTES, inPlace = false): boolean {
  try {
    if (statSync(logFile).size < maxBytes) return false;
    if (inPlace) {
      copyFileSync(logFile, `${logFile}.1`);
      truncateSync(logFile, 0);
    } else {
      renameSync(logFile, `${logFile}.1`);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * `env` is handed to our own CLI as it is (a listen started by `ensure` may
 * need GIT_ANNEX_XMPP_PASSWORD to log in); `args` never carries a secret,
 * since argv is world-readable in /proc. The git adapter strips the password
 * before any git process sees it (src/git/run.ts).
 */
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
