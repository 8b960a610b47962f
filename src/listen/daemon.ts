/**
 * The listening daemon: stays connected (reconnecting with backoff), keeps
 * a git-annex presence up, and turns accepted push announcements into
 * coalesced syncs run outside the XMPP receive loop. It syncs once after
 * every (re)connect, because presence is not stored for offline clients —
 * except after a XEP-0198 resume, where the server replays what the dead
 * link missed (see catchUp below).
 */
import { AppError, EXIT } from "../errors.js";
import type { Logger } from "../log.js";
import { encodeSignaturePresence } from "../xmpp/codec.js";
import type { AnnounceKey } from "../xmpp/push-extension.js";
import { el } from "../xmpp/element.js";
import type { SmResumeState, XmppSession } from "../xmpp/session.js";
import { bareJid } from "../config/schema.js";
import { planCatchUp } from "./catch-up.js";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.js";
import { watchLiveness } from "./liveness.js";
import { createSyncScheduler } from "./scheduler.js";
import { createIntake, type Intake, type IntakeLimits } from "./intake.js";
import { createNonceMemory, type NonceMemory } from "./nonces.js";
import { handleStanza } from "./stanzas.js";

export interface RemoteRef {
  name: string;
}

export interface ListenerDeps {
  log: Logger;
  signal: AbortSignal;
  /** Bare JIDs whose announcements we accept besides our own account's. */
  buddies: readonly string[];
  openSession(): Promise<XmppSession>;
  /** Remotes to sync for these announced UUIDs (all syncable annex remotes when undefined). */
  remotesFor(uuids: readonly string[] | undefined): Promise<RemoteRef[]>;
  /** Run one sync with these remotes. */
  sync(remotes: string[], signal: AbortSignal): Promise<void>;
  /** Called once per connection, after our presence is up (e.g. to flush a spool). */
  onOnline?(session: XmppSession): Promise<void>;
  backoff?: BackoffPolicy;
  debounceMs?: number;
  /** Dead-link probe: ping after this much inbound silence, give up after timeoutMs. */
  probe?: { idleMs: number; timeoutMs: number };
  /** Bound on connecting and logging in; a stalled handshake counts as a failed attempt. */
  startTimeoutMs?: number;
  /** The secrets for signed announcements, one per hub that has one; asked again on every connect. */
  announceKeys?(): Promise<AnnounceKey[]>;
  /** Whether all these objects are in the repository (announced commits we already have are not fetched). */
  hasObjects?(shas: string[]): Promise<boolean>;
  /** Act on unsigned announcements (git-annex's own); default true. */
  acceptUnsigned?: boolean;
  /** Replay window for signed announcements; default 10 minutes. */
  replayWindowMs?: number;
  /** Nonces of signed announcements already seen (kept across restarts); in memory only when absent. */
  nonces?: NonceMemory;
  /** Rates and bounds on the work that received stanzas cause (intake.ts defaults). */
  intakeLimits?: Partial<IntakeLimits>;
  /**
   * Announcements made on this machine (notify's hand-offs). The daemon
   * relays them as its own presence, which it then ignores as an echo, so
   * they reach this repository's own sync through here.
   */
  localAnnouncements?(handler: (uuids: readonly string[], reason: string) => void): void;
}

export const DEFAULT_PROBE = { idleMs: 120_000, timeoutMs: 10_000 };
export const DEFAULT_REPLAY_WINDOW_MS = 10 * 60_000;

