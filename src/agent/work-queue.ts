/**
 * A small keyed queue in front of the git calls an announcement needs
 * (which remotes it names, whether its commits are here already) before
 * the scheduler coalesces it into a sync. The XMPP receive loop must never
 * start one git process per stanza: at most `concurrency` jobs run, at
 * most `maxPending` wait, and a job whose key is already waiting is merged
 * into it — the waiting one runs after both arrived, so it covers both.
 * A job that is running does not absorb a new one: the new announcement
 * may name a push that the running job's look-up came too early for.
 */
export type Enqueued = "queued" | "merged" | "full";

export interface WorkQueue {
  /** `force` queues past maxPending (for the one job that covers what was refused). */
  enqueue(key: string, job: () => Promise<void>, options?: { force?: boolean }): Enqueued;
  /** Resolves when nothing runs or waits. */
  idle(): Promise<void>;
  readonly running: number;
  readonly waiting: number;
}

export interface WorkQueueOptions {
  concurrency: number;
  maxPending: number;
  onError(error: unknown): void;
}

export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  const waiting = new Map<string, () => Promise<void>>();
  let running = 0;
  let idleWaiters: Array<() => void> = [];

  const settle = () => {
    if (running > 0 || waiting.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const pump = () => {
    while (running < options.concurrency) {
      const next = waiting.entries().next();
      if (next.done) break;
      const [key, job] = next.value;
      waiting.delete(key);
      running++;
      // A job that throws synchronously must not stop the queue either.
      Promise.resolve()
        .then(job)
        .catch((error: unknown) => options.onError(error))
        .finally(() => {
          running--;
          pump();
        });
    }
    settle();
  };

  return {
    enqueue(key, job, { force = false } = {}) {
      if (waiting.has(key)) return "merged";
      if (!force && waiting.size >= options.maxPending) return "full";
      waiting.set(key, job);
      pump();
      return "queued";
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settle();
      }),
    get running() {
      return running;
    },
    get waiting() {
      return waiting.size;
    },
  };
}
