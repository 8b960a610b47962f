/**
 * src/git/run.ts spawns git with node:child_process (no execa, whose
 * loading cost the hook's sender about 100 ms): what it promised before,
 * checked against the real git binary.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitAnnexMissingError, GitCommandError } from "../../src/errors.js";
import { annex, git } from "../../src/git/run.js";

describe("the git adapter", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gax-run-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("feeds input, returns output without its final newline", async () => {
    const result = await git(dir, ["hash-object", "--stdin"], { input: "hello\n" });
    expect(result).toEqual({ stdout: "ce013625030ba8dba906f756967f9e9ca394464a", stderr: "", exitCode: 0 });
  });

  it("throws GitCommandError with the exit code and stderr, or returns them with reject: false", async () => {
    await expect(git(dir, ["rev-parse", "--git-dir"])).rejects.toMatchObject({ exitStatus: 128 });
    await expect(git(dir, ["rev-parse", "--git-dir"])).rejects.toBeInstanceOf(GitCommandError);
    const result = await git(dir, ["rev-parse", "--git-dir"], { reject: false });
    expect(result.exitCode).toBe(128);
    expect(result.stderr).toMatch(/not a git repository/);
  });

  it("kills a child on timeout and on abort", async () => {
    const slow = ["-c", "alias.slow=!sleep 5", "slow"];
    await expect(git(dir, slow, { timeoutMs: 100 })).rejects.toThrow(/timed out after 100 ms/);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(git(dir, slow, { signal: controller.signal })).rejects.toThrow(/cancelled/);
  });

  it("tells a missing binary from a missing directory", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await expect(annex(dir, ["version"])).rejects.toBeInstanceOf(GitAnnexMissingError);
    } finally {
      process.env.PATH = path;
    }
    await expect(git(join(dir, "gone"), ["status"])).rejects.toThrow(/does not exist/);
  });
});
