/**
 * Coalescing sync scheduler. Announcements arrive from the XMPP receive
 * loop; syncing must never run inside it. Requests within `debounceMs`
 * merge into one run; requests that arrive while a run is going merge into
 * exactly one follow-up run. Nothing is dropped: the follow-up carries the
 * union of everything requested meanwhile.
 *
 * The follow-up waits until requests have been quiet for `settleMs` (at
 * most `maxDeferMs` past the end of the run), so that a burst longer than
 * one sync still costs one sync plus one follow-up, not one per sync time.
 * A request made during a run may say how to tell that it is no longer
 * needed (`stillNeeded`): the run may have brought what it asked for (the
 * same push, announced by the hub's hook and by the pushing clone a few ms
 * apart). It is asked when the follow-up starts; a follow-up that nobody
 * needs any more does not run.
 */
export interface SchedulerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SyncScheduler<T> {
  /**
   * Ask for a run covering `items` (merged with anything pending). During a
   * run, `stillNeeded` is asked before the follow-up starts (an error: needed).
   */
  request(items: Iterable<T>, reason: string, stillNeeded?: () => Promise<boolean>): void;
  /** Resolves when nothing is running or pending. */
  idle(): Promise<void>;
  /** Stop scheduling; resolves once a running job has ended. */
  stop(): Promise<void>;
  readonly runs: number;
}

export interface SchedulerOptions<T> {
  run(items: Set<T>, reasons: string[]): Promise<void>;
  onError(error: unknown): void;
  /**
   * Requests this close together start one run (default 10 ms). It is in
   * every push's path (issue 11): the sender already merges what a push's
   * hooks queued, and a later request costs at most one follow-up run.
   */
  debounceMs?: number;
  /** Quiet time before a follow-up run starts. */
  settleMs?: number;
  /** Longest a follow-up waits for quiet after the previous run ended. */
  maxDeferMs?: number;
  timers?: SchedulerTimers;
  now?: () => number;
}

export function createSyncScheduler<T>(options: SchedulerOptions<T>): SyncScheduler<T> {
  const timers: SchedulerTimers = options.timers ?? {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
  const debounceMs = options.debounceMs ?? 10;
  const settleMs = options.settleMs ?? 300;
  const maxDeferMs = options.maxDeferMs ?? 5_000;
  const now = options.now ?? Date.now;
  let lastRequestAt = 0;
  let pending: Array<PendingRequest<T>> | undefined;
  let timer: unknown;
  let running: Promise<void> | undefined;
  let stopped = false;
  let runs = 0;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = () => {
    if (running || pending || timer !== undefined) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const start = async (requests: Array<PendingRequest<T>>) => {
    const needed = requests.some((r) => r.stillNeeded) ? await stillNeeded(requests) : requests;
    if (needed.length === 0) return;
    runs++;
    await options.run(new Set(needed.flatMap((r) => r.items)), needed.map((r) => r.reason));
  };

  const launch = () => {
    timer = undefined;
    if (running || !pending || stopped) return settleIdle();
    const requests = pending;
    pending = undefined;
    running = start(requests)
      .catch((error) => options.onError(error))
      .finally(() => {
        running = undefined;
        // A request that came during the run gets exactly one follow-up.
        if (pending && !stopped) followUp(now());
        else settleIdle();
      });
  };

  const followUp = (runEndedAt: number) => {
    timer = undefined;
    const wait = Math.min(settleMs - (now() - lastRequestAt), maxDeferMs - (now() - runEndedAt));
    if (wait <= 0 || stopped) return launch();
    timer = timers.setTimeout(() => followUp(runEndedAt), wait);
  };

  return {
    get runs() {
      return runs;
    },
    request(items, reason, stillNeeded) {
      if (stopped) return;
      pending ??= [];
      // Asked only of a request that waits for a run to end: before a run, nothing has changed since the caller looked.
      pending.push({ items: [...items], reason, ...(running && stillNeeded ? { stillNeeded } : {}) });
      lastRequestAt = now();
      if (!running && timer === undefined) timer = timers.setTimeout(launch, debounceMs);
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      pending = undefined;
      await running;
      settleIdle();
    },
  };
}

interface PendingRequest<T> {
  items: T[];
  reason: string;
  stillNeeded?: () => Promise<boolean>;
}

/** The requests still needed: those without a condition, and those whose condition says so (or fails). */
async function stillNeeded<T>(requests: Array<PendingRequest<T>>): Promise<Array<PendingRequest<T>>> {
  const verdicts = await Promise.all(requests.map((r) => (r.stillNeeded ? r.stillNeeded().catch(() => true) : true)));
  return requests.filter((_, i) => verdicts[i]);
}
