import { describe, expect, it } from "vitest";
import { isCompletionHelp } from "../../src/command-line/help.js";

describe("completion --help", () => {
  it("is asked for with global options before the command too, not after `--`", () => {
    expect(isCompletionHelp(["completion", "--help"])).toBe(true);
    expect(isCompletionHelp(["-v", "completion", "-h"])).toBe(true);
    expect(isCompletionHelp(["--config", "/etc/x.json", "completion", "--help"])).toBe(true);
    expect(isCompletionHelp(["--config=/etc/x.json", "-q", "completion", "--help"])).toBe(true);
    expect(isCompletionHelp(["completion"])).toBe(false);
    expect(isCompletionHelp(["status", "--help"])).toBe(false);
    expect(isCompletionHelp(["--config", "completion", "status", "--help"])).toBe(false);
    expect(isCompletionHelp(["completion", "--", "--help"])).toBe(false);
  });
});
