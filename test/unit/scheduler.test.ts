import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSyncScheduler } from "../../src/agent/scheduler.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("createSyncScheduler", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("coalesces a burst into one run with the union of items", async () => {
    const runs: Array<Set<string>> = [];
    const s = createSyncScheduler<string>({ run: async (items) => void runs.push(items), onError: () => {} });
    for (let i = 0; i < 1000; i++) s.request([i % 2 ? "origin" : "hub"], "push");
    await vi.advanceTimersByTimeAsync(60);
    await s.idle();
    expect(runs).toEqual([new Set(["hub", "origin"])]);
  });

  it("runs exactly one follow-up for requests during a run, and never drops the last", async () => {
    const gates = [deferred(), deferred()];
    const runs: Array<Set<string>> = [];
    const s = createSyncScheduler<string>({
      run: async (items) => {
        runs.push(items);
        await gates[runs.length - 1]!.promise;
      },
      onError: () => {},
    });
    s.request(["a"], "1");
    await vi.advanceTimersByTimeAsync(60);
    expect(runs).toHaveLength(1);
    for (let i = 0; i < 50; i++) s.request(["b"], "during");
    s.request(["c"], "last");
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(1);
    gates[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toEqual(new Set(["b", "c"]));
    gates[1]!.resolve();
    await s.idle();
    expect(s.runs).toBe(2);
  });

  it("asks a request made during a run whether it is still needed before its follow-up, and runs only what is", async () => {
    const gate = deferred();
    const runs: Array<Set<string>> = [];
    const reasons: string[][] = [];
    const s = createSyncScheduler<string>({
      run: async (items, why) => {
        runs.push(items);
        reasons.push(why);
        if (runs.length === 1) await gate.promise;
      },
      onError: () => {},
    });
    const asked: string[] = [];
    const condition = (name: string, needed: boolean | Error) => async () => {
      asked.push(name);
      if (needed instanceof Error) throw needed;
      return needed;
    };
    // Before any run: nothing has changed since the caller looked, so its condition is not asked.
    s.request(["hub"], "first push", condition("first", false));
    await vi.advanceTimersByTimeAsync(60);
    expect(runs).toEqual([new Set(["hub"])]);
    s.request(["hub"], "the same push again", condition("again", false));
    s.request(["origin"], "another push", condition("another", true));
    s.request(["backup"], "a look-up that failed", condition("failed", new Error("git died")));
    gate.resolve();
    await vi.advanceTimersByTimeAsync(1000);
    await s.idle();
    expect(asked.sort()).toEqual(["again", "another", "failed"]);
    expect(runs[1]).toEqual(new Set(["origin", "backup"]));
    expect(reasons[1]).toEqual(["another push", "a look-up that failed"]);
    expect(s.runs).toBe(2);
  });

  it("skips a follow-up that nobody needs any more", async () => {
    const gate = deferred();
    let calls = 0;
    const s = createSyncScheduler<string>({
      run: async () => {
        calls++;
        await gate.promise;
      },
      onError: () => {},
    });
    s.request(["hub"], "push (from the clone)");
    await vi.advanceTimersByTimeAsync(60);
    s.request(["hub"], "push (from the hub's hook)", async () => false);
    gate.resolve();
    await vi.advanceTimersByTimeAsync(1000);
    await s.idle();
    expect(calls).toBe(1);
    expect(s.runs).toBe(1);
  });

  it("keeps going after a failing run", async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const s = createSyncScheduler<string>({
      run: async () => {
        calls++;
        if (calls === 1) throw new Error("sync failed");
      },
      onError: (e) => errors.push(e),
    });
    s.request(["a"], "x");
    await vi.advanceTimersByTimeAsync(60);
    s.request(["a"], "y");
    await vi.advanceTimersByTimeAsync(60);
    await s.idle();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it("stops: pending work is not started", async () => {
    let calls = 0;
    const s = createSyncScheduler<string>({ run: async () => void calls++, onError: () => {} });
    s.request(["a"], "x");
    await s.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(0);
  });

  it("defers the follow-up until a long burst goes quiet: one run plus one follow-up", async () => {
    let calls = 0;
    const s = createSyncScheduler<string>({
      run: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 200));
      },
      onError: () => {},
      settleMs: 300,
    });
    // 2 s of requests, one every 5 ms: ten sync times long.
    for (let t = 0; t < 2000; t += 5) {
      s.request(["hub"], `push ${t}`);
      await vi.advanceTimersByTimeAsync(5);
    }
    expect(calls).toBe(1);
    // The last request came at 1995 ms: the follow-up starts 300 ms later.
    await vi.advanceTimersByTimeAsync(285);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(300);
    await s.idle();
    expect(s.runs).toBe(2);
  });

  it("does not defer a follow-up forever under a steady stream of requests", async () => {
    let calls = 0;
    const s = createSyncScheduler<string>({
      run: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 100));
      },
      onError: () => {},
      settleMs: 300,
      maxDeferMs: 1000,
    });
    for (let t = 0; t < 5000; t += 10) {
      s.request(["hub"], "steady");
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(calls).toBeLessThanOrEqual(6);
    await s.stop();
  });
});
