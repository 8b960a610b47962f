/**
 * What a user sees while content arrives, with real components: the hub
 * is another machine (its hook's sender announces), B's agent runs on a
 * machine of its own. A 40 MB file comes from a directory special remote
 * read at git-annex's own bandwidth limit (annex-bwlimit), so its transfer
 * lasts seconds: progress lines reach B's log before it ends, and
 * `status --json` shows the running sync with bytes done. A file whose
 * content nobody reachable has is reported once as waiting for content,
 * not retried and warned about on every sync, and fetched once a
 * repository that has it says so; a failing copy is named once with
 * git-annex's reason, and `status` lists it.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnnexSandbox } from "../support/annex.js";
import { runCli, type Daemon } from "../support/cli.js";
import { startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import { waitFor } from "../support/wait.js";

const PASSWORDS = { alice: "alice-pw" };
const BIG = 40_000_000;

let fx: LoopFixture<keyof typeof PASSWORDS>;
let box: AnnexSandbox;
let cloneA: string;
let cloneB: string;
let bEnv: NodeJS.ProcessEnv;
let b: Daemon;

interface StatusJson {
  agent: { repository: { syncing: { progress: { bytesDone: number; bytesTotal: number; filesTotal: number; current: { file: string } | null } | null } | null } | null } | null;
  lastSync: { failures: Array<{ file: string; step: string; remote: string; reason: string }>; waiting: Array<{ file: string; reason: string }> } | null;
}

async function statusOfB(): Promise<StatusJson> {
  const result = await runCli(["status", "--json", "--repo", cloneB], { env: bEnv });
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as StatusJson;
}

/** A commits what it added and pushes to the hub, whose hook runs as on the hub's own machine. */
async function pushFromA(): Promise<void> {
  await execa("git", ["-C", cloneA, "annex", "sync", "--quiet", "--no-content", "origin"], { env: fx.hubMachineEnv, extendEnv: false, stdin: "ignore" });
}

async function addInA(name: string, content: string | Uint8Array, toSpecialRemote: boolean): Promise<void> {
  await box.addAnnexedFile(cloneA, name, content);
  if (toSpecialRemote) await box.git(cloneA, ["annex", "copy", "--quiet", "--to", "dirremote", name]);
}

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, clones: ["a", "b"], hubUser: "alice" });
  box = fx.box;
  [cloneA, cloneB] = fx.clones as [string, string];
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
  const special = join(box.root, "special");
  await mkdir(special);
  await box.git(cloneA, ["annex", "initremote", "dirremote", "type=directory", `directory=${special}`, "encryption=none"]);
  await box.git(cloneA, ["annex", "sync", "--quiet", "--no-content", "origin"]);
  await box.git(cloneB, ["annex", "sync", "--quiet", "--no-content", "origin"]);
  await box.git(cloneB, ["annex", "enableremote", "dirremote", `directory=${special}`]);
  // git-annex's own limit: 8 MiB/s makes the 40 MB get last about five seconds.
  await box.git(cloneB, ["config", "remote.dirremote.annex-bwlimit", "8MiB"]);
  bEnv = await fx.machineEnv("b");
  await fx.useAccount(cloneB, "alice");
  b = fx.listen(cloneB, bEnv);
  await b.waitForLine(/sync finished/, { timeoutMs: 60_000 });
}, 180_000);

afterAll(async () => {
  await fx?.stopDaemons();
  await fx?.stop();
});

