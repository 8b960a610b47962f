import { describe, expect, it } from "vitest";
import { parseAnnexLine } from "../../src/sync/progress.js";
import { createProgressTracker } from "../../src/sync/progress-tracker.js";
import { createProgressReporter } from "../../src/sync/progress-line.js";
import { unansweredFailures } from "../../src/sync/transfer.js";
import { describeOutcome, recordOutcome, triedBy, waitingForContent } from "../../src/sync/waiting.js";

const MB = 1_000_000;
// As git-annex 10.20230126 prints them (`get --batch --json --json-progress --json-error-messages`).
const progressLine = (file: string, done: number, total: number) =>
  JSON.stringify({ action: { command: "get", file, input: [file], key: `SHA256E-s${total}--x`, note: "from dir..." }, "byte-progress": done, "percent-progress": "1%", "total-size": total });
const result = (file: string, success: boolean, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ command: "get", "error-messages": [], file, input: [file], key: "K", success, ...extra });

describe("git-annex --json-progress lines", () => {
  it("reads progress, results with git-annex's reason, and blank batch answers", () => {
    expect(parseAnnexLine(progressLine("big.bin", 32752, 30 * MB))).toEqual({
      kind: "progress",
      progress: { file: "big.bin", bytesDone: 32752, bytesTotal: 30 * MB, direction: "from dir" },
    });
    expect(parseAnnexLine(result("small", false, { note: "not available" }))).toMatchObject({ kind: "result", result: { success: false, reason: "not available" } });
    const locked = result("b", false, { note: "from dir...\nUnable to access these remotes: dir", "error-messages": ["  transfer already in progress, or unable to take transfer lock"] });
    expect(parseAnnexLine(locked)).toMatchObject({ result: { reason: "transfer already in progress, or unable to take transfer lock" } });
    expect(parseAnnexLine("")).toEqual({ kind: "empty" });
    expect(parseAnnexLine("{oops")).toEqual({ kind: "other" });
    expect(parseAnnexLine(`{"byte-progress":"x","action":{}}`)).toEqual({ kind: "other" });
  });
});

describe("progress of a step", () => {
  it("counts the files that move, with the moving file's bytes and the time left at the rate so far", () => {
    let now = 0;
    const files = [
      { path: "here-already", size: 5 * MB },
      { path: "big.bin", size: 30 * MB },
      { path: "small", size: 10 * MB },
    ];
    const tracker = createProgressTracker({ step: "get", files }, () => now);
    tracker.take(parseAnnexLine(""));
    expect(tracker.snapshot()).toMatchObject({ filesDone: 0, filesTotal: 2, bytesDone: 0, bytesTotal: 40 * MB });
    now = 2000;
    tracker.take(parseAnnexLine(progressLine("big.bin", 10 * MB, 30 * MB)));
    const mid = tracker.snapshot();
    expect(mid).toMatchObject({ filesDone: 0, bytesDone: 10 * MB, current: { file: "big.bin", bytesDone: 10 * MB, direction: "from dir" } });
    // 10 MB in 2 s: the 30 MB left take 6 s.
    expect(mid.secondsLeft).toBeCloseTo(6);
    tracker.take(parseAnnexLine(result("big.bin", true, { note: "from dir...\nchecksum..." })));
    expect(tracker.snapshot()).toMatchObject({ filesDone: 1, bytesDone: 30 * MB });
    expect(tracker.snapshot().current).toBeUndefined();
    // Content that was already there (no "from") leaves the totals too.
    tracker.take(parseAnnexLine(result("small", true)));
    expect(tracker.snapshot()).toMatchObject({ filesDone: 1, filesTotal: 1, bytesTotal: 30 * MB });
  });
  it("gives no time left before a second has passed, and counts a full scan's files without a total", () => {
    let now = 0;
    const tracker = createProgressTracker({ step: "get" }, () => now);
    tracker.take(parseAnnexLine(progressLine("a", 1, 10)));
    expect(tracker.snapshot().secondsLeft).toBeUndefined();
    now = 5000;
    tracker.take(parseAnnexLine(result("a", true, { note: "from origin..." })));
    expect(tracker.snapshot()).toMatchObject({ filesDone: 1, filesTotal: undefined, bytesDone: 10, bytesTotal: 10 });
  });
});

describe("where progress goes", () => {
  it("a log gets a line once a step ran a second, then every ten seconds; status gets every update", () => {
    let now = 0;
    const logged: string[] = [];
    const status: unknown[] = [];
    const sink = createProgressReporter({ terminal: { isTTY: false, write: () => undefined }, log: (l) => logged.push(l), status: (p) => status.push(p), now: () => now });
    const p = { step: "get" as const, filesDone: 0, filesTotal: 1, bytesDone: 0, bytesTotal: 100 };
    for (now = 0; now <= 25_000; now += 500) sink.update({ ...p, bytesDone: now / 250 });
    expect(logged.length).toBe(3); // at 1 s, 11 s, 21 s
    expect(logged[0]).toMatch(/^progress: get: 0 of 1 files/);
    sink.end();
    expect(status.length).toBe(52);
    expect(status.at(-1)).toBeUndefined();
  });
  it("a terminal gets one rewritten line, cleaned at the end, and no log lines", () => {
    let now = 0;
    const written: string[] = [];
    const logged: string[] = [];
    const sink = createProgressReporter({ terminal: { isTTY: true, write: (t) => written.push(t) }, log: (l) => logged.push(l), now: () => now });
    sink.update({ step: "copy", remote: "s3", filesDone: 1, filesTotal: 2, bytesDone: 0, bytesTotal: 0 });
    now = 50;
    sink.update({ step: "copy", remote: "s3", filesDone: 1, filesTotal: 2, bytesDone: 0, bytesTotal: 0 });
    sink.end();
    expect(written).toEqual(["\r\x1b[Kcopy to s3: 1 of 2 files", "\r\x1b[K"]);
    expect(logged).toEqual([]);
  });
});

