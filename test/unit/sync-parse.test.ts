import { describe, expect, it } from "vitest";
import {
  decodeKeyFile,
  encodeKeyFile,
  isPolicyLogPath,
  keyFromLinkTarget,
  keyFromLocationLogPath,
  keyFromWantednessLogPath,
  keyFromPointer,
  keySize,
} from "../../src/sync/annex-keys.js";
import { parseCatFileBatch, parseLsTree, parseRawDiff } from "../../src/sync/git-output.js";
import { blobId, candidateBlobs } from "../../src/sync/key-paths.js";
import { formatProgress, formatSummary, parseAnnexLine, type BatchResult } from "../../src/sync/progress.js";
import { parseSyncState } from "../../src/sync/state.js";

const KEY = "SHA256E-s2--4355a46b19d348dc2f57c046f8ef63d4538ebb936000f3c9ee954a27460dd865.wanted";
const A = "a".repeat(40);
const B = "b".repeat(40);

describe("annex keys", () => {
  it("round-trips git-annex's keyFile escaping", () => {
    const key = "URL--http&c//example.org/a%b&c";
    expect(encodeKeyFile(key)).toBe("URL--http&ac%%example.org%a&sb&ac");
    expect(decodeKeyFile(encodeKeyFile(key))).toBe(key);
  });
  it("reads the key of a locked file's symlink at any depth", () => {
    expect(keyFromLinkTarget(`.git/annex/objects/2W/V5/${KEY}/${KEY}`)).toBe(KEY);
    expect(keyFromLinkTarget(`../../.git/annex/objects/2W/V5/${KEY}/${KEY}`)).toBe(KEY);
    expect(keyFromLinkTarget("../elsewhere/file")).toBeUndefined();
    expect(keyFromLinkTarget(`.git/annex/objects/2W/V5/${KEY}/other`)).toBeUndefined();
  });
  it("reads an unlocked file's pointer, with or without a newline", () => {
    expect(keyFromPointer(`/annex/objects/${KEY}`)).toBe(KEY);
    expect(keyFromPointer(`/annex/objects/${KEY}\n`)).toBe(KEY);
    expect(keyFromPointer(`/annex/objects/${KEY}\nmore text`)).toBeUndefined();
    expect(keyFromPointer("just a small file\n")).toBeUndefined();
  });
  it("maps git-annex branch paths to keys: location logs only", () => {
    expect(keyFromLocationLogPath(`9c5/06e/${KEY}.log`)).toBe(KEY);
    expect(keyFromLocationLogPath(`9c5/06e/${KEY}.log.met`)).toBeUndefined();
    expect(keyFromLocationLogPath(`9c5/06e/${KEY}.log.web`)).toBeUndefined();
    expect(keyFromLocationLogPath("uuid.log")).toBeUndefined();
    expect(keyFromLocationLogPath(`9c5/06e/URL--http&c%%x.org%a.log`)).toBe("URL--http://x.org/a");
  });
  it("maps location and metadata logs to keys for the targeted scan, nothing else", () => {
    expect(keyFromWantednessLogPath(`9c5/06e/${KEY}.log`)).toBe(KEY);
    expect(keyFromWantednessLogPath(`9c5/06e/${KEY}.log.met`)).toBe(KEY);
    expect(keyFromWantednessLogPath(`9c5/06e/${KEY}.log.web`)).toBeUndefined();
    expect(keyFromWantednessLogPath("preferred-content.log")).toBeUndefined();
  });
  it("knows which top-level logs change what every repository wants", () => {
    expect(isPolicyLogPath("preferred-content.log")).toBe(true);
    expect(isPolicyLogPath("group.log")).toBe(true);
    expect(isPolicyLogPath("numcopies.log")).toBe(true);
    expect(isPolicyLogPath("uuid.log")).toBe(false);
    expect(isPolicyLogPath(`9c5/06e/${KEY}.log`)).toBe(false);
  });
  it("reads a key's size when it has one", () => {
    expect(keySize(KEY)).toBe(2);
    expect(keySize("SHA256E-s1048576-m17--abc")).toBe(1048576);
    expect(keySize("URL--http&c%%x")).toBeUndefined();
  });
});

describe("git plumbing output", () => {
  it("parses diff-tree -z --raw", () => {
    const text = `:000000 120000 ${"0".repeat(40)} ${A} A\x00dir/new file.txt\x00:100644 100644 ${A} ${B} M\x00x\x00:120000 000000 ${B} ${"0".repeat(40)} D\x00gone\x00`;
    const changes = parseRawDiff(text);
    expect(changes.map((c) => [c.status, c.newMode, c.path])).toEqual([
      ["A", "120000", "dir/new file.txt"],
      ["M", "100644", "x"],
      ["D", "000000", "gone"],
    ]);
    expect(changes[1]!.newId).toBe(B);
    expect(parseRawDiff("")).toEqual([]);
  });
  it("parses ls-tree -r -z, tabs and newlines in names included", () => {
    const entries = parseLsTree(`120000 blob ${A}\ta b\x00100644 blob ${B}\tweird\nname\x00`);
    expect(entries).toEqual([
      { mode: "120000", type: "blob", id: A, path: "a b" },
      { mode: "100644", type: "blob", id: B, path: "weird\nname" },
    ]);
  });
  it("parses cat-file --batch by record, missing objects and binary-looking content included", () => {
    const C = "c".repeat(40);
    const text = `${A} blob 3\nabc\n${B} missing\n${C} blob 5\n\u{fffd}\n\nx`;
    expect(parseCatFileBatch(text, [A, B, C])).toEqual([
      { id: A, content: "abc" },
      { id: B, content: undefined },
      { id: C, content: "\u{fffd}\n\nx" },
    ]);
    expect(() => parseCatFileBatch("garbage", [A])).toThrow(/unexpected/);
  });
});

