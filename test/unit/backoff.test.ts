import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "../../src/agent/backoff.js";

const policy: BackoffPolicy = { baseMs: 100, capMs: 10_000 };
const lowest = () => 0;
const highest = () => 1;
const middle = () => 0.5;

describe("backoffDelay", () => {
  it("doubles the bound with each attempt, from the base", () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, policy, highest))).toEqual([100, 200, 400, 800, 1600]);
  });

  it("never goes below half the bound", () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, policy, lowest))).toEqual([50, 100, 200, 400, 800]);
  });

  it("spreads the delay linearly with the random value", () => {
    expect(backoffDelay(3, policy, middle)).toBe(600);
    expect(backoffDelay(3, policy, () => 0.25)).toBe(500);
  });

  it("caps the bound", () => {
    expect(backoffDelay(7, policy, highest)).toBe(10_000);
    expect(backoffDelay(7, policy, lowest)).toBe(5_000);
    expect(backoffDelay(50, policy, highest)).toBe(10_000);
  });

  it("stays finite and capped for absurd attempt counts", () => {
    for (const attempt of [31, 1000, Number.MAX_SAFE_INTEGER, Infinity]) {
      expect(backoffDelay(attempt, policy, highest)).toBe(10_000);
      expect(backoffDelay(attempt, DEFAULT_BACKOFF, highest)).toBe(DEFAULT_BACKOFF.capMs);
    }
  });

  it("keeps every delay within [bound/2, bound] for any random value in [0, 1)", () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const bound = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
      for (const r of [0, 0.001, 0.3, 0.5, 0.77, 0.999999]) {
        const delay = backoffDelay(attempt, policy, () => r);
        expect(delay).toBeGreaterThanOrEqual(bound / 2);
        expect(delay).toBeLessThanOrEqual(bound);
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it("uses the default policy and Math.random when given nothing", () => {
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(0);
      expect(delay).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.baseMs / 2);
      expect(delay).toBeLessThanOrEqual(DEFAULT_BACKOFF.baseMs);
    }
  });

  it("has a sane default: half a second first, a minute at most", () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 500, capMs: 60_000 });
  });
});
