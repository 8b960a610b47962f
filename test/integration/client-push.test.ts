/**
 * A hub without our hook, reached by a local path (issue 10): the clone
 * that pushes announces, as git-annex's assistant did. A's agent announces
 * A's pushes; with no agent in A, the client hook does. The hub and each
 * clone are separate machines (their own XDG_STATE_HOME/XDG_CONFIG_HOME):
 * nothing arrives except over the XMPP server.
 */
import { execa } from "execa";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnnexSandbox } from "../support/annex.js";
import { runCli, type Daemon } from "../support/cli.js";
import { startLoopFixture, waitForQuiet, type LoopFixture } from "../support/loop-fixture.js";
import { observePresences, type ObservedPresence } from "../support/slixmpp.js";

const PASSWORDS = { alice: "alice-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let box: AnnexSandbox;
let hubUuid: string;
let cloneA: string;
let cloneB: string;
let cloneC: string;
const env: Record<string, NodeJS.ProcessEnv> = {};

/** A git command in `repo` as its machine runs it. */
const gitOn = (machine: string, repo: string, args: string[]) =>
  execa("git", ["-C", repo, ...args], { env: env[machine], extendEnv: false, stdin: "ignore" });

async function commitIn(machine: string, repo: string, name: string): Promise<string> {
  await box.addAnnexedFile(repo, name, `content of ${name}\n`);
  return (await gitOn(machine, repo, ["rev-parse", "HEAD"])).stdout.trim();
}

/** A listener in `repo` on its machine, synced and quiet once started. */
async function listenOn(machine: string, repo: string): Promise<Daemon> {
  const daemon = fx.listen(repo, env[machine]);
  await daemon.waitForLine(/sync finished/, { timeoutMs: 60_000 });
  await waitForQuiet([daemon], { quietMs: 1500, timeoutMs: 60_000 });
  return daemon;
}

const isPushOf = (uuid: string) => (p: ObservedPresence) => p.xml.includes(`push="${uuid}"`) || p.xml.includes(`push='${uuid}'`);

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, clones: ["a", "b", "c"], hubUser: "alice" });
  ({ box, hubUuid } = fx);
  [cloneA, cloneB, cloneC] = fx.clones as [string, string, string];
  for (const [name, repo] of [["a", cloneA], ["b", cloneB], ["c", cloneC]] as const) {
    env[name] = await fx.machineEnv(name);
    await fx.useAccount(repo, "alice");
  }
  env.a2 = await fx.machineEnv("a2");
}, 180_000);

afterEach(() => fx?.stopDaemons());
afterAll(() => fx?.stop());

