/**
 * Which work-tree paths use a key. git-annex keeps no batch query for this
 * (`whereused --key` takes one key a process), and `--batch-keys` would
 * ignore preferred content expressions that match on file names. But a
 * locked file's symlink target, and an unlocked file's pointer, are a
 * function of the key and the file's depth, so their blob ids are too:
 * compute them and match one `git ls-tree -r`, reading no blob at all.
 */
import { createHash } from "node:crypto";
import { git } from "../git/run.js";
import { encodeKeyFile, hashDirLower, hashDirMixed, linkTargetsFor } from "./annex-keys.js";
import { parseLsTree, type TreeEntry } from "./git-output.js";

/** The blob id git gives `content` (sha1, or sha256 in a sha256 repository). */
export function blobId(content: string, algorithm: "sha1" | "sha256"): string {
  const body = Buffer.from(content, "utf8");
  return createHash(algorithm).update(`blob ${body.length}\0`).update(body).digest("hex");
}

/**
 * Blob id → key for every way `keys` can appear in a tree whose files sit
 * at most `maxDepth` directories deep. `hashDirs` maps a key to its
 * mixed-case and lower-case object hash directories (`Xx/Yy/`, `xxx/yyy/`).
 */
export function candidateBlobs(
  hashDirs: ReadonlyMap<string, readonly string[]>,
  maxDepth: number,
  algorithm: "sha1" | "sha256",
): Map<string, string> {
  const byBlob = new Map<string, string>();
  for (const [key, dirs] of hashDirs) {
    const keyFile = encodeKeyFile(key);
    for (const pointer of [`/annex/objects/${keyFile}`, `/annex/objects/${keyFile}\n`]) byBlob.set(blobId(pointer, algorithm), key);
    for (let depth = 0; depth <= maxDepth; depth++) {
      for (const target of linkTargetsFor(keyFile, dirs, depth)) byBlob.set(blobId(target, algorithm), key);
    }
  }
  return byBlob;
}

/** Both hash directories of each key, computed here: no git-annex process. */
function hashDirsOf(keys: Iterable<string>): Map<string, string[]> {
  const dirs = new Map<string, string[]>();
  for (const key of keys) dirs.set(key, [hashDirMixed(key), hashDirLower(key)]);
  return dirs;
}

/** The files of `commit`: one `git ls-tree -r`, shared by the lookups below. */
export async function listTree(repo: string, commit: string): Promise<TreeEntry[]> {
  const listing = await git(repo, ["ls-tree", "-r", "-z", "--full-tree", commit]);
  return parseLsTree(listing.stdout).filter((e) => e.type === "blob");
}

/** Path → key for the files of a tree listing whose key is one of `keys`. */
export function pathsForKeysIn(entries: readonly TreeEntry[], keys: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  if (keys.size === 0 || entries.length === 0) return found;
  const maxDepth = entries.reduce((deepest, e) => Math.max(deepest, e.path.split("/").length - 1), 0);
  const algorithm = entries[0]!.id.length === 64 ? "sha256" : "sha1";
  const byBlob = candidateBlobs(hashDirsOf(keys), maxDepth, algorithm);
  for (const entry of entries) {
    const key = byBlob.get(entry.id);
    if (key !== undefined) found.set(entry.path, key);
  }
  return found;
}

/** Path → key for the files of `commit` whose key is one of `keys`. */
export async function pathsForKeys(repo: string, commit: string, keys: ReadonlySet<string>): Promise<Map<string, string>> {
  if (keys.size === 0) return new Map();
  return pathsForKeysIn(await listTree(repo, commit), keys);
}
