/**
 * Whether the targeted scan can be trusted for this run, or a full transfer
 * scan (what `git annex sync --content` does) is needed. Pure: the caller
 * gathers the facts (ancestry, policy-log changes, the clock).
 */
import type { SyncState } from "./state.js";

export type ScanPlan = { kind: "targeted" } | { kind: "full"; reason: string };

export interface PlanFacts {
  state: SyncState;
  /** Remotes synced in this run. */
  remotes: readonly string[];
  now: number;
  /** A full scan at least this often (ms). */
  fullScanEveryMs: number;
  /** The remembered head and git-annex tips are ancestors of the new ones. */
  headFastForward: boolean;
  annexFastForward: boolean;
  /** Remote-tracking refs whose remembered tip is not an ancestor of the fetched one. */
  rewrittenRefs: readonly string[];
  /** The git-annex branch changed preferred content, groups, trust or numcopies, or a .gitattributes changed. */
  policyChanged: boolean;
}

export function planScan(facts: PlanFacts): ScanPlan {
  const { state } = facts;
  if (state.head === undefined || state.annexTip === undefined || state.lastFullScan === undefined) {
    return { kind: "full", reason: "first sync of this repository (no remembered state)" };
  }
  const unknown = facts.remotes.filter((name) => state.remotes[name] === undefined);
  if (unknown.length > 0) return { kind: "full", reason: `first sync with ${unknown.join(", ")}` };
  if (facts.rewrittenRefs.length > 0) {
    return { kind: "full", reason: `history rewritten on the remote (${facts.rewrittenRefs.join(", ")})` };
  }
  if (!facts.headFastForward) return { kind: "full", reason: "the branch diverged from the last synced commit" };
  if (!facts.annexFastForward) return { kind: "full", reason: "the git-annex branch was rewritten" };
  if (facts.policyChanged) return { kind: "full", reason: "preferred content, groups, trust, numcopies or a .gitattributes changed" };
  if (facts.now - state.lastFullScan >= facts.fullScanEveryMs) {
    return { kind: "full", reason: `periodic full scan (last one ${Math.round((facts.now - state.lastFullScan) / 1000)} s ago)` };
  }
  return { kind: "targeted" };
}
