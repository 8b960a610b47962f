import { describe, expect, it } from "vitest";
import type { Announced } from "../../src/announce/recent.js";
import { carriesNothingNew, createRecentAnnouncements, parseRecentSnapshot, type RecentAnnouncements } from "../../src/announce/recent.js";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const HUB = "11111111-1111-1111-1111-111111111111";
const OTHER = "22222222-2222-2222-2222-222222222222";
const MAIN = "a".repeat(40);
const ANNEX = "b".repeat(40);
const OLD = "c".repeat(40);

const announce = (refs: Array<[string, string | undefined]>, uuids = [HUB]): Announced => ({
  uuids,
  refs: refs.map(([ref, sha]) => (sha === undefined ? { ref } : { ref, old: "0".repeat(40), new: sha })),
});

/** The three pushes of one `git annex sync` (Command/Sync.hs pushBranch). */
const syncPush = announce([["refs/heads/synced/git-annex", ANNEX], ["refs/heads/synced/main", MAIN]]);
const annexPush = announce([["refs/heads/git-annex", ANNEX]]);
const branchPush = announce([["refs/heads/main", MAIN]]);

const fresh = (...memories: RecentAnnouncements[]) => (announced: Announced, at: number, account = ALICE) =>
  !carriesNothingNew(memories, account, announced, at);

describe("recent announcements", () => {
  it("the later pushes of one `git annex sync` carry nothing new once the first was announced", () => {
    const recent = createRecentAnnouncements(30_000);
    const isNews = fresh(recent);
    expect(isNews(syncPush, 1000)).toBe(true);
    recent.remember(ALICE, syncPush, 1000);
    expect(isNews(annexPush, 1200)).toBe(false);
    expect(isNews(branchPush, 1500)).toBe(false);
  });

  it("a ref moved to an old commit is news, alone or beside known ones — even to a commit just announced as another ref", () => {
    const recent = createRecentAnnouncements(30_000);
    recent.remember(ALICE, syncPush, 1000);
    const isNews = fresh(recent);
    expect(isNews(announce([["refs/heads/side", OLD]]), 1100)).toBe(true);
    expect(isNews(announce([["refs/heads/main", MAIN], ["refs/heads/side", OLD]]), 1100)).toBe(true);
    // A new branch, or a force-push, at the commit main was just announced at.
    expect(isNews(announce([["refs/heads/feature", MAIN]]), 1100)).toBe(true);
    expect(isNews(announce([["refs/heads/main", OLD]]), 1100)).toBe(true);
    // synced/<branch> and <branch> are one ref to git annex sync, not to other prefixes.
    expect(isNews(announce([["refs/heads/synced/main", MAIN]]), 1100)).toBe(false);
    expect(isNews(announce([["refs/tags/synced/main", MAIN]]), 1100)).toBe(true);
  });

  it("after the window everything is news again", () => {
    const recent = createRecentAnnouncements(30_000);
    recent.remember(ALICE, syncPush, 1000);
    const isNews = fresh(recent);
    expect(isNews(branchPush, 31_000)).toBe(false);
    expect(isNews(branchPush, 31_001)).toBe(true);
    // A clock that went back does not make old memories count.
    expect(isNews(branchPush, 999)).toBe(true);
  });

  it("only the same account (the same audience) and the same UUIDs count", () => {
    const recent = createRecentAnnouncements(30_000);
    recent.remember(ALICE, syncPush, 1000);
    const isNews = fresh(recent);
    expect(isNews(branchPush, 1100, BOB)).toBe(true);
    expect(isNews(announce([["refs/heads/main", MAIN]], [OTHER]), 1100)).toBe(true);
    expect(isNews(announce([["refs/heads/main", MAIN]], [HUB, OTHER]), 1100)).toBe(true);
    expect(isNews(announce([["refs/heads/main", MAIN]], [HUB]), 1100)).toBe(false);
  });

  it("a push-back of what another machine announced is no news; of that and something new, it is", () => {
    const sent = createRecentAnnouncements(30_000);
    const heard = createRecentAnnouncements(30_000);
    heard.remember(ALICE, syncPush, 1000);
    const isNews = fresh(sent, heard);
    expect(isNews(announce([["refs/heads/synced/main", MAIN]]), 1100)).toBe(false);
    const merged = "d".repeat(40);
    const pushBack = announce([["refs/heads/synced/main", MAIN], ["refs/heads/git-annex", merged]]);
    expect(isNews(pushBack, 1100)).toBe(true);
    // Each object known to one memory or the other is enough.
    sent.remember(ALICE, announce([["refs/heads/git-annex", merged]]), 1200);
    expect(isNews(pushBack, 1300)).toBe(false);
  });

  it("a sealed presence makes only a sealed entry redundant: who lacks the secret heard nothing from it", () => {
    const heard = createRecentAnnouncements(30_000);
    heard.remember(ALICE, { ...syncPush, sealed: true }, 1000);
    const isNews = fresh(heard);
    expect(isNews(branchPush, 1100)).toBe(true);
    expect(isNews({ ...branchPush, sealed: true }, 1100)).toBe(false);
    // An unsealed presence reached everyone a sealed one would.
    const sent = createRecentAnnouncements(30_000);
    sent.remember(ALICE, syncPush, 1000);
    expect(fresh(sent)({ ...branchPush, sealed: true }, 1100)).toBe(false);
  });

  it("deletions, refs without SHAs (post-update) and entries without refs are always news", () => {
    const recent = createRecentAnnouncements(30_000);
    recent.remember(ALICE, syncPush, 1000);
    const isNews = fresh(recent);
    expect(isNews(announce([["refs/heads/main", MAIN], ["refs/heads/gone", "0".repeat(40)]]), 1100)).toBe(true);
    expect(isNews(announce([["refs/heads/main", undefined]]), 1100)).toBe(true);
    expect(isNews(announce([]), 1100)).toBe(true);
  });

  it("what is remembered is bounded: beyond it, nothing more is taken for old news", () => {
    const recent = createRecentAnnouncements(30_000);
    const isNews = fresh(recent);
    for (let i = 0; i < 10_000; i++) recent.remember(ALICE, announce([[`refs/tags/t${i}`, (i + 1).toString(16).padStart(40, "0")]]), 1000);
    recent.remember(ALICE, branchPush, 1000);
    expect(isNews(branchPush, 1100)).toBe(true);
    // Once the old ones have aged out, there is room again.
    recent.remember(ALICE, branchPush, 40_000);
    expect(isNews(branchPush, 40_100)).toBe(false);
  });

  it("what a detached sender kept is known to the next one; an unreadable file counts as empty", () => {
    const first = createRecentAnnouncements(30_000);
    first.remember(ALICE, syncPush, 1000);
    const text = JSON.stringify(first.snapshot(1200));
    const next = createRecentAnnouncements(30_000, parseRecentSnapshot(text));
    expect(fresh(next)(branchPush, 1500)).toBe(false);
    // Expired ones are not kept.
    expect(first.snapshot(40_000)).toEqual({});
    for (const bad of ["", "nonsense", "[]", "null", '{"k": 3}', '{"k": {"sha": "soon"}}']) expect(parseRecentSnapshot(bad), bad).toEqual({});
  });
});
