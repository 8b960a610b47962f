import { describe, expect, it } from "vitest";
import type { Announcement } from "../../src/announce/announcement.js";
import { createRecentAnnouncements, parseRecentSnapshot } from "../../src/announce/recent.js";

const HUB = "11111111-1111-1111-1111-111111111111";
const OTHER = "22222222-2222-2222-2222-222222222222";
const MAIN = "a".repeat(40);
const ANNEX = "b".repeat(40);
const OLD = "c".repeat(40);

const announce = (refs: Array<[string, string | undefined]>, extra: Partial<Announcement> = {}): Announcement => ({
  uuids: [HUB],
  refs: refs.map(([ref, sha]) => (sha === undefined ? { ref } : { ref, old: "0".repeat(40), new: sha })),
  createdAt: 0,
  repo: "/srv/hub.git",
  ...extra,
});

/** The three pushes of one `git annex sync` (Command/Sync.hs pushBranch). */
const syncPush = announce([["refs/heads/synced/git-annex", ANNEX], ["refs/heads/synced/main", MAIN]]);
const annexPush = announce([["refs/heads/git-annex", ANNEX]]);
const branchPush = announce([["refs/heads/main", MAIN]]);

describe("recent announcements", () => {
  it("the later pushes of one `git annex sync` carry nothing new once the first was announced", () => {
    const recent = createRecentAnnouncements(30_000);
    expect(recent.carriesNothingNew(syncPush, 1000)).toBe(false);
    recent.remember(syncPush, 1000);
    expect(recent.carriesNothingNew(annexPush, 1200)).toBe(true);
    expect(recent.carriesNothingNew(branchPush, 1500)).toBe(true);
  });

  it("a ref moved to an old commit that was not announced lately is news, alone or beside known ones", () => {
    const recent = createRecentAnnouncements(30_000);
    recent.remember(syncPush, 1000);
    expect(recent.carriesNothingNew(announce([["refs/heads/side", OLD]]), 1100)).toBe(false);
    expect(recent.carriesNothingNew(announce([["refs/heads/main", MAIN], ["refs/heads/side", OLD]]), 1100)).toBe(false);
  });

  it("after the window everything is news again", () => {
    const recent = createRecentAnnouncements(30_000);
    recent.remember(syncPush, 1000);
    expect(recent.carriesNothingNew(branchPush, 31_000)).toBe(true);
    expect(recent.carriesNothingNew(branchPush, 31_001)).toBe(false);
    // A clock that went back does not make old memories count.
    expect(recent.carriesNothingNew(branchPush, 999)).toBe(false);
  });

  it("only the same repository, remote, UUIDs and sealing count", () => {
    const recent = createRecentAnnouncements(30_000);
    recent.remember(syncPush, 1000);
    for (const extra of [{ repo: "/srv/other.git" }, { remote: "origin" }, { uuids: [OTHER] }, { uuids: [HUB, OTHER] }, { sealed: true }]) {
      expect(recent.carriesNothingNew({ ...branchPush, ...extra }, 1100), JSON.stringify(extra)).toBe(false);
    }
    expect(recent.carriesNothingNew({ ...branchPush, uuids: [HUB] }, 1100)).toBe(true);
  });

  it("deletions, refs without SHAs (post-update) and entries without refs are always news", () => {
    const recent = createRecentAnnouncements(30_000);
    recent.remember(syncPush, 1000);
    expect(recent.carriesNothingNew(announce([["refs/heads/main", MAIN], ["refs/heads/gone", "0".repeat(40)]]), 1100)).toBe(false);
    expect(recent.carriesNothingNew(announce([["refs/heads/main", undefined]]), 1100)).toBe(false);
    expect(recent.carriesNothingNew(announce([]), 1100)).toBe(false);
  });

  it("what is remembered is bounded: beyond it, nothing more is taken for old news", () => {
    const recent = createRecentAnnouncements(30_000);
    for (let i = 0; i < 10_000; i++) recent.remember(announce([[`refs/tags/t${i}`, (i + 1).toString(16).padStart(40, "0")]]), 1000);
    recent.remember(branchPush, 1000);
    expect(recent.carriesNothingNew(branchPush, 1100)).toBe(false);
    // Once the old ones have aged out, there is room again.
    recent.remember(branchPush, 40_000);
    expect(recent.carriesNothingNew(branchPush, 40_100)).toBe(true);
  });

  it("what a detached sender kept is known to the next one; an unreadable file counts as empty", () => {
    const first = createRecentAnnouncements(30_000);
    first.remember(syncPush, 1000);
    const text = JSON.stringify(first.snapshot(1200));
    const next = createRecentAnnouncements(30_000, parseRecentSnapshot(text));
    expect(next.carriesNothingNew(branchPush, 1500)).toBe(true);
    // Expired ones are not kept.
    expect(first.snapshot(40_000)).toEqual({});
    for (const bad of ["", "nonsense", "[]", "null", '{"k": 3}', '{"k": {"sha": "soon"}}']) expect(parseRecentSnapshot(bad), bad).toEqual({});
  });
});