describe("a hub without our hook, by local path", () => {
  it("A's agent announces A's `git annex sync` and a plain `git push`; B merges both", async () => {
    const a = await listenOn("a", cloneA);
    const b = await listenOn("b", cloneB);
    let since = b.lines.length;
    const synced = await commitIn("a", cloneA, "by-sync.txt");
    await gitOn("a", cloneA, ["annex", "sync", "--quiet", "--no-content"]);
    await a.waitForLine(new RegExp(`announced ${hubUuid} `));
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`), { since });
    await fx.merged(cloneB, synced);

    since = b.lines.length;
    const pushed = await commitIn("a", cloneA, "by-push.txt");
    await gitOn("a", cloneA, ["push", "--quiet", "origin", "HEAD"]);
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`), { since });
    await fx.merged(cloneB, pushed);
  });

  it("a commit, a fetch, a checkout and a rebase in A announce nothing", async () => {
    const observer = await observePresences(fx.server.account("alice"));
    try {
      const a = await listenOn("a", cloneA);
      const since = observer.presences.length;
      const logged = a.lines.length;
      // Something new on the hub for A to fetch, from a clone nobody serves.
      const scratch = join(box.root, "scratch");
      await box.git(box.root, ["clone", "--quiet", fx.hub, scratch]);
      await box.addAnnexedFile(scratch, "upstream.txt", "upstream\n");
      await box.git(scratch, ["push", "--quiet", "origin", "HEAD"]);
      await commitIn("a", cloneA, "local.txt");
      await gitOn("a", cloneA, ["fetch", "--quiet", "origin"]);
      await gitOn("a", cloneA, ["checkout", "--quiet", "-b", "topic"]);
      await gitOn("a", cloneA, ["checkout", "--quiet", "-"]);
      const branch = (await gitOn("a", cloneA, ["symbolic-ref", "--short", "HEAD"])).stdout.trim();
      await gitOn("a", cloneA, ["rebase", "--quiet", `origin/${branch}`]);
      // Then a push: the one announcement expected since `since`.
      await gitOn("a", cloneA, ["push", "--quiet", "origin", "HEAD"]);
      await observer.waitFor(isPushOf(hubUuid), 30_000, { since, what: "the push's announcement" });
      expect(observer.presences.slice(since).filter(isPushOf(hubUuid))).toHaveLength(1);
      // Nothing else was queued (a queued fetch would have merged into that presence).
      expect(a.count(/own pushes: queued/, logged)).toBe(1);
    } finally {
      await observer.stop();
    }
  });

  it("with no agent in A, `install-hooks --client` makes a plain `git push` announce", async () => {
    const b = await listenOn("b", cloneB);
    await gitOn("a2", cloneA, ["annex", "sync", "--quiet", "--no-push", "--no-content"]);
    const installed = await runCli(["install-hooks", "--client", "--repo", cloneA], { env: env.a2! });
    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(installed.stdout).toContain("reference-transaction: created");
    try {
      const since = b.lines.length;
      const commit = await commitIn("a2", cloneA, "by-hook.txt");
      await gitOn("a2", cloneA, ["push", "--quiet", "origin", "HEAD"]);
      await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`), { since, timeoutMs: 30_000 });
      await fx.merged(cloneB, commit);
    } finally {
      const removed = await runCli(["uninstall-hooks", "--repo", cloneA], { env: env.a2! });
      expect(removed.stdout).toContain("reference-transaction: removed");
    }
  });

  it("a remote whose name holds a slash: the client hook and the agent announce its pushes under that remote", async () => {
    const b = await listenOn("b", cloneB);
    // The same hub under a second name, "nas/hub": its tracking refs are refs/remotes/nas/hub/<branch>.
    await gitOn("a2", cloneA, ["remote", "add", "nas/hub", fx.hub]);
    try {
      await gitOn("a2", cloneA, ["annex", "sync", "--quiet", "--no-content", "nas/hub"]);
      expect((await gitOn("a2", cloneA, ["config", "remote.nas/hub.annex-uuid"])).stdout.trim()).toBe(hubUuid);
      const installed = await runCli(["install-hooks", "--client", "--repo", cloneA], { env: env.a2! });
      expect(installed.exitCode, installed.stderr).toBe(0);
      let since = b.lines.length;
      const byHook = await commitIn("a2", cloneA, "slash-hook.txt");
      await gitOn("a2", cloneA, ["push", "--quiet", "nas/hub", "HEAD"]);
      await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`), { since, timeoutMs: 30_000 });
      await fx.merged(cloneB, byHook);
      await runCli(["uninstall-hooks", "--repo", cloneA], { env: env.a2! });

      const a = await listenOn("a", cloneA);
      since = b.lines.length;
      const byAgent = await commitIn("a", cloneA, "slash-agent.txt");
      await gitOn("a", cloneA, ["push", "--quiet", "nas/hub", "HEAD"]);
      await a.waitForLine(/own pushes: queued \d+ ref\(s\) pushed to nas\/hub/);
      await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`), { since, timeoutMs: 30_000 });
      await fx.merged(cloneB, byAgent);
    } finally {
      await runCli(["uninstall-hooks", "--repo", cloneA], { env: env.a2! });
      await gitOn("a2", cloneA, ["remote", "remove", "nas/hub"]);
    }
  });

  it("a clone with both the client hook and an agent announces each push once: the hook's entry, which the agent sends", async () => {
    const a = await listenOn("a", cloneA);
    const b = await listenOn("b", cloneB);
    const installed = await runCli(["install-hooks", "--client", "--repo", cloneA], { env: env.a! });
    expect(installed.exitCode, installed.stderr).toBe(0);
    try {
      const [sinceA, sinceB] = [a.lines.length, b.lines.length];
      const commit = await commitIn("a", cloneA, "hook-and-agent.txt");
      await gitOn("a", cloneA, ["push", "--quiet", "origin", "HEAD"]);
      await fx.merged(cloneB, commit);
      await a.waitForLine(/own pushes: .* has the client hook/, { since: sinceA });
      await waitForQuiet([a, b], { quietMs: 1500, timeoutMs: 60_000 });
      expect(a.count(/own pushes: queued/, sinceA)).toBe(0);
      expect(b.count(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`), sinceB)).toBe(1);
    } finally {
      await runCli(["uninstall-hooks", "--repo", cloneA], { env: env.a! });
    }
  });

  it("three clones with agents converge after one push, with a bounded number of syncs", async () => {
    const daemons = [await listenOn("a", cloneA), await listenOn("b", cloneB), await listenOn("c", cloneC)];
    const since = daemons.map((d) => d.lines.length);
    const commit = await commitIn("a", cloneA, "three.txt");
    await gitOn("a", cloneA, ["annex", "sync", "--quiet", "--no-content"]);
    await fx.merged(cloneB, commit);
    await fx.merged(cloneC, commit);
    await waitForQuiet(daemons, { quietMs: 3000, timeoutMs: 90_000 });
    const syncs = daemons.map((d, i) => d.count(/ sync started: /, since[i]));
    console.log(`three clones, one push: syncs per clone ${syncs.join(", ")}`);
    expect(syncs.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(6);
  });
});

describe("the hub's hook and the pushing clone announcing together", () => {
  it("B syncs once per push, whether one or both announcements reach it (ref-aware skip)", async () => {
    const installed = await fx.installHooks();
    expect(installed.exitCode, installed.stderr).toBe(0);
    const a = await listenOn("a", cloneA);
    const b = await listenOn("b", cloneB);
    const since = b.lines.length;
    const pushes = 3;
    for (let i = 0; i < pushes; i++) {
      const seen = b.lines.length;
      const commit = await commitIn("a", cloneA, `both-${i}.txt`);
      // The hub's hook runs with the hub machine's environment, as on another machine.
      await execa("git", ["-C", cloneA, "push", "--quiet", "origin", "HEAD"], { env: fx.hubMachineEnv, extendEnv: false, stdin: "ignore" });
      await fx.merged(cloneB, commit);
      // The hub's announcement, and A's unless A's agent heard the hub's first (the quiet wire: the same refs
      // at the same commits from the same account are no news), arrived before the next push.
      await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`), { since: seen, timeoutMs: 30_000 });
      await waitForQuiet([a, b], { quietMs: 2000, timeoutMs: 60_000 });
      const heard = b.count(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid}`), seen);
      expect(heard).toBeGreaterThanOrEqual(1);
      expect(heard).toBeLessThanOrEqual(2);
    }
    expect(b.count(/ sync started: /, since)).toBe(pushes);
  });
});
