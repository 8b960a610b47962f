/**
 * Pulling and pushing around the targeted scan. The pull brings the
 * remotes' branches and `git-annex` branch in and merges them; the push
 * (after the transfers, so the location logs they wrote go out in the same
 * push) sends back what `git annex sync` sends: `<branch>` to
 * `synced/<branch>` and `<branch>`, and the `git-annex` branch.
 */
import { annex, git } from "../git/run.js";
import type { AnnexRemote } from "../git/remotes.js";
import { sshCachingEnv } from "./ssh-cache.js";

/**
 * "git" (the default): `git fetch`, `git merge --ff-only` and
 * `git annex merge`, whenever that is all `git annex sync` would do (see
 * planFastPull); otherwise, and whenever the fast-forward fails, "annex".
 * "annex": always `git annex sync --no-content --no-push`, which also
 * commits the work tree (annex.autocommit) and resolves merge conflicts.
 */
export type PullMethod = "annex" | "git";

export interface PullOptions {
  syncArgs: readonly string[];
  signal?: AbortSignal;
}

export interface PullContext extends PullOptions {
  /** The repository's remotes, as `listAnnexRemotes` reads them. */
  remotes: readonly AnnexRemote[];
}

/** What one pull did: the fast path, or `git annex sync` and why. */
export type PullOutcome = { method: "git" } | { method: "annex"; reason: string };

export interface FastPullFacts {
  /** The checked-out branch; undefined when detached or unborn. */
  branch: string | undefined;
  /** annex.synconlyannex is true. */
  onlyAnnex: boolean;
  syncArgs: readonly string[];
  /** The remotes to pull, by name, and all the repository's remotes. */
  names: readonly string[];
  remotes: readonly AnnexRemote[];
}

export type FastPullPlan = { fast: true; fetch: string[] } | { fast: false; reason: string };

/**
 * Whether `git fetch` + `git merge --ff-only` + `git annex merge` does all
 * that `git annex sync --no-content --no-push` would. Sync fetches each
 * named git remote whose annex-pull is not false, commits the work tree,
 * merges `synced/<branch>` and each remote's `<branch>` and
 * `synced/<branch>`, then the `git-annex` branches. When those merges are a
 * fast-forward there is nothing to resolve and the commit can wait: the push
 * (`git annex sync --no-pull`) commits local changes, and a fast-forward
 * that would overwrite them fails without touching anything, so the caller
 * falls back to sync. Anything this function does not know to be plain
 * goes to sync: extra sync arguments, an adjusted or view branch (git-annex
 * merges into those its own way), only-annex mode, a remote that is not a
 * git remote.
 */
export function planFastPull(facts: FastPullFacts): FastPullPlan {
  if (facts.syncArgs.length > 0) return { fast: false, reason: "custom git annex sync arguments" };
  if (facts.branch === undefined) return { fast: false, reason: "no branch checked out" };
  if (/^(adjusted|views)\//.test(facts.branch)) return { fast: false, reason: `${facts.branch} is managed by git-annex` };
  if (facts.onlyAnnex) return { fast: false, reason: "annex.synconlyannex is set" };
  const fetch: string[] = [];
  for (const name of facts.names) {
    const remote = facts.remotes.find((r) => r.name === name);
    if (remote?.url === undefined) return { fast: false, reason: `${name} is not a git remote` };
    if (remote.pull) fetch.push(name);
  }
  return { fast: true, fetch };
}

export async function pullRemotes(repo: string, names: readonly string[], method: PullMethod, context: PullContext): Promise<PullOutcome> {
  const sync = async (reason: string): Promise<PullOutcome> => {
    await annex(repo, ["sync", ...context.syncArgs, "--no-content", "--no-push", "--quiet", ...names], { signal: context.signal });
    return { method: "annex", reason };
  };
  if (method === "annex") return sync("pull method annex");
  const [symbolic, onlyAnnex, sshEnv] = await Promise.all([
    git(repo, ["symbolic-ref", "-q", "--short", "HEAD"], { reject: false }),
    git(repo, ["config", "--type=bool", "--get", "annex.synconlyannex"], { reject: false }),
    sshCachingEnv(repo),
  ]);
  const branch = symbolic.exitCode === 0 && symbolic.stdout !== "" ? symbolic.stdout : undefined;
  const plan = planFastPull({ branch, onlyAnnex: onlyAnnex.stdout === "true", syncArgs: context.syncArgs, names, remotes: context.remotes });
  if (!plan.fast) return sync(plan.reason);
  if (plan.fetch.length > 0) await git(repo, ["fetch", "--quiet", "--multiple", ...plan.fetch], { signal: context.signal, env: sshEnv });
  const candidates = [`refs/heads/synced/${branch}`, ...plan.fetch.flatMap((r) => [`refs/remotes/${r}/${branch}`, `refs/remotes/${r}/synced/${branch}`])];
  const existing = await git(repo, ["for-each-ref", "--format=%(refname)", ...candidates]);
  const refs = existing.stdout.split("\n").filter(Boolean);
  if (refs.length > 0) {
    const merged = await git(repo, ["merge", "--ff-only", "--quiet", ...refs], { reject: false, signal: context.signal });
    if (merged.exitCode !== 0) return sync("not a fast-forward");
  }
  await annex(repo, ["merge", "--quiet"], { signal: context.signal });
  return { method: "git" };
}

/**
 * Push back as `git annex sync` does, without pulling again or touching
 * content. Its commit step runs `git commit -a`, which refreshes the whole
 * index and starts git-annex's pre-commit hook even when nothing changed;
 * when HEAD, the index and the work tree agree (`git diff-index` finds no
 * difference; stale stat data only makes it report one), there is nothing
 * to commit and `--no-commit` skips that step.
 */
export async function pushRemotes(repo: string, remotes: readonly string[], options: PullOptions): Promise<void> {
  const clean = await git(repo, ["diff-index", "--quiet", "HEAD", "--"], { reject: false });
  const commit = clean.exitCode === 0 ? ["--no-commit"] : [];
  await annex(repo, ["sync", ...options.syncArgs, ...commit, "--no-content", "--no-pull", "--quiet", ...remotes], { signal: options.signal });
}
