/**
 * The agent: one process per user for all of the user's repositories (as
 * git-annex runs one assistant for everything in its autostart file). One
 * XMPP session per account, shared by every repository configured with it;
 * each repository keeps its own lock, scheduler and sync state; the user's
 * announcement queue is sent through those sessions. A repository that
 * disappears is dropped from service with one log line; the others go on.
 */
import { startQueueCourier } from "../announce/courier.js";
import type { Announcement } from "../announce/announcement.js";
import { prefixedLogger, type Logger } from "../log.js";
import { runListener } from "../listen/daemon.js";
import type { XmppSession } from "../xmpp/session.js";
import { createLimiter } from "./limit.js";
import { watchOwnPushes } from "./own-pushes.js";
import { openQueue } from "../announce/queue.js";
import { statePaths } from "../state/paths.js";
import type { RepositoryService } from "./repository.js";
import type { ServedRepository } from "./serve.js";

export interface AgentOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  signal: AbortSignal;
  /** Every repository to serve, already locked and configured (serve.ts). */
  repositories: ServedRepository[];
}

/** How many repositories may sync at once. */
export const PARALLEL_SYNCS = 2;

export async function runAgent(options: AgentOptions): Promise<void> {
  const { log } = options;
  const accounts = groupByAccount(options.repositories);
  const live = new Map<string, XmppSession>();
  const limiter = createLimiter(PARALLEL_SYNCS);
  const services = new Map<ServedRepository, RepositoryService | undefined>();
  const several = options.repositories.length > 1;
  for (const repo of options.repositories) {
    const repoLog = several ? prefixedLogger(log, repo.dir) : log;
    services.set(repo, repo.start({ limiter, log: repoLog, onGone: (reason) => drop(repo, reason) }));
  }
  // Its clones' own pushes are announced too, for hubs without our hook.
  const queue = openQueue(statePaths(options.env).queue);
  const ownPushes = options.repositories.filter((r) => !r.repo.bare).map((r) => watchOwnPushes({ repo: r.repo, queue, log }));
  const drop = (repo: ServedRepository, reason: string) => {
    if (!services.has(repo)) return;
    log.error(`${repo.dir}: no longer served: ${reason}`);
    const service = services.get(repo);
    services.delete(repo);
    void service?.stop().finally(() => repo.release());
  };
  const onSent = (announcement: Announcement) => {
    const newShas = announcement.refs.flatMap((r) => (r.new && !/^0+$/.test(r.new) ? [r.new] : []));
    const reason = `announced for ${announcement.repo ?? "this machine"}`;
    for (const service of services.values()) {
      service?.localAnnouncement(announcement.uuids, reason, newShas).catch((error: Error) => log.warn(`${reason}: ${error.message}`));
    }
  };
  const courier = await startQueueCourier({
    env: options.env,
    log,
    serves: (key) => accounts.has(key),
    liveSession: (key) => live.get(key),
    onSent,
  });
  try {
    await Promise.all(
      [...accounts].map(([key, repos]) =>
        runListener({
          log,
          signal: options.signal,
          buddies: [...new Set(repos.flatMap((r) => r.config.buddies))],
          openSession: () => repos[0]!.openSession("listen"),
          repositories: () => repos.flatMap((r) => services.get(r) ?? []),
          probe: { idleMs: repos[0]!.config.idleProbeMs, timeoutMs: repos[0]!.config.probeTimeoutMs },
          backoff: { baseMs: 500, capMs: repos[0]!.config.reconnectMaxMs },
          onOnline: async (session) => {
            live.set(key, session);
            session.on("disconnect", () => {
              if (live.get(key) === session) live.delete(key);
            });
            courier.request();
          },
        }),
      ),
    );
  } finally {
    for (const watcher of ownPushes) watcher.stop();
    await courier.close();
    await Promise.all([...services].map(async ([repo, service]) => {
      await service?.stop();
      await repo.release();
    }));
    log.info("stopped");
  }
}

function groupByAccount(repos: readonly ServedRepository[]): Map<string, ServedRepository[]> {
  const groups = new Map<string, ServedRepository[]>();
  for (const repo of repos) groups.set(repo.account, [...(groups.get(repo.account) ?? []), repo]);
  return groups;
}
