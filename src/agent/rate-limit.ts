/**
 * Per-sender token buckets for received git-annex stanzas. A buddy (or a
 * resource of our own account) that sends thousands of presences must not
 * cost thousands of log lines, answers and git calls: past its rate a
 * sender's stanzas are dropped, counted, and reported once per interval,
 * not once each; until that report, it stays dropped. Nothing a sender was entitled to is lost: the
 * announcements among the dropped ones are reported with the UUIDs they
 * named, for one sync that covers them all.
 */
import type { SchedulerTimers } from "./scheduler.js";

export interface RateLimitOptions {
  /** Sustained stanzas a second per sender. */
  perSecond: number;
  /** How many may come at once before the rate applies. */
  burst: number;
  /** Drops are reported at most this often per sender. */
  reportEveryMs: number;
  onReport(report: DropReport): void;
  now?: () => number;
  timers?: SchedulerTimers;
}

export interface DropReport {
  sender: string;
  dropped: number;
  /** UUIDs named by dropped announcements that would have been accepted; undefined: too many to list (sync all). */
  uuids: string[] | undefined;
  /** How many of the dropped were such announcements. */
  announcements: number;
}

export interface SenderRateLimit {
  /** True when a stanza from `sender` may be handled now; false counts a drop. */
  admit(sender: string): boolean;
  /** A dropped stanza was an announcement we would have acted on, naming these UUIDs. */
  missed(sender: string, uuids: readonly string[]): void;
  /** Cancels pending reports (on shutdown). */
  stop(): void;
}

interface Bucket {
  tokens: number;
  at: number;
  dropped: number;
  announcements: number;
  uuids: Set<string> | undefined;
  timer: unknown;
}

/** Beyond this many distinct UUIDs in one interval, the report asks for a sync of everything. */
const MAX_LISTED_UUIDS = 64;
/** Idle buckets are forgotten past this many senders. */
const MAX_SENDERS = 1024;

export function createSenderRateLimit(options: RateLimitOptions): SenderRateLimit {
  const now = options.now ?? Date.now;
  const timers: SchedulerTimers = options.timers ?? {
    setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
  const buckets = new Map<string, Bucket>();

  const report = (sender: string, bucket: Bucket) => {
    bucket.timer = undefined;
    const { dropped, announcements, uuids } = bucket;
    Object.assign(bucket, { dropped: 0, announcements: 0, uuids: new Set<string>() });
    options.onReport({ sender, dropped, announcements, uuids: uuids && [...uuids] });
  };

  const bucketOf = (sender: string): Bucket => {
    let bucket = buckets.get(sender);
    if (!bucket) {
      if (buckets.size >= MAX_SENDERS) forgetIdle();
      bucket = { tokens: options.burst, at: now(), dropped: 0, announcements: 0, uuids: new Set(), timer: undefined };
      buckets.set(sender, bucket);
    }
    return bucket;
  };

  const forgetIdle = () => {
    for (const [sender, bucket] of buckets) if (bucket.timer === undefined) buckets.delete(sender);
  };

  return {
    admit(sender) {
      const bucket = bucketOf(sender);
      const at = now();
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((at - bucket.at) * options.perSecond) / 1000);
      bucket.at = at;
      // Once over its rate, a sender stays dropped until the report: a flood
      // then costs `burst` stanzas and one covering sync per interval, not a
      // trickle at the sustained rate that keeps the scheduler syncing.
      if (bucket.tokens >= 1 && bucket.timer === undefined) {
        bucket.tokens -= 1;
        return true;
      }
      bucket.dropped++;
      bucket.timer ??= timers.setTimeout(() => report(sender, bucket), options.reportEveryMs);
      return false;
    },
    missed(sender, uuids) {
      const bucket = bucketOf(sender);
      bucket.announcements++;
      for (const uuid of uuids) bucket.uuids?.add(uuid);
      if (bucket.uuids && bucket.uuids.size > MAX_LISTED_UUIDS) bucket.uuids = undefined;
    },
    stop() {
      for (const bucket of buckets.values()) if (bucket.timer !== undefined) timers.clearTimeout(bucket.timer);
      buckets.clear();
    },
  };
}
