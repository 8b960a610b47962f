/**
 * A small concurrency bound: at most `max` jobs at once, the rest wait in
 * order. The agent runs syncs of different repositories in parallel up to
 * this bound (git-annex processes are heavy on two cores).
 */
export interface Limiter {
  run<T>(job: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

export function createLimiter(max: number): Limiter {
  let active = 0;
  const queue: Array<() => void> = [];
  const next = () => {
    const start = queue.shift();
    if (start) start();
  };
  return {
    async run(job) {
      if (active >= max) await new Promise<void>((resolve) => queue.push(resolve));
      active++;
      try {
        return await job();
      } finally {
        active--;
        next();
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
