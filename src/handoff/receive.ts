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
  /** Whether the repository at this path has an announcement secret (sealing needs one). */
  hasSecret(repoDir: string): Promise<boolean>;
  /** The daemon's own configuration asks for sealed mode. */
  sealed: boolean;
  /** Called after an announcement is on disk. */
  received(announcement: Announcement, request: HandoffRequest): void;
  now?: () => number;
  /** How long a repository's UUID is trusted without asking git again. */
  uuidCacheMs?: number;
}

export function createHandoffReceiver(deps: ReceiverDeps): (request: HandoffRequest) => Promise<void> {
  const now = deps.now ?? Date.now;
  const ttl = deps.uuidCacheMs ?? 10 * 60 * 1000;
  const uuids = new Map<string, { value: string; at: number }>();
  const secrets = new Map<string, { value: boolean; at: number }>();
  const cached = async <T>(cache: Map<string, { value: T; at: number }>, repo: string, look: (repo: string) => Promise<T>) => {
    const hit = cache.get(repo);
    if (hit && now() - hit.at < ttl) return hit.value;
    const value = await look(repo);
    cache.set(repo, { value, at: now() });
    return value;
  };
  return async (request) => {
    if (bareJid(request.jid) !== bareJid(deps.jid)) {
      throw new Error(`this daemon serves ${bareJid(deps.jid)}, not ${bareJid(request.jid)}`);
    }
    const sealed = request.sealed === true || deps.sealed;
    // Refused, not sent in the clear: notify then says why (it checks the same).
    if (sealed && !(await cached(secrets, request.repo, deps.hasSecret))) {
      throw new Error(`sealed mode, but ${request.repo} has no announcement secret`);
    }
    const announcement: Announcement = {
      uuids: request.uuids ?? [await cached(uuids, request.repo, deps.resolveUuid)],
      refs: request.refs,
      createdAt: request.createdAt,
      repo: request.repo,
      ...(sealed ? { sealed } : {}),
    };
    await deps.spool.add(announcement);
    deps.received(announcement, request);
  };
}
