/**
 * Noticing, with millisecond resolution and without spawning a process per
 * poll, the moment a commit reaches a repository: merged into a clone's
 * checked-out branch (HEAD), or pushed to one of a hub's branches. The refs
 * are read straight from the git directory every couple of milliseconds
 * (loose ref, else packed-refs); only when one moves to something other
 * than the commit itself does one `git merge-base --is-ancestor` decide
 * whether that is a merge containing it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

export interface ArrivalOptions {
  /** Absolute git directory (`git rev-parse --absolute-git-dir`). */
  gitDir: string;
  /** Refs to watch: "HEAD" (followed when symbolic) or full names; default HEAD. */
  refs?: string[];
  commit: string;
  /** Whether `commit` is an ancestor of (or equal to) `head`, asked of git. */
  isAncestor(commit: string, head: string): Promise<boolean>;
  timeoutMs: number;
  intervalMs?: number;
  /** Stops waiting early (the demo's Ctrl-C). */
  signal?: AbortSignal;
}

/** What a ref points at now, or undefined while it cannot be read. */
export async function readRef(gitDir: string, name: string): Promise<string | undefined> {
  let ref = name;
  if (name === "HEAD") {
    const head = (await readFile(join(gitDir, "HEAD"), "utf8").catch(() => "")).trim();
    if (!head.startsWith("ref: ")) return head === "" ? undefined : head;
    ref = head.slice("ref: ".length);
  }
  const loose = (await readFile(join(gitDir, ref), "utf8").catch(() => "")).trim();
  if (loose !== "") return loose;
  const packed = await readFile(join(gitDir, "packed-refs"), "utf8").catch(() => "");
  const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
  return line?.split(" ")[0];
}

/** Resolves with performance.now() at the first poll that saw `commit` in one of the refs. */
export async function waitForCommit(options: ArrivalOptions): Promise<number> {
  const { gitDir, commit, timeoutMs } = options;
  const refs = options.refs ?? ["HEAD"];
  const intervalMs = options.intervalMs ?? 2;
  const deadline = performance.now() + timeoutMs;
  const checked = new Set<string>();
  for (;;) {
    options.signal?.throwIfAborted();
    const seenAt = performance.now();
    const values = await Promise.all(refs.map((ref) => readRef(gitDir, ref)));
    if (values.includes(commit)) return seenAt;
    for (const value of values) {
      if (value === undefined || checked.has(value)) continue;
      checked.add(value);
      if (await options.isAncestor(commit, value)) return seenAt;
    }
    if (seenAt > deadline) throw new Error(`commit ${commit.slice(0, 12)} did not reach ${refs.join(", ")} in ${gitDir} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
