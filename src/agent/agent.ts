/**
 * The agent: one process per user for all of the user's repositories (as
 * git-annex runs one assistant for everything in its autostart file). One
 * XMPP session per account, shared by every repository configured with it;
 * each repository keeps its own lock, scheduler and sync state; the user's
 * announcement queue is sent through those sessions. A repository that
 * disappears is dropped from service with one log line; the others go on.
 * A reload (SIGHUP) serves the repositories the configuration lists now:
 * new ones join their account's session (no new login), removed ones leave.
 * An account whose session fails for good (a refused login) stops serving
 * its repositories, not the others'; a reload tries it again, and the agent
 * ends, with that error, only when no account is left.
 */
import { startQueueCourier, type QueueCourier } from "../announce/courier.js";
import type { Announcement } from "../announce/announcement.js";
import { jidDomain, type Config } from "../config/schema.js";
import { prefixedLogger, type Logger } from "../log.js";
import { agentStatusFile, statePaths } from "../state/paths.js";
import type { XmppSession } from "../xmpp/session.js";
import { openQueue } from "../announce/queue.js";
import { createRecentAnnouncements } from "../announce/recent.js";
import { createLimiter } from "./limit.js";
import { watchOwnPushes, type OwnPushWatcher } from "./own-pushes.js";
import type { RepositoryService } from "./repository.js";
import type { ServedRepository } from "./serve.js";
import { isFatal, runListener } from "./session-loop.js";
import { createAgentStatus, liveAgents, type AgentStatus } from "./status.js";
import { stopSshMasters } from "../sync/ssh-cache.js";

export interface AgentOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  signal: AbortSignal;
  /** Every repository to serve, already locked and configured (serve.ts). */
  repositories: ServedRepository[];
  /** Reloads: calls the handler on each request (SIGHUP). */
  onReload?(handler: () => void): void;
  /** On a reload: the directories to serve now, and how to get one ready. */
  wanted?(): Promise<string[]>;
  prepare?(dir: string): Promise<ServedRepository>;
}

/** How many repositories may sync at once. */
export const PARALLEL_SYNCS = 2;
/** How often the agent looks whether a served repository still exists. */
const GONE_CHECK_MS = 10_000;

interface AccountEntry {
  repos: ServedRepository[];
  changed: Set<() => void>;
}

export async function runAgent(options: AgentOptions): Promise<void> {
  const { log } = options;
  const status = createAgentStatus(agentStatusFile(statePaths(options.env), process.pid), options.repositories);
  const live = new Map<string, XmppSession>();
  const accounts = new Map<string, AccountEntry>();
  const loops: Array<Promise<void>> = [];
  const failures: Error[] = [];
  const services = createServices(options, status, (repo, reason) => drop(repo, reason));
  let courier: QueueCourier | undefined;
  // What the account's other machines announced lately: this machine's push-back of it is no news (announce/recent.ts).
  const heard = createRecentAnnouncements();

  const startAccount = (key: string, entry: AccountEntry) => {
    const config = entry.repos[0]!.config;
    const stopAccount = (error: Error) => {
      // Anything but a refused login or a broken setting is a bug: it ends the agent, not one account quietly.
      if (!isFatal(error)) throw error;
      failures.push(error);
      accounts.delete(key);
      log.error(`${key}: session stopped: ${error.message}; its repositories are not served until a reload (SIGHUP) or a restart`);
      for (const repo of [...entry.repos]) drop(repo, `the session of ${key} stopped`);
    };
    loops.push(
      runListener({
        log,
        signal: options.signal,
        buddies: [...new Set(entry.repos.flatMap((r) => r.config.buddies))],
        openSession: () => entry.repos[0]!.openSession("listen"),
        repositories: () => entry.repos.flatMap((r) => services.get(r) ?? []),
        watchRepositories: (onChange) => {
          entry.changed.add(onChange);
          return () => entry.changed.delete(onChange);
        },
        probe: { idleMs: config.idleProbeMs, timeoutMs: config.probeTimeoutMs },
        backoff: { baseMs: 500, capMs: config.reconnectMaxMs },
        onHeard: (account, announced) => heard.remember(account, announced, Date.now()),
        onState: (state, detail = {}) => status.session(key, state, { server: serverOf(config, key), ...detail }),
        onOnline: async (session) => {
          live.set(key, session);
          session.on("disconnect", () => {
            if (live.get(key) === session) live.delete(key);
          });
          courier?.request();
        },
      }).catch(stopAccount),
    );
  };
  const add = (repo: ServedRepository) => {
    services.start(repo, accounts.size + 1 > 1 || options.repositories.length > 1);
    status.addRepository(repo.dir, repo.account);
    const entry = accounts.get(repo.account);
    if (entry) {
      entry.repos.push(repo);
      for (const notify of entry.changed) notify();
      return;
    }
    const created = { repos: [repo], changed: new Set<() => void>() };
    accounts.set(repo.account, created);
    startAccount(repo.account, created);
  };
  const drop = (repo: ServedRepository, reason: string) => {
    if (!services.remove(repo)) return;
    log.error(`${repo.dir}: no longer served: ${reason}`);
    status.dropRepository(repo.dir);
    const entry = accounts.get(repo.account);
    if (!entry) return;
    entry.repos = entry.repos.filter((r) => r !== repo);
    for (const notify of entry.changed) notify();
  };

  courier = await startQueueCourier({
    env: options.env,
    log,
    serves: (key) => accounts.has(key),
    liveSession: (key) => live.get(key),
    heard,
    onSent: (announcement) => routeOwnAnnouncement(announcement, services.all(), status, log),
    onRound: (waiting, holding) => status.queue(waiting, holding),
  });
  for (const repo of options.repositories) add(repo);
  // A repository deleted while idle is noticed without waiting for its next announcement.
  const goneCheck = setInterval(() => services.all().forEach((service) => service.checkGone()), GONE_CHECK_MS);
  options.onReload?.(() => void reload(options, services.served(), add, drop).catch((error: Error) => log.error(`reload failed: ${error.message}`)));
  try {
    // Loops started by a reload count too. A loop ends on its own only when
    // its account failed: once all have, nothing is served and the agent
    // ends with the latest error (78 for a refused login).
    for (let seen = 0; seen < loops.length; ) {
      seen = loops.length;
      await Promise.all(loops);
    }
    if (failures.length > 0 && !options.signal.aborted) throw failures.at(-1);
  } finally {
    clearInterval(goneCheck);
    await courier.close();
    await status.close();
    await services.stopAll();
    // The warm ssh connections of our fetches are shared by the user's agents: the last one out stops them.
    const paths = statePaths(options.env);
    if ((await liveAgents(paths.agentStatusDir)).every((pid) => pid === process.pid)) await stopSshMasters(paths.sshSockets);
    log.info("stopped");
  }
}

