/**
 * Sending one announcement, the same way from every path (notify's direct
 * login, `flush`, a daemon's spool courier): signed with the announcing
 * repository's secret when it has one (DESIGN.md §2.2), then acknowledged.
 */
import { readAnnounceSecret } from "../git/secret.js";
import { encodeAnnouncement, type Announcement } from "../notify/announcement.js";
import type { XmppSession } from "../xmpp/session.js";

export async function deliverAnnouncement(session: XmppSession, announcement: Announcement, ackTimeoutMs: number): Promise<void> {
  const secret = announcement.repo ? await readAnnounceSecret(announcement.repo) : undefined;
  await session.send(encodeAnnouncement(announcement, { secret }));
  // RFC 6120 §10.1: a server handles one stream's stanzas in order, so once
  // it answers a ping sent after the presence, it has processed (and fanned
  // out) the presence.
  await session.ping(ackTimeoutMs);
}
