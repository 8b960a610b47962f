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
import { el } from "../xmpp/element.js";
import type { SmResumeState, XmppSession } from "../xmpp/session.js";
import { bareJid } from "../config/schema.js";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.js";
import { watchLiveness } from "./liveness.js";
import type { RepositoryService } from "./repository.js";
import type { SessionState } from "./status.js";
import { createIntake, type Intake, type IntakeLimits } from "./intake.js";
import { handleStanza, type PushContext } from "./stanzas.js";
import type { Announced } from "../announce/recent.js";
import { createWakeRouter } from "./wake.js";

export interface ListenerDeps {
  log: Logger;
  signal: AbortSignal;
  /** Bare JIDs whose announcements we accept besides our own account's. */
  buddies: readonly string[];
  openSession(): Promise<XmppSession>;
  /** The repositories served on this account's session; each judges and syncs pushes its own way. */
  repositories(): readonly RepositoryService[];
  /** Told when that list changes (a reload); returns how to stop being told. */
  watchRepositories?(onChange: () => void): () => void;
  /** Called once per connection, after our presence is up (e.g. to send the queue). */
  onOnline?(session: XmppSession): Promise<void>;
  backoff?: BackoffPolicy;
  /** Dead-link probe: ping after this much inbound silence, give up after timeoutMs. */
  probe?: { idleMs: number; timeoutMs: number };
  /** Resume and network-change detection (wake.ts); false turns it off. */
  wake?: { intervalMs: number; toleranceMs: number } | false;
  /** Bound on connecting and logging in; a stalled handshake counts as a failed attempt. */
  startTimeoutMs?: number;
  /** Rates and bounds on the work that received stanzas cause (intake.ts defaults). */
  intakeLimits?: Partial<IntakeLimits>;
  /** A signed announcement from `account` was accepted: what it carried is no news when this machine pushes it back (announce/recent.ts). */
  onHeard?(account: string, announced: Announced): void;
  /** Each change of the session's state, for the agent's status. */
  onState?(state: SessionState, detail?: { error?: string; streamManagement?: { enabled: boolean; resumable: boolean; resumed: boolean } }): void;
}

export const DEFAULT_PROBE = { idleMs: 120_000, timeoutMs: 10_000 };
export const DEFAULT_REPLAY_WINDOW_MS = 10 * 60_000;

/** Expected failures that retrying cannot fix (a refused login, a broken setting): stop instead of looping. */
export function isFatal(error: unknown): boolean {
  return error instanceof AppError && error.exitCode === EXIT.config;
}

export async function runListener(deps: ListenerDeps): Promise<void> {
  const { log, signal } = deps;
  const wake = createWakeRouter({ log, options: deps.wake });
  // One intake per session: a sender's rate and the bounded git work are the
  // session's, whatever number of repositories it serves. What it refuses is
  // covered by a sync of every repository with a matching remote.
  const requestSync = async (uuids: readonly string[] | undefined, reason: string) => {
    await Promise.all(deps.repositories().map((repo) => repo.requestSync(uuids, reason)));
  };
  const intake = createIntake({ log, requestSync, limits: deps.intakeLimits });
  let attempt = 0;
  let lastFailure = "";
  const policy = deps.backoff ?? DEFAULT_BACKOFF;
  // XEP-0198: what the next connection needs to resume the last session,
  // kept across failed attempts while the server may still hold it, and
  // when that session last heard from the server.
  let previous: { resume: SmResumeState | undefined; aliveAt: number } = { resume: undefined, aliveAt: Date.now() };
  const catchUp = (resumed: boolean) => async () => {
    const outageMs = Date.now() - previous.aliveAt;
    await Promise.all(deps.repositories().map((repo) => repo.catchUp(resumed, outageMs)));
  };
  try {
    while (!signal.aborted) {
      deps.onState?.("connecting");
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
        const message = (error as Error).message;
        // "stopped": failed for good, not retried (agent.ts stops serving the account).
        deps.onState?.(isFatal(error) ? "stopped" : "failed", { error: message });
        if (isFatal(error)) throw error;
        const delay = backoffDelay(attempt++, policy);
        if (message !== lastFailure) log.warn(`cannot connect: ${message}; retrying`);
        log.debug(`reconnect attempt ${attempt} in ${delay} ms`);
        lastFailure = message;
        await wake.sleep(delay, signal);
        continue;
      }
      lastFailure = "";
      const connectedAt = Date.now();
      const resumed = reportStreamManagement(session, log);
      const sm = session.streamManagement;
      const smState = sm === undefined ? { enabled: false, resumable: false } : sm.resumed ? { enabled: true, resumable: true } : { enabled: sm.enabled, resumable: sm.resumable };
      deps.onState?.("connected", { streamManagement: { ...smState, resumed } });
      const reason = await stayConnected(session, fullJid, { ...deps, resumed, catchUp: catchUp(resumed), routeWake: wake.route, intake });
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
      deps.onState?.("disconnected", { error: reason });
      await wake.sleep(delay, signal);
    }
  } finally {
    wake.stop();
    intake.stop();
    log.info(`session closed`);
  }
}

/** A connection that lasted this long counts as healthy for the backoff. */
const STABLE_AFTER_MS = 30_000;

type OnlineDeps = ListenerDeps & {
  intake: Intake;
  /** The server resumed the previous session (XEP-0198): it kept our presence. */
  resumed: boolean;
  catchUp(): Promise<void>;
  /** Where signs of a resume go while this session is up. */
  routeWake(handler: (reason: string) => void): () => void;
};

async function pushContextOf(repo: RepositoryService, onHeard: ListenerDeps["onHeard"]): Promise<PushContext> {
  return {
    ...(onHeard ? { onHeard } : {}),
    dir: repo.dir,
    log: repo.log,
    policy: await repo.policy(),
    nonces: repo.nonces,
    requestSync: repo.requestSync,
    onReceived: repo.onReceived,
    onRefused: repo.onRefused,
  };
}

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
  const liveness = watchLiveness(session, { ...(deps.probe ?? DEFAULT_PROBE), log });
  const unrouteWake = deps.routeWake((reason) => liveness.probeNow(reason));
  // Each repository's policy (secret, sealed UUIDs) as of this connection;
  // a repository added while connected (SIGHUP) joins, one removed leaves.
  const repositories: PushContext[] = [];
  const contexts = new Map<RepositoryService, PushContext>();
  const refresh = async (): Promise<RepositoryService[]> => {
    const current = deps.repositories();
    for (const [service, context] of contexts) {
      if (current.includes(service)) continue;
      contexts.delete(service);
      repositories.splice(repositories.indexOf(context), 1);
    }
    const added = current.filter((service) => !contexts.has(service));
    for (const service of added) {
      const context = await pushContextOf(service, deps.onHeard);
      contexts.set(service, context);
      repositories.push(context);
    }
    return added;
  };
  await refresh();
  const unwatch = deps.watchRepositories?.(() => {
    // A repository new to this session gets its catch-up sync, as at a connect.
    refresh()
      .then((added) => Promise.all(added.map((service) => service.catchUp(false, 0))))
      .catch((error: Error) => log.warn(`could not add a repository to the session: ${error.message}`));
  });
  const ctx = { session, fullJid, trusted, buddies: deps.buddies, log, intake: deps.intake, repositories };
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
    liveness.stop();
    unrouteWake();
    unwatch?.();
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
