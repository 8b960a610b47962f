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
 * So an entry is redundant when every ref it moves was announced at the
 * same object (`synced/<branch>` counting as `<branch>`, as git annex sync
 * merges both) by a presence of the same account (the same audience: the
 * account's other resources and its subscribers) for the same UUIDs within
 * the window: one this machine sent, or a signed one it received. A ref
 * moved to a commit it was not just announced at (a force-push, a branch
 * made at an old commit) is news and goes out, as does a deletion and
 * anything without SHAs (post-update's ref names).
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../state/atomic-write.js";
import type { Announcement } from "./announcement.js";

/** Long enough for the pushes of one `git annex sync` over a slow link; short enough that nothing stale is kept. */
export const RECENT_WINDOW_MS = 30_000;
/** Bounds the memory of a sender flooded with distinct pushes. */
const MAX_UPDATES = 10_000;

/**
 * What a presence announced: the UUIDs, the refs with their new objects,
 * and whether its UUIDs were sealed. A sealed presence says nothing to a
 * listener without the secret (nor to plain git-annex), so it makes only a
 * sealed entry redundant; an unsealed one makes either.
 */
export type Announced = Pick<Announcement, "uuids" | "refs" | "sealed">;

export interface RecentAnnouncements {
  /** A presence of `account` (bare JID) carrying `announced` was acknowledged (or received) at `at`. */
  remember(account: string, announced: Announced, at: number): void;
  /** Whether a presence of `account` for exactly these UUIDs carried `update` (refUpdateKey) within the window before `at`; a sealed one counts only for a `sealed` entry. */
  knows(account: string, uuids: readonly string[], update: string, at: number, sealed?: boolean): boolean;
  /** What is still within the window at `at`, to be kept in a file (target key → ref update → time). */
  snapshot(at: number): RecentSnapshot;
}

export type RecentSnapshot = Record<string, Record<string, number>>;

/** Whether one of `memories` knows every ref update `announced` makes, for `account` and its UUIDs. */
export function carriesNothingNew(memories: readonly RecentAnnouncements[], account: string, announced: Announced, at: number): boolean {
  const updates = refUpdateKeys(announced);
  return updates !== undefined && updates.every((update) => memories.some((m) => m.knows(account, announced.uuids, update, at, announced.sealed === true)));
}

export function createRecentAnnouncements(windowMs = RECENT_WINDOW_MS, saved: RecentSnapshot = {}): RecentAnnouncements {
  /** Target key → ref update (refUpdateKey) → when it was last announced. */
  const seen = new Map<string, Map<string, number>>();
  let size = 0;
  for (const [key, updates] of Object.entries(saved)) {
    seen.set(key, new Map(Object.entries(updates).slice(0, MAX_UPDATES - size)));
    size += seen.get(key)!.size;
  }
  const prune = (at: number) => {
    for (const [key, known] of seen) {
      for (const [update, when] of known) {
        if (at - when > windowMs || when > at) {
          known.delete(update);
          size--;
        }
      }
      if (known.size === 0) seen.delete(key);
    }
  };
  return {
    remember(account, announced, at) {
      const updates = refUpdateKeys(announced);
      if (updates === undefined) return;
      // Expired ones are ignored when asked; dropped only when room is needed.
      if (size + updates.length > MAX_UPDATES) prune(at);
      if (size + updates.length > MAX_UPDATES) return;
      const key = targetKey(account, announced.uuids, announced.sealed === true);
      const known = seen.get(key) ?? new Map<string, number>();
      seen.set(key, known);
      for (const update of updates) {
        if (!known.has(update)) size++;
        known.set(update, at);
      }
    },
    knows(account, uuids, update, at, sealed = false) {
      const within = (key: string) => {
        const when = seen.get(key)?.get(update);
        return when !== undefined && when <= at && at - when <= windowMs;
      };
      return within(targetKey(account, uuids, false)) || (sealed && within(targetKey(account, uuids, true)));
    },
    snapshot(at) {
      prune(at);
      return Object.fromEntries([...seen].map(([key, known]) => [key, Object.fromEntries(known)]));
    },
  };
}

/**
 * Each ref with its new object, `refs/heads/synced/<branch>` as
 * `refs/heads/<branch>`; undefined when there are none, or one has no
 * object or is a deletion (always news).
 */
function refUpdateKeys(announced: Announced): string[] | undefined {
  const { refs } = announced;
  if (refs.length === 0) return undefined;
  const keys: string[] = [];
  for (const ref of refs) {
    if (ref.new === undefined || /^0+$/.test(ref.new)) return undefined;
    keys.push(`${ref.ref.replace(/^refs\/heads\/synced\//, "refs/heads/")} ${ref.new}`);
  }
  return keys;
}

/** Who hears the presence (the account's audience), whom it speaks for (the UUIDs), and whether only holders of the secret could read that. */
function targetKey(account: string, uuids: readonly string[], sealed: boolean): string {
  return JSON.stringify([account, [...uuids].sort(), ...(sealed ? ["sealed"] : [])]);
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
    (updates) => typeof updates === "object" && updates !== null && !Array.isArray(updates) && Object.values(updates).every((at) => Number.isFinite(at)),
  );
  return valid ? (value as RecentSnapshot) : {};
}
