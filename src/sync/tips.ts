/**
 * The tips a sync moves: the checked-out branch, the `git-annex` branch and
 * the remote-tracking refs that `git annex sync` merges from each remote
 * (`<remote>/<branch>` and `<remote>/synced/<branch>`).
 */
import { git } from "../git/run.js";

export interface Tips {
  /** Short name of the checked-out branch; undefined when detached or unborn. */
  branch: string | undefined;
  head: string | undefined;
  annexTip: string | undefined;
  /** Full ref name → object id, per remote. */
  remotes: Record<string, Record<string, string>>;
}

/** Two git processes whatever the number of remotes. */
export async function readTips(repo: string, remotes: readonly string[]): Promise<Tips> {
  const symbolic = await git(repo, ["symbolic-ref", "-q", "--short", "HEAD"], { reject: false });
  const branch = symbolic.exitCode === 0 && symbolic.stdout !== "" ? symbolic.stdout : undefined;
  const patterns = ["refs/heads/git-annex", "HEAD"];
  if (branch !== undefined) {
    patterns.push(`refs/heads/${branch}`);
    for (const remote of remotes) patterns.push(`refs/remotes/${remote}/${branch}`, `refs/remotes/${remote}/synced/${branch}`);
  }
  const listed = await git(repo, ["for-each-ref", "--format=%(objectname) %(refname)", ...patterns]);
  const ids = new Map<string, string>();
  for (const line of listed.stdout.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0) ids.set(line.slice(space + 1), line.slice(0, space));
  }
  const tracking: Record<string, Record<string, string>> = {};
  for (const remote of remotes) {
    tracking[remote] = {};
    for (const [ref, id] of ids) if (ref.startsWith(`refs/remotes/${remote}/`)) tracking[remote]![ref] = id;
  }
  const head = branch === undefined ? await detachedHead(repo) : ids.get(`refs/heads/${branch}`);
  return { branch, head, annexTip: ids.get("refs/heads/git-annex"), remotes: tracking };
}

async function detachedHead(repo: string): Promise<string | undefined> {
  const result = await git(repo, ["rev-parse", "-q", "--verify", "HEAD^{commit}"], { reject: false });
  return result.exitCode === 0 ? result.stdout : undefined;
}

/** `old` is `new` or one of its ancestors (a fast-forward, no history lost). */
export async function isAncestor(repo: string, old: string, next: string): Promise<boolean> {
  if (old === next) return true;
  const result = await git(repo, ["merge-base", "--is-ancestor", old, next], { reject: false });
  if (result.exitCode === 0) return true;
  if (result.exitCode === 1) return false;
  // 128: an object is gone (gc after a rewrite): not a fast-forward either.
  return false;
}

export type Ancestry = (old: string, next: string) => Promise<boolean>;

/**
 * isAncestor with each answer kept for the run: the branch and the remote's
 * `<branch>` and `synced/<branch>` usually ask the same question.
 */
export function createAncestry(repo: string): Ancestry {
  const answers = new Map<string, Promise<boolean>>();
  return (old, next) => {
    const question = `${old}..${next}`;
    let answer = answers.get(question);
    if (answer === undefined) answers.set(question, (answer = isAncestor(repo, old, next)));
    return answer;
  };
}

/** Remote-tracking refs that moved to a commit that does not contain the remembered one. */
export async function rewrittenRefs(
  ancestry: Ancestry,
  before: Record<string, Record<string, string>>,
  after: Record<string, Record<string, string>>,
): Promise<string[]> {
  const rewritten: string[] = [];
  for (const [remote, refs] of Object.entries(after)) {
    for (const [ref, id] of Object.entries(refs)) {
      const old = before[remote]?.[ref];
      if (old !== undefined && !(await ancestry(old, id))) rewritten.push(ref.replace(/^refs\/remotes\//, ""));
    }
  }
  return rewritten;
}
