/**
 * `git-annex-xmpp install-hooks`: add our notify block to the repository's
 * receive-side hooks (see src/git/hooks.ts for where and how).
 */
import path from "node:path";
import { UsageError } from "../errors.js";
import { CLIENT_HOOK, HOOK_NAMES, isHookName, type HookName } from "../git/hook-script.js";
import { installHooks, type HooksResult } from "../git/hooks.js";
import { listAnnexRemotes, resolveRepo } from "../git/repo.js";
import { ensureAnnounceSecret, readRemoteSecrets, SECRET_REF } from "../git/secret.js";
import { runningCliCommand } from "./common.js";
import type { CommandContext } from "./context.js";

export interface InstallHooksArgs {
  repo?: string;
  hook?: string[];
  /** The clone-side hook that announces the clone's own pushes (hubs without our hook). */
  client?: boolean;
  /** argv that runs this CLI; defaults to the running node and script. */
  cliCommand?: string[];
}

export async function run(ctx: CommandContext, args: InstallHooksArgs): Promise<void> {
  const hooks = args.client ? [CLIENT_HOOK] : parseHookNames(args.hook);
  const repo = await resolveRepo(path.resolve(ctx.cwd, args.repo ?? "."));
  if (hooks?.includes(CLIENT_HOOK) && repo.bare) {
    throw new UsageError(`${repo.dir} is a bare repository: --client is for the clones that push to it`, "git-annex-xmpp install-hooks (without --client) adds the hub's hook");
  }
  const cliCommand = args.cliCommand ?? runningCliCommand();
  ctx.log.debug(`install-hooks: ${repo.dir}, running ${cliCommand.join(" ")}`);
  const result = await installHooks(repo, { cliCommand, ...(hooks ? { hooks } : {}) });
  warnAboutHooksPath(ctx, result, repo.bare);
  for (const file of result.files) {
    ctx.out(`${file.hook}: ${file.action}\n`);
    if (!file.executable) ctx.log.warn(`${file.path} is not executable, so git does not run it (chmod +x it)`);
  }
  if (hooks?.includes(CLIENT_HOOK)) await warnAboutUnsignedRemotes(ctx, repo.dir);
  // A hub (bare) gets the secret that signs its announcements; clones
  // fetch it from there (DESIGN.md §2.2). A clone never makes its own.
  if (repo.bare && (await ensureAnnounceSecret(repo.dir))) ctx.out(`secret: created ${SECRET_REF}\n`);
}

/** `--hook` values, validated; undefined means the default set. */
export function parseHookNames(values: readonly string[] | undefined): HookName[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const names = values.flatMap((value) => value.split(",")).map((value) => value.trim()).filter(Boolean);
  const wrong = names.filter((name) => !isHookName(name));
  if (wrong.length > 0) {
    throw new UsageError(`unknown hook ${wrong.map((w) => JSON.stringify(w)).join(", ")}`, `--hook takes ${HOOK_NAMES.join(" or ")}`);
  }
  return names as HookName[];
}

/**
 * core.hooksPath is left alone (STYLE.md: taking it over would switch off
 * git-annex's hooks), but the user should know where the block went, and
 * that git-annex's own hooks, always written to $GIT_DIR/hooks, are not run.
 */
function warnAboutHooksPath(ctx: CommandContext, result: HooksResult, bare: boolean): void {
  if (result.coreHooksPath === undefined) return;
  ctx.log.warn(`core.hooksPath is set (${result.coreHooksPath}): using ${result.hooksDir}, where git runs push hooks`);
  if (!bare && result.hooksDir !== result.defaultHooksDir) {
    ctx.log.warn(`git-annex keeps its own hooks in ${result.defaultHooksDir}, which git does not run while core.hooksPath points elsewhere`);
  }
}

/** The client hook announces pushes signed with each hub's secret: say which hubs this clone has none for. */
async function warnAboutUnsignedRemotes(ctx: CommandContext, dir: string): Promise<void> {
  const secrets = await readRemoteSecrets(dir);
  for (const remote of await listAnnexRemotes(dir)) {
    if (remote.url === undefined || remote.uuid === undefined || secrets.has(remote.name)) continue;
    ctx.log.warn(
      `no announcement secret for remote ${remote.name}: pushes to it are announced unsigned, and listeners that have its secret drop them ` +
        `(hint: git-annex-xmpp secret init --remote ${remote.name} --repo ${dir}, which fetches the hub's secret when it has one)`,
    );
  }
}
