/**
 * What a push announces, independent of how it travels: straight to the
 * server, through a running daemon, or via the spool. Encoded to a presence
 * only when sent, so that time-dependent parts are fresh.
 */
import { randomBytes } from "node:crypto";
import { encodePushPresence } from "../xmpp/codec.js";
import type { XmlElement } from "../xmpp/element.js";
import { encodePushExtension, MAX_REFS, sealUuid } from "../xmpp/push-extension.js";
import type { RefUpdate } from "./refs.js";

export interface Announcement {
  /** Annex UUIDs of the repositories that received commits. */
  uuids: string[];
  /** The updated refs with their new SHAs, when known (post-receive). */
  refs: RefUpdate[];
  /** Milliseconds since the epoch when the push happened. */
  createdAt: number;
  /** The announcing repository on this machine: its secret signs the announcement. */
  repo?: string;
  /**
   * A push made from a clone: the remote that received it. Its secret (the
   * hub's, kept in the clone per remote) signs, not the clone's own.
   */
  remote?: string;
  /** Its configuration asks for sealed mode (so whoever delivers it seals it). */
  sealed?: boolean;
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
  // One repository's secret signs a presence: callers merge per repository.
  const repo = sorted.every((a) => a.repo === sorted[0]?.repo) ? sorted[0]?.repo : undefined;
  const remote = repo && sorted.every((a) => a.remote === sorted[0]?.remote) ? sorted[0]?.remote : undefined;
  // One sealed part seals the whole.
  const sealed = sorted.some((a) => a.sealed) ? { sealed: true } : {};
  return { uuids, refs: [...refs.values()], createdAt: sorted.at(-1)?.createdAt ?? 0, ...(repo ? { repo } : {}), ...(remote ? { remote } : {}), ...sealed };
}

export interface EncodeOptions {
  /** The repository's shared secret (refs/annex-xmpp/secret): signs the refs element. */
  secret?: string | undefined;
  /** Sealed mode (DESIGN.md §2.2): `push` carries the UUIDs sealed with the secret; needs a secret. */
  sealed?: boolean;
  /** Send time in ms; defaults to now, so that a spooled announcement is fresh when it finally goes out. */
  now?: number;
  /** Defaults to 128 random bits. */
  nonce?: string;
}

export function newNonce(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * The presence for an announcement: git-annex's tag, plus (DESIGN.md §2.2)
 * our sibling element with the refs and their new SHAs, signed when a
 * secret is given, the UUIDs sealed when asked and a secret is given.
 * Without refs and without a secret there is nothing to add, and the
 * presence is exactly what git-annex sent.
 */
export function encodeAnnouncement(announcement: Announcement, options: EncodeOptions = {}): XmlElement {
  // More refs than a listener accepts (a mirror push, many tags): say only
  // "sync", which every listener acts on, rather than a list all would refuse.
  const listed = announcement.refs.length > MAX_REFS ? [] : announcement.refs;
  const refs = listed.map((r) => ({ name: r.ref, new: r.new }));
  if (refs.length === 0 && options.secret === undefined) return encodePushPresence(announcement.uuids);
  const { secret } = options;
  const nonce = options.nonce ?? newNonce();
  // The MAC covers the members as sent, sealed or not.
  const members = options.sealed && secret !== undefined ? announcement.uuids.map((u) => sealUuid(secret, nonce, u)) : announcement.uuids;
  const ext = { ts: options.now ?? Date.now(), nonce, refs };
  return encodePushPresence(members, [encodePushExtension(members, ext, secret)]);
}
