/**
 * The per-repository secret that signs announcements (DESIGN.md §2.2). The
 * repository itself is the channel that reaches every legitimate clone and
 * not the XMPP server: the hub keeps the secret as a blob under a
 * dedicated ref, which clones fetch explicitly. A blob under refs/ is never
 * checked out, never in `git log` (it is not a commit), and `git annex
 * sync` does not push or pull it.
 */
import { randomBytes } from "node:crypto";
import { git } from "./run.js";

export const SECRET_REF = "refs/annex-xmpp/secret";

/** The secret, or undefined when this repository has none. */
export async function readAnnounceSecret(repo: string): Promise<string | undefined> {
  const result = await git(repo, ["cat-file", "blob", SECRET_REF], { reject: false });
  if (result.exitCode !== 0) return undefined;
  const secret = result.stdout.trim();
  return secret === "" ? undefined : secret;
}

/** Creates the secret if missing (on the hub, by install-hooks). Returns whether it was created. */
export async function ensureAnnounceSecret(repo: string): Promise<boolean> {
  if ((await readAnnounceSecret(repo)) !== undefined) return false;
  const secret = randomBytes(32).toString("hex");
  const blob = (await git(repo, ["hash-object", "-w", "--stdin"], { input: `${secret}\n` })).stdout.trim();
  // The all-zero old value makes update-ref fail if a concurrent run created it meanwhile.
  const created = await git(repo, ["update-ref", SECRET_REF, blob, "0".repeat(blob.length)], { reject: false });
  return created.exitCode === 0;
}

/** Fetches the hub's secret from `remote` into this clone; false when the remote has none. */
export async function fetchAnnounceSecret(repo: string, remote: string): Promise<boolean> {
  const result = await git(repo, ["fetch", "--quiet", "--no-tags", remote, `+${SECRET_REF}:${SECRET_REF}`], {
    reject: false,
    timeoutMs: 60_000,
  });
  return result.exitCode === 0;
}

/** Whether every one of these objects is in the repository (one `git cat-file --batch-check`). */
export async function hasObjects(repo: string, shas: readonly string[]): Promise<boolean> {
  if (shas.length === 0) return true;
  const result = await git(repo, ["cat-file", "--batch-check=%(objectname)"], { input: `${shas.join("\n")}\n`, reject: false });
  if (result.exitCode !== 0) return false;
  const lines = result.stdout.split("\n");
  return shas.every((sha, i) => lines[i] === sha);
}
