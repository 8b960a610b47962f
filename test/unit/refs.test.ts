import { describe, expect, it } from "vitest";
import { parsePostReceive, parsePostUpdate } from "../../src/announce/refs.js";

const ZERO = "0".repeat(40);
const A = "a".repeat(40);
const B = "0123456789abcdef0123456789abcdef01234567";
const SHA256_A = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SHA256_B = "0".repeat(64);

describe("parsePostReceive", () => {
  it("reads '<old> <new> <ref>' lines in order", () => {
    expect(parsePostReceive(`${A} ${B} refs/heads/main\n${ZERO} ${A} refs/heads/git-annex\n`)).toEqual([
      { ref: "refs/heads/main", old: A, new: B },
      { ref: "refs/heads/git-annex", old: ZERO, new: A },
    ]);
  });

  it("reads sha256 object names", () => {
    expect(parsePostReceive(`${SHA256_B} ${SHA256_A} refs/heads/synced/main\n`)).toEqual([
      { ref: "refs/heads/synced/main", old: SHA256_B, new: SHA256_A },
    ]);
  });

  it("keeps a deletion (new is all zeros)", () => {
    expect(parsePostReceive(`${A} ${ZERO} refs/heads/gone`)).toEqual([{ ref: "refs/heads/gone", old: A, new: ZERO }]);
  });

  it("reads the last line without a newline", () => {
    expect(parsePostReceive(`${A} ${B} refs/tags/v1`)).toHaveLength(1);
  });

  it("skips blank lines and tolerates CRLF, tabs and surrounding spaces", () => {
    const input = `\n  \n${A} ${B} refs/heads/main\r\n\n\t${B}\t${A}  refs/heads/git-annex  \n\n`;
    expect(parsePostReceive(input)).toEqual([
      { ref: "refs/heads/main", old: A, new: B },
      { ref: "refs/heads/git-annex", old: B, new: A },
    ]);
  });

  it("returns nothing for empty input", () => {
    expect(parsePostReceive("")).toEqual([]);
    expect(parsePostReceive("\n\n")).toEqual([]);
  });

  it.each([
    ["a missing ref", `${A} ${B}`],
    ["a missing new sha", `${A} refs/heads/main`],
    ["an extra field", `${A} ${B} refs/heads/main extra`],
    ["a short sha", `${A.slice(1)} ${B} refs/heads/main`],
    ["a 41-character sha", `${A}a ${B} refs/heads/main`],
    ["a 63-character sha", `${SHA256_A.slice(1)} ${B} refs/heads/main`],
    ["an upper-case sha", `${A.toUpperCase()} ${B} refs/heads/main`],
    ["a non-hex sha", `${"g".repeat(40)} ${B} refs/heads/main`],
    ["a bad new sha", `${A} HEAD refs/heads/main`],
    ["a single word", "garbage"],
  ])("refuses %s", (_what, line) => {
    expect(() => parsePostReceive(`${line}\n`)).toThrow(/line 1 of the post-receive input/);
  });

  it("names the line number of the malformed line, counting blank lines", () => {
    const input = `${A} ${B} refs/heads/main\n\n${A} ${B} refs/heads/x\nnot a ref line\n`;
    expect(() => parsePostReceive(input)).toThrow(/^line 4 of the post-receive input is not "<old> <new> <ref>": "not a ref line"$/);
  });

  it("quotes at most 120 characters of the bad line", () => {
    let message = "";
    try {
      parsePostReceive("x".repeat(10_000));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`"${"x".repeat(120)}"`);
    expect(message.length).toBeLessThan(200);
  });
});

describe("parsePostUpdate", () => {
  it("turns each argument into a ref without SHAs", () => {
    expect(parsePostUpdate(["refs/heads/main", "refs/heads/git-annex"])).toEqual([
      { ref: "refs/heads/main" },
      { ref: "refs/heads/git-annex" },
    ]);
  });

  it("drops empty arguments and keeps the order", () => {
    expect(parsePostUpdate(["", "refs/heads/b", "", "refs/heads/a"])).toEqual([{ ref: "refs/heads/b" }, { ref: "refs/heads/a" }]);
  });

  it("returns nothing for no arguments", () => {
    expect(parsePostUpdate([])).toEqual([]);
  });
});
