/**
 * Sending one announcement, the same way from every path (notify's direct
 * login, `flush`, a daemon's spool courier): signed with the announcing
 * repository's secret when it has one (DESIGN.md §2.2), sealed when the
 * configuration says so and there is a secret, then acknowledged. What
 * cannot be sent as asked throws DeliveryRefusedError, so it stays queued.
 */
import { DeliveryRefusedError } from "../errors.js";
import { readAnnounceSecret, readRemoteSecret } from "../git/secret.js";
import { encodeAnnouncement, type Announcement } from "./announcement.js";
import type { Logger } from "../log.js";
import type { DeliveryBatch } from "./batches.js";
import type { XmppSession } from "../xmpp/session.js";

export interface DeliveryOptions {
  /** Bound on the server's acknowledgement. */
  ackTimeoutMs: number;
  /** Config `sealed`. */
  sealed: boolean;
  log?: Logger;
  /** The signing secret, read ahead (while the session logged in); read here when not given. */
  secret?: Promise<string | undefined>;
}

export async function deliverAnnouncement(session: XmppSession, announcement: Announcement, options: DeliveryOptions): Promise<void> {
  const secret = await (options.secret ?? signingSecret(announcement));
  const sealed = announcement.sealed === true || options.sealed;
  if (sealed && secret === undefined) {
    // Never in the clear what was asked to be sealed (notify and the
    // hand-off refuse this up front; here the secret went away since).
    // Thrown, not logged: the caller must keep what was not sent.
    const repo = announcement.repo ?? "the announcing repository";
    throw new DeliveryRefusedError(
      `sealed mode, but ${repo} has no announcement secret${announcement.remote ? ` for remote ${announcement.remote}` : ""}`,
      announcement.remote
        ? `git-annex-xmpp secret init --remote ${announcement.remote} --repo ${announcement.repo} creates the hub's secret, or fetch the one it has`
        : announcement.repo ? `git-annex-xmpp install-hooks --repo ${announcement.repo} recreates it (clones then fetch it anew)` : "restore the repository's secret",
    );
  }
  // RFC 6120 §10.1: a server handles one stream's stanzas in order, so once
  // it answers a ping sent after the presence, it has processed (and fanned
  // out) the presence.
  await session.sendAcknowledged(encodeAnnouncement(announcement, { secret, sealed }), options.ackTimeoutMs);
  options.log?.debug("xmpp: the server acknowledged the presence");
}

/**
 * The repository's own secret; for a push made from a clone, the secret of
 * the hub that received it (refs/annex-xmpp/secrets/<remote>), which its
 * listeners check against, never the clone's.
 */
export async function signingSecret(announcement: Pick<Announcement, "repo" | "remote">): Promise<string | undefined> {
  if (!announcement.repo) return undefined;
  if (announcement.remote !== undefined) return readRemoteSecret(announcement.repo, announcement.remote);
  return readAnnounceSecret(announcement.repo);
}

export type ReadAheadBatch = DeliveryBatch & { secret: Promise<string | undefined> };

/**
 * Each batch with its signing secret being read already (a git call), so
 * that the first read runs while the session logs in, not after it (issue
 * 11). One read at a time, as before: a queue of many repositories does
 * not start as many git processes at once.
 */
export function readAhead(batches: DeliveryBatch[]): ReadAheadBatch[] {
  let previous: Promise<unknown> = Promise.resolve();
  return batches.map((batch) => {
    const read = () => signingSecret(batch.announcement);
    const secret = previous.then(read, read);
    // Awaited when the batch is sent; a batch never sent (no session) must not leave an unhandled rejection.
    secret.catch(() => undefined);
    previous = secret;
    return { ...batch, secret };
  });
}
