/**
 * One push from clone A, watched on the hub and in both reacting clones:
 * when the hub's branch took the commit (the ref write, seen by inotify on
 * the hub machine's refs), when A's push returned, and when B1 (git-annex's
 * assistant) and B2 (our listen) had it merged into their checked-out
 * branch. And the push's own cost, to a hub with and without our hook.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import type { Machine } from "../test/support/sshd.js";
import { headRef, waitForQuietRefs, watchCommit } from "./ssh-watch.js";
import { runCli } from "../scripts/lib/cli.js";
import { commitFile, git, type Topology } from "./ssh-setup.js";

export type PushKind = "git push" | "git annex sync" | "git push + old ref";

export interface PushSample {
  kind: PushKind;
  /** A's push (or sync), start to return. */
  pushMs: number;
  pushEnd: number;
  hubAt: number | undefined;
  /** performance.now() of the merge in B1 / B2; undefined: lost (not merged within the timeout). */
  assistantAt: number | undefined;
  oursAt: number | undefined;
  /** When someone else's push (B2's push-back) put the commit on the hub's synced/main; undefined for A's own sync. */
  pushBackAt: number | undefined;
}

const HUB_REFS = ["refs/heads/main", "refs/heads/synced/main", "refs/heads/git-annex", "refs/heads/synced/git-annex", "refs/heads/side"];

/** Waits until the hub's refs stopped moving (push-backs and their own announcements) and no listener syncs. */
export async function waitUntilQuiet(t: Topology, quietMs = 1500): Promise<void> {
  const busy = () => t.listeners.some((l) => l.count(/ sync started: /) > l.count(/ sync (finished|failed)/));
  await waitForQuietRefs(t.hub, HUB_REFS, quietMs, busy);
}

export async function measurePush(t: Topology, index: number, kind: PushKind, timeoutMs: number): Promise<PushSample> {
  await waitUntilQuiet(t);
  const watchMs = 2 * timeoutMs;
  const commit = await commitFile(t.a, t.cloneA, `push-${index}.txt`);
  const ancestorIn = (machine: Machine, repo: string) => async (c: string, head: string) =>
    (await git(machine, repo, ["merge-base", "--is-ancestor", c, head]).catch(() => undefined))?.exitCode === 0;
  const watches = [
    watchCommit({ gitDir: t.hub, refs: ["refs/heads/main", "refs/heads/synced/main"], commit, timeoutMs: watchMs, isAncestor: ancestorIn(t.sshd.hub, t.hub) }),
    watchCommit({ gitDir: t.hub, refs: ["refs/heads/synced/main"], commit, timeoutMs: watchMs, isAncestor: ancestorIn(t.sshd.hub, t.hub) }),
    ...(await Promise.all(
      ([[t.b1, t.cloneB1], [t.b2, t.cloneB2]] as const).map(async ([machine, clone]) => {
        const gitDir = join(clone, ".git");
        return watchCommit({ gitDir, refs: [await headRef(gitDir)], commit, timeoutMs: watchMs, isAncestor: ancestorIn(machine, clone) });
      }),
    )),
  ];
  const args =
    kind === "git annex sync"
      ? ["annex", "sync", "--quiet", "--no-content"]
      : kind === "git push"
        ? ["push", "--quiet", "origin", "main"]
        : ["push", "--quiet", "origin", "main", `+${t.oldCommits[index % 2]}:refs/heads/side`];
  const started = performance.now();
  await git(t.a, t.cloneA, args);
  const pushEnd = performance.now();
  const [hubAt, syncedAt, assistantAt, oursAt] = await Promise.all(watches.map((w) => w.arrived));
  const pushBackAt = kind === "git annex sync" ? undefined : syncedAt;
  // Lost: not merged within timeoutMs of the push's end (a push slowed by the machine's load does not eat into it).
  const inTime = (at: number | undefined) => (at !== undefined && at - pushEnd <= timeoutMs ? at : undefined);
  return { kind, pushMs: pushEnd - started, pushEnd, hubAt, assistantAt: inTime(assistantAt), oursAt: inTime(oursAt), pushBackAt };
}

export type CostRow = "git push over ssh, no hook" | "git push over ssh, our hook" | "ssh hub-ssh true" | "node -e 0";

/**
 * A's plain `git push` over ssh of one tiny commit to two more hubs on the
 * hub machine, one with our hook (it queues the announcement; the hub
 * machine's agent or a detached sender sends it), one without; the order
 * alternates.
 */
export async function measurePushCost(t: Topology, runs: number, warmup: number): Promise<Map<CostRow, number[]>> {
  const hubs: Array<[CostRow, string]> = [];
  for (const [row, name, hook] of [["git push over ssh, no hook", "cost-plain.git", false], ["git push over ssh, our hook", "cost-hooked.git", true]] as const) {
    const dir = join(t.sshd.hub.home, name);
    await execa("git", ["init", "--bare", "--quiet", dir], { env: t.sshd.hub.env, extendEnv: false });
    await git(t.sshd.hub, dir, ["annex", "init", name]);
    if (hook && (await runCli(["install-hooks", "--repo", dir], { env: t.sshd.hub.env })).exitCode !== 0) throw new Error(`install-hooks --repo ${dir} failed`);
    hubs.push([row, t.sshd.url(dir)]);
  }
  const pusher = join(t.a.home, "pusher");
  await execa("git", ["init", "--quiet", pusher], { env: t.a.env, extendEnv: false });
  const timed = async (file: string, args: string[]) => {
    const started = performance.now();
    await execa(file, args, { env: t.a.env, extendEnv: false, stdin: "ignore" });
    return performance.now() - started;
  };
  const samples = new Map<CostRow, number[]>([...hubs.map(([row]) => row), "ssh hub-ssh true" as const, "node -e 0" as const].map((row) => [row, []]));
  for (let round = 0; round < warmup + runs; round++) {
    await commitFile(t.a, pusher, `tiny-${round}.txt`);
    const order = round % 2 === 0 ? hubs : [...hubs].reverse();
    const measured: Array<[CostRow, number]> = [];
    for (const [row, url] of order) measured.push([row, await timed("git", ["-C", pusher, "push", "--quiet", url, "HEAD:refs/heads/main"])]);
    measured.push(["ssh hub-ssh true", await timed("ssh", [t.sshd.hostAlias, "true"])]);
    measured.push(["node -e 0", await timed(process.execPath, ["-e", "0"])]);
    if (round >= warmup) for (const [row, ms] of measured) samples.get(row)!.push(ms);
  }
  return samples;
}
