/**
 * Progress of a run's transfers and its one-line summary. Pure formatting;
 * whoever shows it (a terminal line, a log) is passed in.
 */

export type TransferStep = "get" | "copy" | "drop" | "export";

export interface FileProgress {
  file: string;
  bytesDone: number;
  /** The file's size, when git-annex knows it. */
  bytesTotal: number | undefined;
  /** Where it comes from or goes to, as git-annex says ("from origin", "to s3"). */
  direction?: string;
}

export interface TransferProgress {
  step: TransferStep;
  /** The remote of a copy step. */
  remote?: string;
  /** Files this step has finished, out of those it had to move (files it found nothing to do for leave the count). */
  filesDone: number;
  /** Undefined in a full scan, where git-annex alone knows how many files it will act on. */
  filesTotal: number | undefined;
  /** Known sizes only (keys carry their size, most backends); bytes of the file moving now included. */
  bytesDone: number;
  bytesTotal: number;
  /** The file moving now. */
  current?: FileProgress;
  /** Seconds left at the rate so far, once there is a rate to go by. */
  secondsLeft?: number;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatProgress(p: TransferProgress): string {
  const direction = p.current?.direction ?? (p.remote !== undefined ? `${p.step === "copy" || p.step === "export" ? "to" : "from"} ${p.remote}` : undefined);
  const what = direction ? `${p.step} ${direction}` : p.step;
  const files = p.filesTotal === undefined ? `${p.filesDone} file(s) done` : `${p.filesDone} of ${p.filesTotal} files`;
  const bytes = p.bytesTotal > 0 ? `, ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : "";
  const left = p.secondsLeft !== undefined ? `, ${formatDuration(p.secondsLeft)} left` : "";
  const now = p.current ? `; now ${p.current.file}${p.current.bytesTotal ? ` ${percent(p.current.bytesDone, p.current.bytesTotal)}` : ""}` : "";
  return `${what}: ${files}${bytes}${left}${now}`;
}

function percent(done: number, total: number): string {
  return `${Math.min(100, Math.floor((done / total) * 100))}%`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export interface TransferFailure {
  /** The path (or key, in a full scan without paths). */
  file: string;
  step: TransferStep;
  /** The remote of a copy step. */
  remote?: string;
  /** git-annex's own words. */
  reason: string;
}

export interface TransferSummary {
  got: number;
  /** Remote name → files copied there. */
  sent: Record<string, number>;
  dropped: number;
  /** Transfers that failed: retried on the next sync. */
  failed: TransferFailure[];
  /** Files whose content no reachable remote has: waiting for it, not failures (wanted.ts, waitingForContent). */
  waiting: TransferFailure[];
  /**
   * A whole-tree step's git-annex failed without naming a file (it died):
   * what it did not get to is unknown, so a full scan was not done.
   */
  cutShort: boolean;
}

export function emptySummary(): TransferSummary {
  return { got: 0, sent: {}, dropped: 0, failed: [], waiting: [], cutShort: false };
}

export interface RunFigures {
  scan: "targeted" | "full";
  /** Paths considered; undefined for a full scan. */
  paths: number | undefined;
  pullMs: number;
  scanMs: number;
  transferMs: number;
  pushMs: number;
}

/** The one line a run leaves in the log. */
export function formatSummary(summary: TransferSummary, figures: RunFigures): string {
  const sentTotal = Object.values(summary.sent).reduce((a, b) => a + b, 0);
  const perRemote = Object.entries(summary.sent)
    .filter(([, n]) => n > 0)
    .map(([remote, n]) => `${remote} ${n}`)
    .join(", ");
  const scope = figures.scan === "full" ? "full scan" : `targeted scan of ${figures.paths ?? 0} path(s)`;
  const waiting = summary.waiting.length > 0 ? `, waiting for content ${summary.waiting.length}` : "";
  return (
    `transfers (${scope}): got ${summary.got}, sent ${sentTotal}${perRemote ? ` (${perRemote})` : ""}, ` +
    `dropped ${summary.dropped}, failed ${summary.failed.length}${waiting}; ` +
    `pull ${figures.pullMs} ms, scan ${figures.scanMs} ms, transfer ${figures.transferMs} ms, push ${figures.pushMs} ms`
  );
}

export interface BatchResult {
  file: string | undefined;
  key: string | undefined;
  success: boolean;
  /** "export ex", "get", …: the command as git-annex names it. */
  command?: string;
  /** "from R..." / "to R..." when content moved; "not available" when no remote has it. */
  note?: string;
  /** Why it failed, in git-annex's words (its error messages, else its note). */
  reason?: string;
}

/** A `--json-progress` line: how far the transfer of one file is. */
export interface ProgressLine {
  file: string | undefined;
  bytesDone: number;
  bytesTotal: number | undefined;
  /** "from origin", "to s3". */
  direction: string | undefined;
}

export type AnnexLine = { kind: "result"; result: BatchResult } | { kind: "progress"; progress: ProgressLine } | { kind: "empty" } | { kind: "other" };

/**
 * One line of git-annex's `--json` output: a file's result (it carries
 * `success`), a `--json-progress` line (`byte-progress` under an `action`),
 * or the empty line `--batch` answers for a file it has nothing to do for.
 */
export function parseAnnexLine(line: string): AnnexLine {
  if (line.trim() === "") return { kind: "empty" };
  if (!line.startsWith("{")) return { kind: "other" };
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { kind: "other" };
  }
  if (value === null || typeof value !== "object") return { kind: "other" };
  if (typeof value.success === "boolean") return { kind: "result", result: toResult(value, value.success) };
  const action = value.action as Record<string, unknown> | undefined;
  if (typeof value["byte-progress"] !== "number" || action === null || typeof action !== "object") return { kind: "other" };
  const total = value["total-size"];
  return {
    kind: "progress",
    progress: {
      file: str(action.file),
      bytesDone: value["byte-progress"],
      bytesTotal: typeof total === "number" ? total : undefined,
      direction: directionOf(str(action.note)),
    },
  };
}

function toResult(value: Record<string, unknown>, success: boolean): BatchResult {
  const note = str(value.note);
  const messages = Array.isArray(value["error-messages"]) ? value["error-messages"].filter((m): m is string => typeof m === "string") : [];
  const reason = success ? undefined : oneLine([...messages, ...(messages.length === 0 && note ? [note] : [])].join("; ")) || "failed";
  return {
    file: str(value.file),
    key: str(value.key),
    success,
    ...(str(value.command) !== undefined ? { command: str(value.command)! } : {}),
    ...(note !== undefined ? { note } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** "from origin..." → "from origin". */
function directionOf(note: string | undefined): string | undefined {
  const match = /^(from|to) (.+?)(\.\.\.)?$/.exec(note?.split("\n")[0] ?? "");
  return match ? `${match[1]} ${match[2]}` : undefined;
}