/** Expected failures that retrying cannot fix: stop instead of looping. */
function isFatal(error: unknown): boolean {
  return error instanceof AppError && error.exitCode === EXIT.config;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

export async function runListener(deps: ListenerDeps): Promise<void> {
  const { log, signal } = deps;
  // Remotes whose last sync did not finish well: failed, or still running
  // when the link died (catch-up.ts: a resume does not retry them).
  const failing = new Set<string>();
  const scheduler = createSyncScheduler<string>({
    debounceMs: deps.debounceMs,
    onError: (error) => log.error(`sync failed: ${(error as Error).message}`),
    run: async (remotes, reasons) => {
      const names = [...remotes].sort();
      const started = Date.now();
      log.info(`sync started: ${names.join(" ")} (${summarize(reasons)})`);
      for (const name of names) failing.add(name);
      try {
        await deps.sync(names, signal);
        for (const name of names) failing.delete(name);
      } catch (error) {
        throw new Error(`${names.join(" ")} after ${Date.now() - started} ms: ${(error as Error).message}`, { cause: error });
      }
      log.info(`sync finished: ${names.join(" ")} in ${Date.now() - started} ms`);
    },
  });
  const requestSync = async (uuids: readonly string[] | undefined, reason: string) => {
    const remotes = await deps.remotesFor(uuids);
    if (remotes.length === 0) {
      log.debug(`nothing to sync for ${reason}: no matching remote`);
      return;
    }
    scheduler.request(remotes.map((r) => r.name), reason);
  };
  const intake = createIntake({ log, requestSync, limits: deps.intakeLimits });
  deps.localAnnouncements?.((uuids, reason) => {
    requestSync(uuids, reason).catch((error: Error) => log.warn(`${reason}: ${error.message}`));
  });

  let attempt = 0;
  let lastFailure = "";
  const policy = deps.backoff ?? DEFAULT_BACKOFF;
  const replayWindowMs = deps.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
  const nonces = deps.nonces ?? createNonceMemory(replayWindowMs);
  // XEP-0198: what the next connection needs to resume the last session,
  // kept across failed attempts while the server may still hold it, and
  // when that session last heard from the server.
  let previous: { resume: SmResumeState | undefined; aliveAt: number } = { resume: undefined, aliveAt: Date.now() };
  const catchUp = (resumed: boolean) => async () => {
    const plan = planCatchUp({ resumed, outageMs: Date.now() - previous.aliveAt, replayWindowMs, failing });
    if (plan.sync === "all") await requestSync(undefined, plan.reason);
    else if (plan.sync === "some") scheduler.request(plan.remotes, plan.reason);
    else log.info(plan.reason);
  };
  try {
    while (!signal.aborted) {
      const session = await deps.openSession();
      let fullJid: string;
      try {
        fullJid = await startWithin(session, deps.startTimeoutMs ?? 30_000, previous.resume);
      } catch (error) {
        // A session the server resumed keeps its presence and can be resumed
        // again; a fresh one that failed before our presence went out must
        // not be (a resume would skip the presence). An unanswered resume
        // leaves the previous session's state in place.
        const sm = session.streamManagement;
        previous = { ...previous, resume: sm !== undefined && !sm.resumed && sm.enabled ? undefined : session.resumeState() };
        // A login abandoned by the timeout must not finish later unwatched.
        await session.stop().catch(() => undefined);
        if (isFatal(error)) throw error;
        const delay = backoffDelay(attempt++, policy);
        const message = (error as Error).message;
        if (message !== lastFailure) log.warn(`cannot connect: ${message}; retrying`);
        log.debug(`reconnect attempt ${attempt} in ${delay} ms`);
        lastFailure = message;
        await sleep(delay, signal);
        continue;
      }
      lastFailure = "";
      const connectedAt = Date.now();
      const resumed = reportStreamManagement(session, log);
      const reason = await stayConnected(session, fullJid, { ...deps, requestSync, nonces, intake, resumed, catchUp: catchUp(resumed) });
      if (signal.aborted) {
        // A graceful close: the server ends the session instead of keeping it for a resume.
        await session.stop();
        break;
      }
      // Taken before stop(), which would give the session up.
      previous = { resume: session.resumeState(), aliveAt: session.lastInboundAt };
      await session.stop().catch(() => undefined);
      // A link that keeps dropping right after login must not turn into a
      // tight reconnect loop: only a connection that lasted resets backoff.
      if (Date.now() - connectedAt >= STABLE_AFTER_MS) attempt = 0;
      const delay = attempt === 0 ? 0 : backoffDelay(attempt, policy);
      attempt++;
      log.warn(`disconnected (${reason}); reconnecting${delay ? ` in ${delay} ms` : ""}`);
      await sleep(delay, signal);
    }
  } finally {
    intake.stop();
    await scheduler.stop();
    log.info("stopped");
  }
}

/** A connection that lasted this long counts as healthy for the backoff. */
const STABLE_AFTER_MS = 30_000;

type OnlineDeps = ListenerDeps & {
  requestSync(uuids: readonly string[] | undefined, reason: string): Promise<void>;
  nonces: NonceMemory;
  intake: Intake;
  /** The server resumed the previous session (XEP-0198): it kept our presence. */
  resumed: boolean;
  catchUp(): Promise<void>;
};

/** Logs how the session came up with XEP-0198; true when it was resumed. */
function reportStreamManagement(session: XmppSession, log: Logger): boolean {
  const sm = session.streamManagement;
  if (sm?.resumed) {
    log.info(`stream resumed, ${sm.replayed} stanza(s) replayed to the server`);
    return true;
  }
  if (sm?.refused !== undefined) log.info(`resume refused: ${sm.refused}, new session`);
  if (sm?.enabled) log.info(`stream management on${sm.resumable ? `, resumable for ${sm.max ?? "?"} s` : ", not resumable"}`);
  return false;
}

/**
 * One connected session: presence up, catch-up sync, spool hand-over,
 * stanzas handled and the link watched, until it closes. Resolves with
 * the reason it closed.
 */
async function stayConnected(session: XmppSession, fullJid: string, deps: OnlineDeps): Promise<string> {
  const { log, signal } = deps;
  log.info(`connected as ${fullJid}${deps.resumed ? " (resumed)" : ""}`);
  const trusted = new Set([bareJid(fullJid), ...deps.buddies.map(bareJid)]);
  let onAbort: () => void = () => undefined;
  const closed = new Promise<string>((resolve) => {
    session.on("disconnect", resolve);
    onAbort = () => resolve("stopping");
    signal.addEventListener("abort", onAbort, { once: true });
  });
  const stopWatching = watchLiveness(session, { ...(deps.probe ?? DEFAULT_PROBE), log });
  const keys = (await deps.announceKeys?.().catch((error: unknown) => {
    log.warn(`cannot read the announcement secrets: ${(error as Error).message}`);
    return undefined;
  })) ?? [];
  const policy = {
    keys,
    // DESIGN.md §2.2: once this clone has a secret, unsigned announcements
    // (which anyone on the path could forge by leaving the MAC out) count
    // only where the user allowed them; without a secret there is no choice.
    acceptUnsigned: deps.acceptUnsigned ?? keys.length === 0,
    windowMs: deps.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS,
    hasObjects: deps.hasObjects,
    now: Date.now,
  };
  const ctx = {
    session, fullJid, trusted, buddies: deps.buddies, log, requestSync: deps.requestSync, policy, nonces: deps.nonces, intake: deps.intake,
  };
  session.on("stanza", (stanza) => {
    void handleStanza(stanza, ctx).catch((error) => log.warn(`could not handle a stanza: ${(error as Error).message}`));
  });
  try {
    // A resumed session still has its presence and subscriptions on the server.
    if (!deps.resumed) {
      await session.send(encodeSignaturePresence());
      for (const buddy of deps.buddies) await session.send(el("presence", { to: buddy, type: "subscribe" }));
    }
    await deps.catchUp();
    await deps.onOnline?.(session);
  } catch (error) {
    log.warn(`after connecting: ${(error as Error).message}`);
  }
  try {
    return await closed;
  } finally {
    stopWatching();
    signal.removeEventListener("abort", onAbort);
  }
}

/** session.start() bounded in time: a server that accepts TCP but never answers must not hang the daemon. */
async function startWithin(session: XmppSession, ms: number, resume: SmResumeState | undefined): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      session.drop(`no session within ${ms} ms`);
      reject(new Error(`the server did not complete the login within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([session.start({ streamManagement: true, resume }), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function summarize(reasons: string[]): string {
  const unique = [...new Set(reasons)];
  return unique.length <= 3 ? unique.join(", ") : `${unique.slice(0, 3).join(", ")} and ${reasons.length - 3} more`;
}
