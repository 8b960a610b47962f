/**
 * The one wrapper around xmpp.js. It composes the client from xmpp.js's own
 * parts instead of @xmpp/client's `client()` so that it can (a) verify TLS
 * with a per-session CA, (b) use native-crypto SCRAM, (c) run without
 * xmpp.js's always-on fixed-1-second reconnect: reconnection policy
 * (backoff, jitter) belongs to the daemon, which makes a fresh session.
 */
import { Client, xml, type Element } from "@xmpp/client-core";
import createMiddleware from "@xmpp/middleware";
import createStreamFeatures from "@xmpp/stream-features";
import createIqCaller from "@xmpp/iq/caller.js";
import createIqCallee from "@xmpp/iq/callee.js";
import setupSasl from "@xmpp/sasl";
import setupResourceBinding from "@xmpp/resource-binding";
import plain from "@xmpp/sasl-plain";
import SASLFactory from "saslmechanisms";
import { EventEmitter } from "node:events";
import type { Logger } from "../log.js";
import { toXml, type XmlElement } from "./element.js";
import { createScramMechanism, type SaltedPasswordCache } from "./scram.js";
import { createTransport, negotiateStartTls } from "./transport.js";
import { classifyConnectError } from "./errors.js";

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
}

export interface XmppSession {
  /** Connect, secure, authenticate, bind. Resolves with the full JID. */
  start(): Promise<string>;
  send(stanza: XmlElement): Promise<void>;
  /** XEP-0199 ping to our server; resolves on any answer (an error reply also proves the stream alive). */
  ping(timeoutMs: number): Promise<void>;
  on(event: "stanza", handler: (stanza: XmlElement) => void): void;
  on(event: "disconnect", handler: (reason: string) => void): void;
  stop(): Promise<void>;
  readonly fullJid: string | undefined;
}

const NS_PING = "urn:xmpp:ping";

export function toElement(node: XmlElement): Element {
  return xml(node.name, node.attrs, ...node.children.map((c) => (typeof c === "string" ? c : toElement(c))));
}

export function createXmppSession(options: SessionOptions): XmppSession {
  const { endpoint, log } = options;
  const [local, domain] = options.jid.split("/")[0]!.split("@") as [string, string];
  const protocol = endpoint.tls === "direct" ? "xmpps" : "xmpp";
  const target = `${endpoint.host}:${endpoint.port}`;
  const settings = { servername: domain, ca: options.ca };

  const entity = new Client({ domain, service: `${protocol}://${target}`, timeout: options.stepTimeoutMs ?? 10_000 });
  entity.transports.push(createTransport(endpoint.tls, settings));
  const middleware = createMiddleware({ entity });
  const streamFeatures = createStreamFeatures({ middleware });
  const iqCaller = createIqCaller({ middleware, entity });
  const iqCallee = createIqCallee({ middleware, entity });
  iqCallee.get(NS_PING, "ping", () => ({}));

  // Order matters: TLS before anything else is negotiated (RFC 6120 §5.3.1).
  streamFeatures.use("starttls", "urn:ietf:params:xml:ns:xmpp-tls", async ({ entity: e }) => {
    if (e.isSecure()) return;
    await negotiateStartTls(e, settings);
  });
  const saslFactory = new SASLFactory();
  saslFactory.use(createScramMechanism("sha256", { cache: options.saltedPasswordCache }));
  saslFactory.use(createScramMechanism("sha1", { cache: options.saltedPasswordCache }));
  plain(saslFactory);
  setupSasl({ streamFeatures, saslFactory }, async (authenticate, mechanisms) => {
    // Never authenticate on a stream TLS does not protect, whatever the server offers.
    if (!entity.isSecure()) throw new TlsRequiredError();
    await authenticate({ username: local, password: options.password }, mechanisms[0]!);
  });
  setupResourceBinding({ streamFeatures, iqCaller }, `${options.resource}.${Math.random().toString(36).slice(2, 8)}`);

  const events = new EventEmitter();
  let stopping = false;
  let lastError: unknown;
  entity.on("error", (error: unknown) => {
    lastError = error;
    log.debug(`xmpp: error ${(error as Error).message}`);
  });
  entity.on("stanza", (stanza: Element) => {
    if (log.level === "debug") log.debug(`xmpp: in ${toXml(stanza)}`.slice(0, 2000));
    events.emit("stanza", stanza);
  });
  entity.on("disconnect", (info: { reason?: unknown } = {}) => {
    if (stopping) return;
    const reason = (info.reason as Error | undefined)?.message ?? (lastError as Error | undefined)?.message ?? "connection closed";
    events.emit("disconnect", reason);
  });

  return {
    get fullJid() {
      return entity.jid?.toString();
    },
    async start() {
      log.debug(`xmpp: connecting to ${target} (${endpoint.tls}) as ${local}@${domain}`);
      try {
        await entity.start();
      } catch (error) {
        await entity.disconnect().catch(() => undefined);
        throw classifyConnectError(error instanceof TlsRequiredError ? error : (lastError ?? error), {
          target,
          jid: `${local}@${domain}`,
        });
      }
      return entity.jid!.toString();
    },
    async send(stanza) {
      if (log.level === "debug") log.debug(`xmpp: out ${toXml(stanza)}`.slice(0, 2000));
      await entity.send(toElement(stanza));
    },
    async ping(timeoutMs) {
      try {
        await iqCaller.request(xml("iq", { type: "get", to: domain }, xml("ping", { xmlns: NS_PING })), timeoutMs);
      } catch (error) {
        if ((error as Error).name !== "StanzaError") throw error;
      }
    },
    on(event: string, handler: (...args: any[]) => void) {
      events.on(event, handler);
    },
    async stop() {
      stopping = true;
      if (entity.status === "offline" || entity.status === "disconnect") return;
      await entity.stop().catch(() => entity.socket?.destroy?.());
    },
  } as XmppSession;
}

export class TlsRequiredError extends Error {
  constructor() {
    super("the server did not offer TLS; refusing to authenticate in the clear");
  }
}
