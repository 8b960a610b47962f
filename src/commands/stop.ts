/**
 * `stop`: stop the agent serving a repository (--repo), or every agent of
 * this user (each one keeps a status file named by its pid), and wait until
 * it has stopped: it ends its sessions cleanly and releases its locks.
 */
import path from "node:path";
import { AppError } from "../errors.js";
import { resolveRepo } from "../git/repo.js";
import { isProcessAlive } from "../lock/pid-lock.js";
import { runningListener } from "../lock/repo-lock.js";
import { liveAgents } from "../agent/status.js";
import { statePaths } from "../state/paths.js";
import type { CommandContext } from "./context.js";

export interface StopArgs {
  repo?: string[];
}

const STOP_TIMEOUT_MS = 20_000;

export async function run(ctx: CommandContext, args: StopArgs): Promise<void> {
  const pids = (args.repo ?? []).length > 0 ? await agentsServing(ctx, args.repo!) : await liveAgents(statePaths(ctx.env).agentStatusDir);
  if (pids.length === 0) {
    ctx.out((args.repo ?? []).length > 0 ? "no agent serves it" : "no agent runs");
    return;
  }
  for (const pid of pids) process.kill(pid, "SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pids.some(isProcessAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const left = pids.filter(isProcessAlive);
  if (left.length > 0) throw new AppError("ESTOP", `pid ${left.join(", ")} did not stop within ${STOP_TIMEOUT_MS / 1000} s`, { hint: `kill -9 ${left.join(" ")}` });
  ctx.out(`stopped the agent (pid ${pids.join(", ")})`);
}

async function agentsServing(ctx: CommandContext, dirs: string[]): Promise<number[]> {
  const pids = new Set<number>();
  for (const dir of dirs) {
    const holder = await runningListener((await resolveRepo(path.resolve(ctx.cwd, dir))).gitDir);
    if (holder) pids.add(holder.pid);
  }
  return [...pids];
}
