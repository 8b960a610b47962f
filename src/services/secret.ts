/**
 * The listener's view of the announcement secret: the clone's own copy of
 * the hub's refs/annex-xmpp/secret, fetched from its remotes the first time
 * it is missing (DESIGN.md §2.2).
 */
import { listAnnexRemotes } from "../git/repo.js";
import { fetchAnnounceSecret, readAnnounceSecret } from "../git/secret.js";
import type { Logger } from "../log.js";

export async function loadAnnounceSecret(repo: string, log: Logger): Promise<string | undefined> {
  const local = await readAnnounceSecret(repo);
  if (local !== undefined) return local;
  const remotes = (await listAnnexRemotes(repo)).filter((r) => r.url !== undefined && !r.ignore && r.pull);
  for (const remote of remotes) {
    if (await fetchAnnounceSecret(repo, remote.name)) {
      log.info(`fetched the announcement secret from ${remote.name}: announcements are now signed and checked`);
      return readAnnounceSecret(repo);
    }
  }
  log.debug("no announcement secret in this repository or its remotes: announcements are unsigned");
  return undefined;
}
