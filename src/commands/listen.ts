/**
 * `listen`: the daemon of a clone. Syncs with the remote that an
 * announcement names, once at start and after each reconnect.
 */
import { resolveCredentials } from "../config/load.js";
import { gitAnnexVersion, listAnnexRemotes, remotesForUuids, requireAnnexUuid } from "../git/repo.js";
import { annex } from "../git/run.js";
import { runListener } from "../listen/daemon.js";
import { createSession } from "../services/connect.js";
import { repoAndConfig } from "./common.js";
import type { CommandContext } from "./context.js";

export interface ListenArgs {
  repo?: string;
}

export async function run(ctx: CommandContext, args: ListenArgs): Promise<void> {
  const { repo, loaded } = await repoAndConfig(ctx, args.repo);
  const { config } = loaded;
  requireAnnexUuid(repo);
  const credentials = await resolveCredentials(config, loaded.userDir);
  ctx.log.info(`listening for ${repo.dir} (git-annex ${await gitAnnexVersion(repo.dir)})`);
  await runListener({
    log: ctx.log,
    signal: ctx.signal,
    buddies: config.buddies,
    openSession: () => createSession(config, credentials, ctx.log, "listen"),
    remotesFor: async (uuids) => {
      const remotes = await listAnnexRemotes(repo.dir);
      if (uuids) return remotesForUuids(remotes, uuids);
      return remotesForUuids(remotes, remotes.flatMap((r) => (r.uuid ? [r.uuid] : [])));
    },
    sync: async (remotes, signal) => {
      await annex(repo.dir, ["sync", ...config.syncArgs, ...remotes], { signal });
    },
  });
}
