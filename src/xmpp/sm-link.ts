/**
 * XEP-0198 stream management on one xmpp.js connection: enables it after
 * resource binding (§3) or resumes a previous session instead of binding
 * (§5), counts stanzas both ways, answers the server's <r/> and asks for
 * its acks. Part of the session wrapper: it receives the connection and
 * its stream-features router from session.ts and is used by nothing else.
 *
 * Every state change happens synchronously in the connection's "element"
 * handler, never after an await: stanzas that arrive in the same read as
 * <enabled/> or <resumed/> must already be counted under the new state.
 * (xmpp.js's own package resets its counter after awaiting <enabled/>,
 * acks a wrong count, and prosody ends the session: DESIGN.md §5.)
 */
import { Client, xml, type Element } from "@xmpp/client-core";
import type { Logger } from "../log.js";
import type { XmlElement } from "./element.js";
import {
  NS_SM, createStanzaCounter, decodeSmNonza, isCountedStanza, planResume,
  type SmNonza, type SmResumeState, type StanzaCounter,
} from "./stream-management.js";

export type SmOutcome =
  | {
      resumed: true;
      /** Our stanzas the server had not handled, sent again (its own replay to us follows <resumed/>). */
      replayed: number;
      previd: string;
    }
  | {
      resumed: false;
      /** Stream management is on for this session (acks both ways). */
      enabled: boolean;
      /** The server will keep the session for a later resume, for `max` seconds. */
      resumable: boolean;
      max?: number | undefined;
      /** Why the server refused to resume the previous session, if that was asked. */
      refused?: string | undefined;
    };

export interface SmLinkDeps {
  entity: Client;
  streamFeatures: { use(name: string, xmlns: string, handler: (ctx: any, next: () => Promise<unknown>) => unknown): unknown };
  log: Logger;
  /** The stream cannot go on (the server acknowledged stanzas never sent): tear it down. */
  abort(reason: string): void;
  /** Our element shape to xmpp.js's, for stanzas sent again on a resumed stream. */
  toElement(node: XmlElement): Element;
  /** Quiet time after our last stanza before asking the server for an ack. */
  ackRequestDelayMs?: number;
}

export interface SmLink {
  /** For the coming negotiation: use stream management, resuming `previous` when given. */
  arm(previous: SmResumeState | undefined): Promise<SmOutcome>;
  /** Every element the connection is about to write, in order. */
  sending(element: Element): void;
  /** What a later connection needs to resume; see XmppSession.resumeState. */
  resumeState(): SmResumeState | undefined;
  /** Graceful close ahead: a last <a/> (XEP-0198 §4), and no resumption afterwards. */
  close(): Promise<void>;
}

/**
 * xmpp.js's client with a hook on every element it writes, in write order,
 * before the write: XEP-0198 counts what goes out, including IQs that
 * @xmpp/iq sends on its own.
 */
export class CountingClient extends Client {
  beforeSend: ((element: Element) => void) | undefined;

  override send(element: Element): Promise<void> {
    this.beforeSend?.(element);
    return super.send(element);
  }
}

/** Internals of @xmpp/connection that resource binding uses, needed when a resume replaces binding. */
interface ConnectionInternals {
  _jid(jid: string): unknown;
  _ready(resumed: boolean): void;
}

