/**
 * Sending the queue: each entry becomes an announcement of its repository
 * (its current annex UUID, its configuration's account and sealed mode),
 * entries are grouped by account and merged into as few presences as
 * possible (batches.ts), and an entry is deleted only once the server
 * acknowledged the presence that carried it (send.ts). Whatever cannot be
 * sent now stays queued; what can never be sent (its repository is gone,
 * or it must not go out as it is) is set aside with one warning.
 */
import { join } from "node:path";
import { rename } from "node:fs/promises";
import { ignoredFileWarnings, loadConfig } from "../config/load.js";
import { bareJid, type Config } from "../config/schema.js";
import { ConfigError, DeliveryRefusedError, NotAnnexRepoError } from "../errors.js";
import { locateRepo, readAnnexUuid, requireAnnexUuid } from "../git/repo.js";
import type { Logger } from "../log.js";
import type { XmppSession } from "../xmpp/session.js";
import type { Announcement } from "./announcement.js";
import { planDelivery, type PendingAnnouncement } from "./batches.js";
import type { Queue, QueuedEntry } from "./queue.js";
import { NoRemoteUuidError, resolvePushTarget, unsignedPushWarning } from "./push-target.js";
import { carriesNothingNew, loadRecentAnnouncements, saveRecentAnnouncements, type RecentAnnouncements } from "./recent.js";
import { statePaths } from "../state/paths.js";
import { deliverAnnouncement, readAhead, type ReadAheadBatch } from "./send.js";

export interface Account {
  /** Bare JID, lower-cased: the grouping key. */
  key: string;
  config: Config;
  userDir: string;
}

/** Where the sessions come from: the agent's live ones, or short-lived ones of a sender. undefined: not now. */
export type SessionSource = (account: Account) => Promise<XmppSession | undefined>;

export interface DeliverOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  sessions: SessionSource;
  /** Told of every announcement the server acknowledged (the agent routes it to its own repositories too). */
  onSent?(announcement: Announcement): void;
  /** What was sent, and why something stays queued, go to the debug log only (the caller reports `errors` itself). */
  quiet?: boolean;
  /** Messages already warned about in an earlier round (the agent's rescans): logged at debug level now. */
  warned?: Set<string>;
  /** Signed announcements the agent received moments ago: what they carried is no news from here either (recent.ts). */
  heard?: RecentAnnouncements;
}

export interface DeliveryReport {
  /** Entries delivered and deleted. */
  entries: number;
  presences: number;
  /** Entries still queued afterwards. */
  pending: number;
  /** Why some stayed queued (a refused login, a configuration error), one each. */
  errors: Error[];
}

/** The caller holds the queue lock (courier.ts, sender.ts). */
export async function deliverQueue(queue: Queue, options: DeliverOptions): Promise<DeliveryReport> {
  const { log } = options;
  const items = await queue.readAll((name, reason) => log.warn(`queue: set aside ${name} (${reason}); it will not be sent`));
  if (items.length === 0) return { entries: 0, presences: 0, pending: 0, errors: [] };
  // What this machine's senders announced moments ago: kept in a file, since a detached sender lives for one push.
  const recentFile = statePaths(options.env).recentAnnouncements;
  const recent = await loadRecentAnnouncements(recentFile);
  const report: DeliveryReport = { entries: 0, presences: 0, pending: 0, errors: [] };
  const failed = (error: Error, message: string) => {
    if (!report.errors.some((e) => e.message === error.message)) report.errors.push(error);
    (options.quiet || seenBefore(options.warned, error.message) ? log.debug : log.warn)(message);
  };
  // Said once a round even without the agent's memory of earlier rounds.
  const noticed = options.warned ?? new Set<string>();
  const notice = (message: string) => (seenBefore(noticed, message) ? log.debug : log.warn)(message);
  for (const [account, queued] of await groupByAccount(queue, items, { ...options, failed, notice })) {
    // Entries with nothing new leave the queue first: when all are such, no login at all.
    const pending = await dropRedundant(queue, account, queued, { ...options, recent });
    report.entries += queued.length - pending.length;
    if (pending.length === 0) continue;
    // The login first: the secrets' git calls then run while it waits on the network.
    const starting = options.sessions(account);
    const batches = readAhead(planDelivery(pending));
    let session: XmppSession | undefined;
    try {
      session = await starting;
    } catch (error) {
      failed(error as Error, `cannot log in as ${account.key} (${(error as Error).message}): ${pending.length} announcement(s) stay queued`);
    }
    if (!session) {
      report.pending += pending.length;
      continue;
    }
    const sent = await sendBatches(queue, session, account, batches, { ...options, failed, recent });
    report.entries += sent.entries;
    report.presences += sent.presences;
    report.pending += pending.length - sent.entries;
  }
  if (report.presences > 0) await saveRecentAnnouncements(recentFile, recent, Date.now()).catch((error: Error) => log.debug(`cannot keep what was announced: ${error.message}`));
  return report;
}

