/**
 * Getting one repository ready to be served by the agent: resolved, its
 * configuration read (the account it uses), its lock taken (a second agent
 * for it refuses, naming the pid), and the pieces its RepositoryService
 * needs — remotes, targeted sync, secret, objects — bound to it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, resolveCredentials, ignoredFileWarnings, type Credentials } from "../config/load.js";
import { bareJid, type Config } from "../config/schema.js";
import { gitAnnexVersion, listAnnexRemotes, remotesForUuids, requireAnnexUuid, resolveRepo, type RepoInfo } from "../git/repo.js";
import { hasObjects } from "../git/secret.js";
import type { Logger } from "../log.js";
import { lockRepositoryForListen } from "../lock/repo-lock.js";
import { createSession } from "../services/connect.js";
import { createAnnounceKeyLoader } from "../services/secret.js";
import { loadNonceMemory, type NonceMemory } from "./nonces.js";
import { nonceJournalFile } from "../state/nonce-journal.js";
import { statePaths } from "../state/paths.js";
import { createProgressReporter } from "../sync/progress-line.js";
import { createTargetedSync } from "../sync/targeted.js";
import type { XmppSession } from "../xmpp/session.js";
import type { Limiter } from "./limit.js";
import type { AgentStatus } from "./status.js";
import { createRepositoryService, type RepositoryService } from "./repository.js";
import { DEFAULT_REPLAY_WINDOW_MS } from "./session-loop.js";

export interface ServedRepository {
  dir: string;
  repo: RepoInfo;
  /** Bare JID, lower-cased: repositories of one account share one session. */
  account: string;
  config: Config;
  credentials: Credentials;
  openSession(role: string): Promise<XmppSession>;
  /** Its service; undefined for a bare hub, which the agent serves by sending its queue only. */
  start(options: StartOptions): RepositoryService | undefined;
  release(): Promise<void>;
}

export interface StartOptions {
  limiter: Limiter;
  /** Replay protection that survives a restart (DESIGN.md §2.2): the repository's journal, loaded once. */
  nonces?: NonceMemory;
  onGone(reason: string): void;
  /** Its log (the agent prefixes lines with the repository when it serves several). */
  log: Logger;
  status?: AgentStatus;
}

export interface PrepareOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  signal: AbortSignal;
  /** --config FILE, when given. */
  explicitFile?: string;
}

export async function prepareRepository(dir: string, options: PrepareOptions): Promise<ServedRepository> {
  const repo = await resolveRepo(dir);
  requireAnnexUuid(repo);
  const loaded = await loadConfig({
    env: options.env,
    repoDir: repo.dir,
    repoHasWorkTree: !repo.bare,
    gitDir: repo.gitDir,
    ...(options.explicitFile ? { explicitFile: options.explicitFile } : {}),
  });
  for (const warning of ignoredFileWarnings(loaded, repo.gitDir)) options.log.warn(warning);
  const { config } = loaded;
  // With the state dir: SCRAM keys cached there, and a password-less login once they are.
  const credentials = await resolveCredentials(config, loaded.userDir, statePaths(options.env).dir);
  // One agent per repository (throws DaemonRunningError naming the holder).
  const release = await lockRepositoryForListen(repo.dir, repo.gitDir);
  const nonces = repo.bare ? undefined : await loadNonceMemory(nonceJournalFile(repo.gitDir), DEFAULT_REPLAY_WINDOW_MS, options.log);
  options.log.info(`listening for ${repo.dir}${repo.bare ? " (bare: its pushes are announced, nothing synced)" : ""} (git-annex ${await gitAnnexVersion(repo.dir)})`);
  return {
    dir: repo.dir,
    repo,
    account: bareJid(credentials.jid),
    config,
    credentials,
    openSession: (role) => createSession(config, credentials, options.log, role),
    start: (deps) => (repo.bare ? undefined : serviceFor(repo, config, options, { ...deps, ...(nonces ? { nonces } : {}) })),
    release,
  };
}

function serviceFor(repo: RepoInfo, config: Config, options: PrepareOptions, deps: StartOptions) {
  const { log } = deps;
  return createRepositoryService({
    dir: repo.dir,
    log,
    signal: options.signal,
    limiter: deps.limiter,
    ...(deps.status ? { status: deps.status } : {}),
    onGone: deps.onGone,
    // A repository whose git directory vanished (deleted, moved) cannot come back by retrying.
    isGone: () => !existsSync(join(repo.gitDir, "config")),
    replayWindowMs: DEFAULT_REPLAY_WINDOW_MS,
    acceptUnsigned: config.acceptUnsigned,
    announceKeys: createAnnounceKeyLoader(repo.dir, log).load,
    nonces: deps.nonces,
    hasObjects: (shas) => hasObjects(repo.dir, shas),
    remotesFor: async (uuids) => {
      const remotes = await listAnnexRemotes(repo.dir);
      return remotesForUuids(remotes, uuids ?? uuidsOf(remotes));
    },
    sync: createTargetedSync({
      repo,
      log,
      syncArgs: config.syncArgs,
      fullScanEveryMs: config.fullScanEveryMs,
      progress: createProgressReporter({
        terminal: process.stderr,
        log: (line) => log.info(line),
        status: (progress) => deps.status?.syncProgress(repo.dir, progress),
      }),
    }),
  });
}

function uuidsOf(remotes: ReadonlyArray<{ uuid?: string | undefined }>): string[] {
  return remotes.flatMap((r) => (r.uuid ? [r.uuid] : []));
}