describe("a large file arriving", () => {
  it("shows progress in the log before the transfer ends, and in status --json with bytes done", async () => {
    const since = b.lines.length;
    await addInA("big.bin", randomBytes(BIG), true);
    await pushFromA();
    // status while the get runs: the running sync, its step, the file, bytes done so far.
    let seen: NonNullable<NonNullable<NonNullable<StatusJson["agent"]>["repository"]>["syncing"]>["progress"] = null;
    await waitFor(
      async () => {
        const progress = (await statusOfB()).agent?.repository?.syncing?.progress ?? null;
        if (progress && progress.bytesDone > 0 && progress.bytesDone < progress.bytesTotal && progress.current?.file === "big.bin") seen = progress;
        return seen !== null;
      },
      { what: "status --json showing big.bin's transfer under way", timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(seen!.bytesTotal).toBe(BIG);
    expect(seen!.filesTotal).toBe(1);
    const summary = await b.waitForLine(/transfers \(targeted scan/, { since, timeoutMs: 60_000 });
    expect(summary).toMatch(/got 1,/);
    const lines = b.lines.slice(since);
    const progressAt = lines.findIndex((l) => /progress: get from dirremote: 0 of 1 files, [\d.]+ MiB of 38\.1 MiB.*now big\.bin \d+%/.test(l));
    expect(progressAt, lines.join("\n")).toBeGreaterThanOrEqual(0);
    expect(progressAt).toBeLessThan(lines.findIndex((l) => /transfers \(targeted scan/.test(l)));
    expect(await box.gitOut(cloneB, ["annex", "find", "--in", "here", "big.bin"])).toBe("big.bin");
  }, 120_000);
});

describe("content nobody reachable has, and a failing copy", () => {
  it("waits for content with one report, names the failure once, and fetches the content once someone has it", async () => {
    // B's backup remote wants everything, and its directory is gone: every copy there fails.
    const backup = join(box.root, "backup");
    await mkdir(backup);
    await box.git(cloneB, ["annex", "initremote", "backup", "type=directory", `directory=${backup}`, "encryption=none"]);
    await rm(backup, { recursive: true });
    let since = b.lines.length;
    // lost.bin's content stays in A, which is no remote of B.
    await addInA("lost.bin", "only in A\n", false);
    await addInA("one.txt", "one\n", true);
    await pushFromA();
    // The sync's warnings come after its summary line and before its end.
    await b.waitForLine(/sync finished/, { since, timeoutMs: 60_000 });
    let lines = b.lines.slice(since);
    expect(lines.filter((l) => /waiting for content: 1 file\(s\) no reachable remote has \(lost\.bin: not available\)/.test(l)), lines.join("\n")).toHaveLength(1);
    expect(lines.filter((l) => /transfer failed: copy one\.txt to backup: /.test(l)), lines.join("\n")).toHaveLength(1);
    expect(lines.some((l) => /transfer failed: .*lost\.bin/.test(l))).toBe(false);
    const status = await statusOfB();
    // zero.txt (the fixture's first file, its content only in A) has waited since B's first sync: told then, not again.
    expect(status.lastSync!.waiting.map((w) => w.file)).toEqual(["lost.bin", "zero.txt"]);
    expect(status.lastSync!.failures.map((f) => [f.file, f.step, f.remote])).toContainEqual(["one.txt", "copy", "backup"]);
    const human = await runCli(["status", "--repo", cloneB], { env: bEnv });
    expect(human.stdout).toMatch(/waiting: +2 file\(s\)\n {2}lost\.bin: no reachable remote has its content/);
    expect(human.stdout).toMatch(/failed: .*\n(.*\n)* {2}copy one\.txt to backup: /);

    // Another push: the copy is retried and fails again (not told again); lost.bin is not retried.
    since = b.lines.length;
    await addInA("two.txt", "two\n", true);
    await pushFromA();
    await b.waitForLine(/sync finished/, { since, timeoutMs: 60_000 });
    lines = b.lines.slice(since);
    expect(lines.filter((l) => /waiting for content|transfer failed: copy one\.txt/.test(l)), lines.join("\n")).toEqual([]);
    expect(lines.filter((l) => /transfer failed: copy two\.txt to backup/.test(l))).toHaveLength(1);

    // A puts lost.bin's content in the special remote: its location log changes, B fetches it.
    since = b.lines.length;
    await box.git(cloneA, ["annex", "copy", "--quiet", "--to", "dirremote", "lost.bin"]);
    await pushFromA();
    await waitFor(async () => (await box.gitOut(cloneB, ["annex", "find", "--in", "here", "lost.bin"])) === "lost.bin", {
      what: "lost.bin fetched by B",
      timeoutMs: 60_000,
    });
    await b.waitForLine(/transfers \(targeted scan/, { since, timeoutMs: 60_000 });
    expect((await statusOfB()).lastSync!.waiting.map((w) => w.file)).toEqual(["zero.txt"]);

    // A file that waited and is then deleted leaves the record with the sync that removes it.
    since = b.lines.length;
    await box.git(cloneA, ["rm", "--quiet", "zero.txt"]);
    await box.git(cloneA, ["commit", "--quiet", "-m", "zero.txt goes"]);
    await pushFromA();
    await b.waitForLine(/transfers \(targeted scan/, { since, timeoutMs: 60_000 });
    expect((await statusOfB()).lastSync!.waiting).toEqual([]);
  }, 180_000);
});
