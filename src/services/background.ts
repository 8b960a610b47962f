/**
 * Starting our own CLI as a detached background process (for `ensure`):
 * its own session, stdin closed, stdout and stderr appended to a private
 * log file, not waited for.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/cli.js, next to dist/services/. */
export const CLI_PATH = fileURLToPath(new URL("../cli.js", import.meta.url));

export function spawnDetachedCli(args: readonly string[], options: { logFile: string; env: NodeJS.ProcessEnv; cwd: string }): ChildProcess {
  mkdirSync(dirname(options.logFile), { recursive: true, mode: 0o700 });
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
