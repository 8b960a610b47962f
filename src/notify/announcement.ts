/**
 * What a push announces, independent of how it travels: straight to the
 * server, through a running daemon, or via the spool. Encoded to a presence
 * only when sent, so that time-dependent parts are fresh.
 */
import { encodePushPresence } from "../xmpp/codec.js";
import type { XmlElement } from "../xmpp/element.js";
import type { RefUpdate } from "./refs.js";

export interface Announcement {
  /** Annex UUIDs of the repositories that received commits. */
  uuids: string[];
  /** The updated refs with their new SHAs, when known (post-receive). */
  refs: RefUpdate[];
  /** Milliseconds since the epoch when the push happened. */
  createdAt: number;
}

/** Merge announcements into one: the union of UUIDs, the latest SHA per ref. */
export function mergeAnnouncements(list: readonly Announcement[]): Announcement {
  const sorted = [...list].sort((a, b) => a.createdAt - b.createdAt);
  const uuids = [...new Set(sorted.flatMap((a) => a.uuids))];
  const refs = new Map<string, RefUpdate>();
  for (const a of sorted) {
    for (const r of a.refs) {
      const first = refs.get(r.ref);
      refs.set(r.ref, { ...r, ...(first?.old ? { old: first.old } : {}) });
    }
  }
  return { uuids, refs: [...refs.values()], createdAt: sorted.at(-1)?.createdAt ?? 0 };
}

export function encodeAnnouncement(announcement: Announcement): XmlElement {
  return encodePushPresence(announcement.uuids);
}
