/**
 * The transfers `git annex sync --content` makes, for a given set of paths
 * or for the whole tree: get what this repository wants, copy to each
 * content remote what it wants, drop what is no longer wanted (numcopies
 * permitting) from the remotes and then here, export to export remotes (see
 * steps.ts). `--auto` makes git-annex itself apply preferred content and
 * annex-ignore. Paths go in bounded batches on stdin, one
 * process per step and batch, never one per file; copy and drop leave out
 * the paths whose content is certainly not here (see presence.ts).
 *
 * Every step runs with annex.alwayscommit=false: each git-annex process
 * would otherwise commit the location changes it journals to the
 * `git-annex` branch on exit, and such a commit rewrites the branch's index,
 * whose size grows with the number of keys in the repository. The
 * `git annex sync` that pushes afterwards commits the journal once
 * (git-annex reads journalled changes before the branch, so the later steps
 * see the earlier ones). A run cut short leaves them journalled, and the
 * next git-annex command that commits picks them up.
 */
import { annex, git } from "../git/run.js";
import type { AnnexRemote } from "../git/remotes.js";
import { keySize } from "./annex-keys.js";
import { pathsWithoutContent } from "./presence.js";
import { transferSteps, type Step } from "./steps.js";
import { contentLocations, readBranchPolicy } from "./wanted.js";
import { emptySummary, parseAnnexLine, type BatchResult, type TransferFailure, type TransferProgress, type TransferSummary } from "./progress.js";
import { createProgressTracker, movedByNote, type ProgressTracker } from "./progress-tracker.js";
import { waitingForContent } from "./waiting.js";

/** Path → key, or "all" for a full scan. */
export type TransferTarget = ReadonlyMap<string, string | undefined> | "all";
export { transferSteps } from "./steps.js";

export interface TransferOptions {
  /** All remotes of the repository, with their git-annex settings. */
  remotes: readonly AnnexRemote[];
  signal?: AbortSignal;
  onProgress?: (progress: TransferProgress) => void;
  /** Paths a batch holds at most (bounds a process's input and the progress step). */
  batchSize?: number;
  /** The git directory: copy and drop then skip paths whose content is certainly absent. */
  gitDir?: string;
  /** This repository's annex UUID, when the caller knows it (else read from git config). */
  here?: string | undefined;
}

export async function runTransfers(repo: string, target: TransferTarget, options: TransferOptions): Promise<TransferSummary> {
  const summary = emptySummary();
  const failed = new Map<string, TransferFailure>();
  const [here, policy] = await Promise.all([options.here ?? annexUuidOf(repo), readBranchPolicy(repo)]);
  const steps = transferSteps(options.remotes, policy, here);
  // Files each remote received or was found to have in this run (journalled, not yet in the branch's location logs).
  const sentTo = new Map<string, Set<string>>();
  const inputs = stepInputs(repo, target, options, sentTo);
  for (const step of steps) {
    if (options.signal?.aborted) break;
    const done = target === "all" || step.step === "export" ? await runWhole(repo, step, options, summary) : await runBatches(repo, step, await inputs(step), options);
    for (const result of done) {
      // A drop that numcopies forbids is not a failure to retry: sync --content leaves it too.
      if (!result.success) {
        if (step.step !== "drop") noteFailure(failed, step, result);
        continue;
      }
      // A copy that found the content already there journals it as there too.
      if (step.step === "copy" && result.file) sentTo.set(step.remote!, (sentTo.get(step.remote!) ?? new Set()).add(result.file));
      if (movedByNote(step.step, result.note, result.command)) count(summary, step);
    }
  }
  const all = [...failed.values()].sort((a, b) => a.file.localeCompare(b.file));
  summary.waiting = all.filter(waitingForContent);
  summary.failed = all.filter((f) => !waitingForContent(f));
  return summary;
}

/**
 * What a step of a targeted scan reads: the get all target paths; copy and
 * drop here only those whose content is here after the get; a drop from a
 * remote only those whose content the remote has by the location logs (or
 * received in this run). git-annex goes by the same logs, and a drop --from
 * of content the remote never had would still log it "not present".
 */
function stepInputs(repo: string, target: ReadonlyMap<string, string | undefined> | "all", options: TransferOptions, sentTo: Map<string, Set<string>>) {
  let withContent: Promise<ReadonlyMap<string, string | undefined>> | undefined;
  let locations: Promise<Map<string, Set<string>>> | undefined;
  return async (step: Step): Promise<ReadonlyMap<string, string | undefined>> => {
    if (target === "all") throw new Error("a full scan has no per-path input");
    if (step.step === "get") return target;
    if (step.step === "drop" && step.remote !== undefined) {
      locations ??= contentLocations(repo, [...target.values()].filter((k): k is string => k !== undefined));
      const where = await locations;
      const uuid = options.remotes.find((r) => r.name === step.remote)?.uuid;
      const sent = sentTo.get(step.remote) ?? new Set<string>();
      return new Map([...target].filter(([file, key]) => key === undefined || sent.has(file) || (uuid !== undefined && where.get(key)?.has(uuid))));
    }
    withContent ??= withoutAbsent(target, options.gitDir);
    return withContent;
  };
}

