/**
 * The one wrapper around xmpp.js. It composes the client from xmpp.js's own
 * parts instead of @xmpp/client's `client()` so that it can (a) verify TLS
 * with a per-session CA, (b) use native-crypto SCRAM, (c) run without
 * xmpp.js's always-on fixed-1-second reconnect: reconnection policy
 * (backoff, jitter) belongs to the daemon, which makes a fresh session
 * and may hand it the previous one's XEP-0198 state to resume (sm-link.ts).
 */
import { xml, type Element } from "@xmpp/client-core";
import createMiddleware from "@xmpp/middleware";
import StanzaError from "@xmpp/middleware/lib/StanzaError.js";
import createStreamFeatures from "@xmpp/stream-features";
import createIqCaller from "@xmpp/iq/caller.js";
import createIqCallee from "@xmpp/iq/callee.js";
import setupSasl from "@xmpp/sasl";
import setupResourceBinding from "@xmpp/resource-binding";
import plain from "@xmpp/sasl-plain";
import SASLFactory from "saslmechanisms";
import { EventEmitter } from "node:events";
import { promise } from "@xmpp/events";
import { Writable } from "node:stream";
import type { Logger } from "../log.js";
import { dumpXml, type XmlElement } from "./element.js";
import { createScramMechanism, type SaltedPasswordCache, type ScramExchange } from "./scram.js";
import { createTransport, negotiateStartTls, refuseCleartextFeatures } from "./transport.js";
import { classifyConnectError, NoCredentialsError, ServerProofError, TlsRequiredError } from "./errors.js";
import { CountingClient, createSmLink, type SmOutcome } from "./sm-link.js";
import type { SmResumeState } from "./stream-management.js";

export type { SmOutcome } from "./sm-link.js";
export type { SmResumeState } from "./stream-management.js";

export interface Endpoint {
  host: string;
  port: number;
  tls: "starttls" | "direct";
}

export interface SessionOptions {
  /** Bare JID of the account. */
  jid: string;
  password?: string | undefined;
  resource: string;
  endpoint: Endpoint;
  /** PEM text of an extra CA to trust. */
  ca?: string | undefined;
  log: Logger;
  /** Per-step timeout of xmpp.js (stream open, close). */
  stepTimeoutMs?: number;
  saltedPasswordCache?: SaltedPasswordCache;
  /**
   * TCP keepalive on the socket after this much idle time (0: off). It
   * catches a peer whose host is gone (RST) or a NAT that answers for it;
   * it cannot catch a stalled server or relay, hence the XEP-0199 probe
   * that the daemon runs on top.
   */
  keepAliveMs?: number;
}

export interface StartOptions {
  /**
   * Use XEP-0198 stream management where the server offers it (for a
   * long-lived session: a short one gains nothing, and a dropped one
   * would linger on the server as a hibernating resource).
   */
  streamManagement?: boolean;
  /** A previous session's resumeState(): resume it instead of binding anew. */
  resume?: SmResumeState | undefined;
}

export interface XmppSession {
  /**
   * Connect, secure, authenticate, then bind (or resume). Resolves with the
   * full JID once the session is ready for stanzas: with stream management,
   * only after <enabled/> or <failed/>, so nothing is sent uncounted.
   */
  start(options?: StartOptions): Promise<string>;
  /** How start() went with stream management; undefined when not asked for. */
  readonly streamManagement: SmOutcome | undefined;
  /**
   * The state a later session needs to resume this one: after a drop, not
   * after stop(). Undefined when the server does not keep the session.
   */
  resumeState(): SmResumeState | undefined;
  send(stanza: XmlElement): Promise<void>;
  /** XEP-0199 ping to our server; resolves on any answer (an error reply also proves the stream alive). */
  ping(timeoutMs: number): Promise<void>;
  /**
   * send(), then ping() in the same write; resolves once the ping is
   * answered: a server handles a stream's stanzas in order (RFC 6120
   * §10.1), so it has then processed, and routed, the stanza.
   */
  sendAcknowledged(stanza: XmlElement, timeoutMs: number): Promise<void>;
  /** Stanzas that arrived before the first handler (a resumed stream's replay) go to it first. */
  on(event: "stanza", handler: (stanza: XmlElement) => void): void;
  on(event: "disconnect", handler: (reason: string) => void): void;
  /** Graceful close: </stream:stream>, then the socket (bounded by the step timeout). */
  stop(): Promise<void>;
  /**
   * Tear the socket down at once, without a closing handshake: for a link
   * judged dead, where a graceful close would only wait for a peer that no
   * longer answers. Emits "disconnect" with `reason`.
   */
  drop(reason: string): void;
  readonly fullJid: string | undefined;
  /** Date.now() when the last element (stanza or nonza) arrived from the server. */
  readonly lastInboundAt: number;
}

const NS_PING = "urn:xmpp:ping";
const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

export function toElement(node: XmlElement): Element {
  return xml(node.name, node.attrs, ...node.children.map((c) => (typeof c === "string" ? c : toElement(c))));
}

