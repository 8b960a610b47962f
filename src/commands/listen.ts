/**
 * `listen`: the daemon of a clone. Syncs with the remote that an
 * announcement names, once at start and after each reconnect.
 */
import { resolveCredentials, userStateDir } from "../config/load.js";
import { gitAnnexVersion, listAnnexRemotes, remotesForUuids, requireAnnexUuid } from "../git/repo.js";
import { startQueueCourier } from "../announce/courier.js";
import { bareJid } from "../config/schema.js";
import type { XmppSession } from "../xmpp/session.js";
import { runListener } from "../listen/daemon.js";
import { lockRepositoryForListen } from "../lock/repo-lock.js";
import { createSession } from "../services/connect.js";
import { loadAnnounceSecret } from "../services/secret.js";
import { hasObjects } from "../git/secret.js";
import { createProgressLine } from "../sync/progress-line.js";
import { createTargetedSync } from "../sync/targeted.js";
import { repoAndConfig } from "./common.js";
import type { CommandContext } from "./context.js";

export interface ListenArgs {
  repo?: string;
}

export async function run(ctx: CommandContext, args: ListenArgs): Promise<void> {
  const { repo, loaded } = await repoAndConfig(ctx, args.repo);
  const { config } = loaded;
  requireAnnexUuid(repo);
  // With the state dir: SCRAM keys cached there, and a password-less login once they are.
  const credentials = await resolveCredentials(config, loaded.userDir, userStateDir(ctx.env));
  // One daemon per repository (throws DaemonRunningError naming the holder).
  const unlock = await lockRepositoryForListen(repo.dir, repo.gitDir);
  ctx.log.info(`listening for ${repo.dir} (git-annex ${await gitAnnexVersion(repo.dir)})`);
  // Sends the user's announcement queue (hooks, notify) through the live session.
  const account = bareJid(credentials.jid);
  let live: XmppSession | undefined;
  const localHandlers: Array<(uuids: readonly string[], reason: string, newShas: readonly string[]) => void> = [];
  const courier = await startQueueCourier({
    env: ctx.env,
    log: ctx.log,
    serves: (key) => key === account,
    liveSession: (key) => (key === account ? live : undefined),
    onSent: (announcement) => {
      const newShas = announcement.refs.flatMap((r) => (r.new && !/^0+$/.test(r.new) ? [r.new] : []));
      for (const handler of localHandlers) handler(announcement.uuids, `announced for ${announcement.repo ?? "this machine"}`, newShas);
    },
  }).catch(async (error: unknown) => {
    await unlock();
    throw error;
  });
  const stopServing = async () => {
    await courier.close();
    await unlock();
  };
  await runListener({
    onOnline: async (session) => {
      live = session;
      session.on("disconnect", () => {
        if (live === session) live = undefined;
      });
      courier.request();
    },
    localAnnouncements: (handler) => void localHandlers.push(handler),
    log: ctx.log,
    signal: ctx.signal,
    buddies: config.buddies,
    probe: { idleMs: config.idleProbeMs, timeoutMs: config.probeTimeoutMs },
    backoff: { baseMs: 500, capMs: config.reconnectMaxMs },
    openSession: () => createSession(config, credentials, ctx.log, "listen"),
    acceptUnsigned: config.acceptUnsigned,
    announceSecret: () => loadAnnounceSecret(repo.dir, ctx.log),
    remoteUuids: async () => uuidsOf(await listAnnexRemotes(repo.dir)),
    hasObjects: (shas) => hasObjects(repo.dir, shas),
    remotesFor: async (uuids) => {
      const remotes = await listAnnexRemotes(repo.dir);
      if (uuids) return remotesForUuids(remotes, uuids);
      return remotesForUuids(remotes, uuidsOf(remotes));
    },
    sync: createTargetedSync({
      repo,
      log: ctx.log,
      syncArgs: config.syncArgs,
      fullScanEveryMs: config.fullScanEveryMs,
      // Progress only on a terminal (CommandContext has no terminal handle yet).
      progress: createProgressLine(process.stderr),
    }),
  }).finally(stopServing);
}

function uuidsOf(remotes: ReadonlyArray<{ uuid?: string | undefined }>): string[] {
  return remotes.flatMap((r) => (r.uuid ? [r.uuid] : []));
}
