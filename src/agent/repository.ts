/**
 * One repository served by the agent: its own coalescing sync scheduler,
 * the remotes whose last sync did not finish well (for catch-up after a
 * resume), and its announcement policy (secret, sealed UUIDs, objects it
 * has), asked afresh on every connect. A slow or failing repository only
 * delays itself: each has its own scheduler, and syncs of different
 * repositories run in parallel up to the agent's bound (limit.ts).
 */
import type { Logger } from "../log.js";
import { planCatchUp } from "./catch-up.js";
import { createSyncScheduler } from "./scheduler.js";
import { createNonceMemory, type NonceMemory } from "./nonces.js";
import type { AnnouncementPolicy } from "./stanzas.js";
import type { AnnounceKey } from "../xmpp/push-extension.js";
import type { Limiter } from "./limit.js";
import type { AgentStatus } from "./status.js";

export interface RemoteRef {
  name: string;
}

export interface RepositoryDeps {
  /** The repository's directory, for logs. */
  dir: string;
  log: Logger;
  signal: AbortSignal;
  /** Remotes to sync for these announced UUIDs (all syncable annex remotes when undefined). */
  remotesFor(uuids: readonly string[] | undefined): Promise<RemoteRef[]>;
  /** Run one sync with these remotes. */
  sync(remotes: string[], signal: AbortSignal): Promise<void>;
  /** The secrets for signed announcements, one per hub that has one; asked again on every connect. */
  announceKeys?(): Promise<AnnounceKey[]>;
  /** Nonces of signed announcements already seen (kept across restarts: nonces.ts); in memory only when absent. */
  nonces?: NonceMemory;
  /** Whether all these objects are in the repository (announced commits we already have are not fetched). */
  hasObjects?(shas: string[]): Promise<boolean>;
  /** Act on unsigned announcements (git-annex's own); default: only while there is no secret. */
  acceptUnsigned?: boolean;
  replayWindowMs: number;
  debounceMs?: number;
  /** Bounds how many repositories sync at once. */
  limiter?: Limiter;
  /** What `status` is told (agent/status.ts). */
  status?: AgentStatus;
  /** The repository is gone (deleted, no longer a git-annex repository): the agent stops serving it. */
  isGone?(error: unknown): boolean;
  onGone?(reason: string): void;
}

