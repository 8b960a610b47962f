/**
 * The XEP-0198 wiring against a fake connection: what it writes, and the
 * counts it acks when the server's elements arrive back to back in one
 * read (the race DESIGN.md §5 describes for xmpp.js's own package).
 */
import { EventEmitter } from "node:events";
import { xml, type Client, type Element } from "@xmpp/client-core";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { toElement } from "../../src/xmpp/session.js";
import { createSmLink } from "../../src/xmpp/sm-link.js";
import { NS_SM, type SmResumeState } from "../../src/xmpp/stream-management.js";

function fakeConnection() {
  const entity = Object.assign(new EventEmitter(), {
    status: "online",
    jid: null as { toString(): string } | null,
    written: [] as Element[],
    internals: [] as string[],
    send: async (element: Element) => {
      link.sending(element);
      entity.written.push(element);
    },
    _jid: (jid: string) => {
      entity.jid = { toString: () => jid };
      entity.internals.push(`jid ${jid}`);
    },
    _ready: (resumed: boolean) => void entity.internals.push(`ready ${resumed}`),
  });
  let feature: ((ctx: unknown, next: () => Promise<unknown>) => Promise<unknown>) | undefined;
  const streamFeatures = { use: (_name: string, _ns: string, handler: typeof feature) => void (feature = handler) };
  const dropped: string[] = [];
  const link = createSmLink({
    entity: entity as unknown as Client,
    streamFeatures: streamFeatures as never,
    log: silentLogger,
    toElement,
    abort: (reason) => void dropped.push(reason),
    ackRequestDelayMs: 60_000,
  });
  const receive = (...elements: Element[]) => elements.forEach((e) => entity.emit("element", e));
  const written = (name: string) => entity.written.filter((e) => e.name === name);
  return { entity, link, receive, written, dropped, feature: () => feature! };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const presence = (id: string) => xml("presence", { id });

describe("stream management link", () => {
  it("enables after binding and counts stanzas that arrive in the same read as <enabled/>", async () => {
    const c = fakeConnection();
    const outcome = c.link.arm(undefined);
    const negotiation = c.feature()({}, async () => {
      c.entity.jid = { toString: () => "a@b/c" };
    });
    await tick();
    expect(c.written("enable")[0]!.attrs).toMatchObject({ xmlns: NS_SM, resume: "true" });
    c.receive(xml("enabled", { xmlns: NS_SM, id: "sm1", resume: "true", max: "600" }), presence("x"), presence("y"), xml("r", { xmlns: NS_SM }));
    await negotiation;
    expect(await outcome).toEqual({ resumed: false, enabled: true, resumable: true, max: 600, refused: undefined });
    expect(c.written("a").map((a) => a.attrs.h)).toEqual(["2"]);
  });

  it("keeps our stanzas until the server acks them, and hands them to a later session", async () => {
    const c = fakeConnection();
    void c.link.arm(undefined);
    const negotiation = c.feature()({}, async () => {
      c.entity.jid = { toString: () => "a@b/c" };
    });
    await tick();
    c.receive(xml("enabled", { xmlns: NS_SM, id: "sm1", resume: "true" }));
    await negotiation;
    for (const id of ["1", "2", "3"]) await c.entity.send(presence(id));
    c.receive(xml("a", { xmlns: NS_SM, h: "2" }));
    expect(c.link.resumeState()).toMatchObject({ id: "sm1", fullJid: "a@b/c", acked: 2, inbound: 0 });
    expect(c.link.resumeState()!.unacked.map((s) => s.attrs.id)).toEqual(["3"]);
    // An ack for more than was sent: the stream is torn down and not resumable.
    c.receive(xml("a", { xmlns: NS_SM, h: "9" }));
    expect(c.dropped).toHaveLength(1);
    expect(c.link.resumeState()).toBeUndefined();
  });

  it("resumes instead of binding: sends the rest again and counts the replay", async () => {
    const c = fakeConnection();
    const state: SmResumeState = { id: "sm1", fullJid: "a@b/c", inbound: 5, acked: 1, unacked: [presence("2"), presence("3")] };
    const outcome = c.link.arm(state);
    let bound = false;
    const negotiation = c.feature()({}, async () => {
      bound = true;
    });
    await tick();
    expect(c.written("resume")[0]!.attrs).toMatchObject({ previd: "sm1", h: "5" });
    c.receive(xml("resumed", { xmlns: NS_SM, h: "2", previd: "sm1" }), presence("replayed"), xml("r", { xmlns: NS_SM }));
    await negotiation;
    expect(await outcome).toEqual({ resumed: true, replayed: 1, previd: "sm1" });
    expect(bound).toBe(false);
    expect(c.entity.internals).toEqual(["jid a@b/c", "ready true"]);
    expect(c.written("presence").map((p) => p.attrs.id)).toEqual(["3"]);
    expect(c.written("a").map((a) => a.attrs.h)).toEqual(["6"]);
    expect(c.link.resumeState()).toMatchObject({ inbound: 6, acked: 2 });
  });

  it("binds anew when the resume is refused", async () => {
    const c = fakeConnection();
    const state: SmResumeState = { id: "gone", fullJid: "a@b/c", inbound: 0, acked: 0, unacked: [] };
    const outcome = c.link.arm(state);
    let bound = false;
    const negotiation = c.feature()({}, async () => {
      bound = true;
      c.entity.jid = { toString: () => "a@b/new" };
    });
    await tick();
    c.receive(xml("failed", { xmlns: NS_SM }, xml("item-not-found", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" })));
    await tick();
    expect(bound).toBe(true);
    c.receive(xml("enabled", { xmlns: NS_SM, id: "sm2", resume: "true" }));
    await negotiation;
    expect(await outcome).toMatchObject({ resumed: false, enabled: true, refused: "item-not-found" });
    expect(c.link.resumeState()).toMatchObject({ id: "sm2", fullJid: "a@b/new" });
  });

  it("a graceful close sends a last ack and gives resumption up", async () => {
    const c = fakeConnection();
    void c.link.arm(undefined);
    const negotiation = c.feature()({}, async () => {
      c.entity.jid = { toString: () => "a@b/c" };
    });
    await tick();
    c.receive(xml("enabled", { xmlns: NS_SM, id: "sm1", resume: "true" }), presence("x"));
    await negotiation;
    await c.link.close();
    expect(c.written("a").map((a) => a.attrs.h)).toEqual(["1"]);
    expect(c.link.resumeState()).toBeUndefined();
  });
});
