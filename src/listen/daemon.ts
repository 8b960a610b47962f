/**
 * The listening daemon: stays connected (reconnecting with backoff), keeps
 * a git-annex presence up, and turns accepted push announcements into
 * coalesced syncs run outside the XMPP receive loop. It syncs once after
 * every (re)connect, because presence is not stored for offline clients.
 */
import { AppError, EXIT } from "../errors.js";
import type { Logger } from "../log.js";
import { decodeGitAnnexPresence, encodeSignaturePresence } from "../xmpp/codec.js";
import { el, type XmlElement } from "../xmpp/element.js";
import type { XmppSession } from "../xmpp/session.js";
import { bare, describePresence, judgeSender } from "./accept.js";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.js";
import { createSyncScheduler } from "./scheduler.js";

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
}

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
  const scheduler = createSyncScheduler<string>({
    debounceMs: deps.debounceMs,
    onError: (error) => log.error(`sync failed: ${(error as Error).message}`),
    run: async (remotes, reasons) => {
      const names = [...remotes].sort();
      const started = Date.now();
      log.info(`sync started: ${names.join(" ")} (${summarize(reasons)})`);
      try {
        await deps.sync(names, signal);
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

  let attempt = 0;
  let lastFailure = "";
  try {
    while (!signal.aborted) {
      const session = await deps.openSession();
      let fullJid: string;
      try {
        fullJid = await session.start();
      } catch (error) {
        if (isFatal(error)) throw error;
        const delay = backoffDelay(attempt++, deps.backoff ?? DEFAULT_BACKOFF);
        const message = (error as Error).message;
        if (message !== lastFailure) log.warn(`cannot connect: ${message}; retrying`);
        log.debug(`reconnect attempt ${attempt} in ${delay} ms`);
        lastFailure = message;
        await sleep(delay, signal);
        continue;
      }
      attempt = 0;
      lastFailure = "";
      log.info(`connected as ${fullJid}`);
      const trusted = new Set([bare(fullJid), ...deps.buddies.map(bare)]);
      const closed = new Promise<string>((resolve) => {
        session.on("disconnect", resolve);
        signal.addEventListener("abort", () => resolve("stopping"), { once: true });
      });
      session.on("stanza", (stanza) => {
        void handleStanza(stanza, { session, fullJid, trusted, buddies: deps.buddies, log, requestSync }).catch((error) =>
          log.warn(`could not handle a stanza: ${(error as Error).message}`),
        );
      });
      try {
        await session.send(encodeSignaturePresence());
        for (const buddy of deps.buddies) await session.send(el("presence", { to: buddy, type: "subscribe" }));
        await requestSync(undefined, "catch-up after connect");
        await deps.onOnline?.(session);
      } catch (error) {
        log.warn(`after connecting: ${(error as Error).message}`);
      }
      const reason = await closed;
      if (signal.aborted) {
        await session.stop();
        break;
      }
      log.warn(`disconnected (${reason}); reconnecting`);
      await session.stop().catch(() => undefined);
    }
  } finally {
    await scheduler.stop();
    log.info("stopped");
  }
}

interface StanzaContext {
  session: XmppSession;
  fullJid: string;
  trusted: ReadonlySet<string>;
  buddies: readonly string[];
  log: Logger;
  requestSync(uuids: readonly string[] | undefined, reason: string): Promise<void>;
}

async function handleStanza(stanza: XmlElement, ctx: StanzaContext): Promise<void> {
  if (stanza.name !== "presence") return;
  const from = stanza.attrs.from;
  // RFC 6121 §3.1: approve subscription requests from configured buddies only.
  if (stanza.attrs.type === "subscribe" && from && ctx.buddies.some((b) => bare(b) === bare(from))) {
    await ctx.session.send(el("presence", { to: bare(from), type: "subscribed" }));
    return;
  }
  const decoded = decodeGitAnnexPresence(stanza);
  if (decoded.kind === "not-git-annex") return;
  const verdict = judgeSender(from, { fullJid: ctx.fullJid, trusted: ctx.trusted });
  if (!verdict.accept) {
    ctx.log.debug(`ignored ${describePresence(decoded)}: ${verdict.reason}`);
    return;
  }
  if (decoded.kind === "invalid") {
    ctx.log.debug(`ignored presence from ${from}: ${decoded.reason}`);
    return;
  }
  if (decoded.kind === "query") {
    await ctx.session.send(encodeSignaturePresence());
    return;
  }
  if (decoded.kind === "push") {
    ctx.log.info(`announcement from ${from}: ${describePresence(decoded)}`);
    await ctx.requestSync(decoded.uuids, `push from ${from}`);
  }
}

function summarize(reasons: string[]): string {
  const unique = [...new Set(reasons)];
  return unique.length <= 3 ? unique.join(", ") : `${unique.slice(0, 3).join(", ")} and ${reasons.length - 3} more`;
}
