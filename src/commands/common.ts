import { realpathSync } from "node:fs";
import path from "node:path";
import { ignoredFileWarnings, loadConfig, type LoadedConfig, type LoadOptions } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { resolveRepo, type RepoInfo } from "../git/repo.js";
import type { CommandContext } from "./context.js";

/** The repository a command acts on (--repo, else the current directory) and the configuration that applies to it. */
export async function repoAndConfig(
  ctx: CommandContext,
  repoArg: string | undefined,
  overrides: Partial<Config> = {},
  pending?: LoadOptions["pending"],
): Promise<{ repo: RepoInfo; loaded: LoadedConfig }> {
  const repo = await resolveRepo(path.resolve(ctx.cwd, repoArg ?? "."));
  return { repo, loaded: await configOf(ctx, repo, overrides, pending) };
}

/** The configuration that applies to `repo`; warns about the work-tree files it ignored. */
export async function configOf(
  ctx: CommandContext,
  repo: RepoInfo,
  overrides: Partial<Config> = {},
  pending?: LoadOptions["pending"],
): Promise<LoadedConfig> {
  const loaded = await loadConfig({
    env: ctx.env,
    repoDir: repo.dir,
    repoHasWorkTree: !repo.bare,
    gitDir: repo.gitDir,
    ...(ctx.configPath ? { explicitFile: path.resolve(ctx.cwd, ctx.configPath) } : {}),
    overrides,
    ...(pending ? { pending } : {}),
  });
  for (const warning of ignoredFileWarnings(loaded, repo.gitDir)) ctx.log.warn(warning);
  return loaded;
}

/**
 * The absolute node binary and the CLI script running now, so that the
 * hook, a systemd unit or a crontab line runs this CLI whatever its PATH
 * (see InstallHooksOptions). Without a script path (an unusual launch) the
 * hook relies on `git-annex-xmpp` being on PATH.
 */
export function runningCliCommand(): string[] {
  const script = process.argv[1];
  if (script === undefined) return ["git-annex-xmpp"];
  try {
    return [process.execPath, realpathSync(script)];
  } catch {
    return ["git-annex-xmpp"];
  }
}
