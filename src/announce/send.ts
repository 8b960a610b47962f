/**
 * Sending one announcement, the same way from every path (notify's direct
 * login, `flush`, a daemon's spool courier): signed with the announcing
 * repository's secret when it has one (DESIGN.md §2.2), sealed when the
 * configuration says so and there is a secret, then acknowledged.
 */
import { AnnouncementRefusedError } from "../errors.js";
import { readAnnounceSecret } from "../git/secret.js";
import { encodeAnnouncement, type Announcement } from "./announcement.js";
import type { Logger } from "../log.js";
import type { XmppSession } from "../xmpp/session.js";

export interface DeliveryOptions {
  /** Bound on the server's acknowledgement. */
  ackTimeoutMs: number;
  /** Config `sealed`. */
  sealed: boolean;
  log?: Logger;
}

export async function deliverAnnouncement(session: XmppSession, announcement: Announcement, options: DeliveryOptions): Promise<void> {
  const secret = announcement.repo ? await readAnnounceSecret(announcement.repo) : undefined;
  const sealed = announcement.sealed === true || options.sealed;
  if (sealed && secret === undefined) {
    // Never in the clear what was asked to be sealed; and not "sent" either:
    // the caller keeps it (set aside), it is not deleted as if delivered.
    throw new AnnouncementRefusedError(`sealed mode, but ${announcement.repo ?? "the announcing repository"} has no announcement secret`);
  }
  await session.send(encodeAnnouncement(announcement, { secret, sealed }));
  // RFC 6120 §10.1: a server handles one stream's stanzas in order, so once
  // it answers a ping sent after the presence, it has processed (and fanned
  // out) the presence.
  await session.ping(options.ackTimeoutMs);
}
