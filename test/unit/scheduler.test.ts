import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSyncScheduler } from "../../src/listen/scheduler.js";

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
});
