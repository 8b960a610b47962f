/**
 * A push made from a clone (queue entries of kind `push`) announces the
 * remote that received it, as git-annex's assistant did (Assistant/Sync.hs,
 * `pushToRemotes'` → `NotifyPush` with the remotes' UUIDs): the UUID is
 * `remote.<name>.annex-uuid`, and the signature is the hub's secret as the
 * clone keeps it (refs/annex-xmpp/secrets/<remote>), because that is what
 * the hub's other clones check against.
 */
import { AppError } from "../errors.js";
import { listAnnexRemotes } from "../git/repo.js";
import { readRemoteSecret } from "../git/secret.js";

/** The remote is not (or no longer) a git-annex repository that git-annex has talked to: nothing to name. */
export class NoRemoteUuidError extends AppError {
  constructor(repo: string, remote: string) {
    super("ENOREMOTEUUID", `remote ${JSON.stringify(remote)} of ${repo} has no annex UUID, so a push to it cannot be announced`, {
      hint: `run \`git annex sync ${remote}\` once in ${repo}: git-annex records the remote's UUID`,
    });
  }
}

export interface PushTarget {
  uuid: string;
  /** The clone has the hub's secret: the announcement is signed. */
  signed: boolean;
}

export async function resolvePushTarget(repo: string, remote: string): Promise<PushTarget> {
  const found = (await listAnnexRemotes(repo)).find((r) => r.name === remote);
  if (found?.uuid === undefined) throw new NoRemoteUuidError(repo, remote);
  return { uuid: found.uuid, signed: (await readRemoteSecret(repo, remote)) !== undefined };
}

/** Said once per repository and remote when the clone cannot sign for the hub. */
export function unsignedPushWarning(repo: string, remote: string): string {
  return (
    `${repo} has no announcement secret for remote ${remote}: its pushes are announced unsigned, ` +
    `and listeners that have ${remote}'s secret drop them (hint: \`git fetch ${remote} refs/annex-xmpp/secret:refs/annex-xmpp/secrets/${remote}\` ` +
    `fetches the hub's secret; \`git-annex-xmpp secret init --remote ${remote}\` creates one where the hub has none)`
  );
}
