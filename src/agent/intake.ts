/**
 * What stands between the XMPP receive loop and git (DESIGN.md §3, "No
 * storms"): a rate per sender, and a bounded queue for the git look-ups an
 * announcement needs before the scheduler coalesces it into a sync. A
 * flood from a buddy then costs a bounded number of processes, a bounded
 * amount of memory and one log line per interval; whatever was refused on
 * the way is covered by one sync instead, never silently lost.
 */
import type { Logger } from "../log.js";
import { createSenderRateLimit, type DropReport } from "./rate-limit.js";
import type { SchedulerTimers } from "./scheduler.js";
import { createWorkQueue, type Enqueued } from "./work-queue.js";

export interface IntakeLimits {
  /** Stanzas a second per sender, sustained, and at once. */
  perSecond: number;
  burst: number;
  /** One line per sender and interval about what was dropped. */
  reportEveryMs: number;
  /** Announcements whose git look-ups run at the same time, and that may wait. */
  concurrency: number;
  maxPending: number;
}

export const DEFAULT_INTAKE: IntakeLimits = { perSecond: 5, burst: 20, reportEveryMs: 10_000, concurrency: 2, maxPending: 64 };

export interface Intake {
  /** True when a stanza from `sender` (a bare JID) is handled now; false: over its rate, counted. */
  admit(sender: string): boolean;
  /** A stanza over the rate was an announcement we would have acted on. */
  missed(sender: string, uuids: readonly string[]): void;
  /** Runs an announcement's git work, bounded; identical waiting ones merge. */
  submit(key: string, job: () => Promise<void>): Enqueued;
  idle(): Promise<void>;
  stop(): void;
}

export interface IntakeDeps {
  log: Logger;
  /** UUIDs undefined: every remote. */
  requestSync(uuids: readonly string[] | undefined, reason: string): Promise<void>;
  limits?: Partial<IntakeLimits>;
  now?: () => number;
  timers?: SchedulerTimers;
}

const OVERFLOW_KEY = "\0overflow";

export function createIntake(deps: IntakeDeps): Intake {
  const { log } = deps;
  const limits = { ...DEFAULT_INTAKE, ...deps.limits };
  const work = createWorkQueue({
    concurrency: limits.concurrency,
    maxPending: limits.maxPending,
    onError: (error) => log.warn(`could not act on an announcement: ${(error as Error).message}`),
  });
  const onReport = (report: DropReport) => {
    const { sender, dropped, announcements } = report;
    const covered = announcements > 0 ? `, ${announcements} of them announcements: one sync covers them` : "";
    log.warn(`dropped ${dropped} stanza(s) from ${sender} within ${limits.reportEveryMs / 1000} s (more than ${limits.perSecond} a second)${covered}`);
    if (announcements === 0) return;
    const reason = `announcements from ${sender} over its rate`;
    work.enqueue(`\0missed ${sender}`, () => deps.requestSync(report.uuids, reason), { force: true });
  };
  const limiter = createSenderRateLimit({ ...limits, onReport, now: deps.now, timers: deps.timers });
  return {
    admit: (sender) => limiter.admit(sender),
    missed: (sender, uuids) => limiter.missed(sender, uuids),
    submit(key, job) {
      const result = work.enqueue(key, job);
      if (result !== "full") return result;
      const cover = () => deps.requestSync(undefined, "announcements refused while too many waited");
      if (work.enqueue(OVERFLOW_KEY, cover, { force: true }) === "queued") {
        log.warn(`more than ${limits.maxPending} announcements waiting: one sync of every remote covers the ones refused`);
      }
      return result;
    },
    idle: () => work.idle(),
    stop: () => limiter.stop(),
  };
}
