import { describe, expect, it } from "vitest";
import { createIntake } from "../../src/agent/intake.js";
import { createSenderRateLimit, type DropReport } from "../../src/agent/rate-limit.js";
import { createWorkQueue } from "../../src/agent/work-queue.js";
import { handleStanza } from "../../src/agent/stanzas.js";
import { createNonceMemory } from "../../src/agent/nonces.js";
import { createLogger } from "../../src/log.js";
import { encodePushPresence } from "../../src/xmpp/codec.js";
import type { XmppSession } from "../../src/xmpp/session.js";

/** Timers under the test's control: fire() runs every due one. */
function fakeClock() {
  let now = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  let next = 0;
  return {
    now: () => now,
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        pending.set(++next, { at: now + ms, fn });
        return next;
      },
      clearTimeout: (h: unknown) => void pending.delete(h as number),
    },
    advance(ms: number) {
      now += ms;
      for (const [id, t] of [...pending]) {
        if (t.at <= now) {
          pending.delete(id);
          t.fn();
        }
      }
    },
  };
}

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("per-sender rate limit", () => {
  it("lets a burst through, then the sustained rate, and reports drops once per interval with what they named", () => {
    const clock = fakeClock();
    const reports: DropReport[] = [];
    const limit = createSenderRateLimit({ perSecond: 2, burst: 3, reportEveryMs: 10_000, onReport: (r) => reports.push(r), ...clock });
    const admitted = Array.from({ length: 100 }, () => limit.admit("buddy@example.org"));
    expect(admitted.filter(Boolean)).toHaveLength(3);
    limit.missed("buddy@example.org", ["uuid-a"]);
    limit.missed("buddy@example.org", ["uuid-a", "uuid-b"]);
    // Another sender has its own bucket.
    expect(limit.admit("me@example.org")).toBe(true);
    // Until the report, the sender stays dropped even as its bucket refills.
    clock.advance(1000);
    expect(limit.admit("buddy@example.org")).toBe(false);
    expect(reports).toEqual([]);
    clock.advance(9000);
    expect(reports).toEqual([{ sender: "buddy@example.org", dropped: 98, announcements: 2, uuids: ["uuid-a", "uuid-b"] }]);
    expect([limit.admit("buddy@example.org"), limit.admit("buddy@example.org"), limit.admit("buddy@example.org"), limit.admit("buddy@example.org")]).toEqual([true, true, true, false]);
    clock.advance(60_000);
    expect(reports).toHaveLength(2);
  });

  it("asks for a sync of everything when the dropped announcements named too many UUIDs to list", () => {
    const clock = fakeClock();
    const reports: DropReport[] = [];
    const limit = createSenderRateLimit({ perSecond: 1, burst: 1, reportEveryMs: 1000, onReport: (r) => reports.push(r), ...clock });
    limit.admit("b");
    for (let i = 0; i < 500; i++) {
      limit.admit("b");
      limit.missed("b", [`uuid-${i}`]);
    }
    clock.advance(1000);
    expect(reports[0]).toMatchObject({ dropped: 500, announcements: 500, uuids: undefined });
  });
});

describe("work queue", () => {
  it("runs at most `concurrency` jobs, merges a job whose key waits, refuses past maxPending", async () => {
    const queue = createWorkQueue({ concurrency: 2, maxPending: 3, onError: () => undefined });
    const gate = deferred();
    let active = 0;
    let peak = 0;
    const ran: string[] = [];
    const job = (name: string) => async () => {
      active++;
      peak = Math.max(peak, active);
      await gate.promise;
      ran.push(name);
      active--;
    };
    const results = ["a", "b", "c", "c", "d", "e", "f"].map((k) => queue.enqueue(k, job(k)));
    expect(results).toEqual(["queued", "queued", "queued", "merged", "queued", "queued", "full"]);
    expect(queue.enqueue("x", job("x"), { force: true })).toBe("queued");
    gate.resolve();
    await queue.idle();
    expect(peak).toBe(2);
    expect(ran.sort()).toEqual(["a", "b", "c", "d", "e", "x"]);
  });

  it("keeps going after a job fails", async () => {
    const errors: unknown[] = [];
    const queue = createWorkQueue({ concurrency: 1, maxPending: 10, onError: (e) => errors.push(e) });
    let done = false;
    queue.enqueue("bad", () => {
      throw new Error("boom");
    });
    queue.enqueue("good", async () => void (done = true));
    await queue.idle();
    expect(done).toBe(true);
    expect(errors).toHaveLength(1);
  });
});

