/**
 * The one-shot sender: what delivers the queue when no agent runs (the
 * hook starts it detached; `flush` and `notify` run it in the foreground).
 * It holds the queue lock while it sends, so that twelve hooks firing at
 * once on one machine make one sender and one login per account, never
 * twelve; with the lock held elsewhere (the agent, another sender) it
 * leaves the queue to that process. After releasing the lock it looks once
 * more: a hook that wrote an entry while the lock was held started no
 * sender, so whoever releases the lock must not leave that entry behind.
 */
import { resolveCredentials } from "../config/load.js";
import { TimeoutError } from "../errors.js";
import type { Logger } from "../log.js";
import { acquirePidLock, type LockHolder } from "../lock/pid-lock.js";
import { createSession } from "../services/connect.js";
import { statePaths } from "../state/paths.js";
import type { XmppSession } from "../xmpp/session.js";
import { deliverQueue, type Account, type DeliveryReport, type SessionSource } from "./deliver.js";
import { openQueue } from "./queue.js";

export interface SenderOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Role in the session's resource name. */
  role?: string;
  /** Why something stays queued only in the debug log: the caller reports `errors`. */
  quiet?: boolean;
}

export interface SenderResult extends DeliveryReport {
  /** The process that holds the queue and sends it instead (an agent or another sender). */
  heldBy?: LockHolder;
}

/** Rounds of lock, send, release, look again: bounded, so entries that cannot be sent now do not spin. */
const MAX_ROUNDS = 5;

export async function runSender(options: SenderOptions): Promise<SenderResult> {
  const paths = statePaths(options.env);
  const queue = openQueue(paths.queue);
  const sessions = createSessionPool(options);
  const total: SenderResult = { entries: 0, presences: 0, pending: 0, errors: [] };
  // Said once per run, not once per round.
  const warned = new Set<string>();
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const lock = await acquirePidLock(paths.queueLock);
      if (!lock.acquired) return { ...total, pending: (await queue.list()).length, heldBy: lock.holder };
      let report: DeliveryReport;
      try {
        report = await deliverQueue(queue, { env: options.env, log: options.log, sessions: sessions.get, quiet: options.quiet ?? false, warned });
      } finally {
        await lock.release();
      }
      total.entries += report.entries;
      total.presences += report.presences;
      total.errors.push(...report.errors.filter((e) => !total.errors.some((t) => t.message === e.message)));
      total.pending = (await queue.list()).length;
      if (total.pending <= report.pending) break;
    }
    return total;
  } finally {
    await sessions.close();
  }
}

/** One started session per account, opened on first use and closed at the end. */
export function createSessionPool(options: SenderOptions): { get: SessionSource; close(): Promise<void> } {
  const open = new Map<string, Promise<XmppSession>>();
  const stateDir = statePaths(options.env).dir;
  return {
    get(account: Account) {
      let session = open.get(account.key);
      if (!session) {
        session = (async () => {
          const credentials = await resolveCredentials(account.config, account.userDir, stateDir);
          options.log.debug(`sender: entries resolved; logging in as ${credentials.jid} (password from ${credentials.source})`);
          const live = await createSession(account.config, credentials, options.log, options.role ?? "sender");
          try {
            const jid = await startWithin(live, account.config.timeoutMs);
            (options.quiet ? options.log.debug : options.log.info)(`logged in as ${jid}`);
          } catch (error) {
            await live.stop().catch(() => undefined);
            throw error;
          }
          return live;
        })();
        open.set(account.key, session);
      }
      return session;
    },
    async close() {
      for (const session of open.values()) {
        const live = await session.catch(() => undefined);
        await live?.stop().catch(() => undefined);
      }
      open.clear();
    },
  };
}

/** A login that hangs (a server that accepts TCP and says nothing) must not hold the queue lock. */
async function startWithin(session: XmppSession, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError("logging in", ms)), ms);
  });
  try {
    return await Promise.race([session.start(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
