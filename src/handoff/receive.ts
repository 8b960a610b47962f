/**
 * What a daemon does with a handed-off announcement: check that it is for
 * its account, complete it with the repository's annex UUID when the hook
 * did not send one, and put it in the spool, durably, before saying yes.
 * The spool courier then sends it (merged with whatever else arrived).
 */
import { bareJid } from "../config/schema.js";
import type { Announcement } from "../notify/announcement.js";
import type { Spool } from "../spool/spool.js";
import type { HandoffRequest } from "./protocol.js";

export interface ReceiverDeps {
  jid: string;
  spool: Spool;
  /** The annex UUID of the repository at this path (throws when it is not one). */
  resolveUuid(repoDir: string): Promise<string>;
  /**
   * Whether this daemon's own repository syncs with these UUIDs. The
   * listener ignores its own presence, so it would not sync on what it
   * relays itself: such hand-offs are declined (notify then delivers them
   * under its own resource) until the listener can take a local request.
   */
  concernsOwnRepo?(uuids: readonly string[]): Promise<boolean>;
  /** Called after an announcement is on disk. */
  received(announcement: Announcement, request: HandoffRequest): void;
  now?: () => number;
  /** How long a repository's UUID is trusted without asking git again. */
  uuidCacheMs?: number;
}

/** Remotes change rarely; asking git on every hook would cost a process spawn per push. */
const OWN_REMOTES_CACHE_MS = 60_000;

export function createHandoffReceiver(deps: ReceiverDeps): (request: HandoffRequest) => Promise<void> {
  const now = deps.now ?? Date.now;
  const ttl = deps.uuidCacheMs ?? 10 * 60 * 1000;
  const cache = new Map<string, { uuid: string; at: number }>();
  const uuidOf = async (repo: string) => {
    const hit = cache.get(repo);
    if (hit && now() - hit.at < ttl) return hit.uuid;
    const uuid = await deps.resolveUuid(repo);
    cache.set(repo, { uuid, at: now() });
    return uuid;
  };
  const ownCache = new Map<string, { own: boolean; at: number }>();
  const concernsOwnRepo = async (uuids: readonly string[]) => {
    if (!deps.concernsOwnRepo) return false;
    const key = uuids.join(",");
    const hit = ownCache.get(key);
    if (hit && now() - hit.at < OWN_REMOTES_CACHE_MS) return hit.own;
    const own = await deps.concernsOwnRepo(uuids);
    ownCache.set(key, { own, at: now() });
    return own;
  };
  return async (request) => {
    if (bareJid(request.jid) !== bareJid(deps.jid)) {
      throw new Error(`this daemon serves ${bareJid(deps.jid)}, not ${bareJid(request.jid)}`);
    }
    const uuids = request.uuids ?? [await uuidOf(request.repo)];
    if (await concernsOwnRepo(uuids)) throw new HandoffDeclined("it announces a remote of the daemon's own repository");
    const announcement: Announcement = { uuids, refs: request.refs, createdAt: request.createdAt };
    await deps.spool.add(announcement);
    deps.received(announcement, request);
  };
}

/** An expected refusal (the sender delivers itself), not a failure worth a warning. */
export class HandoffDeclined extends Error {}
