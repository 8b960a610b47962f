/**
 * Reconnection delay: exponential with "equal jitter" (half the exponential
 * bound plus a random share of the other half), so that many clones that
 * lost the same server do not all come back at the same instant.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 60_000 };

export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const bound = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  // Never less than half the bound: retrying instantly helps no one.
  return Math.round(bound / 2 + (random() * bound) / 2);
}
