/**
 * The per-repository secret that signs announcements (DESIGN.md §2.2). The
 * repository itself is the channel that reaches every legitimate clone and
 * not the XMPP server: the hub keeps the secret as a blob under a
 * dedicated ref, which clones fetch explicitly. A blob under refs/ is never
 * checked out, never in `git log` (it is not a commit), and `git annex
 * sync` does not push or pull it.
 *
 * Each hub has its own secret, so a clone keeps one per remote that has one,
 * under refs/annex-xmpp/secrets/<remote>. The single SECRET_REF is the
 * hub's own secret on a hub and, in a clone, the first one it fetched: what
 * earlier versions kept, and what notify in a clone still signs with.
 */
import { randomBytes } from "node:crypto";
import { git } from "./run.js";

export const SECRET_REF = "refs/annex-xmpp/secret";
export const REMOTE_SECRETS_PREFIX = "refs/annex-xmpp/secrets/";

/**
 * The ref that keeps `remote`'s secret in a clone, or undefined for a
 * remote name that cannot be a ref name (git-check-ref-format(1); such a
 * remote is configured by hand, `git remote add` refuses the name).
 */
export function remoteSecretRef(remote: string): string | undefined {
  const component = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
  const fine = remote.split("/").every((c) => component.test(c) && !c.endsWith(".lock") && !c.includes(".."));
  return fine ? `${REMOTE_SECRETS_PREFIX}${remote}` : undefined;
}

/** The secret, or undefined when this repository has none. */
export async function readAnnounceSecret(repo: string): Promise<string | undefined> {
  const result = await git(repo, ["cat-file", "blob", SECRET_REF], { reject: false });
  if (result.exitCode !== 0) return undefined;
  const secret = result.stdout.trim();
  return secret === "" ? undefined : secret;
}

/** The secret this clone keeps for `remote` (its hub's), or undefined. */
export async function readRemoteSecret(repo: string, remote: string): Promise<string | undefined> {
  const ref = remoteSecretRef(remote);
  if (ref === undefined) return undefined;
  const result = await git(repo, ["cat-file", "blob", ref], { reject: false });
  const secret = result.stdout.trim();
  return result.exitCode === 0 && secret !== "" ? secret : undefined;
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

export type PushSecretOutcome = { created: true } | { created: false; reason: "exists" | "failed"; detail: string };

/**
 * For a hub that cannot run our hook: a clone creates the hub's secret and
 * pushes it (a blob under SECRET_REF there), keeping its own copy for the
 * remote. Without `force` the push only creates the ref: a hub that has a
 * secret keeps it (its clones check against it).
 */
export async function pushAnnounceSecret(repo: string, remote: string, options: { force?: boolean } = {}): Promise<PushSecretOutcome> {
  const ref = remoteSecretRef(remote);
  if (ref === undefined) return { created: false, reason: "failed", detail: `${JSON.stringify(remote)} cannot name a ref` };
  const secret = randomBytes(32).toString("hex");
  const blob = (await git(repo, ["hash-object", "-w", "--stdin"], { input: `${secret}\n` })).stdout.trim();
  const pushed = await git(repo, ["push", "--quiet", "--porcelain", ...(options.force ? ["--force"] : []), remote, `${blob}:${SECRET_REF}`], {
    reject: false,
    timeoutMs: 120_000,
  });
  if (pushed.exitCode !== 0) {
    const exists = /\[rejected\]|already exists/.test(`${pushed.stdout}\n${pushed.stderr}`);
    return { created: false, reason: exists ? "exists" : "failed", detail: (pushed.stderr || pushed.stdout).trim().split("\n").slice(-3).join("; ") };
  }
  const before = await git(repo, ["rev-parse", "--verify", "--quiet", ref], { reject: false });
  await git(repo, ["update-ref", ref, blob]);
  // SECRET_REF (what notify in a clone signs with) follows when it was this remote's.
  const previous = before.exitCode === 0 ? before.stdout.trim() : "0".repeat(blob.length);
  await git(repo, ["update-ref", SECRET_REF, blob, previous], { reject: false });
  return { created: true };
}

/**
 * Fetches `remote`'s secret into its own ref in this clone; false when the
 * remote has none (or cannot be reached). The first secret a clone gets is
 * also kept under SECRET_REF, as earlier versions did.
 */
export async function fetchAnnounceSecret(repo: string, remote: string): Promise<boolean> {
  const ref = remoteSecretRef(remote);
  if (ref === undefined) return false;
  const result = await git(repo, ["fetch", "--quiet", "--no-tags", remote, `+${SECRET_REF}:${ref}`], {
    reject: false,
    timeoutMs: 60_000,
  });
  if (result.exitCode !== 0) return false;
  // `create` fails where there is one already, which is then kept.
  await git(repo, ["update-ref", "--stdin"], { input: `create ${SECRET_REF} ${ref}\n`, reject: false });
  return true;
}

/** The secrets this clone keeps per remote: remote name → secret. */
export async function readRemoteSecrets(repo: string): Promise<Map<string, string>> {
  const listed = await git(repo, ["for-each-ref", "--format=%(objecttype) %(refname)", REMOTE_SECRETS_PREFIX], { reject: false });
  const secrets = new Map<string, string>();
  if (listed.exitCode !== 0) return secrets;
  for (const line of listed.stdout.split("\n")) {
    if (!line.startsWith(`blob ${REMOTE_SECRETS_PREFIX}`)) continue;
    const ref = line.slice("blob ".length);
    const blob = await git(repo, ["cat-file", "blob", ref], { reject: false });
    const secret = blob.stdout.trim();
    if (blob.exitCode === 0 && secret !== "") secrets.set(ref.slice(REMOTE_SECRETS_PREFIX.length), secret);
  }
  return secrets;
}

/** Whether every one of these objects is in the repository (one `git cat-file --batch-check`). */
export async function hasObjects(repo: string, shas: readonly string[]): Promise<boolean> {
  if (shas.length === 0) return true;
  const result = await git(repo, ["cat-file", "--batch-check=%(objectname)"], { input: `${shas.join("\n")}\n`, reject: false });
  if (result.exitCode !== 0) return false;
  const lines = result.stdout.split("\n");
  return shas.every((sha, i) => lines[i] === sha);
}

/** Every announcement-secret ref this repository holds: SECRET_REF and the per-remote ones. */
export async function listSecretRefs(repo: string): Promise<string[]> {
  const listed = await git(repo, ["for-each-ref", "--format=%(refname)", SECRET_REF, REMOTE_SECRETS_PREFIX], { reject: false });
  if (listed.exitCode !== 0) return [];
  return listed.stdout.split("\n").filter((ref) => ref === SECRET_REF || ref.startsWith(REMOTE_SECRETS_PREFIX));
}
