/**
 * Whether a listener that just came online needs a catch-up sync.
 *
 * A fresh session always does (DESIGN.md §3: presence is not stored for
 * offline clients). A XEP-0198 resume mostly does not: the server replays
 * every stanza we had not acknowledged, announcements made while the link
 * was dead included. Two things a replay cannot fix, found by asking "what
 * did the fresh session's catch-up also cover?":
 *
 * - a sync that failed (an outage often takes the git remote down with the
 *   XMPP link): the replay brings back announcements, not syncs, so those
 *   remotes are synced again;
 * - announcements older than the replay window (signed ones carry a
 *   timestamp): after a long outage the replayed ones may be rejected as
 *   stale, so past half the window the full catch-up runs anyway.
 */
export type CatchUpPlan =
  | { sync: "all"; reason: string }
  | { sync: "some"; remotes: string[]; reason: string }
  | { sync: "none"; reason: string };

export interface CatchUpInput {
  resumed: boolean;
  /** Since the last sign of life of the link the resume replaced. */
  outageMs: number;
  /** How old an accepted signed announcement may be. */
  replayWindowMs: number;
  /** Remotes whose last sync failed. */
  failing: ReadonlySet<string>;
}

export function planCatchUp(input: CatchUpInput): CatchUpPlan {
  if (!input.resumed) return { sync: "all", reason: "catch-up after connect" };
  if (input.outageMs * 2 >= input.replayWindowMs) {
    const seconds = Math.round(input.outageMs / 1000);
    return { sync: "all", reason: `catch-up after resume: replayed announcements from a ${seconds} s outage may be too old to accept` };
  }
  if (input.failing.size > 0) {
    return { sync: "some", remotes: [...input.failing].sort(), reason: "catch-up after resume: the last sync failed" };
  }
  return { sync: "none", reason: "no catch-up sync: the resumed stream lost nothing" };
}
