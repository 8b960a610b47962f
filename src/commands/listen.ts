/**
 * `listen`: the daemon of a clone. Syncs with the remote that an
 * announcement names, once at start and after each reconnect.
 */
import { resolveCredentials, userStateDir } from "../config/load.js";
import { gitAnnexVersion, listAnnexRemotes, remotesForUuids, requireAnnexUuid, resolveRepo } from "../git/repo.js";
import { startAnnouncementRelay } from "../handoff/relay.js";
import { DEFAULT_REPLAY_WINDOW_MS, runListener } from "../listen/daemon.js";
import { loadNonceMemory } from "../listen/nonces.js";
import { nonceJournalFile } from "../state/nonce-journal.js";
import { lockRepositoryForListen } from "../lock/repo-lock.js";
import { createSession } from "../services/connect.js";
import { createAnnounceKeyLoader } from "../services/secret.js";
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
  // Serves notify's hand-offs and flushes the spool whenever a session is online.
  const relay = await startAnnouncementRelay({
    env: ctx.env,
    jid: credentials.jid,
    log: ctx.log,
    delivery: { ackTimeoutMs: config.timeoutMs, sealed: config.sealed },
    resolveUuid: async (dir) => requireAnnexUuid(await resolveRepo(dir)),
  }).catch(async (error: unknown) => {
    await unlock();
    throw error;
  });
  const stopServing = async () => {
    await relay.close();
    await unlock();
  };
  await runListener({
    onOnline: relay.onOnline,
    localAnnouncements: relay.onLocal,
    log: ctx.log,
    signal: ctx.signal,
    buddies: config.buddies,
    probe: { idleMs: config.idleProbeMs, timeoutMs: config.probeTimeoutMs },
    backoff: { baseMs: 500, capMs: config.reconnectMaxMs },
    openSession: () => createSession(config, credentials, ctx.log, "listen"),
    acceptUnsigned: config.acceptUnsigned,
    // Replay protection that survives a restart (DESIGN.md §2.2).
    nonces: await loadNonceMemory(nonceJournalFile(repo.gitDir), DEFAULT_REPLAY_WINDOW_MS, ctx.log),
    announceKeys: createAnnounceKeyLoader(repo.dir, ctx.log).load,
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
