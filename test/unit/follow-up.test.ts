import { describe, expect, it } from "vitest";
import { createSyncCoverage } from "../../src/agent/follow-up.js";

const X = "a".repeat(40);
const G = "b".repeat(40);
const Y = "c".repeat(40);

describe("sync coverage: whether a follow-up looks for its commits first", () => {
  it("the first sync never waits for a look-up", () => {
    const coverage = createSyncCoverage();
    coverage.requested([X, G]);
    expect(coverage.starting()).toBeUndefined();
  });

  it("announcements that came while a sync ran, once it ended well: their objects are looked for", () => {
    const coverage = createSyncCoverage();
    coverage.requested([X, G]);
    expect(coverage.starting()).toBeUndefined();
    // The second and third push of the same `git annex sync`, during the sync.
    coverage.requested([G]);
    coverage.requested([X]);
    coverage.succeeded();
    expect(coverage.starting()?.sort()).toEqual([X, G]);
  });

  it("a failed sync served nothing: its follow-up runs", () => {
    const coverage = createSyncCoverage();
    coverage.requested([X]);
    coverage.starting();
    coverage.requested([X]);
    expect(coverage.starting()).toBeUndefined();
  });

  it("a request after the last good sync ended, or one without objects, makes the follow-up run", () => {
    const coverage = createSyncCoverage();
    coverage.requested([X]);
    coverage.starting();
    coverage.requested([X]);
    coverage.succeeded();
    coverage.requested([Y]);
    expect(coverage.starting()).toBeUndefined();

    coverage.requested([X]);
    coverage.requested(undefined);
    coverage.succeeded();
    expect(coverage.starting()).toBeUndefined();

    coverage.requested([]);
    coverage.succeeded();
    expect(coverage.starting()).toBeUndefined();
  });

  it("a run with no request behind it runs (nothing is assumed)", () => {
    const coverage = createSyncCoverage();
    coverage.succeeded();
    expect(coverage.starting()).toBeUndefined();
  });
});