export function createSmLink(deps: SmLinkDeps): SmLink {
  const { entity, log } = deps;
  let armed = false;
  let offered = false;
  let previous: SmResumeState | undefined;
  let counter: StanzaCounter<XmlElement> | undefined;
  let countingIn = false;
  let identity: { id: string | undefined; fullJid: string; max: number | undefined; location: string | undefined } | undefined;
  let unusable = false;
  let replayed = 0;
  let waiter: { resolve(nonza: SmNonza): void; reject(error: Error): void } | undefined;
  let outcome: { resolve(o: SmOutcome): void; reject(error: Error): void } | undefined;
  let ackTimer: NodeJS.Timeout | undefined;

  const send = (element: Element) => entity.send(element).catch((error: Error) => log.debug(`xmpp: sm: ${error.message}`));
  const fail = (reason: string) => {
    unusable = true;
    log.warn(`stream management: ${reason}`);
    deps.abort(`stream management: ${reason}`);
  };

  /** XEP-0198 §5: the server handled `h` of ours; the rest goes out again, in order. */
  const onResumed = (h: number) => {
    const plan = planResume(previous!, h);
    counter = plan.counter;
    countingIn = true;
    identity = { id: previous!.id, fullJid: previous!.fullJid, max: previous!.max, location: previous!.location };
    replayed = plan.resend.length;
    if (plan.dropped.length > 0) log.debug(`xmpp: sm: not sending ${plan.dropped.length} stale request(s) again`);
    for (const stanza of plan.resend) void send(deps.toElement(stanza));
  };

  entity.on("element", (element: Element) => {
    if (isCountedStanza(element)) {
      if (countingIn) counter!.received();
      return;
    }
    const nonza = decodeSmNonza(element);
    if (!nonza) return;
    if (nonza.kind === "r") {
      if (countingIn) void send(xml("a", { xmlns: NS_SM, h: String(counter!.inbound) }));
    } else if (nonza.kind === "a") {
      try {
        counter?.acknowledge(nonza.h);
      } catch (error) {
        fail((error as Error).message);
      }
    } else {
      if (nonza.kind === "enabled" && counter) {
        // §3: the server counts its stanzas from <enabled/>, so do we.
        countingIn = true;
        const fullJid = entity.jid?.toString() ?? "";
        identity = { id: nonza.resume ? nonza.id : undefined, fullJid, max: nonza.max, location: nonza.location };
      } else if (nonza.kind === "resumed" && previous) {
        try {
          onResumed(nonza.h);
        } catch (error) {
          unusable = true;
          waiter?.reject(error as Error);
          waiter = undefined;
          return;
        }
      }
      waiter?.resolve(nonza);
      waiter = undefined;
    }
  });

  entity.on("disconnect", () => {
    clearTimeout(ackTimer);
    const closed = new Error("the connection closed during stream management negotiation");
    waiter?.reject(closed);
    waiter = undefined;
    // A no-op once start() has its outcome.
    outcome?.reject(closed);
  });

  // A fresh bind without the feature on offer: nothing to enable, nothing to resume.
  entity.on("online", () => {
    if (!armed || offered) return;
    previous = undefined;
    outcome?.resolve({ resumed: false, enabled: false, resumable: false });
  });

  const exchange = (element: Element) =>
    new Promise<SmNonza>((resolve, reject) => {
      waiter = { resolve, reject };
      entity.send(element).catch(reject);
    });

  const requestAck = () => {
    ackTimer = undefined;
    if (entity.status === "online") void send(xml("r", { xmlns: NS_SM }));
  };

  // Registered before resource binding: a resume replaces binding (§5).
  deps.streamFeatures.use("sm", NS_SM, async (_ctx, next) => {
    if (!armed) return next();
    offered = true;
    let refused: string | undefined;
    if (previous) {
      const answer = await exchange(xml("resume", { xmlns: NS_SM, previd: previous.id, h: String(previous.inbound) }));
      if (answer.kind === "resumed") {
        const internals = entity as unknown as ConnectionInternals;
        internals._jid(previous.fullJid);
        internals._ready(true);
        outcome?.resolve({ resumed: true, replayed, previd: previous.id });
        previous = undefined;
        return;
      }
      refused = answer.kind === "failed" ? describeFailure(answer, previous) : `unexpected <${answer.kind}/>`;
      previous = undefined;
    }
    await next();
    // §4: our counter starts when <enable/> is sent; nothing goes out in between.
    counter = createStanzaCounter<XmlElement>();
    const answer = await exchange(xml("enable", { xmlns: NS_SM, resume: "true" }));
    if (answer.kind !== "enabled") {
      counter = undefined;
      log.debug(`xmpp: sm: the server would not enable stream management (${answer.kind === "failed" ? answer.condition : answer.kind})`);
    }
    outcome?.resolve({
      resumed: false,
      enabled: counter !== undefined,
      resumable: identity?.id !== undefined,
      max: identity?.max,
      refused,
    });
  });

  return {
    arm(state) {
      armed = true;
      previous = state;
      return new Promise<SmOutcome>((resolve, reject) => {
        outcome = { resolve, reject };
      });
    },
    sending(element) {
      if (!counter || !isCountedStanza(element)) return;
      counter.sent(element);
      // One <r/> per burst of stanzas keeps the queue short without an ack per stanza.
      if (ackTimer === undefined) ackTimer = setTimeout(requestAck, deps.ackRequestDelayMs ?? 200).unref();
    },
    resumeState() {
      if (unusable) return undefined;
      if (counter && identity?.id) {
        return { ...identity, id: identity.id, inbound: counter.inbound, acked: counter.acked, unacked: [...counter.unacked] };
      }
      // Never got as far as asking: the previous session may still be waiting.
      return previous;
    },
    async close() {
      clearTimeout(ackTimer);
      const last = countingIn && entity.status === "online" ? counter : undefined;
      unusable = true;
      if (last) await send(xml("a", { xmlns: NS_SM, h: String(last.inbound) }));
    },
  };
}

/** "item-not-found", plus how many of our stanzas the server got, when it says (§5 <failed h/>). */
function describeFailure(failed: Extract<SmNonza, { kind: "failed" }>, previous: SmResumeState): string {
  if (failed.h === undefined) return failed.condition;
  const lost = (previous.acked + previous.unacked.length - failed.h + 2 ** 32) % 2 ** 32;
  return `${failed.condition}; ${lost} of our stanza(s) unacknowledged`;
}
