/**
 * XEP-0198 stream management, the pure part: the two stanza counters, the
 * queue of our stanzas the server has not acknowledged yet, decoding of the
 * protocol's nonzas, and what to do on <resumed/>. No sockets, no timers:
 * sm-link.ts binds this to an xmpp.js connection.
 */
import type { XmlElement } from "./element.js";

export const NS_SM = "urn:xmpp:sm:3";
const NS_STANZA_ERRORS = "urn:ietf:params:xml:ns:xmpp-stanzas";

/** XEP-0198 §4: 'h' is an unsigned 32-bit integer and wraps to 0. */
const H_MODULUS = 2 ** 32;

/** Everything a later connection needs to resume a session (XEP-0198 §5). */
export interface SmResumeState<T = XmlElement> {
  /** The server's resumption id (<enabled id/>), sent back as 'previd'. */
  id: string;
  /** The full JID bound in the original session; a resumed stream keeps it. */
  fullJid: string;
  /** Stanzas we handled: the 'h' of our <resume/>. */
  inbound: number;
  /** Our stanzas the server acknowledged: the last 'h' it sent. */
  acked: number;
  /** Our stanzas sent after `acked`, oldest first. */
  unacked: readonly T[];
  /** Seconds the server keeps the session for resumption (<enabled max/>). */
  max?: number | undefined;
  /** Where the server prefers resumption to connect (<enabled location/>). */
  location?: string | undefined;
}

export class SmAckError extends Error {
  constructor(h: number, acked: number, pending: number) {
    super(`the server acknowledged stanza ${h}, but only ${acked + pending} were sent (${acked} acknowledged before)`);
    this.name = "SmAckError";
  }
}

export interface StanzaCounter<T> {
  readonly inbound: number;
  readonly acked: number;
  readonly unacked: readonly T[];
  /** One stanza from the server was handled; returns the new 'h'. */
  received(): number;
  /** One of our stanzas went out: kept until acknowledged. */
  sent(stanza: T): void;
  /**
   * The server says it handled `h` of our stanzas (<a h/>, <resumed h/>,
   * <failed h/>): drops them from the queue and returns them. Throws
   * SmAckError when `h` counts stanzas never sent.
   */
  acknowledge(h: number): T[];
  /** Empties the queue of unacknowledged stanzas, for sending them again. */
  takeUnacked(): T[];
}

export function createStanzaCounter<T>(start: { inbound?: number; acked?: number; unacked?: readonly T[] } = {}): StanzaCounter<T> {
  let inbound = start.inbound ?? 0;
  let acked = start.acked ?? 0;
  let unacked = [...(start.unacked ?? [])];
  return {
    get inbound() {
      return inbound;
    },
    get acked() {
      return acked;
    },
    get unacked() {
      return unacked;
    },
    received() {
      inbound = (inbound + 1) % H_MODULUS;
      return inbound;
    },
    sent(stanza) {
      unacked.push(stanza);
    },
    acknowledge(h) {
      const fresh = (h - acked + H_MODULUS) % H_MODULUS;
      if (fresh > unacked.length) throw new SmAckError(h, acked, unacked.length);
      acked = h;
      return unacked.splice(0, fresh);
    },
    takeUnacked() {
      const taken = unacked;
      unacked = [];
      return taken;
    },
  };
}

/**
 * Which elements XEP-0198 counts: the three stanza kinds of RFC 6120 §8 in
 * the stream's default namespace, nothing else (no nonzas, no SM elements).
 */
export function isCountedStanza(element: XmlElement): boolean {
  const { name, attrs } = element;
  if (name !== "iq" && name !== "message" && name !== "presence") return false;
  return attrs.xmlns === undefined || attrs.xmlns === "jabber:client";
}

export type SmNonza =
  | { kind: "enabled"; id: string | undefined; resume: boolean; max: number | undefined; location: string | undefined }
  | { kind: "resumed"; h: number; previd: string | undefined }
  | { kind: "failed"; condition: string; h: number | undefined }
  | { kind: "r" }
  | { kind: "a"; h: number };

/** Decodes a stream management element; undefined for anything else or a malformed 'h'. */
export function decodeSmNonza(element: XmlElement): SmNonza | undefined {
  if (element.attrs.xmlns !== NS_SM) return undefined;
  const { attrs } = element;
  switch (element.name) {
    case "enabled": {
      const resume = attrs.resume === "true" || attrs.resume === "1";
      const max = parseCount(attrs.max);
      return { kind: "enabled", id: attrs.id || undefined, resume, max, location: attrs.location || undefined };
    }
    case "resumed": {
      const h = parseCount(attrs.h);
      return h === undefined ? undefined : { kind: "resumed", h, previd: attrs.previd };
    }
    case "failed": {
      const condition = element.children.find(
        (c): c is XmlElement => typeof c !== "string" && c.attrs.xmlns === NS_STANZA_ERRORS,
      );
      return { kind: "failed", condition: condition?.name ?? "undefined-condition", h: parseCount(attrs.h) };
    }
    case "r":
      return { kind: "r" };
    case "a": {
      const h = parseCount(attrs.h);
      return h === undefined ? undefined : { kind: "a", h };
    }
    default:
      return undefined;
  }
}

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n < H_MODULUS ? n : undefined;
}

/**
 * Worth sending again on a resumed stream: everything but our own IQ
 * requests, whose callers gave up with the old connection (a late answer
 * to a dead ping would only confuse the new one).
 */
export function isWorthResending(stanza: XmlElement): boolean {
  return !(stanza.name === "iq" && (stanza.attrs.type === "get" || stanza.attrs.type === "set"));
}

export interface ResumePlan<T> {
  /** Counters of the resumed stream; the stanzas in `resend` are not in it yet (sending them records them). */
  counter: StanzaCounter<T>;
  /** Our stanzas the server never handled, to send again in order. */
  resend: T[];
  /** Unacknowledged requests not worth sending again. */
  dropped: T[];
}

/**
 * XEP-0198 §5, on <resumed h/>: the server handled `h` of our stanzas, so
 * the rest of the queue goes out again; inbound counting continues from
 * the 'h' we sent in <resume/>. Throws SmAckError when `h` is impossible.
 */
export function planResume<T extends XmlElement>(state: SmResumeState<T>, h: number): ResumePlan<T> {
  const counter = createStanzaCounter<T>({ inbound: state.inbound, acked: state.acked, unacked: state.unacked });
  counter.acknowledge(h);
  const pending = counter.takeUnacked();
  return { counter, resend: pending.filter(isWorthResending), dropped: pending.filter((s) => !isWorthResending(s)) };
}
