/**
 * A hub without our hook reached over ssh (issue 10): a private sshd
 * (test/support/sshd.ts), the hub on its machine running nothing of ours,
 * clones A and B on machines of their own, each with its agent. A's agent
 * announces A's `git annex sync` and a plain `git push`; B merges.
 */
import { execa } from "execa";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startLoopFixture, waitForQuiet, type LoopFixture } from "../support/loop-fixture.js";
import { sshClones, type SshClones } from "../support/ssh-clones.js";
import { startSshd, type Sshd } from "../support/sshd.js";

const PASSWORDS = { alice: "alice-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let sshd: Sshd;
let hubUuid: string;
let cloneA: string;
let cloneB: string;

let clones: SshClones;
let env: SshClones["env"];
const gitIn: SshClones["gitIn"] = (...args) => clones.gitIn(...args);
const commitIn: SshClones["commitIn"] = (...args) => clones.commitIn(...args);

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, clones: [], hubUser: "alice" });
  sshd = await startSshd({ dir: join(fx.box.root, "sshd") });
  clones = sshClones(fx, sshd, "alice");
  env = clones.env;
  const hubDir = join(sshd.hub.home, "hub.git");
  const onHub = (args: string[]) => execa("git", args, { env: sshd.hub.env, extendEnv: false, stdin: "ignore" });
  await onHub(["init", "--bare", "--quiet", hubDir]);
  await onHub(["-C", hubDir, "annex", "init", "hub"]);
  hubUuid = (await onHub(["-C", hubDir, "config", "annex.uuid"])).stdout.trim();
  cloneA = await clones.cloneOn("a", await sshd.machine("a"), hubDir, { first: "zero.txt" });
  cloneB = await clones.cloneOn("b", await sshd.machine("b"), hubDir);
}, 180_000);

afterEach(() => fx?.stopDaemons());
afterAll(async () => {
  await sshd?.stop();
  await fx?.stop();
});

describe("a hub without our hook, over ssh", () => {
  it("A's agent announces A's `git annex sync` and a plain `git push`; B merges both", async () => {
    const a = fx.listen(cloneA, env.a);
    const b = fx.listen(cloneB, env.b);
    for (const daemon of [a, b]) await daemon.waitForLine(/sync finished/, { timeoutMs: 60_000 });
    await waitForQuiet([a, b], { quietMs: 1500, timeoutMs: 60_000 });
    const announced = new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`);

    let since = b.lines.length;
    const synced = await commitIn("a", cloneA, "by-sync.txt");
    await gitIn("a", cloneA, ["annex", "sync", "--quiet", "--no-content"]);
    await b.waitForLine(announced, { since, timeoutMs: 30_000 });
    await fx.merged(cloneB, synced, 60_000);

    since = b.lines.length;
    const pushed = await commitIn("a", cloneA, "by-push.txt");
    await gitIn("a", cloneA, ["push", "--quiet", "origin", "HEAD"]);
    await b.waitForLine(announced, { since, timeoutMs: 30_000 });
    await fx.merged(cloneB, pushed, 60_000);
    expect(a.count(new RegExp(`announced ${hubUuid} `))).toBeGreaterThanOrEqual(2);
  });

  it("with no agent in A, the client hook makes a plain `git push` over ssh announce", async () => {
    const b = fx.listen(cloneB, env.b);
    await b.waitForLine(/sync finished/, { timeoutMs: 60_000 });
    await waitForQuiet([b], { quietMs: 1500, timeoutMs: 60_000 });
    const installed = await runCli(["install-hooks", "--client", "--repo", cloneA], { env: env.a! });
    expect(installed.exitCode, installed.stderr).toBe(0);
    const since = b.lines.length;
    const pushed = await commitIn("a", cloneA, "by-hook.txt");
    await gitIn("a", cloneA, ["push", "--quiet", "origin", "HEAD"]);
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`), { since, timeoutMs: 30_000 });
    await fx.merged(cloneB, pushed, 60_000);
  });
});
