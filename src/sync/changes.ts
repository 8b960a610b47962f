/**
 * What a pull brought, at a cost that grows with the change: the annexed
 * paths added or modified between two commits, and the keys whose location
 * log changed between two `git-annex` branch tips. A handful of git
 * processes in all, never one per file.
 */
import { git } from "../git/run.js";
import { isPolicyLogPath, keyFromLinkTarget, keyFromLocationLogPath, keyFromPointer, MAX_POINTER_SIZE } from "./annex-keys.js";
import { parseCatFileBatch, parseRawDiff, type TreeChange } from "./git-output.js";

/** Work-tree path → key of the annexed files a range of commits added or changed. */
export type AnnexedPaths = Map<string, string>;

const SYMLINK = "120000";
const REGULAR = new Set(["100644", "100755"]);

export async function changedAnnexedPaths(repo: string, oldCommit: string, newCommit: string): Promise<AnnexedPaths> {
  const found: AnnexedPaths = new Map();
  if (oldCommit === newCommit) return found;
  const diff = await git(repo, ["diff-tree", "-r", "-z", "--raw", "--no-renames", oldCommit, newCommit]);
  const changes = parseRawDiff(diff.stdout).filter((c) => c.status !== "D");
  const links = changes.filter((c) => c.newMode === SYMLINK);
  const pointers = await smallBlobs(repo, changes.filter((c) => REGULAR.has(c.newMode)));
  const candidates = [...links, ...pointers];
  const contents = await readBlobs(repo, candidates.map((c) => c.newId));
  for (const change of candidates) {
    const content = contents.get(change.newId);
    if (content === undefined) continue;
    const key = change.newMode === SYMLINK ? keyFromLinkTarget(content) : keyFromPointer(content);
    if (key !== undefined) found.set(change.path, key);
  }
  return found;
}

/** Regular files small enough to be git-annex pointer files (unlocked annexed files). */
async function smallBlobs(repo: string, changes: TreeChange[]): Promise<TreeChange[]> {
  if (changes.length === 0) return [];
  const ids = [...new Set(changes.map((c) => c.newId))];
  const checked = await git(repo, ["cat-file", "--batch-check=%(objectname) %(objectsize)"], { input: `${ids.join("\n")}\n` });
  const small = new Set<string>();
  for (const line of checked.stdout.split("\n")) {
    const [id, size] = line.split(" ");
    if (id && Number(size) <= MAX_POINTER_SIZE) small.add(id);
  }
  return changes.filter((c) => small.has(c.newId));
}

export async function readBlobs(repo: string, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const contents = new Map<string, string>();
  if (unique.length === 0) return contents;
  const result = await git(repo, ["cat-file", "--batch"], { input: `${unique.join("\n")}\n` });
  for (const object of parseCatFileBatch(result.stdout, unique)) {
    if (object.content !== undefined) contents.set(object.id, object.content);
  }
  return contents;
}

export interface LocationChanges {
  keys: Set<string>;
  /** Preferred content, groups, trust or numcopies changed: a full scan is due. */
  policyChanged: boolean;
}

/** Keys whose location log differs between two `git-annex` branch tips. */
export async function changedLocationKeys(repo: string, oldTip: string, newTip: string): Promise<LocationChanges> {
  const keys = new Set<string>();
  if (oldTip === newTip) return { keys, policyChanged: false };
  const diff = await git(repo, ["diff-tree", "-r", "-z", "--name-only", "--no-renames", oldTip, newTip]);
  let policyChanged = false;
  for (const path of diff.stdout.split("\0")) {
    const key = keyFromLocationLogPath(path);
    if (key !== undefined) keys.add(key);
    else if (isPolicyLogPath(path)) policyChanged = true;
  }
  return { keys, policyChanged };
}
