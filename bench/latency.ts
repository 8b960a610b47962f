/**
 * Push-to-merge latency: clone A commits and runs `git annex sync`; the
 * hub's hook announces it; B's listener syncs. Per run we note when A's sync
 * started and returned, when the commit landed on the hub (before the
 * hub's hook ran) and when B's checked-out branch had it merged.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import type { AnnexSandbox } from "../test/support/annex.js";
import { waitFor } from "../test/support/wait.js";
import { waitForCommit } from "../scripts/lib/arrival.js";
import type { Listener } from "../scripts/lib/cli.js";
import { annexSync, gitDirOf, isAncestor, type Repos } from "../scripts/lib/loop.js";

export interface LatencySample {
  /** A's `git annex sync --no-content`, start to return. */
  syncMs: number;
  /** From A's sync returning to B's merge; negative when B merged first. */
  endToMergeMs: number;
  /** From the commit landing on the hub to B's merge. */
  hubToMergeMs: number;
}

/**
 * Before each run the listener must be idle: B's own sync pushes its merge
 * back to the hub, whose hook announces that too, and B syncs once more.
 */
export async function waitUntilQuiet(b: Listener, quietMs = 1200): Promise<void> {
  let seen = -1;
  let quietSince = performance.now();
  await waitFor(
    () => {
      if (b.exited) throw new Error(`listen exited:\n${b.lines.slice(-10).join("\n")}`);
      if (b.lines.length !== seen) [seen, quietSince] = [b.lines.length, performance.now()];
      const busy = b.count(/ sync started: /) > b.count(/ sync (finished|failed)/);
      return !busy && performance.now() - quietSince >= quietMs;
    },
    { timeoutMs: 60_000, intervalMs: 20, what: "B's listener to go quiet" },
  );
}

export async function measureOnePush(box: AnnexSandbox, repos: Repos, b: Listener, name: string): Promise<LatencySample> {
  const { cloneA, cloneB, hub } = repos;
  await waitUntilQuiet(b);
  await box.addAnnexedFile(cloneA, name, `${name}\n`);
  const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
  const watch = (repo: string, gitDir: string, refs: string[]) =>
    waitForCommit({ gitDir, refs, commit, timeoutMs: 60_000, isAncestor: (c, head) => isAncestor(box, repo, c, head) });
  const onHub = watch(hub, hub, ["refs/heads/synced/main", "refs/heads/main"]);
  const merged = watch(cloneB, await gitDirOf(box, cloneB), ["HEAD"]);
  const started = performance.now();
  const returned = await annexSync(box, cloneA, ["--no-content"]);
  const [hubAt, mergedAt] = await Promise.all([onHub, merged]);
  return { syncMs: returned - started, endToMergeMs: mergedAt - returned, hubToMergeMs: mergedAt - hubAt };
}

/**
 * One plain `git push origin main` from A (one push, one hook run): from
 * the moment it returns to the commit merged in B. `hubElsewhere` gives the
 * hook a state directory of its own, as on a hub that is another machine:
 * no agent holds that queue, so the hook's detached sender logs in and
 * sends it over XMPP; otherwise B's agent sends the entry itself.
 */
export async function measurePlainPush(box: AnnexSandbox, repos: Repos, b: Listener, name: string, hubElsewhere: boolean): Promise<number> {
  const { cloneA, cloneB } = repos;
  await waitUntilQuiet(b);
  await box.addAnnexedFile(cloneA, name, `${name}\n`);
  const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
  const merged = waitForCommit({
    gitDir: await gitDirOf(box, cloneB),
    refs: ["HEAD"],
    commit,
    timeoutMs: 60_000,
    isAncestor: (c, head) => isAncestor(box, cloneB, c, head),
  });
  const env = hubElsewhere ? { ...box.env, XDG_STATE_HOME: join(box.root, "hub-machine-state") } : box.env;
  await promisify(execFile)("git", ["-C", cloneA, "push", "-q", "origin", "main"], { env });
  const returned = performance.now();
  return (await merged) - returned;
}