describe("intake", () => {
  it("covers what it refused with one sync: over the rate (the UUIDs named) and over the queue (everything)", async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const requested: Array<readonly string[] | undefined> = [];
    const gate = deferred();
    const intake = createIntake({
      log: createLogger({ level: "debug", write: (l) => void lines.push(l) }),
      requestSync: async (uuids) => void requested.push(uuids),
      limits: { perSecond: 1, burst: 1, reportEveryMs: 5000, concurrency: 1, maxPending: 2 },
      ...clock,
    });
    expect(intake.admit("b")).toBe(true);
    for (let i = 0; i < 1000; i++) if (!intake.admit("b")) intake.missed("b", ["uuid-a"]);
    const outcomes = ["k1", "k2", "k3", "k4", "k5"].map((k) => intake.submit(k, () => gate.promise));
    expect(outcomes).toEqual(["queued", "queued", "queued", "full", "full"]);
    gate.resolve();
    await intake.idle();
    expect(requested).toEqual([undefined]);
    clock.advance(5000);
    await intake.idle();
    expect(requested).toEqual([undefined, ["uuid-a"]]);
    expect(lines.filter((l) => l.includes("dropped 1000 stanza(s) from b"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("more than 2 announcements waiting"))).toHaveLength(1);
    intake.stop();
  });
});

describe("a flood of unsigned announcements from a buddy (issue 8, item 5)", () => {
  it("costs a bounded number of concurrent look-ups and log lines, and one sync covers what was dropped", async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const log = createLogger({ level: "info", write: (l) => void lines.push(l) });
    let active = 0;
    let peak = 0;
    const looked: Array<readonly string[] | undefined> = [];
    // Stands for remotesFor + scheduler.request: a git call that takes a while.
    const requestSync = async (uuids: readonly string[] | undefined) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 2));
      looked.push(uuids);
      active--;
    };
    const intake = createIntake({ log, requestSync, ...clock });
    const ctx = {
      session: { send: async () => undefined } as unknown as XmppSession,
      fullJid: "me@example.org/listen",
      trusted: new Set(["me@example.org", "buddy@example.org"]),
      buddies: ["buddy@example.org"],
      log,
      intake,
      repositories: [{ dir: "/repo", log, policy: { keys: [], acceptUnsigned: true, windowMs: 600_000, now: clock.now }, nonces: createNonceMemory(600_000), requestSync }],
    };
    const uuid = "01b66808-6ee2-4a1e-ac8a-163d80525f99";
    const stanza = encodePushPresence([uuid]);
    const received = { ...stanza, attrs: { ...stanza.attrs, from: "buddy@example.org/flood", xmlns: "jabber:client" } };
    await Promise.all(Array.from({ length: 5000 }, () => handleStanza(received, ctx)));
    await intake.idle();
    expect(peak).toBeLessThanOrEqual(2);
    expect(looked.length).toBeLessThanOrEqual(20);
    expect(lines.length).toBeLessThanOrEqual(20);
    const before = looked.length;
    clock.advance(10_000);
    await intake.idle();
    expect(looked.slice(before)).toEqual([[uuid]]);
    expect(lines.filter((l) => /dropped 49\d\d stanza\(s\) from buddy@example.org/.test(l))).toHaveLength(1);
  });
});