type SendOptions = DeliverOptions & { failed: Failed; recent: RecentAnnouncements };

async function sendBatches(queue: Queue, session: XmppSession, account: Account, batches: ReadAheadBatch[], options: SendOptions) {
  const result = { entries: 0, presences: 0 };
  for (const batch of batches) {
    try {
      await deliverAnnouncement(session, batch.announcement, { ackTimeoutMs: account.config.timeoutMs, sealed: account.config.sealed, log: options.log, secret: batch.secret });
    } catch (error) {
      if (!(error instanceof DeliveryRefusedError)) throw error;
      // Kept, never deleted as if sent: once the cause is fixed, the next round sends it.
      options.failed(error, `queue: ${error.message}; ${batch.names.length} announcement(s) stay queued (hint: ${error.hint})`);
      continue;
    }
    await queue.remove(batch.names);
    options.recent.remember(account.key, asSent(batch.announcement, account), Date.now());
    options.onSent?.(batch.announcement);
    result.entries += batch.names.length;
    result.presences += 1;
    (options.quiet ? options.log.debug : options.log.info)(`announced ${describe(batch.announcement)} as ${account.key} (${batch.names.length} queued push(es))`);
  }
  return result;
}

/**
 * Entries whose every ref a presence of this account announced at that
 * commit moments ago (the later pushes of one `git annex sync`, a
 * listener's push-back of what it was told) were delivered by it: they
 * leave the queue, and the rest is returned.
 */
async function dropRedundant(queue: Queue, account: Account, pending: PendingAnnouncement[], options: DeliverOptions & { recent: RecentAnnouncements }): Promise<PendingAnnouncement[]> {
  const memories = options.heard ? [options.recent, options.heard] : [options.recent];
  const now = Date.now();
  const redundant = pending.filter((p) => carriesNothingNew(memories, account.key, asSent(p.announcement, account), now));
  if (redundant.length === 0) return pending;
  await queue.remove(redundant.map((p) => p.name));
  for (const { announcement } of redundant) {
    (options.quiet ? options.log.debug : options.log.info)(`nothing new in a queued push ${describe(announcement)}: its refs were announced at these commits moments ago`);
  }
  return pending.filter((p) => !redundant.includes(p));
}

/** An announcement as it goes out: sealed when it or the account's configuration asks for it (send.ts). */
function asSent(announcement: Announcement, account: Account): Announcement {
  return { ...announcement, sealed: announcement.sealed === true || account.config.sealed };
}

/** Whether `message` was logged at warning level before (then it goes to debug); remembers it. */
function seenBefore(warned: Set<string> | undefined, message: string): boolean {
  if (!warned) return false;
  if (warned.has(message)) return true;
  if (warned.size < 1000) warned.add(message);
  return false;
}

function describe(a: Announcement): string {
  return `${a.uuids.join(",")}${a.refs.length ? ` (${a.refs.length} ref(s))` : ""}${a.repo ? ` for ${a.repo}` : ""}`;
}

async function setAside(queue: Queue, name: string): Promise<void> {
  await rename(join(queue.dir, name), join(queue.dir, `.bad-${name}`)).catch(() => undefined);
}

/** Entries resolved to announcements, grouped by account in queue order; the unresolvable reported. */
type Failed = (error: Error, message: string) => void;

