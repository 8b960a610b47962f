import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { watchLiveness } from "../../src/listen/liveness.js";
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
    const stop = watchLiveness(t, { idleMs: 1000, timeoutMs: 500, log });
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(900);
      t.lastInboundAt = Date.now();
    }
    expect(t.pings).toBe(0);
    stop();
  });

  it("probes once per idle period and keeps an answering link", async () => {
    const t = target(true);
    const stop = watchLiveness(t, { idleMs: 1000, timeoutMs: 500, log });
    await vi.advanceTimersByTimeAsync(3050);
    expect(t.pings).toBe(3);
    expect(t.dropped).toBeUndefined();
    stop();
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
});
