import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { watchLiveness } from "../../src/agent/liveness.js";
import { createLogger } from "../../src/log.js";

const log = createLogger({ level: "silent" });

function target(answer: boolean) {
  const t = {
    lastInboundAt: Date.now(),
    pings: 0,
    dropped: undefined as string | undefined,
    ping: (timeoutMs: number) => {
      t.pings++;
      return answer
        ? Promise.resolve().then(() => void (t.lastInboundAt = Date.now()))
        : new Promise<void>((_, reject) => setTimeout(() => reject(new Error("timeout")), timeoutMs));
    },
    drop: (reason: string) => void (t.dropped = reason),
  };
  return t;
}

describe("watchLiveness (XEP-0199 probe after silence)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("does not probe a link with traffic", async () => {
    const t = target(true);
    const watch = watchLiveness(t, { idleMs: 1000, timeoutMs: 500, log });
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(900);
      t.lastInboundAt = Date.now();
    }
    expect(t.pings).toBe(0);
    watch.stop();
  });

  it("probes once per idle period and keeps an answering link", async () => {
    const t = target(true);
    const watch = watchLiveness(t, { idleMs: 1000, timeoutMs: 500, log });
    await vi.advanceTimersByTimeAsync(3050);
    expect(t.pings).toBe(3);
    expect(t.dropped).toBeUndefined();
    watch.stop();
  });

  it("drops a link whose probe goes unanswered, within idle + timeout", async () => {
    const t = target(false);
    watchLiveness(t, { idleMs: 1000, timeoutMs: 500, log });
    await vi.advanceTimersByTimeAsync(1499);
    expect(t.dropped).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2);
    expect(t.dropped).toMatch(/dead link: no answer to a ping within 500 ms/);
    expect(t.pings).toBe(1);
  });

  it("probes at once when asked, without waiting for the silence", async () => {
    const t = target(true);
    const watch = watchLiveness(t, { idleMs: 60_000, timeoutMs: 500, log });
    watch.probeNow("the clock jumped");
    await vi.advanceTimersByTimeAsync(1);
    expect(t.pings).toBe(1);
    expect(t.dropped).toBeUndefined();
    // An answered probe leaves the idle schedule as it was: no extra pings while idle.
    await vi.advanceTimersByTimeAsync(59_000);
    expect(t.pings).toBe(1);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(t.pings).toBe(2);
    watch.stop();
  });

  it("drops a link that does not answer a probe asked for, naming why it probed", async () => {
    const t = target(false);
    const watch = watchLiveness(t, { idleMs: 60_000, timeoutMs: 500, log });
    watch.probeNow("the clock jumped 3600.0 s ahead");
    // A second request during the probe is folded into it.
    watch.probeNow("the network interfaces changed");
    await vi.advanceTimersByTimeAsync(501);
    expect(t.pings).toBe(1);
    expect(t.dropped).toBe("dead link: no answer to a ping within 500 ms after the clock jumped 3600.0 s ahead");
  });

  it("does nothing once stopped", async () => {
    const t = target(false);
    const watch = watchLiveness(t, { idleMs: 1000, timeoutMs: 500, log });
    watch.stop();
    watch.probeNow("the clock jumped");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.pings).toBe(0);
    expect(t.dropped).toBeUndefined();
  });
});
