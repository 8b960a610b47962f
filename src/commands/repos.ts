/**
 * `repos`: the repositories the agent serves when `listen` is given none
 * (the user configuration's `repositories`): list, add, remove. Adding
 * checks that the directory is a git-annex repository and stores its top
 * directory; a running agent picks the change up when it restarts.
 */
import path from "node:path";
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { requireAnnexUuid, resolveRepo } from "../git/repo.js";
import { run as configure } from "./configure.js";
import type { CommandContext } from "./context.js";

export interface ReposArgs {
  action: "list" | "add" | "remove";
  dirs: string[];
}

export async function run(ctx: CommandContext, args: ReposArgs): Promise<void> {
  const { config } = await loadConfig({ env: ctx.env, ...(ctx.configPath ? { explicitFile: path.resolve(ctx.cwd, ctx.configPath) } : {}) });
  const current = config.repositories;
  if (args.action === "list") {
    for (const dir of current) ctx.out(dir);
    if (current.length === 0) ctx.log.info("no repositories configured: `listen` serves the current directory (add some with `git-annex-xmpp repos add DIR`)");
    return;
  }
  if (args.dirs.length === 0) throw new UsageError(`repos ${args.action} needs at least one directory`);
  let next: string[];
  if (args.action === "add") {
    const added: string[] = [];
    for (const dir of args.dirs) {
      const repo = await resolveRepo(path.resolve(ctx.cwd, dir));
      requireAnnexUuid(repo);
      added.push(repo.dir);
    }
    next = [...new Set([...current, ...added])];
  } else {
    const named = new Set(args.dirs.map((d) => path.resolve(ctx.cwd, d)));
    const unknown = [...named].filter((d) => !current.includes(d));
    if (unknown.length > 0) throw new UsageError(`not in the list: ${unknown.join(", ")}`, "see `git-annex-xmpp repos list`");
    next = current.filter((d) => !named.has(d));
  }
  await configure(ctx, { scope: "user", set: { repositories: next }, unset: [], check: false });
}