describe("failures and files waiting for content", () => {
  const notAvailable = { file: "gone", step: "get" as const, reason: "not available" };
  const failed = { file: "f", step: "copy" as const, remote: "s3", reason: "connection refused" };
  it("tells content nobody reachable has from a failure", () => {
    expect(waitingForContent(notAvailable)).toBe(true);
    expect(waitingForContent({ step: "get", reason: "Unable to access these remotes: dir, dir2" })).toBe(true);
    expect(waitingForContent({ step: "get", reason: "transfer already in progress, or unable to take transfer lock" })).toBe(false);
    expect(waitingForContent({ step: "copy", reason: "not available" })).toBe(false);
  });
  it("tells each one once: a second sync with the same outcome is silent", () => {
    const empty = { failures: {}, waiting: {} };
    const first = recordOutcome(empty, { tried: new Set(["gone", "f"]), failed: [failed], waiting: [notAvailable], now: "t1" });
    expect(first.failures).toEqual({ f: { step: "copy", remote: "s3", reason: "connection refused", since: "t1" } });
    expect(first.waiting).toEqual({ gone: { step: "get", reason: "not available", since: "t1" } });
    expect(describeOutcome(first)).toEqual([
      "transfer failed: copy f to s3: connection refused; retried on the next sync",
      "waiting for content: 1 file(s) no reachable remote has (gone: not available); fetched once a repository that has them announces it, or by the next full scan",
    ]);
    // The failure is retried and fails again; the waiting file is not in the next targeted scan.
    const second = recordOutcome(first, { tried: new Set(["f", "new"]), failed: [failed], waiting: [], now: "t2" });
    expect(describeOutcome(second)).toEqual([]);
    expect(second.failures.f!.since).toBe("t1");
    expect(second.waiting.gone).toBeDefined();
    // Another reason is news; a file that moved is resolved.
    const third = recordOutcome(second, { tried: new Set(["f", "gone"]), failed: [{ ...failed, reason: "disk full" }], waiting: [], now: "t3" });
    expect(third.newFailures).toHaveLength(1);
    expect(third.resolved).toEqual(["gone"]);
    // A full scan tried everything: what it did not report is resolved.
    expect(recordOutcome(third, { tried: "all", failed: [], waiting: [], now: "t4" })).toMatchObject({ failures: {}, waiting: {}, resolved: ["f"] });
  });
  it("a full scan whose git-annex died tried nothing that can be counted: the records stand", () => {
    const before = recordOutcome({ failures: {}, waiting: {} }, { tried: new Set(["f", "gone"]), failed: [failed], waiting: [notAvailable], now: "t1" });
    const died = { file: "(get of the whole tree)", step: "get" as const, reason: "git-annex exited 1" };
    const after = recordOutcome(before, { tried: triedBy("all", ["f"], true), failed: [died], waiting: [], now: "t2" });
    expect(Object.keys(after.failures).sort()).toEqual(["(get of the whole tree)", "f"]);
    expect(after.waiting.gone).toBeDefined();
    expect(after.resolved).toEqual([]);
    expect(triedBy("all", [], false)).toBe("all");
    expect(triedBy(new Map([["a", "k"]]), ["f"], false)).toEqual(new Set(["a", "f"]));
  });
});

describe("a batch process that dies", () => {
  it("leaves its unanswered files out of the totals, and the next batch's answers count for the next batch's files", () => {
    const files = [
      { path: "a", size: 1 * MB },
      { path: "b", size: 2 * MB },
      { path: "c", size: 4 * MB },
      { path: "d", size: 8 * MB },
    ];
    const tracker = createProgressTracker({ step: "get", files }, () => 0);
    // Batch of a and b: answers a, then dies.
    tracker.take(parseAnnexLine(result("a", true, { note: "from origin..." })));
    tracker.skipTo(2);
    // Batch of c and d: c is there already (blank answer), d moves.
    tracker.take(parseAnnexLine(""));
    tracker.take(parseAnnexLine(result("d", true, { note: "from origin..." })));
    expect(tracker.snapshot()).toMatchObject({ filesDone: 2, filesTotal: 2, bytesDone: 9 * MB, bytesTotal: 9 * MB });
  });
  it("has the paths after its last answer retried, with what happened to it", () => {
    const ok = { file: "a", key: undefined, success: true };
    const bad = { file: "a", key: undefined, success: false, reason: "not available" };
    expect(unansweredFailures(["a", "b", "c"], { outcome: [bad], answers: 1, exitCode: 1 })).toEqual([
      { file: "b", key: undefined, success: false, reason: "git-annex exited 1" },
      { file: "c", key: undefined, success: false, reason: "git-annex exited 1" },
    ]);
    expect(unansweredFailures(["a", "b"], { outcome: [ok], answers: 2, exitCode: null }).map((r) => [r.file, r.reason])).toEqual([
      ["a", "git-annex was stopped"],
      ["b", "git-annex was stopped"],
    ]);
    expect(unansweredFailures(["a"], { outcome: [bad], answers: 1, exitCode: 1 })).toEqual([]);
    expect(unansweredFailures(["a", "b"], { outcome: [ok], answers: 1, exitCode: 0 })).toEqual([]);
  });
});
