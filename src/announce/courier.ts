/**
 * The agent's side of the queue: it holds the queue lock for as long as it
 * runs (so hooks start no sender), sees new entries at once (fs.watch, i.e.
 * inotify), rescans now and then as a safety net, and sends what arrived
 * within a short window as one presence per repository, through its live
 * session for that account (other accounts: a short session of their own).
 * When the lock is held by someone else (a sender finishing, another
 * agent), it tries again every two seconds (one link(2), nothing more):
 * whoever holds it sends, and when that process ends this agent takes over.
 */
import { watch, type FSWatcher } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { Logger } from "../log.js";
import { acquirePidLock } from "../lock/pid-lock.js";
import { statePaths } from "../state/paths.js";
import type { XmppSession } from "../xmpp/session.js";
import type { Announcement } from "./announcement.js";
import { deliverQueue } from "./deliver.js";
import { migrateOldSpool } from "./spool-migration.js";
import { openQueue } from "./queue.js";
import type { RecentAnnouncements } from "./recent.js";
import { createSessionPool } from "./sender.js";
import { spawnDetachedCli } from "../services/background.js";

export interface CourierOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** The agent's live session for this account (bare JID), when it has one and it is online. */
  liveSession(account: string): XmppSession | undefined;
  /** Whether the agent has a session (online or not) for this account: its entries wait for it. */
  serves(account: string): boolean;
  onSent?(announcement: Announcement): void;
  /** Signed announcements this agent received moments ago (recent.ts): an entry with nothing beyond them costs no presence. */
  heard?: RecentAnnouncements;
  /** After each round: what still waits in the queue, and whether this agent holds it. */
  onRound?(waiting: number, holding: boolean): void;
  /**
   * Coalescing window after a new entry (default 10 ms): hooks that fire
   * together (a `git annex sync` pushing several refs, twelve hubs at once)
   * write within a few ms, and every ms here is in a push's path (issue 11,
   * bench:ssh --hub-agent listen). An entry read before its "end" line is
   * there is picked up again: its next write fires the watch, and a request
   * during a send makes the courier send once more.
   */
  batchMs?: number;
  /** Safety-net rescan (default 30 s). */
  rescanMs?: number;
  /** Retry of the queue lock while another process holds it (default 2 s). */
  lockRetryMs?: number;
}

export interface QueueCourier {
  /** Something may be sendable now (a session came online). */
  request(): void;
  /** Whether this agent holds the queue. */
  readonly holding: boolean;
  close(): Promise<void>;
}

const DEFAULT_BATCH_MS = 10;

export async function startQueueCourier(options: CourierOptions): Promise<QueueCourier> {
  const { log } = options;
  const paths = statePaths(options.env);
  const queue = openQueue(paths.queue);
  await mkdir(paths.queue, { recursive: true, mode: 0o700 });
  let release: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  let lastHolder: number | undefined;
  const takeLock = async () => {
    if (release || closed) return;
    const lock = await acquirePidLock(paths.queueLock);
    if (lock.acquired) {
      release = lock.release;
      log.info(`sending the announcement queue ${paths.queue}`);
      await migrateOldSpool(paths.dir, queue, log).catch((error: Error) => log.warn(`old spool: ${error.message}`));
      return;
    }
    if (lock.holder.pid !== lastHolder) log.info(`the announcement queue is sent by pid ${lock.holder.pid}; taking over when it ends`);
    lastHolder = lock.holder.pid;
    options.onRound?.((await queue.list()).length, false);
  };

  // What was warned about once goes to the debug log on later rounds (rescans).
  const warned = new Set<string>();
  const sendOnce = async () => {
    const others = createSessionPool({ env: options.env, log, role: "agent-relay" });
    try {
      const report = await deliverQueue(queue, {
        env: options.env,
        log,
        warned,
        ...(options.heard ? { heard: options.heard } : {}),
        onSent: options.onSent,
        sessions: async (account) => (options.serves(account.key) ? options.liveSession(account.key) : others.get(account)),
      });
      if (report.pending > 0) log.debug(`queue: ${report.pending} announcement(s) wait for their account's session`);
      options.onRound?.(report.pending, true);
    } finally {
      await others.close();
    }
  };

  const send = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        if (closed || !release) return;
        await sendOnce().catch((error: unknown) => log.warn(`queue: sending failed, kept for later: ${(error as Error).message}`));
      } while (again && !closed);
    })().finally(() => (running = undefined));
    return running;
  };

  const request = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void send();
    }, options.batchMs ?? DEFAULT_BATCH_MS);
  };

  await takeLock();
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(paths.queue, request);
    watcher.on("error", (error) => log.warn(`queue: watching ${paths.queue} failed (${error.message}); rescanning every ${(options.rescanMs ?? 30_000) / 1000} s`));
  } catch (error) {
    log.warn(`queue: cannot watch ${paths.queue} (${(error as Error).message}); rescanning only`);
  }
  const rescan = setInterval(request, options.rescanMs ?? 30_000);
  const retry = setInterval(() => {
    if (!release) void takeLock().then(() => release && request(), (error: Error) => log.warn(`queue: ${error.message}`));
  }, options.lockRetryMs ?? 2_000);
  request();

  return {
    request,
    get holding() {
      return release !== undefined;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(rescan);
      clearInterval(retry);
      watcher?.close();
      await running;
      if (!release) return;
      await release();
      release = undefined;
      // Entries left behind (an account offline at the stop) must not wait for the next hook.
      if ((await queue.list()).length > 0) {
        log.info("entries stay queued: starting a sender for them");
        spawnDetachedCli(["flush", "--background"], { logFile: paths.senderLog, env: options.env, cwd: paths.dir });
      }
    },
  };
}
