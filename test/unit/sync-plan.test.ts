import { describe, expect, it } from "vitest";
import { planScan, type PlanFacts } from "../../src/sync/plan.js";
import { emptyState } from "../../src/sync/state.js";

const DAY = 86_400_000;
const known = { ...emptyState(), head: "h", annexTip: "t", lastFullScan: 1_000, remotes: { origin: {} } };
const facts = (over: Partial<PlanFacts> = {}): PlanFacts => ({
  state: known,
  remotes: ["origin"],
  now: 2_000,
  fullScanEveryMs: DAY,
  headFastForward: true,
  annexFastForward: true,
  rewrittenRefs: [],
  policyChanged: false,
  ...over,
});

describe("planScan", () => {
  it("trusts the targeted scan when everything moved forward", () => {
    expect(planScan(facts())).toEqual({ kind: "targeted" });
  });
  it.each<[string, Partial<PlanFacts>, RegExp]>([
    ["no state", { state: emptyState() }, /first sync of this repository/],
    ["a new remote", { remotes: ["origin", "usb"] }, /first sync with usb/],
    ["a rewritten remote branch", { rewrittenRefs: ["origin/main"], headFastForward: true }, /history rewritten on the remote \(origin\/main\)/],
    ["a diverged branch", { headFastForward: false }, /diverged/],
    ["a rewritten git-annex branch", { annexFastForward: false }, /git-annex branch was rewritten/],
    ["changed preferred content", { policyChanged: true }, /preferred content/],
    ["the period", { now: 1_000 + DAY }, /periodic full scan/],
  ])("falls back to a full scan on %s", (_name, over, reason) => {
    const plan = planScan(facts(over));
    expect(plan.kind).toBe("full");
    expect(plan.kind === "full" && plan.reason).toMatch(reason);
  });
});
