/**
 * What a process and its descendants cost, sampled from /proc (Linux): how
 * many git processes run under it at once, and its resident memory. For
 * tests that bound the work a flood of stanzas may cause; the sampler
 * polls on a timer, so a short-lived process may slip between two samples
 * (the peaks are lower bounds, which is what an upper-bound assertion needs).
 */
import { readdirSync, readFileSync } from "node:fs";

interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
}

function readEntry(pid: string): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    return { pid: Number(pid), ppid, comm };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** The comm names of every descendant of `root`. */
export function descendants(root: number): string[] {
  const children = new Map<number, ProcEntry[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readEntry(name);
    if (!entry) continue;
    const list = children.get(entry.ppid) ?? [];
    list.push(entry);
    children.set(entry.ppid, list);
  }
  const found: string[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      found.push(child.comm);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Resident set size in kB (VmRSS), or undefined once the process is gone. */
export function residentKb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface TreeSampler {
  /** Stops sampling; the highest figures seen. */
  stop(): { peakGitProcesses: number; peakResidentKb: number; samples: number };
}

export function sampleProcessTree(pid: number, intervalMs = 20): TreeSampler {
  let peakGitProcesses = 0;
  let peakResidentKb = 0;
  let samples = 0;
  const sample = () => {
    samples++;
    const git = descendants(pid).filter((comm) => comm === "git" || comm.startsWith("git-")).length;
    peakGitProcesses = Math.max(peakGitProcesses, git);
    peakResidentKb = Math.max(peakResidentKb, residentKb(pid) ?? 0);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakGitProcesses, peakResidentKb, samples };
    },
  };
}
