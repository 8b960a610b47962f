/**
 * Which target paths certainly have no content in this repository, found
 * with a stat or two per key and no git-annex process. `git annex copy --to`
 * and `git annex drop` skip such files (Command/Move.hs and Command/Drop.hs
 * act only when the content is in the annex), so leaving them out of those
 * batches changes nothing, and a step left with no path starts no process.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { encodeKeyFile, hashDirLower, hashDirMixed } from "./annex-keys.js";

/**
 * Where `key`'s content can be, relative to the objects directory. A
 * non-bare repository keeps it under the mixed-case hash, one with
 * annex.tune.objecthashlower under the lower-case one; looking in both can
 * only find content git-annex would not, never miss content it would find.
 */
export function objectPaths(key: string): string[] {
  const keyFile = encodeKeyFile(key);
  return [hashDirMixed(key), hashDirLower(key)].map((dir) => `${dir}${keyFile}/${keyFile}`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The paths of `target` whose key is known and whose content is in none of
 * its object paths under `<gitDir>/annex/objects`. Paths without a known key
 * are never reported, and neither is anything when the objects directory
 * cannot be found (a linked worktree, say): absence must be certain.
 */
export async function pathsWithoutContent(gitDir: string, target: ReadonlyMap<string, string | undefined>): Promise<Set<string>> {
  const objects = path.join(gitDir, "annex", "objects");
  const absent = new Set<string>();
  if (!(await exists(objects))) return absent;
  await Promise.all(
    [...target].map(async ([file, key]) => {
      if (key === undefined) return;
      const found = await Promise.all(objectPaths(key).map((relative) => exists(path.join(objects, relative))));
      if (!found.includes(true)) absent.add(file);
    }),
  );
  return absent;
}
