/**
 * Sockets and TLS for the session. xmpp.js 0.14 passes no TLS options to
 * its sockets (DESIGN.md §5), so a private CA could only be trusted
 * process-wide; here each session carries its own `ca`, verifies the
 * certificate against the JID's domain (RFC 6125, RFC 6120 §13.7.2.1) and
 * turns Nagle off (it costs ≈44 ms per request/response on loopback).
 */
import net from "node:net";
import tls from "node:tls";
import ConnectionTCP from "@xmpp/connection-tcp";
import TlsSocket from "@xmpp/tls/lib/Socket.js";
import { xml, type Client, type Element } from "@xmpp/client-core";
import { TlsRequiredError } from "./errors.js";

export interface TlsSettings {
  /** Name the certificate must match: the JID's domain. */
  servername: string;
  /** Extra trusted CA certificates (PEM). */
  ca?: string | undefined;
  /** SO_KEEPALIVE idle time in ms; 0 leaves keepalive off. */
  keepAliveMs?: number;
}

/** What this file uses of @xmpp/tls's socket wrapper (typed `any` in src/types/xmpp.d.ts). */
export interface XmppTlsSocket {
  /** The TLS socket it wraps. */
  socket: unknown;
  /** Emitted once the handshake is done (after a 1 ms pause for TLS 1.3: xmpp.js #889). */
  once(event: "connect", listener: () => void): unknown;
}

const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_STREAMS = "http://etherx.jabber.org/streams";

function tlsOptions(settings: TlsSettings): tls.ConnectionOptions {
  return {
    servername: settings.servername,
    ...(settings.ca ? { secureContext: withExtraCa(settings.ca) } : {}),
    rejectUnauthorized: true,
  };
}

/**
 * The system's roots and `ca`: added to them instead of replacing them, as
 * a user who names a private CA still expects public certificates to
 * verify. Through the context's addCACert (what node's own `ca` option
 * calls per certificate) on a copy of the roots node keeps parsed: passing
 * `ca: [...tls.rootCertificates, ca]` costs about 25 ms of CPU for the 140
 * roots, a tenth of the hook's sender's run (issue 11).
 */
function withExtraCa(ca: string): tls.SecureContext {
  const context = tls.createSecureContext();
  const native = (context as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== "function") return tls.createSecureContext({ ca: [...tls.rootCertificates, ca] });
  native.addCACert(ca);
  return context;
}

function plainSocketClass(keepAliveMs: number) {
  return class PlainSocket extends net.Socket {
    secure = false;
    constructor() {
      super();
      this.setNoDelay(true);
      // Stays on when STARTTLS wraps this socket: TLS runs over it.
      if (keepAliveMs > 0) this.setKeepAlive(true, keepAliveMs);
    }
  };
}

/** A transport class bound to one session's TLS settings. */
export function createTransport(mode: "starttls" | "direct", settings: TlsSettings): unknown {
  if (mode === "starttls") {
    class StartTlsTransport extends ConnectionTCP {}
    StartTlsTransport.prototype.Socket = plainSocketClass(settings.keepAliveMs ?? 0);
    StartTlsTransport.prototype.NS = "jabber:client";
    return StartTlsTransport;
  }
  // XEP-0368: TLS from the first byte, ALPN "xmpp-client".
  class DirectSocket extends TlsSocket {
    connect(params: { host: string; port: number }) {
      this._attachSocket(tls.connect({ ...params, ...tlsOptions(settings), ALPNProtocols: ["xmpp-client"] }));
      this.socket.setNoDelay(true);
      if (settings.keepAliveMs) this.socket.setKeepAlive(true, settings.keepAliveMs);
      answerSessionTickets(this as unknown as XmppTlsSocket);
    }
  }
  class DirectTlsTransport extends ConnectionTCP {
    socketParameters(service: string) {
      const url = new URL(service.replace(/^xmpps:/, "xmpp:"));
      return { host: url.hostname, port: Number(url.port) || 5223 };
    }
  }
  DirectTlsTransport.prototype.Socket = DirectSocket;
  DirectTlsTransport.prototype.NS = "jabber:client";
  return DirectTlsTransport;
}

/**
 * RFC 6120 §5.4: STARTTLS negotiation, upgrading the socket with our own
 * TLS options. Registered first among the stream features so nothing
 * (SASL in particular) is negotiated in the clear.
 */
export async function negotiateStartTls(entity: Client, settings: TlsSettings): Promise<void> {
  const answer: Element = await entity.sendReceive(xml("starttls", { xmlns: NS_TLS }));
  if (!answer.is("proceed", NS_TLS)) throw new Error("the server refused STARTTLS");
  const socket = new TlsSocket();
  // A dying link can make the TLS socket emit more than one error (the
  // handshake's, then a write's): keep a listener for as long as the socket
  // lives, or the second one is an unhandled 'error' that kills the daemon.
  const done = new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.on("error", reject);
  });
  socket.connect({ socket: entity.socket, ...tlsOptions(settings) });
  answerSessionTickets(socket);
  await done;
  entity._attachSocket(socket);
  await entity.restart();
}

/**
 * A TLS 1.3 server sends its session tickets after the handshake (RFC 8446
 * §4.6.1), OpenSSL two of them, each in a segment of its own. A server
 * with Nagle's algorithm on (prosody's default) holds the second, and its
 * answer to our stream header behind it, until our delayed ACK of the first
 * (40 ms on Linux): that wait was a fifth of the hook's sender's login. A
 * whitespace keepalive (RFC 6120 §4.6.1) sent when a ticket arrives carries
 * that ACK at once. Only after the socket's "connect", once our stream
 * header is written (xmpp.js writes it in the same turn): whitespace may not
 * come before an XML declaration. Sent a turn later: a write from within
 * the ticket's own callback leaves only with the next read.
 */
export function answerSessionTickets(socket: XmppTlsSocket): void {
  const tlsSocket = socket.socket as tls.TLSSocket;
  let headerWritten = false;
  let unanswered = false;
  const answer = () =>
    setImmediate(() => {
      if (socket.socket === tlsSocket && tlsSocket.writable) tlsSocket.write(" ");
    });
  tlsSocket.on("session", () => {
    if (headerWritten) answer();
    else unanswered = true;
  });
  socket.once("connect", () => {
    headerWritten = true;
    if (unanswered) answer();
  });
}

/**
 * RFC 6120 §5.3.1: on a stream TLS does not protect yet, features without
 * <starttls/> mean a server that will not encrypt, or a man in the middle
 * that stripped the offer. Refuse at once: otherwise a server that requires
 * TLS offers no SASL mechanism in the clear, no feature handler runs, and
 * the login only ends at a timeout that reports nothing useful.
 * Registered before any stream feature handler.
 */
export function refuseCleartextFeatures(middleware: { use(fn: (ctx: any, next: () => Promise<unknown>) => unknown): unknown }): void {
  middleware.use((ctx: { stanza: Element; entity: Client }, next) => {
    const { stanza, entity } = ctx;
    if (stanza.is("features", NS_STREAMS) && !entity.isSecure() && !stanza.getChild("starttls", NS_TLS)) {
      throw new TlsRequiredError();
    }
    return next();
  });
}
