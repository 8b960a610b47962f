/**
 * Pulling and pushing around the targeted scan. The pull brings the
 * remotes' branches and `git-annex` branch in and merges them; the push
 * (after the transfers, so the location logs they wrote go out in the same
 * push) sends back what `git annex sync` sends: `<branch>` to
 * `synced/<branch>` and `<branch>`, and the `git-annex` branch.
 */
import { annex, git } from "../git/run.js";

/**
 * "annex": `git annex sync --no-content --no-push`, which also commits
 * (annex.autocommit) and resolves merge conflicts as sync does.
 * "git": `git fetch` + `git merge` + `git annex merge`; no commit step.
 */
export type PullMethod = "annex" | "git";

export interface PullOptions {
  syncArgs: readonly string[];
  signal?: AbortSignal;
}

export async function pullRemotes(repo: string, remotes: readonly string[], method: PullMethod, options: PullOptions): Promise<void> {
  if (method === "annex") {
    await annex(repo, ["sync", ...options.syncArgs, "--no-content", "--no-push", "--quiet", ...remotes], { signal: options.signal });
    return;
  }
  await git(repo, ["fetch", "--quiet", "--multiple", ...remotes], { signal: options.signal });
  const branch = await git(repo, ["symbolic-ref", "-q", "--short", "HEAD"], { reject: false });
  if (branch.exitCode === 0 && branch.stdout !== "") {
    const candidates = remotes.flatMap((r) => [`refs/remotes/${r}/${branch.stdout}`, `refs/remotes/${r}/synced/${branch.stdout}`]);
    const existing = await git(repo, ["for-each-ref", "--format=%(refname)", ...candidates]);
    const refs = existing.stdout.split("\n").filter(Boolean);
    if (refs.length > 0) await git(repo, ["merge", "--quiet", "--no-edit", ...refs], { signal: options.signal });
  }
  await annex(repo, ["merge", "--quiet"], { signal: options.signal });
}

/** Push back as `git annex sync` does, without pulling again or touching content. */
export async function pushRemotes(repo: string, remotes: readonly string[], options: PullOptions): Promise<void> {
  await annex(repo, ["sync", ...options.syncArgs, "--no-content", "--no-pull", "--quiet", ...remotes], { signal: options.signal });
}
