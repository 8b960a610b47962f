import { describe, expect, it } from "vitest";
import { planCatchUp } from "../../src/agent/catch-up.js";

const WINDOW = 10 * 60_000;

describe("planCatchUp", () => {
  it("a fresh session always catches up", () => {
    expect(planCatchUp({ resumed: false, outageMs: 0, replayWindowMs: WINDOW, failing: new Set() })).toEqual({
      sync: "all",
      reason: "catch-up after connect",
    });
  });

  it("a resumed session after a short outage with nothing failed skips it", () => {
    expect(planCatchUp({ resumed: true, outageMs: 5_000, replayWindowMs: WINDOW, failing: new Set() }).sync).toBe("none");
  });

  it("a resumed session retries the remotes whose last sync failed", () => {
    expect(planCatchUp({ resumed: true, outageMs: 5_000, replayWindowMs: WINDOW, failing: new Set(["b", "a"]) })).toMatchObject({
      sync: "some",
      remotes: ["a", "b"],
    });
  });

  it("a resumed session after an outage of half the replay window or more catches up fully", () => {
    const plan = planCatchUp({ resumed: true, outageMs: WINDOW / 2, replayWindowMs: WINDOW, failing: new Set(["a"]) });
    expect(plan).toMatchObject({ sync: "all" });
    expect(plan.reason).toMatch(/300 s outage/);
  });
});
