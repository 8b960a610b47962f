/**
 * `git-annex-xmpp uninstall-hooks`: take our block out of the hook files
 * again, leaving everything else in them byte for byte as it was. The
 * announcement secret stays (clones that fetched it sign with it, and a
 * re-install would otherwise make a new one they do not have): it says so,
 * and how to remove it.
 */
import path from "node:path";
import { uninstallHooks } from "../git/hooks.js";
import { resolveRepo } from "../git/repo.js";
import { listSecretRefs } from "../git/secret.js";
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
  await reportSecretRefs(ctx, repo.dir);
}

async function reportSecretRefs(ctx: CommandContext, repo: string): Promise<void> {
  const refs = await listSecretRefs(repo);
  if (refs.length === 0) return;
  ctx.out(`left in place: the announcement secret${refs.length > 1 ? "s" : ""} ${refs.join(", ")} (clones that fetched it keep signing with it)`);
  ctx.out("to remove it too:");
  for (const ref of refs) ctx.out(`  git -C ${shellQuote(repo)} update-ref -d ${ref}`);
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
