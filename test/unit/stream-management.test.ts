import { describe, expect, it } from "vitest";
import { el, type XmlElement } from "../../src/xmpp/element.js";
import {
  NS_SM, SmAckError, createStanzaCounter, decodeSmNonza, isCountedStanza, planResume, type SmResumeState,
} from "../../src/xmpp/stream-management.js";

const presence = (n: number) => el("presence", { id: `p${n}` });
const ping = el("iq", { type: "get", id: "ping1" }, el("ping", { xmlns: "urn:xmpp:ping" }));
const ids = (stanzas: readonly XmlElement[]) => stanzas.map((s) => s.attrs.id);

describe("stanza counter (XEP-0198 §4)", () => {
  it("counts handled stanzas from zero, one by one", () => {
    const counter = createStanzaCounter();
    expect(counter.inbound).toBe(0);
    expect([counter.received(), counter.received(), counter.received()]).toEqual([1, 2, 3]);
    expect(counter.inbound).toBe(3);
  });

  it("keeps sent stanzas until acknowledged, oldest first", () => {
    const counter = createStanzaCounter<XmlElement>();
    [1, 2, 3, 4].forEach((n) => counter.sent(presence(n)));
    expect(ids(counter.acknowledge(2))).toEqual(["p1", "p2"]);
    expect(ids(counter.unacked)).toEqual(["p3", "p4"]);
    expect(counter.acked).toBe(2);
    // The same h again acknowledges nothing new.
    expect(counter.acknowledge(2)).toEqual([]);
    expect(ids(counter.acknowledge(4))).toEqual(["p3", "p4"]);
    expect(counter.unacked).toEqual([]);
  });

  it("rejects an ack for stanzas never sent", () => {
    const counter = createStanzaCounter<XmlElement>();
    counter.sent(presence(1));
    expect(() => counter.acknowledge(2)).toThrow(SmAckError);
    // Nothing changed: the queue is still what was sent.
    expect(counter.acked).toBe(0);
    expect(ids(counter.unacked)).toEqual(["p1"]);
  });

  it("rejects an ack that goes backwards (it would count the whole 2^32 range)", () => {
    const counter = createStanzaCounter<XmlElement>({ acked: 5, unacked: [presence(6)] });
    expect(() => counter.acknowledge(4)).toThrow(SmAckError);
  });

  it("wraps both counters at 2^32", () => {
    const counter = createStanzaCounter<XmlElement>({ inbound: 2 ** 32 - 1, acked: 2 ** 32 - 2 });
    expect(counter.received()).toBe(0);
    [1, 2, 3].forEach((n) => counter.sent(presence(n)));
    expect(ids(counter.acknowledge(0))).toEqual(["p1", "p2"]);
    expect(ids(counter.acknowledge(1))).toEqual(["p3"]);
  });
});

describe("decodeSmNonza", () => {
  it("reads <enabled/> with resumption", () => {
    expect(decodeSmNonza(el("enabled", { xmlns: NS_SM, id: "abc", resume: "true", max: "600" }))).toEqual({
      kind: "enabled", id: "abc", resume: true, max: 600, location: undefined,
    });
    expect(decodeSmNonza(el("enabled", { xmlns: NS_SM }))).toMatchObject({ kind: "enabled", resume: false, id: undefined });
  });

  it("reads acks, ack requests and <resumed/>", () => {
    expect(decodeSmNonza(el("a", { xmlns: NS_SM, h: "7" }))).toEqual({ kind: "a", h: 7 });
    expect(decodeSmNonza(el("r", { xmlns: NS_SM }))).toEqual({ kind: "r" });
    expect(decodeSmNonza(el("resumed", { xmlns: NS_SM, h: "3", previd: "abc" }))).toEqual({ kind: "resumed", h: 3, previd: "abc" });
  });

  it("reads <failed/> with its condition and optional h", () => {
    const failed = el("failed", { xmlns: NS_SM, h: "4" }, el("item-not-found", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }));
    expect(decodeSmNonza(failed)).toEqual({ kind: "failed", condition: "item-not-found", h: 4 });
    expect(decodeSmNonza(el("failed", { xmlns: NS_SM }))).toEqual({ kind: "failed", condition: "undefined-condition", h: undefined });
  });

  it("ignores other namespaces and malformed counts", () => {
    expect(decodeSmNonza(el("a", { xmlns: "urn:xmpp:sm:2", h: "1" }))).toBeUndefined();
    expect(decodeSmNonza(el("a", { xmlns: NS_SM, h: "-1" }))).toBeUndefined();
    expect(decodeSmNonza(el("a", { xmlns: NS_SM, h: String(2 ** 32) }))).toBeUndefined();
    expect(decodeSmNonza(el("a", { xmlns: NS_SM }))).toBeUndefined();
  });
});

describe("isCountedStanza", () => {
  it("counts iq, message and presence in the stream's namespace only", () => {
    expect(isCountedStanza(presence(1))).toBe(true);
    expect(isCountedStanza(ping)).toBe(true);
    expect(isCountedStanza(el("message", { xmlns: "jabber:client" }))).toBe(true);
    expect(isCountedStanza(el("r", { xmlns: NS_SM }))).toBe(false);
    expect(isCountedStanza(el("features", { xmlns: "http://etherx.jabber.org/streams" }))).toBe(false);
    expect(isCountedStanza(el("presence", { xmlns: "urn:example" }))).toBe(false);
  });
});

describe("planResume (XEP-0198 §5)", () => {
  const state = (unacked: XmlElement[]): SmResumeState => ({ id: "abc", fullJid: "a@b/c", inbound: 9, acked: 10, unacked });

  it("sends again what the server did not handle, and counts on from there", () => {
    const plan = planResume(state([presence(11), presence(12), presence(13)]), 11);
    expect(ids(plan.resend)).toEqual(["p12", "p13"]);
    expect(plan.counter.acked).toBe(11);
    expect(plan.counter.inbound).toBe(9);
    // The resent stanzas are counted again as they go out.
    expect(plan.counter.unacked).toEqual([]);
  });

  it("does not send our stale IQ requests again", () => {
    const answer = el("iq", { type: "result", id: "srv1" });
    const plan = planResume(state([presence(11), ping, answer]), 10);
    expect(plan.resend).toEqual([presence(11), answer]);
    expect(plan.dropped).toEqual([ping]);
  });

  it("nothing to send when everything was handled", () => {
    expect(planResume(state([presence(11)]), 11).resend).toEqual([]);
  });

  it("rejects an impossible h", () => {
    expect(() => planResume(state([presence(11)]), 12)).toThrow(SmAckError);
  });
});
