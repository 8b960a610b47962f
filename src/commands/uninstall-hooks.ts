/**
 * `git-annex-xmpp uninstall-hooks`: take our block out of the hook files
 * again, leaving everything else in them byte for byte as it was.
 */
import path from "node:path";
import { uninstallHooks } from "../git/hooks.js";
import { resolveRepo } from "../git/repo.js";
import type { CommandContext } from "./context.js";
import { parseHookNames } from "./install-hooks.js";

export interface UninstallHooksArgs {
  repo?: string;
  hook?: string[];
}

export async function run(ctx: CommandContext, args: UninstallHooksArgs): Promise<void> {
  const hooks = parseHookNames(args.hook);
  const repo = await resolveRepo(path.resolve(ctx.cwd, args.repo ?? "."));
  const result = await uninstallHooks(repo, hooks ? { hooks } : {});
  const removed = result.files.filter((file) => file.action !== "absent");
  for (const file of removed) ctx.out(`${file.hook}: ${file.action}\n`);
  if (removed.length === 0) ctx.out(`no git-annex-xmpp hooks in ${result.hooksDir}\n`);
}