async function groupByAccount(
  queue: Queue,
  items: QueuedEntry[],
  options: DeliverOptions & { failed: Failed; notice(message: string): void },
): Promise<Map<Account, PendingAnnouncement[]>> {
  const byRepo = new Map<string, Promise<{ account: Account; uuid: string; dir: string } | Error>>();
  const accounts = new Map<string, Account>();
  const groups = new Map<Account, PendingAnnouncement[]>();
  for (const item of items) {
    let resolved = byRepo.get(item.entry.repo);
    if (!resolved) {
      resolved = resolveAnnouncer(item.entry.repo, options.env, options.notice).catch((error: Error) => error);
      byRepo.set(item.entry.repo, resolved);
    }
    const found = await resolved;
    if (found instanceof Error) {
      await reportUnresolvable(queue, item, found, options);
      continue;
    }
    const account = accounts.get(found.account.key) ?? found.account;
    accounts.set(account.key, account);
    const target = await pushTargetOf(item, found.dir, options.notice);
    if (target instanceof NoRemoteUuidError) {
      await setAside(queue, item.name);
      options.notice(`queue: set aside ${item.name}: ${target.message}`);
      continue;
    }
    if (target instanceof Error) {
      options.failed(target, `queue: ${item.name} for ${item.entry.repo} stays queued: ${target.message}`);
      continue;
    }
    const uuids = item.entry.uuids.length > 0 ? item.entry.uuids : [target?.uuid ?? found.uuid];
    const sealed = found.account.config.sealed ? { sealed: true } : {};
    const remote = target ? { remote: target.remote } : {};
    const announcement: Announcement = { uuids, refs: item.entry.refs, createdAt: item.at, repo: found.dir, ...remote, ...sealed };
    groups.set(account, [...(groups.get(account) ?? []), { name: item.name, announcement }]);
  }
  return groups;
}

/**
 * For a push made from a clone, the remote that received it: its UUID is
 * announced and its secret signs (push-target.ts). An Error when it cannot
 * be announced now: NoRemoteUuidError (not a git-annex remote: never), or
 * another (git failed: kept for the next round).
 */
async function pushTargetOf(item: QueuedEntry, dir: string, notice: (message: string) => void) {
  const { remote } = item.entry;
  if (item.entry.hook !== "push" || remote === undefined) return undefined;
  try {
    const target = await resolvePushTarget(dir, remote);
    if (!target.signed) notice(unsignedPushWarning(dir, remote));
    return { ...target, remote };
  } catch (error) {
    return error as Error;
  }
}

async function resolveAnnouncer(
  dir: string,
  env: NodeJS.ProcessEnv,
  notice: (message: string) => void,
): Promise<{ account: Account; uuid: string; dir: string }> {
  const repo = await locateRepo(dir);
  // The UUID's git call runs while the configuration is read; a repository
  // without one is reported as such first, whatever its configuration.
  const annexUuid = readAnnexUuid(repo.dir);
  const reading = loadConfig({ env, repoDir: repo.dir, repoHasWorkTree: !repo.bare, gitDir: repo.gitDir });
  reading.catch(() => undefined);
  const uuid = requireAnnexUuid({ ...repo, annexUuid: await annexUuid });
  const loaded = await reading;
  for (const warning of ignoredFileWarnings(loaded, repo.gitDir)) notice(warning);
  const { config } = loaded;
  if (!config.jid) {
    throw new ConfigError(`no XMPP account configured for ${repo.dir} (\`jid\`)`, {
      key: "jid",
      hint: "git-annex-xmpp configure --jid USER@DOMAIN writes it",
    });
  }
  return { account: { key: bareJid(config.jid), config, userDir: loaded.userDir }, uuid, dir: repo.dir };
}

/** A repository that is gone can never be announced: set aside. Anything else (configuration) may be fixed: kept. */
async function reportUnresolvable(queue: Queue, item: QueuedEntry, error: Error, options: { log: Logger; failed: Failed }): Promise<void> {
  if (error instanceof NotAnnexRepoError) {
    await setAside(queue, item.name);
    options.log.warn(`queue: set aside ${item.name}: ${error.message}`);
    return;
  }
  options.failed(error, `queue: ${item.name} for ${item.entry.repo} stays queued: ${error.message}`);
}
