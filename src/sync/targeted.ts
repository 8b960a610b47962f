/**
 * One sync of the listener: pull, work out what the pull brought, run the
 * transfers `git annex sync --content` would run for exactly that (or for
 * everything, when the targeted scan cannot be trusted), push, remember.
 */
import { listAnnexRemotes } from "../git/remotes.js";
import type { Logger } from "../log.js";
import { annexedBlobs, changedAnnexedPaths, changedLocationKeys, type TreeChanges } from "./changes.js";
import { listTree, pathsForKeysIn } from "./key-paths.js";
import { planScan, type ScanPlan } from "./plan.js";
import { formatSummary, type TransferProgress } from "./progress.js";
import type { ProgressSink } from "./progress-line.js";
import { pullRemotes, pushRemotes, type PullMethod } from "./pull.js";
import { loadSyncState, saveSyncState, type SyncState } from "./state.js";
import { createAncestry, readTips, rewrittenRefs, type Tips } from "./tips.js";
import { runTransfers, type TransferTarget } from "./transfer.js";
import { describeOutcome, recordOutcome, triedBy, type Outcome } from "./waiting.js";

export interface TargetedSyncDeps {
  /** Work tree top level and git directory of the listening clone. */
  repo: { dir: string; gitDir: string; annexUuid?: string | undefined };
  log: Logger;
  /** Extra arguments for the `git annex sync` that pulls and pushes. */
  syncArgs: readonly string[];
  fullScanEveryMs: number;
  /** How to pull; "git" (a fast-forward, else `git annex sync`) unless told. */
  pullMethod?: PullMethod;
  now?: () => number;
  /** Where transfer progress goes (a terminal line); nowhere when undefined. */
  progress?: ProgressSink;
}

export type TargetedSync = (remotes: readonly string[], signal?: AbortSignal) => Promise<void>;

export function createTargetedSync(deps: TargetedSyncDeps): TargetedSync {
  const now = deps.now ?? Date.now;
  const { dir, gitDir } = deps.repo;
  return async (remotes, signal) => {
    const state = await loadSyncState(gitDir);
    const clock = startClock();
    const known = await listAnnexRemotes(dir);
    const pulled = await pullRemotes(dir, remotes, deps.pullMethod ?? "git", { syncArgs: deps.syncArgs, signal, remotes: known });
    if (pulled.method === "annex") deps.log.debug(`pulled with git annex sync: ${pulled.reason}`);
    const pullMs = clock();
    const after = await readTips(dir, remotes);
    const { plan, target, gone } = await decide(dir, state, after, remotes, { now: now(), everyMs: deps.fullScanEveryMs });
    if (plan.kind === "full") deps.log.info(`full transfer scan: ${plan.reason}`);
    const scanMs = clock();
    // git-annex records a remote's UUID when it first talks to it, which only sync does here.
    const allRemotes = pulled.method === "annex" || known.some((r) => r.uuid === undefined) ? await listAnnexRemotes(dir) : known;
    const onProgress = deps.progress && ((p: TransferProgress) => deps.progress!.update(p));
    const transfers = { remotes: allRemotes, signal, onProgress, gitDir, here: deps.repo.annexUuid };
    const summary = await runTransfers(dir, target, transfers).finally(() => deps.progress?.end());
    const transferMs = clock();
    await pushRemotes(dir, remotes, { syncArgs: deps.syncArgs, signal });
    const pushMs = clock();
    const final = await readTips(dir, remotes);
    // Records of files no longer in the tree (deleted, renamed) are settled: nothing left to move for them.
    const tried = triedBy(target, [...state.pending, ...gone], summary.cutShort);
    const outcome = recordOutcome(state, { tried, failed: summary.failed, waiting: summary.waiting, now: new Date(now()).toISOString() });
    // A full scan cut short is not done: the next sync that is due one runs it again.
    await saveSyncState(gitDir, nextState(state, final, summary.cutShort ? { kind: "targeted" } : plan, outcome, now()));
    const paths = target === "all" ? undefined : target.size;
    deps.log.info(formatSummary(summary, { scan: plan.kind, paths, pullMs, scanMs, transferMs, pushMs }));
    for (const line of describeOutcome(outcome)) deps.log.warn(line);
  };
}

