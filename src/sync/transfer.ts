/**
 * The transfers `git annex sync --content` makes, for a given set of paths
 * or for the whole tree: get what this repository wants, copy to each
 * content remote what it wants, drop here what is no longer wanted (numcopies
 * permitting). `--auto` makes git-annex itself apply preferred content,
 * numcopies and annex-ignore. Paths go in bounded batches on stdin, one
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
import { contentLocations, uuidsWithPreferredContent } from "./wanted.js";
import { emptySummary, parseJsonResults, type TransferProgress, type TransferStep, type TransferSummary } from "./progress.js";

/** Path → key, or "all" for a full scan. */
export type TransferTarget = ReadonlyMap<string, string | undefined> | "all";

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

interface Step {
  step: TransferStep;
  remote?: string;
  args: string[];
}

/**
 * Content moves only with remotes that `git annex sync --content` would use:
 * with an annex UUID, annex-sync not false, annex-ignore not true. A remote
 * with annex-sync=false is hidden from `get` through `-c …annex-ignore=true`.
 *
 * `--auto` is what sync --content does only for a repository with a
 * preferred content expression (`withWanted`: their UUIDs, `here` ours).
 * Without one, sync --content treats the repository as wanting everything
 * (Annex/Wanted.hs with its default True): it gets or sends every file and
 * never drops — while `get --auto` would only get, and `drop --auto` would
 * drop, by numcopies. So: plain get / copy there, no drop, and drops from a
 * remote (as sync --content also makes) only where it has an expression.
 */
export function transferSteps(remotes: readonly AnnexRemote[], withWanted: ReadonlySet<string> = new Set(), here?: string): Step[] {
  const hidden = remotes.filter((r) => r.uuid !== undefined && !r.sync).flatMap((r) => ["-c", `remote.${r.name}.annex-ignore=true`]);
  const targets = remotes.filter((r) => r.uuid !== undefined && r.sync && !r.ignore);
  const journalOnly = ["-c", "annex.alwayscommit=false"];
  const auto = (uuid: string | undefined) => (uuid !== undefined && withWanted.has(uuid) ? ["--auto"] : []);
  const hereWants = here !== undefined && withWanted.has(here);
  return [
    { step: "get", args: ["get", ...journalOnly, ...hidden, ...auto(here)] },
    ...targets.map((r): Step => ({ step: "copy", remote: r.name, args: ["copy", ...journalOnly, ...auto(r.uuid), "--to", r.name] })),
    ...(hereWants ? [{ step: "drop" as const, args: ["drop", ...journalOnly, "--auto"] }] : []),
    ...targets
      .filter((r) => withWanted.has(r.uuid!))
      .map((r): Step => ({ step: "drop", remote: r.name, args: ["drop", ...journalOnly, "--auto", "--from", r.name] })),
  ];
}

export async function runTransfers(repo: string, target: TransferTarget, options: TransferOptions): Promise<TransferSummary> {
  const summary = emptySummary();
  const failed = new Set<string>();
  let withContent: ReadonlyMap<string, string | undefined> | undefined;
  const [here, withWanted] = await Promise.all([options.here ?? annexUuidOf(repo), uuidsWithPreferredContent(repo)]);
  const steps = transferSteps(options.remotes, withWanted, here);
  // Files each remote received in this run (journalled, not yet in the branch's location logs).
  const sentTo = new Map<string, Set<string>>();
  let locations: Map<string, Set<string>> | undefined;
  for (const step of steps) {
    if (options.signal?.aborted) break;
    let done: Outcome;
    if (target === "all") done = await runWhole(repo, step, options);
    else if (step.step === "get") done = await runBatches(repo, step, target, options);
    else if (step.step === "drop" && step.remote !== undefined) {
      // A drop from a remote concerns the remote's copy, whatever is here:
      // only paths whose content it has (git-annex goes by the same logs).
      locations ??= await contentLocations(repo, [...target.values()].filter((k): k is string => k !== undefined));
      const uuid = options.remotes.find((r) => r.name === step.remote)?.uuid;
      const sent = sentTo.get(step.remote) ?? new Set<string>();
      const there = [...target].filter(([file, key]) => key === undefined || sent.has(file) || (uuid !== undefined && locations!.get(key)?.has(uuid)));
      done = await runBatches(repo, step, new Map(there), options);
    } else {
      // After the get: what it fetched is here now.
      withContent ??= await withoutAbsent(target, options.gitDir);
      done = await runBatches(repo, step, withContent, options);
    }
    for (const result of done) {
      // A drop that numcopies forbids is not a failure to retry: sync --content leaves it too.
      if (!result.success) {
        if (step.step !== "drop") failed.add(result.file ?? result.key ?? "?");
      } else if (step.step === "get") summary.got++;
      else if (step.step === "drop") summary.dropped++;
      else {
        summary.sent[step.remote!] = (summary.sent[step.remote!] ?? 0) + 1;
        if (result.file) sentTo.set(step.remote!, (sentTo.get(step.remote!) ?? new Set()).add(result.file));
      }
    }
  }
  summary.failed = [...failed].sort();
  return summary;
}

type Outcome = ReturnType<typeof parseJsonResults>;

async function annexUuidOf(repo: string): Promise<string | undefined> {
  return (await git(repo, ["config", "--get", "annex.uuid"], { reject: false })).stdout.trim() || undefined;
}

async function withoutAbsent(target: ReadonlyMap<string, string | undefined>, gitDir: string | undefined) {
  if (gitDir === undefined) return target;
  const absent = await pathsWithoutContent(gitDir, target);
  return absent.size === 0 ? target : new Map([...target].filter(([file]) => !absent.has(file)));
}

async function runWhole(repo: string, step: Step, options: TransferOptions): Promise<Outcome> {
  const result = await annex(repo, [...step.args, "--json", "--json-error-messages"], { reject: false, signal: options.signal });
  const outcome = parseJsonResults(result.stdout);
  if (result.exitCode !== 0 && outcome.every((r) => r.success)) outcome.push({ file: `(${step.step} of the whole tree)`, key: undefined, success: false });
  return outcome;
}

async function runBatches(repo: string, step: Step, target: ReadonlyMap<string, string | undefined>, options: TransferOptions): Promise<Outcome> {
  const paths = [...target.keys()];
  if (paths.length === 0) return [];
  const size = (path: string) => keySize(target.get(path) ?? "") ?? 0;
  const progress: TransferProgress = { step: step.step, remote: step.remote, filesDone: 0, filesTotal: paths.length, bytesDone: 0, bytesTotal: 0 };
  progress.bytesTotal = paths.reduce((sum, p) => sum + size(p), 0);
  const outcome: Outcome = [];
  const batchSize = options.batchSize ?? 200;
  for (let at = 0; at < paths.length && !options.signal?.aborted; at += batchSize) {
    const batch = paths.slice(at, at + batchSize);
    const args = [...step.args, "--batch", "-z", "--json", "--json-error-messages"];
    const result = await annex(repo, args, { input: `${batch.join("\0")}\0`, reject: false, signal: options.signal });
    const results = parseJsonResults(result.stdout);
    // A process that died without answering: every path of the batch is retried later.
    if (result.exitCode !== 0 && results.every((r) => r.success)) results.push(...batch.map((file) => ({ file, key: undefined, success: false })));
    outcome.push(...results);
    progress.filesDone += batch.length;
    progress.bytesDone += batch.reduce((sum, p) => sum + size(p), 0);
    options.onProgress?.({ ...progress });
  }
  return outcome;
}
