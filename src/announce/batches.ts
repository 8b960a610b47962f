/**
 * How queued announcements become presences, pure: oldest first,
 * duplicates merged (union of UUIDs, latest SHA per ref).
 */
import { mergeAnnouncements, type Announcement } from "./announcement.js";

export interface PendingAnnouncement {
  /** The queue entry it came from. */
  name: string;
  announcement: Announcement;
}

/** How many UUIDs one delivered presence carries at most (git-annex's decoder has no limit; ours stops at 1024). */
export const MAX_UUIDS_PER_PRESENCE = 100;

export interface DeliveryBatch {
  /** The entries this presence stands for; deleted once the server acknowledged it. */
  names: string[];
  announcement: Announcement;
}

/**
 * Groups entries, oldest first, into merged announcements: duplicates collapse
 * (union of UUIDs, latest SHA per ref), and a batch closes before its merged
 * UUID list would outgrow one presence.
 */
export function planDelivery(items: readonly PendingAnnouncement[], maxUuids = MAX_UUIDS_PER_PRESENCE): DeliveryBatch[] {
  const batches: DeliveryBatch[] = [];
  let current: PendingAnnouncement[] = [];
  let uuids = new Set<string>();
  const close = () => {
    if (current.length === 0) return;
    batches.push({ names: current.map((i) => i.name), announcement: mergeAnnouncements(current.map((i) => i.announcement)) });
    current = [];
    uuids = new Set();
  };
  for (const item of items) {
    const added = item.announcement.uuids.filter((u) => !uuids.has(u)).length;
    // A presence is signed with one secret (a repository's, or the hub's a
    // clone pushed to): another repository or remote starts a new one.
    const first = current[0]?.announcement;
    const otherRepo = first !== undefined && (first.repo !== item.announcement.repo || first.remote !== item.announcement.remote);
    if (current.length > 0 && (otherRepo || uuids.size + added > maxUuids)) close();
    current.push(item);
    for (const u of item.announcement.uuids) uuids.add(u);
  }
  close();
  return batches;
}
