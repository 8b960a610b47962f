/**
 * Which repository a command acts on, and small read-only queries on it.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { NotAnnexRepoError } from "../errors.js";
import { annex, git } from "./run.js";

export { listAnnexRemotes, parseRemoteConfig, remotesForUuids, parseGitBoolean } from "./remotes.js";
export type { AnnexRemote } from "./remotes.js";

export interface RepoInfo {
  /** The work tree's top level, or the git directory of a bare repository; absolute. */
  dir: string;
  /** The git directory; absolute. */
  gitDir: string;
  bare: boolean;
  /** `annex.uuid`; undefined until `git annex init`. */
  annexUuid: string | undefined;
}

/**
 * Resolve `dir` (any directory inside a work tree, a bare repository, or a
 * git directory, as a hook's cwd is) to its repository.
 */
export async function resolveRepo(dir: string): Promise<RepoInfo> {
  const found = await locateRepo(dir);
  return { ...found, annexUuid: await readAnnexUuid(found.dir) };
}

/** resolveRepo without the annex UUID: a caller can read it (readAnnexUuid) alongside other work. */
export async function locateRepo(dir: string): Promise<Omit<RepoInfo, "annexUuid">> {
  const absolute = path.resolve(dir);
  const isDirectory = await stat(absolute).then((s) => s.isDirectory(), () => false);
  if (!isDirectory) throw new NotAnnexRepoError(absolute, "no such directory");

  const probe = await git(absolute, ["rev-parse", "--is-bare-repository", "--is-inside-work-tree", "--absolute-git-dir"], {
    reject: false,
  });
  if (probe.exitCode !== 0) throw new NotAnnexRepoError(absolute, describeRevParseFailure(probe.stderr));
  const [bareText, insideText, gitDir = ""] = probe.stdout.split("\n");
  const bare = bareText === "true";

  let top = gitDir;
  if (!bare) {
    top = insideText === "true" ? await showToplevel(absolute) : await worktreeOfGitDir(absolute, gitDir);
  }
  return { dir: top, gitDir, bare };
}

/** `annex.uuid` of the repository at `top`; undefined until `git annex init`. */
export async function readAnnexUuid(top: string): Promise<string | undefined> {
  const uuid = await git(top, ["config", "--get", "annex.uuid"], { reject: false });
  return uuid.exitCode === 0 && uuid.stdout.trim() !== "" ? uuid.stdout.trim() : undefined;
}

/** The annex UUID, or the error telling the user to `git annex init`. */
export function requireAnnexUuid(info: RepoInfo): string {
  if (info.annexUuid === undefined) throw new NotAnnexRepoError(info.dir, "no annex.uuid; run git annex init");
  return info.annexUuid;
}

async function showToplevel(dir: string): Promise<string> {
  const result = await git(dir, ["rev-parse", "--show-toplevel"]);
  return result.stdout;
}

/**
 * Called from inside the `.git` directory of a non-bare repository (the cwd
 * of a post-receive hook there): git cannot name the work tree from here,
 * but for the usual layout it is the parent of `.git`. Verify that it is.
 */
async function worktreeOfGitDir(dir: string, gitDir: string): Promise<string> {
  if (path.basename(gitDir) === ".git") {
    const parent = path.dirname(gitDir);
    const check = await git(parent, ["rev-parse", "--absolute-git-dir"], { reject: false });
    if (check.exitCode === 0 && check.stdout === gitDir) return showToplevel(parent);
  }
  throw new NotAnnexRepoError(dir, `inside the git directory ${gitDir}, whose work tree cannot be found; pass the work tree instead`);
}

function describeRevParseFailure(stderr: string): string {
  if (/not a git repository/i.test(stderr)) return "not a git repository";
  const line = stderr.trim().split("\n").pop() ?? "";
  return line.replace(/^fatal:\s*/, "") || "git rev-parse failed";
}

/**
 * Resolve revisions (full ref names, `HEAD`, branch names) to object ids
 * with one `git cat-file --batch-check`. Revisions that do not resolve are
 * left out of the map.
 */
export async function readRefs(repo: string, refs: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const unique = [...new Set(refs)].filter((ref) => ref !== "" && !/\s/.test(ref));
  if (unique.length === 0) return found;
  const result = await git(repo, ["cat-file", "--batch-check=%(objectname)"], { input: `${unique.join("\n")}\n` });
  const lines = result.stdout.split("\n");
  unique.forEach((ref, index) => {
    const line = lines[index] ?? "";
    // Unresolvable input is echoed back as "<input> missing" (or "ambiguous").
    if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(line)) found.set(ref, line);
  });
  return found;
}

/**
 * git-annex's version, failing with GitAnnexMissingError when the binary is
 * not on PATH: checked when a daemon starts, not at its first sync.
 */
export async function gitAnnexVersion(repo: string): Promise<string> {
  const result = await annex(repo, ["version", "--raw"]);
  return result.stdout.trim();
}
