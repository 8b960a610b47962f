/**
 * When a commit reaches a repository, noticed by inotify (fs.watch on the
 * directories of the watched loose refs) rather than by a tight poll, so
 * three watchers do not steal the CPU the two sides being compared need. A
 * slow poll backs inotify up (a packed ref, a directory made later). Only a
 * ref that moves to something other than the commit asks git whether it is
 * a merge containing it (scripts/lib/arrival.ts does the same by polling).
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { readRef } from "../scripts/lib/arrival.js";

export interface CommitWatch {
  /** performance.now() when the commit was first seen in one of the refs; undefined on timeout. */
  readonly arrived: Promise<number | undefined>;
  cancel(): void;
}

export interface CommitWatchOptions {
  gitDir: string;
  /** Full ref names (HEAD resolved by the caller). */
  refs: string[];
  commit: string;
  isAncestor(commit: string, head: string): Promise<boolean>;
  timeoutMs: number;
  fallbackPollMs?: number;
}

export function watchCommit(options: CommitWatchOptions): CommitWatch {
  const { gitDir, refs, commit } = options;
  const checked = new Set<string>();
  const watchers: FSWatcher[] = [];
  let settle: (at: number | undefined) => void = () => {};
  const arrived = new Promise<number | undefined>((resolve) => (settle = resolve));
  let done = false;
  let checking = false;
  let again = false;
  const finish = (at: number | undefined) => {
    if (done) return;
    done = true;
    clearInterval(poll);
    clearTimeout(timer);
    watchers.forEach((w) => w.close());
    settle(at);
  };
  const check = async (): Promise<void> => {
    if (done) return;
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    const seenAt = performance.now();
    try {
      const values = await Promise.all(refs.map((ref) => readRef(gitDir, ref)));
      if (values.includes(commit)) return finish(seenAt);
      for (const value of values) {
        if (value === undefined || checked.has(value)) continue;
        checked.add(value);
        if (await options.isAncestor(commit, value)) return finish(seenAt);
      }
    } finally {
      checking = false;
      if (again && !done) {
        again = false;
        void check();
      }
    }
  };
  for (const dir of new Set(refs.map((ref) => dirname(join(gitDir, ref))))) {
    try {
      watchers.push(watch(dir, () => void check()));
    } catch {
      // Not there yet: the poll covers it.
    }
  }
  const poll = setInterval(() => void check(), options.fallbackPollMs ?? 25);
  const timer = setTimeout(() => finish(undefined), options.timeoutMs);
  void check();
  return { arrived, cancel: () => finish(undefined) };
}

/** The branch HEAD names (`refs/heads/main`), for watching a clone's checked-out branch. */
export async function headRef(gitDir: string): Promise<string> {
  const head = (await readFile(join(gitDir, "HEAD"), "utf8")).trim();
  if (!head.startsWith("ref: ")) throw new Error(`${gitDir}: HEAD is detached (${head})`);
  return head.slice("ref: ".length);
}

/**
 * Resolves once none of `refs` moved for `quietMs` (push-backs, git-annex
 * branch updates and their announcements have died down), polling every 50 ms.
 */
export async function waitForQuietRefs(gitDir: string, refs: string[], quietMs: number, busy: () => boolean, timeoutMs = 60_000): Promise<void> {
  const started = performance.now();
  let last = "";
  let since = performance.now();
  for (;;) {
    const now = (await Promise.all(refs.map((ref) => readRef(gitDir, ref)))).join(" ");
    if (now !== last || busy()) [last, since] = [now, performance.now()];
    if (performance.now() - since >= quietMs) return;
    if (performance.now() - started > timeoutMs) throw new Error(`${gitDir}: refs still moving after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