export function createXmppSession(options: SessionOptions): XmppSession {
  const { endpoint, log } = options;
  const [local, domain] = options.jid.split("/")[0]!.split("@") as [string, string];
  const protocol = endpoint.tls === "direct" ? "xmpps" : "xmpp";
  const target = `${endpoint.host}:${endpoint.port}`;
  const settings = { servername: domain, ca: options.ca };

  const entity = new CountingClient({ domain, service: `${protocol}://${target}`, timeout: options.stepTimeoutMs ?? 10_000 });
  entity.transports.push(createTransport(endpoint.tls, { ...settings, keepAliveMs: options.keepAliveMs ?? 0 }));
  const middleware = createMiddleware({ entity });
  const streamFeatures = createStreamFeatures({ middleware });
  const iqCaller = createIqCaller({ middleware, entity });
  const iqCallee = createIqCallee({ middleware, entity });
  iqCallee.get(NS_PING, "ping", () => ({}));

  // Order matters: TLS before anything else is negotiated (RFC 6120 §5.3.1).
  refuseCleartextFeatures(middleware);
  streamFeatures.use("starttls", "urn:ietf:params:xml:ns:xmpp-tls", async ({ entity: e }) => {
    if (e.isSecure()) return;
    await negotiateStartTls(e, settings);
    log.debug("xmpp: TLS established");
  });
  // RFC 5802 §5: the server proves it knows the credentials in <success/>;
  // xmpp.js ignores that proof, so check it here (it is all that stands
  // between a cached-key login and a server impersonating ours).
  let scram: ScramExchange | undefined;
  let serverProved = false;
  const scramOptions = {
    cache: options.saltedPasswordCache,
    onCreate: (mechanism: ScramExchange) => {
      scram = mechanism;
      serverProved = false;
    },
  };
  entity.on("nonza", (element: Element) => {
    if (scram && element.is("success", NS_SASL)) {
      serverProved = scram.verifyServerFinal(Buffer.from(element.text(), "base64").toString("utf8"));
    }
  });
  const saslFactory = new SASLFactory();
  saslFactory.use(createScramMechanism("sha256", scramOptions));
  saslFactory.use(createScramMechanism("sha1", scramOptions));
  plain(saslFactory);
  setupSasl({ streamFeatures, saslFactory }, async (authenticate, mechanisms) => {
    // Never authenticate on a stream TLS does not protect, whatever the server offers.
    if (!entity.isSecure()) throw new TlsRequiredError();
    await authenticate({ username: local, password: options.password }, await pickMechanism(mechanisms, options));
  });
  const sm = createSmLink({ entity, streamFeatures, log, toElement, abort: (reason) => drop(reason) });
  entity.beforeSend = (element) => sm.sending(element);
  setupResourceBinding({ streamFeatures, iqCaller }, `${options.resource}.${Math.random().toString(36).slice(2, 8)}`);

  const events = new EventEmitter();
  const early: Element[] = [];
  let smOutcome: SmOutcome | undefined;
  let stopping = false;
  let dropReason: string | undefined;
  let lastInboundAt = Date.now();
  let lastError: unknown;
  // Any element counts as proof of life, not only stanzas: SM acks and
  // stream features too.
  entity.on("element", () => {
    lastInboundAt = Date.now();
  });
  // Each step of the login with its time in a debug log (GIT_ANNEX_XMPP_TRACE=1 for the hook's sender).
  entity.on("status", (status: string) => log.debug(`xmpp: ${status}`));
  entity.on("nonza", (element: Element) => {
    // Stream management's acks, once online, would be noise.
    if (entity.status !== "online") log.debug(`xmpp: in <${element.name}>`);
  });
  entity.on("error", (error: unknown) => {
    lastError = error;
    log.debug(`xmpp: error ${(error as Error).message}`);
  });
  entity.on("stanza", (stanza: Element) => {
    if (log.level === "debug") log.debug(`xmpp: in ${dumpXml(stanza)}`);
    if (events.listenerCount("stanza") > 0) events.emit("stanza", stanza);
    else if (early.length < EARLY_STANZA_LIMIT) early.push(stanza);
  });
  entity.on("disconnect", (info: { reason?: unknown } = {}) => {
    if (stopping) return;
    const reason =
      dropReason ?? (info.reason as Error | undefined)?.message ?? (lastError as Error | undefined)?.message ?? "connection closed";
    events.emit("disconnect", reason);
  });
  const send = async (stanza: XmlElement) => {
    if (log.level === "debug") log.debug(`xmpp: out ${dumpXml(stanza)}`);
    await entity.send(toElement(stanza));
  };
  const ping = async (timeoutMs: number) => {
    try {
      await iqCaller.request(xml("iq", { type: "get", to: domain }, xml("ping", { xmlns: NS_PING })), timeoutMs);
    } catch (error) {
      if (!(error instanceof StanzaError)) throw error;
    }
  };
  const drop = (reason: string) => {
    dropReason ??= reason;
    destroySocket(entity.socket);
  };

  return {
    get fullJid() {
      return entity.jid?.toString();
    },
    get lastInboundAt() {
      return lastInboundAt;
    },
    get streamManagement() {
      return smOutcome;
    },
    resumeState: () => sm.resumeState(),
    async start(startOptions = {}) {
      log.debug(`xmpp: connecting to ${target} (${endpoint.tls}) as ${local}@${domain}`);
      try {
        if (startOptions.streamManagement) {
          const negotiated = sm.arm(startOptions.resume);
          const online = startEntity(entity);
          // A resumed stream never goes "online" in xmpp.js's sense: wait for whichever settles first.
          online.catch(() => undefined);
          smOutcome = await Promise.race([online.then(() => negotiated), negotiated]);
        } else {
          await startEntity(entity);
        }
        if (scram && !serverProved) throw new ServerProofError();
        // Only a key the server accepted, and proved it knows, is cached.
        await scram?.remember().catch((error: Error) => log.warn(`could not cache the login key: ${error.message}`));
      } catch (error) {
        const ours = error instanceof TlsRequiredError || error instanceof ServerProofError;
        // A peer that refused TLS or failed its proof gets no closing handshake to wait for.
        if (ours) destroySocket(entity.socket);
        else await entity.disconnect().catch(() => undefined);
        throw classifyConnectError(ours ? error : (lastError ?? error), {
          target,
          jid: `${local}@${domain}`,
        });
      }
      return entity.jid!.toString();
    },
    send,
    ping,
    async sendAcknowledged(stanza, timeoutMs) {
      // One segment: as two, the server's answer to the second (the ping's
      // result) may wait behind its answer to the first (our presence,
      // echoed back) for our delayed ACK, if the server has Nagle on.
      const socket = rawSocket(entity.socket);
      socket?.cork();
      let sent: Promise<void>;
      let answered: Promise<void>;
      try {
        sent = send(stanza);
        answered = ping(timeoutMs);
      } finally {
        socket?.uncork();
      }
      await Promise.all([sent, answered]);
    },
    on(event: string, handler: (...args: any[]) => void) {
      events.on(event, handler);
      if (event === "stanza") for (const stanza of early.splice(0)) handler(stanza);
    },
    async stop() {
      stopping = true;
      if (entity.status === "offline" || entity.status === "disconnect") return;
      // XEP-0198 §4: a last <a/>; the closing </stream:stream> ends the
      // session on the server too, so nothing hibernates after us.
      await sm.close();
      await entity.stop().catch(() => destroySocket(entity.socket));
    },
    drop,
  } as XmppSession;
}

