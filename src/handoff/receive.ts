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
  /** Called after an announcement is on disk. */
  received(announcement: Announcement, request: HandoffRequest): void;
  now?: () => number;
  /** How long a repository's UUID is trusted without asking git again. */
  uuidCacheMs?: number;
}

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
  return async (request) => {
    if (bareJid(request.jid) !== bareJid(deps.jid)) {
      throw new Error(`this daemon serves ${bareJid(deps.jid)}, not ${bareJid(request.jid)}`);
    }
    const uuids = request.uuids ?? [await uuidOf(request.repo)];
    const announcement: Announcement = { uuids, refs: request.refs, createdAt: request.createdAt, repo: request.repo };
    await deps.spool.add(announcement);
    deps.received(announcement, request);
  };
}
