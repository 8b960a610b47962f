/**
 * `git-annex-xmpp secret init --remote NAME`: the announcement secret of a
 * hub that cannot run our hook (DESIGN.md §2.2), made by a clone. It is
 * pushed to the hub's refs/annex-xmpp/secret, where the other clones'
 * listeners fetch it as from a hub that made its own, and kept here as
 * refs/annex-xmpp/secrets/<remote>, which signs this clone's pushes to it.
 */
import path from "node:path";
import { AppError, UsageError } from "../errors.js";
import { listAnnexRemotes, resolveRepo } from "../git/repo.js";
import { fetchAnnounceSecret, pushAnnounceSecret, remoteSecretRef, SECRET_REF } from "../git/secret.js";
import type { CommandContext } from "./context.js";

export interface SecretInitArgs {
  repo?: string;
  remote: string;
  /** Replace the hub's secret (every clone must fetch the new one). */
  force?: boolean;
}

export async function runInit(ctx: CommandContext, args: SecretInitArgs): Promise<void> {
  const repo = await resolveRepo(path.resolve(ctx.cwd, args.repo ?? "."));
  const remote = (await listAnnexRemotes(repo.dir)).find((r) => r.name === args.remote);
  const ref = remoteSecretRef(args.remote);
  if (remote?.url === undefined || ref === undefined) {
    throw new UsageError(`${repo.dir} has no git remote named ${JSON.stringify(args.remote)}`, "`git remote -v` lists them");
  }
  const outcome = await pushAnnounceSecret(repo.dir, args.remote, { force: Boolean(args.force) });
  if (outcome.created) {
    ctx.out(`secret: created ${SECRET_REF} on ${args.remote}, kept here as ${ref}\n`);
    ctx.log.info(`the other clones' listeners fetch it from ${args.remote} when they next connect`);
    return;
  }
  if (outcome.reason === "exists") {
    // Refused, but this clone gets the hub's secret, so its pushes are signed.
    const fetched = await fetchAnnounceSecret(repo.dir, args.remote);
    throw new AppError("ESECRETEXISTS", `${args.remote} already has an announcement secret; not replaced${fetched ? ` (fetched it into ${ref})` : ""}`, {
      hint: `--force replaces it; every clone must then fetch the new one (\`git fetch ${args.remote} +${SECRET_REF}:${ref}\`)`,
    });
  }
  throw new AppError("ESECRETPUSH", `cannot push the secret to ${args.remote}: ${outcome.detail}`, {
    hint: `the hub must accept a push of ${SECRET_REF}; check \`git push ${args.remote}\` works from ${repo.dir}`,
  });
}