/** Bound on stanzas held for a "stanza" handler that is not registered yet. */
const EARLY_STANZA_LIMIT = 10_000;

/**
 * The server's preferred mechanism among ours (RFC 6120 §6.3.3), except
 * without a password: then only a SCRAM whose salted key is cached can work
 * (RFC 5802 §5.1), and PLAIN cannot.
 */
async function pickMechanism(offered: string[], options: SessionOptions): Promise<string> {
  if (options.password !== undefined) return offered[0]!;
  for (const mechanism of offered) {
    const hash = mechanism === "SCRAM-SHA-256" ? "sha256" : mechanism === "SCRAM-SHA-1" ? "sha1" : undefined;
    if (hash && (await options.saltedPasswordCache?.has?.(hash))) return mechanism;
  }
  throw new NoCredentialsError(offered);
}

/**
 * What @xmpp/connection 0.14's start() does — connect, then open the stream
 * and wait until online — except that its promise for "online", made
 * before the opening, also rejects on the "error" that fails the opening,
 * and nobody awaits it then: a connection reset while the stream opens (a
 * server going down, a relay with nothing behind it) ended the whole
 * process with an unhandled rejection instead of a failed login.
 */
async function startEntity(entity: CountingClient): Promise<unknown> {
  if (entity.status !== "offline") throw new Error("Connection is not offline");
  const { service, domain, lang } = entity.options;
  await entity.connect(service);
  const online = promise(entity, "online");
  online.catch(() => undefined);
  await entity.open({ domain, lang });
  return online;
}

/** The stream under xmpp.js's socket: @xmpp/tls wraps the TLS socket in an emitter of its own. */
function rawSocket(socket: { socket?: unknown } | null | undefined): Writable | undefined {
  const inner = socket?.socket ?? socket;
  return inner instanceof Writable ? inner : undefined;
}

/**
 * @xmpp/tls wraps the TLS socket in an emitter without destroy(); reach
 * the real socket. Destroying it emits "close", which xmpp.js turns into
 * its "disconnect" status.
 */
function destroySocket(socket: { destroy?: () => void; socket?: { destroy?: () => void } } | null | undefined): void {
  if (!socket) return;
  if (typeof socket.destroy === "function") socket.destroy();
  else socket.socket?.destroy?.();
}