/**
 * The repositories' services: started, stopped, listed. A clone's own
 * pushes are announced too (own-pushes.ts), for hubs without our hook.
 */
function createServices(options: AgentOptions, status: AgentStatus, onGone: (repo: ServedRepository, reason: string) => void) {
  const limiter = createLimiter(PARALLEL_SYNCS);
  const services = new Map<ServedRepository, RepositoryService | undefined>();
  const watchers = new Map<ServedRepository, OwnPushWatcher>();
  const queue = openQueue(statePaths(options.env).queue);
  const unwatch = (repo: ServedRepository) => {
    watchers.get(repo)?.stop();
    watchers.delete(repo);
  };
  return {
    start(repo: ServedRepository, several: boolean) {
      const log = several ? prefixedLogger(options.log, repo.dir) : options.log;
      services.set(repo, repo.start({ limiter, log, status, onGone: (reason) => onGone(repo, reason) }));
      if (!repo.repo.bare) watchers.set(repo, watchOwnPushes({ repo: repo.repo, queue, log }));
    },
    get: (repo: ServedRepository) => services.get(repo),
    all: () => [...services.values()].flatMap((s) => s ?? []),
    served: () => [...services.keys()],
    /** False when it was not served. */
    remove(repo: ServedRepository): boolean {
      if (!services.has(repo)) return false;
      const service = services.get(repo);
      services.delete(repo);
      unwatch(repo);
      void service?.stop().finally(() => repo.release());
      return true;
    },
    async stopAll() {
      for (const repo of [...watchers.keys()]) unwatch(repo);
      await Promise.all([...services].map(async ([repo, service]) => {
        await service?.stop();
        await repo.release();
      }));
    },
  };
}

/** What this agent announced itself comes back only as its own (ignored) echo: its repositories hear it here. */
function routeOwnAnnouncement(announcement: Announcement, services: RepositoryService[], status: AgentStatus, log: Logger): void {
  if (announcement.repo !== undefined) status.sent(announcement.repo);
  const newShas = announcement.refs.flatMap((r) => (r.new && !/^0+$/.test(r.new) ? [r.new] : []));
  const reason = `announced for ${announcement.repo ?? "this machine"}`;
  for (const service of services) {
    service.localAnnouncement(announcement.uuids, reason, newShas).catch((error: Error) => log.warn(`${reason}: ${error.message}`));
  }
}

async function reload(
  options: AgentOptions,
  served: ServedRepository[],
  add: (repo: ServedRepository) => void,
  drop: (repo: ServedRepository, reason: string) => void,
): Promise<void> {
  if (!options.wanted || !options.prepare) return;
  const wanted = await options.wanted();
  options.log.info(`reload: serving ${wanted.length} repositor${wanted.length === 1 ? "y" : "ies"}`);
  for (const repo of served) if (!wanted.includes(repo.dir)) drop(repo, "no longer in the configuration");
  const have = new Set(served.map((r) => r.dir));
  for (const dir of wanted.filter((d) => !have.has(d))) {
    try {
      add(await options.prepare(dir));
    } catch (error) {
      options.log.error(`reload: cannot serve ${dir}: ${(error as Error).message}`);
    }
  }
}

/** Where an account's session goes, as configured (the SRV look-up happens in the session). */
function serverOf(config: Config, account: string): string {
  const host = config.server ?? jidDomain(account);
  return config.port === undefined ? host : `${host}:${config.port}`;
}
