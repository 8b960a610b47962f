/**
 * What a sync remembers of the transfers that did not happen: failures
 * (retried on every sync until they succeed) and files waiting for
 * content that no reachable remote has. A file waits, it is not retried:
 * it comes back into a targeted scan when its key's location log changes
 * (some repository says it has the content now) and in every full scan.
 * Each failure and each waiting file is told once, when it first appears
 * or its reason changes, not on every sync. Pure.
 */
import type { TransferFailure, TransferStep } from "./progress.js";

export interface FailureRecord {
  step: TransferStep;
  remote?: string;
  reason: string;
  /** When it first failed this way (ISO time). */
  since: string;
}

export type FailureMap = Record<string, FailureRecord>;

/**
 * git-annex's words for a get that no remote can serve: no copy is known
 * anywhere it can reach ("not available"), or the only remotes that have it
 * cannot be reached (a drive unplugged, a host down).
 */
export function waitingForContent(failure: Pick<TransferFailure, "step" | "reason">): boolean {
  return failure.step === "get" && /not available|Unable to access these remotes|No other repository is known to contain/i.test(failure.reason);
}

export interface Outcome {
  failures: FailureMap;
  waiting: FailureMap;
  /** Failures not told before (new, or failing for another reason now). */
  newFailures: TransferFailure[];
  newWaiting: TransferFailure[];
  /** Files that waited or failed before and were moved now. */
  resolved: string[];
}

/**
 * The records after a run. A full scan tried every file: what it did not
 * report is resolved. A targeted scan tried only `tried`: records of other
 * files stand.
 */
export function recordOutcome(
  before: { failures: FailureMap; waiting: FailureMap },
  run: { tried: ReadonlySet<string> | "all"; failed: readonly TransferFailure[]; waiting: readonly TransferFailure[]; now: string },
): Outcome {
  const keep = (map: FailureMap) => (run.tried === "all" ? {} : Object.fromEntries(Object.entries(map).filter(([file]) => !(run.tried as ReadonlySet<string>).has(file))));
  const failures = keep(before.failures);
  const waiting = keep(before.waiting);
  const record = (into: FailureMap, previous: FailureMap, fresh: TransferFailure[]) => (f: TransferFailure) => {
    const old = previous[f.file];
    const same = old !== undefined && old.reason === f.reason;
    into[f.file] = { step: f.step, ...(f.remote !== undefined ? { remote: f.remote } : {}), reason: f.reason, since: same ? old.since : run.now };
    if (!same) fresh.push(f);
  };
  const newFailures: TransferFailure[] = [];
  const newWaiting: TransferFailure[] = [];
  run.failed.forEach(record(failures, before.failures, newFailures));
  run.waiting.forEach(record(waiting, before.waiting, newWaiting));
  const now = new Set([...Object.keys(failures), ...Object.keys(waiting)]);
  const resolved = [...Object.keys(before.failures), ...Object.keys(before.waiting)].filter((file) => !now.has(file));
  return { failures, waiting, newFailures, newWaiting, resolved: [...new Set(resolved)].sort() };
}

/**
 * The files a run tried: every file in a full scan, unless a step's
 * git-annex died without saying how far it got (then none can be counted
 * as tried, and the records stand); in a targeted scan its paths and the
 * left-over failures (one that is no longer an annexed file has nothing
 * left to move).
 */
export function triedBy(target: ReadonlyMap<string, unknown> | "all", pending: readonly string[], cutShort: boolean): ReadonlySet<string> | "all" {
  if (target === "all") return cutShort ? new Set() : "all";
  return new Set([...target.keys(), ...pending]);
}

/** At most this many files are named in the log per run; `status` lists them all. */
const NAMED_PER_RUN = 20;

/** The log lines for a run's new failures and new waiting files. */
export function describeOutcome(outcome: Pick<Outcome, "newFailures" | "newWaiting">): string[] {
  const lines = outcome.newFailures.slice(0, NAMED_PER_RUN).map((f) => `transfer failed: ${describeFailure(f)}; retried on the next sync`);
  const more = outcome.newFailures.length - NAMED_PER_RUN;
  if (more > 0) lines.push(`${more} more transfer(s) failed; git-annex-xmpp status lists them`);
  if (outcome.newWaiting.length > 0) {
    const names = outcome.newWaiting.slice(0, 5).map((f) => f.file);
    const rest = outcome.newWaiting.length - names.length;
    const reason = outcome.newWaiting[0]!.reason;
    lines.push(
      `waiting for content: ${outcome.newWaiting.length} file(s) no reachable remote has (${names.join(", ")}${rest > 0 ? ` and ${rest} more` : ""}: ${reason}); ` +
        "fetched once a repository that has them announces it, or by the next full scan",
    );
  }
  return lines;
}

export function describeFailure(f: Pick<TransferFailure, "file" | "step" | "remote" | "reason">): string {
  return `${f.step} ${f.file}${f.remote !== undefined ? ` ${f.step === "copy" || f.step === "export" ? "to" : "from"} ${f.remote}` : ""}: ${f.reason}`;
}
