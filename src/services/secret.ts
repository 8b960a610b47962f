/**
 * The listener's view of the announcement secrets (DESIGN.md §2.2): one per
 * hub that has one. Each remote's refs/annex-xmpp/secret is fetched into the
 * clone's refs/annex-xmpp/secrets/<remote> the first time it is missing;
 * each secret then speaks for the annex UUIDs of the remotes it came from.
 */
import { listAnnexRemotes, type AnnexRemote } from "../git/repo.js";
import { fetchAnnounceSecret, readAnnounceSecret, readRemoteSecrets } from "../git/secret.js";
import type { Logger } from "../log.js";
import type { AnnounceKey } from "../xmpp/push-extension.js";

export interface AnnounceKeyLoader {
  /** The keys as the repository has them now, fetching the secrets of remotes that have none here yet. */
  load(): Promise<AnnounceKey[]>;
}

/** A remote whose fetch found no secret is asked again after this long (not on every reconnect). */
const RETRY_FETCH_MS = 10 * 60_000;

export function createAnnounceKeyLoader(repo: string, log: Logger, now: () => number = Date.now): AnnounceKeyLoader {
  const triedAt = new Map<string, number>();
  const fetchMissing = async (remotes: AnnexRemote[], have: Map<string, string>) => {
    for (const remote of remotes) {
      if (have.has(remote.name) || now() - (triedAt.get(remote.name) ?? -Infinity) < RETRY_FETCH_MS) continue;
      triedAt.set(remote.name, now());
      if (await fetchAnnounceSecret(repo, remote.name)) {
        log.info(`fetched the announcement secret from ${remote.name}: its announcements are now signed and checked`);
      }
    }
  };
  return {
    async load() {
      const remotes = (await listAnnexRemotes(repo)).filter((r) => r.url !== undefined && !r.ignore && r.pull);
      const before = await readRemoteSecrets(repo);
      await fetchMissing(remotes, before);
      const keys = announceKeys(remotes, await readRemoteSecrets(repo), await readAnnounceSecret(repo));
      if (keys.length === 0) log.debug("no announcement secret in this repository or its remotes: announcements are unsigned");
      return keys;
    },
  };
}

/**
 * One key per distinct secret, speaking for the UUIDs of the remotes that
 * hold it. The single secret of earlier versions (`legacy`), when no
 * remote's own secret is the same, came from a remote we cannot name: it
 * speaks for any UUID, as it did.
 */
export function announceKeys(remotes: readonly AnnexRemote[], perRemote: ReadonlyMap<string, string>, legacy: string | undefined): AnnounceKey[] {
  const bySecret = new Map<string, string[]>();
  for (const remote of remotes) {
    const secret = perRemote.get(remote.name);
    if (secret === undefined) continue;
    const uuids = bySecret.get(secret) ?? [];
    if (remote.uuid !== undefined && !uuids.includes(remote.uuid)) uuids.push(remote.uuid);
    bySecret.set(secret, uuids);
  }
  const keys: AnnounceKey[] = [...bySecret].map(([secret, uuids]) => ({ secret, uuids }));
  if (legacy !== undefined && !bySecret.has(legacy)) {
    const all = remotes.flatMap((r) => (r.uuid === undefined ? [] : [r.uuid]));
    keys.push({ secret: legacy, uuids: all, anyUuid: true });
  }
  return keys;
}