describe("key → blob ids", () => {
  it("hashes blobs as git does", () => {
    expect(blobId("", "sha1")).toBe("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    expect(blobId("hello\n", "sha1")).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
  });
  it("covers the symlink at every depth and both pointer forms", () => {
    const byBlob = candidateBlobs(new Map([[KEY, ["2W/V5/", "9c5/06e/"]]]), 2, "sha1");
    expect(byBlob.get(blobId(`../.git/annex/objects/2W/V5/${KEY}/${KEY}`, "sha1"))).toBe(KEY);
    expect(byBlob.get(blobId(`../../.git/annex/objects/9c5/06e/${KEY}/${KEY}`, "sha1"))).toBe(KEY);
    expect(byBlob.get(blobId(`/annex/objects/${KEY}`, "sha1"))).toBe(KEY);
    expect(byBlob.get(blobId(`../../../.git/annex/objects/2W/V5/${KEY}/${KEY}`, "sha1"))).toBeUndefined();
    expect(byBlob.size).toBe(2 + 3 * 2);
  });
});

/** The results among a run's `--json` lines, as the transfer steps collect them (blank answers and progress lines left out). */
function parseJsonResults(stdout: string): BatchResult[] {
  return stdout.split("\n").flatMap((line) => {
    const parsed = parseAnnexLine(line);
    return parsed.kind === "result" ? [parsed.result] : [];
  });
}

describe("batch results, progress and state", () => {
  it("keeps result lines, skips blank answers and progress lines", () => {
    const out = [
      `{"command":"get","file":"a.wanted","key":"K1","success":true}`,
      "",
      `{"byte-progress":10,"action":{"file":"b"}}`,
      `{"command":"get","file":"b","key":"K2","success":false,"error-messages":["not available"]}`,
      "not json {",
    ].join("\n");
    expect(parseJsonResults(out)).toEqual([
      { file: "a.wanted", key: "K1", success: true, command: "get" },
      { file: "b", key: "K2", success: false, command: "get", reason: "not available" },
    ]);
  });
  it("keeps the note that tells a transfer from content that was already there", () => {
    const out = [
      `{"command":"copy","file":"a","key":"K1","note":"to store...","success":true}`,
      `{"command":"copy","file":"b","key":"K2","success":true}`,
      `{"command":"export ex","file":"c","input":[],"success":true}`,
    ].join("\n");
    expect(parseJsonResults(out)).toEqual([
      { file: "a", key: "K1", success: true, command: "copy", note: "to store..." },
      { file: "b", key: "K2", success: true, command: "copy" },
      { file: "c", key: undefined, success: true, command: "export ex" },
    ]);
  });
  it("formats progress and the run's summary line", () => {
    expect(formatProgress({ step: "copy", remote: "s3", filesDone: 3, filesTotal: 10, bytesDone: 1536, bytesTotal: 3 * 1024 * 1024 })).toBe(
      "copy to s3: 3 of 10 files, 1.5 KiB of 3.0 MiB",
    );
    const current = { file: "big.iso", bytesDone: 45, bytesTotal: 100, direction: "from origin" };
    expect(formatProgress({ step: "get", filesDone: 3, filesTotal: 10, bytesDone: 120 * 2 ** 20, bytesTotal: 200 * 2 ** 20, current, secondsLeft: 40.4 })).toBe(
      "get from origin: 3 of 10 files, 120.0 MiB of 200.0 MiB, 40 s left; now big.iso 45%",
    );
    expect(formatProgress({ step: "get", filesDone: 7, filesTotal: undefined, bytesDone: 0, bytesTotal: 0 })).toBe("get: 7 file(s) done");
    const failure = { file: "x", step: "get" as const, reason: "r" };
    const line = formatSummary(
      { got: 5, sent: { dirremote: 2, origin: 0 }, dropped: 0, failed: [failure], waiting: [failure, failure], cutShort: false },
      { scan: "targeted", paths: 10, pullMs: 1, scanMs: 2, transferMs: 3, pushMs: 4 },
    );
    expect(line).toBe(
      "transfers (targeted scan of 10 path(s)): got 5, sent 2 (dirremote 2), dropped 0, failed 1, waiting for content 2; pull 1 ms, scan 2 ms, transfer 3 ms, push 4 ms",
    );
  });
  it("refuses a corrupt state instead of silently forgetting failures", () => {
    expect(() => parseSyncState("{", "f")).toThrow(/cannot read the sync state/);
    expect(() => parseSyncState(`{"version":2}`, "f")).toThrow(/version 1/);
    expect(parseSyncState(`{"version":1,"remotes":{},"pending":["a",3]}`, "f").pending).toEqual(["a"]);
    // A state of the previous version has no failure records; junk records read as none, one by one.
    expect(parseSyncState(`{"version":1,"remotes":{},"pending":[]}`, "f")).toMatchObject({ failures: {}, waiting: {} });
    const good = { step: "get", reason: "not available", since: "2026-01-01T00:00:00.000Z" };
    const state = parseSyncState(JSON.stringify({ version: 1, remotes: {}, pending: [], failures: { a: good, b: { step: 3 }, c: null }, waiting: [] }), "f");
    expect(state.failures).toEqual({ a: good });
    expect(state.waiting).toEqual({});
  });
});
