/**
 * `listen`: the agent. Serves the repositories named with --repo (any
 * number), else those of the `repositories` setting, else the current
 * one: one XMPP session per account for all of them, syncing each clone
 * when an announcement names one of its remotes, and sending the user's
 * announcement queue.
 */
import path from "node:path";
import { runAgent } from "../agent/agent.js";
import { prepareRepository, type ServedRepository } from "../agent/serve.js";
import { loadConfig } from "../config/load.js";
import type { CommandContext } from "./context.js";

export interface ListenArgs {
  repo?: string[];
}

export async function run(ctx: CommandContext, args: ListenArgs): Promise<void> {
  const dirs = await repositoriesToServe(ctx, args.repo ?? []);
  const explicitFile = ctx.configPath ? path.resolve(ctx.cwd, ctx.configPath) : undefined;
  const prepare = (dir: string) => prepareRepository(dir, { env: ctx.env, log: ctx.log, signal: ctx.signal, ...(explicitFile ? { explicitFile } : {}) });
  const served: ServedRepository[] = [];
  try {
    for (const dir of dirs) served.push(await prepare(dir));
  } catch (error) {
    await Promise.all(served.map((r) => r.release()));
    throw error;
  }
  await runAgent({
    env: ctx.env,
    log: ctx.log,
    signal: ctx.signal,
    repositories: served,
    // SIGHUP: the repositories setting is read again (named --repo stay the
    // set); either way a repository dropped meanwhile (its account's login
    // was refused, it was gone for a while) is tried again.
    ...(ctx.onReload ? { onReload: ctx.onReload, wanted: () => repositoriesToServe(ctx, args.repo ?? []), prepare } : {}),
  });
}

/** --repo values, else the user's `repositories` list, else the current directory. */
export async function repositoriesToServe(ctx: CommandContext, repoArgs: readonly string[]): Promise<string[]> {
  if (repoArgs.length > 0) return unique(repoArgs.map((r) => path.resolve(ctx.cwd, r)));
  const { config } = await loadConfig({ env: ctx.env, ...(ctx.configPath ? { explicitFile: path.resolve(ctx.cwd, ctx.configPath) } : {}) });
  if (config.repositories.length > 0) return unique(config.repositories);
  return [ctx.cwd];
}

function unique(dirs: string[]): string[] {
  return [...new Set(dirs)];
}