/** The first failure of a file is the one to tell: a copy after a failed get fails for want of content. */
function noteFailure(failed: Map<string, TransferFailure>, step: Step, result: BatchResult): void {
  const file = result.file ?? result.key ?? "?";
  if (failed.has(file)) return;
  failed.set(file, { file, step: step.step, ...(step.remote !== undefined ? { remote: step.remote } : {}), reason: result.reason ?? "failed" });
}

function count(summary: TransferSummary, step: Step): void {
  if (step.step === "get") summary.got++;
  else if (step.step === "drop") summary.dropped++;
  else summary.sent[step.remote!] = (summary.sent[step.remote!] ?? 0) + 1;
}

type Outcome = BatchResult[];

async function annexUuidOf(repo: string): Promise<string | undefined> {
  return (await git(repo, ["config", "--get", "annex.uuid"], { reject: false })).stdout.trim() || undefined;
}

async function withoutAbsent(target: ReadonlyMap<string, string | undefined>, gitDir: string | undefined) {
  if (gitDir === undefined) return target;
  const absent = await pathsWithoutContent(gitDir, target);
  return absent.size === 0 ? target : new Map([...target].filter(([file]) => !absent.has(file)));
}

/**
 * One process over the whole tree. A drop from a remote is limited to the
 * files the remote has by the location logs (`--in`): drop --from would
 * otherwise log every other file "not present" there, which sync --content
 * does not.
 */
async function runWhole(repo: string, step: Step, options: TransferOptions, summary: TransferSummary): Promise<Outcome> {
  const only = step.step === "drop" && step.remote !== undefined ? ["--in", step.remote] : [];
  const tracker = createProgressTracker({ step: step.step, remote: step.remote });
  const { outcome, exitCode } = await runStreaming(repo, [...step.args, ...only, ...jsonArgs(step)], undefined, tracker, options);
  if (exitCode !== 0 && outcome.every((r) => r.success)) {
    summary.cutShort = true;
    outcome.push({ file: `(${step.step} of the whole tree)`, key: undefined, success: false, reason: exitCode === null ? "git-annex was stopped" : `git-annex exited ${exitCode}` });
  }
  return outcome;
}

async function runBatches(repo: string, step: Step, target: ReadonlyMap<string, string | undefined>, options: TransferOptions): Promise<Outcome> {
  const paths = [...target.keys()];
  if (paths.length === 0) return [];
  const files = paths.map((path) => ({ path, size: keySize(target.get(path) ?? "") ?? 0 }));
  // One tracker over every batch of the step: its counts run from the first file to the last.
  const tracker = createProgressTracker({ step: step.step, remote: step.remote, files });
  const outcome: Outcome = [];
  const batchSize = options.batchSize ?? 200;
  for (let at = 0; at < paths.length && !options.signal?.aborted; at += batchSize) {
    const batch = paths.slice(at, at + batchSize);
    const args = [...step.args, "--batch", "-z", ...jsonArgs(step)];
    const run = await runStreaming(repo, args, `${batch.join("\0")}\0`, tracker, options);
    tracker.skipTo(at + batch.length);
    outcome.push(...run.outcome, ...unansweredFailures(batch, run));
  }
  return outcome;
}

/**
 * The failures a batch process that failed left unsaid. Answers come in
 * input order: the paths after its last answer were never tried, and are
 * retried later (every path, when it answered all well and still failed).
 * Pure.
 */
export function unansweredFailures(batch: readonly string[], run: { outcome: readonly BatchResult[]; answers: number; exitCode: number | null }): BatchResult[] {
  if (run.exitCode === 0) return [];
  const reason = run.exitCode === null ? "git-annex was stopped" : `git-annex exited ${run.exitCode}`;
  const failed = (file: string): BatchResult => ({ file, key: undefined, success: false, reason });
  const unanswered = batch.slice(run.answers);
  if (unanswered.length > 0) return unanswered.map(failed);
  return run.outcome.every((r) => r.success) ? batch.map(failed) : [];
}

/** Transfers report per-file progress; drops have none. */
function jsonArgs(step: Step): string[] {
  return ["--json", "--json-error-messages", ...(step.step === "get" || step.step === "copy" ? ["--json-progress"] : [])];
}

/** Runs one git-annex process, its output read line by line as it comes: results kept, progress passed on. */
async function runStreaming(repo: string, args: string[], input: string | undefined, tracker: ProgressTracker, options: TransferOptions) {
  const outcome: Outcome = [];
  /** Results and blank lines: one per `--batch` input line. */
  let answers = 0;
  const onLine = (text: string) => {
    const line = parseAnnexLine(text);
    if (line.kind === "result" || line.kind === "empty") answers++;
    if (line.kind === "result") outcome.push(line.result);
    if (tracker.take(line)) options.onProgress?.(tracker.snapshot());
  };
  const result = await annex(repo, args, { ...(input !== undefined ? { input } : {}), reject: false, signal: options.signal, onLine });
  return { outcome, answers, exitCode: result.exitCode };
}
