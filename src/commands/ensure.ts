/**
 * `ensure`: make sure an agent serves the repositories (--repo, else the
 * `repositories` setting, else the current one); start one in the
 * background for those no agent serves, and wait, bounded, until it is
 * connected or has failed. Meant for cron (`service install --cron`):
 *   *\/5 * * * * git-annex-xmpp ensure --quiet
 * Quiet when all is well (cron mails any output); a login the server
 * refuses exits with the agent's own error and its exit code (78).
 */
import { readFile } from "node:fs/promises";
import { resolveCredentials } from "../config/load.js";
import { AppError, EXIT, type ExitCode } from "../errors.js";
import { requireAnnexUuid, resolveRepo } from "../git/repo.js";
import { runningListener } from "../lock/repo-lock.js";
import { readAgentStatus } from "../agent/status.js";
import { LOG_ROTATE_BYTES, rotateLog, spawnDetachedCli } from "../services/background.js";
import { agentStatusFile, statePaths } from "../state/paths.js";
import { configOf } from "./common.js";
import type { CommandContext } from "./context.js";
import { repositoriesToServe } from "./listen.js";

export interface EnsureArgs {
  repo?: string[];
}

/** How long to wait for a new agent to connect (or fail). */
const START_TIMEOUT_MS = 30_000;

export async function run(ctx: CommandContext, args: EnsureArgs): Promise<void> {
  const paths = statePaths(ctx.env);
  const unserved: string[] = [];
  for (const dir of await repositoriesToServe(ctx, args.repo ?? [])) {
    const repo = await resolveRepo(dir);
    const holder = await runningListener(repo.gitDir);
    if (holder) {
      ctx.log.debug(`${repo.dir} is served by pid ${holder.pid}`);
      continue;
    }
    // What the agent would check, so that a broken setup fails here, visibly, not in a log.
    requireAnnexUuid(repo);
    const loaded = await configOf(ctx, repo);
    await resolveCredentials(loaded.config, loaded.userDir, paths.dir);
    unserved.push(repo.dir);
  }
  if (unserved.length === 0) {
    // A healthy agent runs for months: its log is kept in bounds from here.
    rotateLog(paths.agentLog, LOG_ROTATE_BYTES, true);
    return;
  }
  const child = spawnDetachedCli(["listen", ...unserved.flatMap((d) => ["--repo", d]), ...(ctx.configPath ? ["--config", ctx.configPath] : [])], {
    logFile: paths.agentLog,
    env: ctx.env,
    cwd: ctx.cwd,
  });
  let exitCode: number | null | undefined;
  child.once("exit", (code) => (exitCode = code));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw await exited(exitCode, paths.agentLog);
    const state = await readAgentStatus(agentStatusFile(paths, child.pid!));
    const settled = state !== undefined && state.accounts.length > 0 && state.accounts.every((a) => a.state === "connected" || a.state === "stopped");
    const stopped = state?.accounts.find((a) => a.state === "stopped");
    // Another account's repositories are served; this one's are not, and the agent will not retry it by itself.
    if (settled && stopped) {
      throw new AppError("EAGENTSTART", `the agent (pid ${child.pid}) runs, but the session of ${stopped.account} stopped: ${stopped.error ?? "no reason given"}`, {
        hint: `fix that account (git-annex-xmpp configure --check), then reload the agent: kill -HUP ${child.pid}`,
        exitCode: EXIT.config,
      });
    }
    if (settled) {
      ctx.log.info(`started the agent (pid ${child.pid}) for ${unserved.join(", ")}; log: ${paths.agentLog}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const state = await readAgentStatus(agentStatusFile(paths, child.pid!));
  const why = state?.accounts.find((a) => a.error)?.error ?? "no answer";
  throw new AppError("EAGENTSTART", `the agent (pid ${child.pid}) is not connected after ${START_TIMEOUT_MS / 1000} s: ${why}`, {
    hint: `it keeps trying; see ${paths.agentLog}`,
  });
}

/** The agent's own last error line, with its exit code: 78 for a refused login or broken setting. */
async function exited(code: number | null, logFile: string): Promise<AppError> {
  const lines = (await readFile(logFile, "utf8").catch(() => "")).trim().split("\n");
  const at = lines.map((l) => l.startsWith("git-annex-xmpp: ")).lastIndexOf(true);
  const own = at >= 0 ? lines[at]! : (lines.at(-1) ?? "");
  const hint = at >= 0 && lines[at + 1]?.startsWith("hint: ") ? lines[at + 1]!.slice("hint: ".length) : undefined;
  const exitCode: ExitCode = code === EXIT.config ? EXIT.config : EXIT.failed;
  return new AppError("EAGENTEXIT", `the agent exited at once (status ${code}): ${own.replace(/^git-annex-xmpp: /, "")}`, {
    hint: hint ?? `see ${logFile}`,
    exitCode,
  });
}
