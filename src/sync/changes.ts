/**
 * What a pull brought, at a cost that grows with the change: the annexed
 * paths added or modified between two commits (and the keys the removed or
 * replaced ones used), and the keys whose location log or metadata changed
 * between two `git-annex` branch tips. A handful of git
 * processes in all, never one per file.
 */
import { git } from "../git/run.js";
import { isPolicyLogPath, keyFromLinkTarget, keyFromPointer, keyFromWantednessLogPath, MAX_POINTER_SIZE } from "./annex-keys.js";
import { parseCatFileBatch, parseRawDiff } from "./git-output.js";

/** Work-tree path → key of the annexed files a range of commits added or changed. */
export type AnnexedPaths = Map<string, string>;

export interface TreeChanges {
  /** Annexed paths added or modified, with their new key. */
  paths: AnnexedPaths;
  /**
   * The keys that removed or replaced annexed files used. Their other paths
   * may now decide differently: git-annex drops a key only when every path
   * of it is unwanted (Annex/Drop.hs handleDropsFrom checks them all).
   */
  oldKeys: Set<string>;
  /** `.gitattributes` changed: annex.numcopies may now differ for any file. */
  attributesChanged: boolean;
}

const SYMLINK = "120000";
const REGULAR = new Set(["100644", "100755"]);

export async function changedAnnexedPaths(repo: string, oldCommit: string, newCommit: string): Promise<TreeChanges> {
  const found: TreeChanges = { paths: new Map(), oldKeys: new Set(), attributesChanged: false };
  if (oldCommit === newCommit) return found;
  const diff = await git(repo, ["diff-tree", "-r", "-z", "--raw", "--no-renames", oldCommit, newCommit]);
  const changes = parseRawDiff(diff.stdout);
  found.attributesChanged = changes.some((c) => c.path === ".gitattributes" || c.path.endsWith("/.gitattributes"));
  const added = changes.filter((c) => c.status !== "D").map((c) => ({ mode: c.newMode, id: c.newId, path: c.path }));
  const removed = changes.filter((c) => c.status !== "A").map((c) => ({ mode: c.oldMode, id: c.oldId, path: c.path }));
  for (const [path, key] of await annexedBlobs(repo, added)) found.paths.set(path, key);
  const before = await annexedBlobs(repo, removed);
  for (const [path, key] of before) if (found.paths.get(path) !== key) found.oldKeys.add(key);
  return found;
}

export interface Blob {
  mode: string;
  id: string;
  path: string;
}

/** Path → key of the blobs that are git-annex symlinks or pointer files. */
export async function annexedBlobs(repo: string, blobs: Blob[]): Promise<AnnexedPaths> {
  const found: AnnexedPaths = new Map();
  const links = blobs.filter((b) => b.mode === SYMLINK);
  const pointers = await smallBlobs(repo, blobs.filter((b) => REGULAR.has(b.mode)));
  const candidates = [...links, ...pointers];
  const contents = await readBlobs(repo, candidates.map((b) => b.id));
  for (const blob of candidates) {
    const content = contents.get(blob.id);
    if (content === undefined) continue;
    const key = blob.mode === SYMLINK ? keyFromLinkTarget(content) : keyFromPointer(content);
    if (key !== undefined) found.set(blob.path, key);
  }
  return found;
}

/** Regular files small enough to be git-annex pointer files (unlocked annexed files). */
async function smallBlobs(repo: string, blobs: Blob[]): Promise<Blob[]> {
  if (blobs.length === 0) return [];
  const ids = [...new Set(blobs.map((b) => b.id))];
  const checked = await git(repo, ["cat-file", "--batch-check=%(objectname) %(objectsize)"], { input: `${ids.join("\n")}\n` });
  const small = new Set<string>();
  for (const line of checked.stdout.split("\n")) {
    const [id, size] = line.split(" ");
    if (id && Number(size) <= MAX_POINTER_SIZE) small.add(id);
  }
  return blobs.filter((b) => small.has(b.id));
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

/**
 * Keys whose location log or metadata differs between two `git-annex`
 * branch tips (see keyFromWantednessLogPath), and whether a policy log
 * changed.
 */
export async function changedLocationKeys(repo: string, oldTip: string, newTip: string): Promise<LocationChanges> {
  const keys = new Set<string>();
  if (oldTip === newTip) return { keys, policyChanged: false };
  const diff = await git(repo, ["diff-tree", "-r", "-z", "--name-only", "--no-renames", oldTip, newTip]);
  let policyChanged = false;
  for (const path of diff.stdout.split("\0")) {
    const key = keyFromWantednessLogPath(path);
    if (key !== undefined) keys.add(key);
    else if (isPolicyLogPath(path)) policyChanged = true;
  }
  return { keys, policyChanged };
}
