/**
 * `ensure`: make sure a `listen` runs for a repository; start one in the
 * background if none does, and return. Meant for cron or a systemd timer:
 *   *\/5 * * * * git-annex-xmpp ensure --repo ~/annex
 * Exit 0 whether it started one or one was running; the daemon's output
 * goes to a log file in the state directory, printed here.
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { resolveCredentials } from "../config/load.js";
import { userStateDir } from "../config/places.js";
import { AppError } from "../errors.js";
import { requireAnnexUuid } from "../git/repo.js";
import { runningListener } from "../lock/repo-lock.js";
import { LOG_ROTATE_BYTES, rotateLog, spawnDetachedCli } from "../services/background.js";
import { repoAndConfig } from "./common.js";
import type { CommandContext } from "./context.js";

export interface EnsureArgs {
  repo?: string;
}

/** How long to wait for the new daemon to take the repository's lock. */
const START_TIMEOUT_MS = 15_000;

/** FNV-1a, 32 bit: a short stable tag for a path in a file name (no need for crypto here). */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

export function listenLogFile(stateDir: string, repoDir: string): string {
  return join(stateDir, "logs", `listen-${basename(repoDir).replace(/[^A-Za-z0-9._-]/g, "_")}-${fnv1a(repoDir)}.log`);
}

export async function run(ctx: CommandContext, args: EnsureArgs): Promise<void> {
  // Check what listen would check, so that a broken setup fails here, visibly, not in a log.
  const { repo, loaded } = await repoAndConfig(ctx, args.repo);
  requireAnnexUuid(repo);
  await resolveCredentials(loaded.config, loaded.userDir, userStateDir(ctx.env));
  const running = await runningListener(repo.gitDir);
  const logFile = listenLogFile(userStateDir(ctx.env), repo.dir);
  if (running) {
    // A healthy daemon runs for months: its log is kept in bounds from here.
    rotateLog(logFile, LOG_ROTATE_BYTES, true);
    ctx.out(`listen already runs for ${repo.dir} (pid ${running.pid})`);
    return;
  }
  const child = spawnDetachedCli(["listen", "--repo", repo.dir, ...(ctx.configPath ? ["--config", ctx.configPath] : [])], {
    logFile,
    env: ctx.env,
    cwd: ctx.cwd,
  });
  let exitCode: number | null | undefined;
  child.once("exit", (code) => (exitCode = code));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const holder = await runningListener(repo.gitDir);
    if (holder?.pid === child.pid) {
      ctx.out(`started listen for ${repo.dir} (pid ${child.pid}); log: ${logFile}`);
      return;
    }
    if (holder) {
      ctx.out(`listen already runs for ${repo.dir} (pid ${holder.pid}; started concurrently)`);
      return;
    }
    if (exitCode !== undefined) {
      const tail = (await readFile(logFile, "utf8").catch(() => "")).trim().split("\n").slice(-3).join(" | ");
      throw new AppError("ELISTENEXIT", `listen for ${repo.dir} exited at once (status ${exitCode}): ${tail}`, {
        hint: `see ${logFile}`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  ctx.out(`started listen for ${repo.dir} (pid ${child.pid}), not yet running after ${START_TIMEOUT_MS / 1000} s; log: ${logFile}`);
}