export interface RepositoryService {
  readonly dir: string;
  readonly log: Logger;
  readonly nonces: NonceMemory;
  /** `stillNeeded`: asked before a follow-up run, when the request waited for a run to end (scheduler.ts). */
  requestSync(uuids: readonly string[] | undefined, reason: string, stillNeeded?: () => Promise<boolean>): Promise<void>;
  /** Told by the stanza handler: an announcement acted on, one refused. */
  onReceived(from: string): void;
  onRefused(from: string, reason: string): void;
  /**
   * An announcement this agent sent itself (servers echo it back, and our
   * own echo is ignored): handled as a received push, so what this
   * repository has already — its own push-back — costs no sync.
   */
  localAnnouncement(uuids: readonly string[], reason: string, newShas: readonly string[]): Promise<void>;
  /** After a (re)connect: the catch-up this repository needs. */
  catchUp(resumed: boolean, outageMs: number): Promise<void>;
  /** The announcement policy for this connection. */
  policy(): Promise<AnnouncementPolicy>;
  /** Drops the repository from service when it is gone (the agent asks now and then). */
  checkGone(): void;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function createRepositoryService(deps: RepositoryDeps): RepositoryService {
  const { log } = deps;
  const failing = new Set<string>();
  let gone = false;
  const scheduler = createSyncScheduler<string>({
    debounceMs: deps.debounceMs,
    onError: (error) => log.error(`sync failed: ${(error as Error).message}`),
    run: (remotes, reasons) => (deps.limiter ? deps.limiter.run(() => runSync(remotes, reasons)) : runSync(remotes, reasons)),
  });
  const runSync = async (remotes: Set<string>, reasons: string[]) => {
    if (gone) return;
    const names = [...remotes].sort();
    const started = Date.now();
    log.info(`sync started: ${names.join(" ")} (${summarize(reasons)})`);
    deps.status?.syncStarted(deps.dir, names, summarize(reasons));
    for (const name of names) failing.add(name);
    try {
      await deps.sync(names, deps.signal);
      for (const name of names) failing.delete(name);
    } catch (error) {
      deps.status?.syncEnded(deps.dir, names, Date.now() - started, (error as Error).message);
      if (deps.isGone?.(error)) return markGone((error as Error).message);
      throw new Error(`${names.join(" ")} after ${Date.now() - started} ms: ${(error as Error).message}`, { cause: error });
    }
    deps.status?.syncEnded(deps.dir, names, Date.now() - started);
    log.info(`sync finished: ${names.join(" ")} in ${Date.now() - started} ms`);
  };
  const markGone = (reason: string) => {
    if (gone) return;
    gone = true;
    deps.onGone?.(reason);
  };
  // Any git look-up may be the first to find the repository gone.
  const goneAware = (hasObjects: (shas: string[]) => Promise<boolean>) => async (shas: string[]) => {
    try {
      return gone || (await hasObjects(shas));
    } catch (error) {
      if (!deps.isGone?.(error)) throw error;
      markGone((error as Error).message);
      return true;
    }
  };
  const requestSync = async (uuids: readonly string[] | undefined, reason: string, stillNeeded?: () => Promise<boolean>) => {
    if (gone) return;
    let remotes: RemoteRef[];
    try {
      remotes = await deps.remotesFor(uuids);
    } catch (error) {
      if (deps.isGone?.(error)) return markGone((error as Error).message);
      throw error;
    }
    if (remotes.length === 0) {
      log.debug(`nothing to sync for ${reason}: no matching remote`);
      return;
    }
    scheduler.request(remotes.map((r) => r.name), reason, stillNeeded);
  };
  return {
    dir: deps.dir,
    log,
    nonces: deps.nonces ?? createNonceMemory(deps.replayWindowMs),
    requestSync,
    onReceived: (from) => deps.status?.received(deps.dir, from),
    onRefused: (from, reason) => deps.status?.rejected(deps.dir, from, reason),
    async localAnnouncement(uuids, reason, newShas) {
      if (newShas.length > 0 && deps.hasObjects && (await deps.hasObjects([...newShas]))) {
        log.debug(`${reason}: every announced commit is already here`);
        return;
      }
      await requestSync(uuids, reason);
    },
    async catchUp(resumed, outageMs) {
      const plan = planCatchUp({ resumed, outageMs, replayWindowMs: deps.replayWindowMs, failing });
      if (plan.sync === "all") await requestSync(undefined, plan.reason);
      else if (plan.sync === "some") scheduler.request(plan.remotes, plan.reason);
      else log.info(plan.reason);
    },
    policy: () => loadPolicy({ ...deps, ...(deps.hasObjects ? { hasObjects: goneAware(deps.hasObjects) } : {}) }),
    checkGone() {
      if (!gone && deps.isGone?.(undefined)) markGone("its git directory is gone");
    },
    idle: () => scheduler.idle(),
    stop: () => scheduler.stop(),
  };
}

async function loadPolicy(deps: RepositoryDeps): Promise<AnnouncementPolicy> {
  const keys =
    (await deps.announceKeys?.().catch((error: unknown) => {
      deps.log.warn(`cannot read the announcement secrets: ${(error as Error).message}`);
      return undefined;
    })) ?? [];
  return {
    keys,
    // DESIGN.md §2.2: once this clone has a secret, unsigned announcements
    // (which anyone on the path could forge by leaving the MAC out) count
    // only where the user allowed them; without a secret there is no choice.
    acceptUnsigned: deps.acceptUnsigned ?? keys.length === 0,
    windowMs: deps.replayWindowMs,
    hasObjects: deps.hasObjects,
    now: Date.now,
  };
}

function summarize(reasons: string[]): string {
  const unique = [...new Set(reasons)];
  return unique.length <= 3 ? unique.join(", ") : `${unique.slice(0, 3).join(", ")} and ${reasons.length - 3} more`;
}