/** Milliseconds since the previous call. */
function startClock(): () => number {
  let last = performance.now();
  return () => {
    const at = performance.now();
    const elapsed = Math.round(at - last);
    last = at;
    return elapsed;
  };
}

interface Decision {
  plan: ScanPlan;
  target: TransferTarget;
  /** Files with a failure or waiting record that the tree no longer has. */
  gone: string[];
}

async function decide(
  dir: string,
  state: SyncState,
  after: Tips,
  remotes: readonly string[],
  clock: { now: number; everyMs: number },
): Promise<Decision> {
  const full = (plan: ScanPlan): Decision => ({ plan, target: "all", gone: [] });
  const base = { state, remotes, now: clock.now, fullScanEveryMs: clock.everyMs };
  if (state.head === undefined || state.annexTip === undefined || after.head === undefined || after.annexTip === undefined) {
    return full(planScan({ ...base, headFastForward: false, annexFastForward: false, rewrittenRefs: [], policyChanged: false }));
  }
  const ancestry = createAncestry(dir);
  const headFastForward = await ancestry(state.head, after.head);
  const annexFastForward = await ancestry(state.annexTip, after.annexTip);
  const rewritten = await rewrittenRefs(ancestry, state.remotes, after.remotes);
  const location = annexFastForward ? await changedLocationKeys(dir, state.annexTip, after.annexTip) : undefined;
  const tree = headFastForward ? await changedAnnexedPaths(dir, state.head, after.head) : undefined;
  const policyChanged = (location?.policyChanged ?? false) || (tree?.attributesChanged ?? false);
  const plan = planScan({ ...base, headFastForward, annexFastForward, rewrittenRefs: rewritten, policyChanged });
  if (plan.kind === "full" || location === undefined || tree === undefined) return full(plan);
  return { plan, ...(await targetPaths(dir, state, after.head, tree, location.keys)) };
}

/**
 * The paths left over from failed runs, the changed annexed paths, and every
 * path of every key concerned: the keys of changed, removed and left-over
 * paths and the keys whose location log or metadata changed. sync --content
 * decides a key's drop on all its paths, so each of them is re-checked. A
 * left-over path that is no longer an annexed file has nothing to move.
 * With them, the recorded files the tree no longer has: a file can only
 * leave it by a change that removed a key, which lists the tree anyway.
 */
async function targetPaths(dir: string, state: SyncState, head: string, tree: TreeChanges, keys: Set<string>): Promise<Pick<Decision, "target" | "gone">> {
  const target = new Map<string, string>();
  for (const [path, key] of tree.paths) {
    target.set(path, key);
    keys.add(key);
  }
  for (const key of tree.oldKeys) keys.add(key);
  const pending = new Set(state.pending.filter((path) => !target.has(path)));
  if (keys.size === 0 && pending.size === 0) return { target, gone: [] };
  const entries = await listTree(dir, head);
  const inTree = new Set(entries.map((e) => e.path));
  const gone = [...Object.keys(state.failures), ...Object.keys(state.waiting)].filter((path) => !inTree.has(path));
  for (const [path, key] of await annexedBlobs(dir, entries.filter((e) => pending.has(e.path)))) {
    target.set(path, key);
    keys.add(key);
  }
  for (const [path, key] of pathsForKeysIn(entries, keys)) target.set(path, key);
  return { target, gone };
}

function nextState(state: SyncState, tips: Tips, plan: ScanPlan, outcome: Outcome, now: number): SyncState {
  return {
    version: 1,
    head: tips.head,
    annexTip: tips.annexTip,
    remotes: { ...state.remotes, ...tips.remotes },
    // Failures of a full scan are in `pending` (by path) and retried like any other.
    lastFullScan: plan.kind === "full" ? now : state.lastFullScan,
    pending: Object.keys(outcome.failures).sort(),
    failures: outcome.failures,
    waiting: outcome.waiting,
  };
}
