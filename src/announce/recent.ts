/**
 * What was announced moments ago, so that a queue entry carrying nothing
 * new costs no presence. Pure but for the file at the end: time is passed in.
 *
 * `git annex sync` pushes three times in a row (Command/Sync.hs
 * pushBranch, 10.20230126): `git-annex:synced/git-annex
 * <branch>:synced/<branch>`, then `git-annex`, then `<branch>`. Each push
 * fires the hub's post-receive (or the clone's reference-transaction hook,
 * or the agent's own-pushes watch), so each writes a queue entry; over ssh
 * they are far more than the courier's coalescing window apart. The second
 * and third move other refs to the commits the first one announced. Then a
 * listener that synced for an announcement pushes the merge back, often
 * with nothing but those same commits. A listener acts on an announcement
 * only when it lacks one of the announced objects (agent/stanzas.ts), and
 * every listener that acted on the first fetched them from that hub: the
 * later presences would only make a listener whose sync still runs sync
 * once more.
 *
 * So an entry is redundant when every ref it moves has a known new object
 * (not a deletion) that a presence of the same account (the same audience:
 * the account's other resources and its subscribers) for the same UUIDs
 * carried within the window: one this machine sent, or a signed one it
 * received. A ref moved to an old commit that was not announced lately (a
 * force-push, a branch made at an old commit) is news and goes out, as does
 * anything without SHAs (post-update's ref names).
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../state/atomic-write.js";
import type { Announcement } from "./announcement.js";

/** Long enough for the pushes of one `git annex sync` over a slow link; short enough that nothing stale is kept. */
export const RECENT_WINDOW_MS = 30_000;
/** Bounds the memory of a sender flooded with distinct pushes. */
const MAX_OBJECTS = 10_000;

/** What a presence announced: the UUIDs, and the refs with their new objects. */
export type Announced = Pick<Announcement, "uuids" | "refs">;

export interface RecentAnnouncements {
  /** A presence of `account` (bare JID) carrying `announced` was acknowledged (or received) at `at`. */
  remember(account: string, announced: Announced, at: number): void;
  /** Whether a presence of `account` for exactly these UUIDs carried `sha` within the window before `at`. */
  knows(account: string, uuids: readonly string[], sha: string, at: number): boolean;
  /** What is still within the window at `at`, to be kept in a file (target key → object → time). */
  snapshot(at: number): RecentSnapshot;
}

export type RecentSnapshot = Record<string, Record<string, number>>;

/** Whether one of `memories` knows every object `announced` names, for `account` and its UUIDs. */
export function carriesNothingNew(memories: readonly RecentAnnouncements[], account: string, announced: Announced, at: number): boolean {
  const shas = newObjects(announced);
  return shas !== undefined && shas.every((sha) => memories.some((m) => m.knows(account, announced.uuids, sha, at)));
}

export function createRecentAnnouncements(windowMs = RECENT_WINDOW_MS, saved: RecentSnapshot = {}): RecentAnnouncements {
  /** Target key → object id → when it was last announced. */
  const seen = new Map<string, Map<string, number>>();
  let size = 0;
  for (const [key, objects] of Object.entries(saved)) {
    seen.set(key, new Map(Object.entries(objects).slice(0, MAX_OBJECTS - size)));
    size += seen.get(key)!.size;
  }
  const prune = (at: number) => {
    for (const [key, objects] of seen) {
      for (const [sha, when] of objects) {
        if (at - when > windowMs || when > at) {
          objects.delete(sha);
          size--;
        }
      }
      if (objects.size === 0) seen.delete(key);
    }
  };
  return {
    remember(account, announced, at) {
      const shas = newObjects(announced);
      if (shas === undefined) return;
      // Expired ones are ignored when asked; dropped only when room is needed.
      if (size + shas.length > MAX_OBJECTS) prune(at);
      if (size + shas.length > MAX_OBJECTS) return;
      const key = targetKey(account, announced.uuids);
      const objects = seen.get(key) ?? new Map<string, number>();
      seen.set(key, objects);
      for (const sha of shas) {
        if (!objects.has(sha)) size++;
        objects.set(sha, at);
      }
    },
    knows(account, uuids, sha, at) {
      const when = seen.get(targetKey(account, uuids))?.get(sha);
      return when !== undefined && when <= at && at - when <= windowMs;
    },
    snapshot(at) {
      prune(at);
      return Object.fromEntries([...seen].map(([key, objects]) => [key, Object.fromEntries(objects)]));
    },
  };
}

/** The new object of every ref; undefined when there are none, or one is unknown or a deletion (always news). */
function newObjects(announced: Announced): string[] | undefined {
  const { refs } = announced;
  if (refs.length === 0) return undefined;
  const shas: string[] = [];
  for (const ref of refs) {
    if (ref.new === undefined || /^0+$/.test(ref.new)) return undefined;
    shas.push(ref.new);
  }
  return shas;
}

/** Who hears the presence (the account's audience) and whom it speaks for (the UUIDs). */
function targetKey(account: string, uuids: readonly string[]): string {
  return JSON.stringify([account, [...uuids].sort()]);
}

/**
 * What this machine's senders announced, kept in the state directory: the
 * detached sender that the hook starts ends after a round, and the next
 * push's hook starts another. Only the holder of the queue lock reads and
 * writes it. Anything unreadable counts as empty: at worst a presence
 * more.
 */
export async function loadRecentAnnouncements(file: string, windowMs = RECENT_WINDOW_MS): Promise<RecentAnnouncements> {
  const text = await readFile(file, "utf8").catch(() => "");
  return createRecentAnnouncements(windowMs, parseRecentSnapshot(text));
}

export async function saveRecentAnnouncements(file: string, recent: RecentAnnouncements, at: number): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(recent.snapshot(at))}\n`, { mode: 0o600, dirMode: 0o700 });
}

/** A snapshot as saved, or an empty one when anything in it is not as written. */
export function parseRecentSnapshot(text: string): RecentSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const valid = Object.values(value).every(
    (objects) => typeof objects === "object" && objects !== null && !Array.isArray(objects) && Object.values(objects).every((at) => Number.isFinite(at)),
  );
  return valid ? (value as RecentSnapshot) : {};
}
