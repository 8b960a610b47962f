/**
 * Progress of a run's transfers and its one-line summary. Pure formatting;
 * whoever shows it (a terminal line, a log) is passed in.
 */

export type TransferStep = "get" | "copy" | "drop" | "export";

export interface TransferProgress {
  step: TransferStep;
  /** The remote of a copy step. */
  remote?: string;
  filesDone: number;
  filesTotal: number;
  /** Known sizes only (keys carry their size, most backends). */
  bytesDone: number;
  bytesTotal: number;
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
  const what = p.step === "copy" || p.step === "export" ? `${p.step} to ${p.remote ?? "?"}` : p.remote !== undefined ? `${p.step} from ${p.remote}` : p.step;
  const bytes = p.bytesTotal > 0 ? `, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}` : "";
  return `${what}: ${p.filesDone}/${p.filesTotal} files${bytes}`;
}

export interface TransferSummary {
  got: number;
  /** Remote name → files copied there. */
  sent: Record<string, number>;
  dropped: number;
  /** Paths (or keys, in a full scan without paths) whose transfer failed. */
  failed: string[];
}

export function emptySummary(): TransferSummary {
  return { got: 0, sent: {}, dropped: 0, failed: [] };
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
  return (
    `transfers (${scope}): got ${summary.got}, sent ${sentTotal}${perRemote ? ` (${perRemote})` : ""}, ` +
    `dropped ${summary.dropped}, failed ${summary.failed.length}; ` +
    `pull ${figures.pullMs} ms, scan ${figures.scanMs} ms, transfer ${figures.transferMs} ms, push ${figures.pushMs} ms`
  );
}

export interface BatchResult {
  file: string | undefined;
  key: string | undefined;
  success: boolean;
  /** "export ex", "get", …: the command as git-annex names it. */
  command?: string;
  /** "from R..." / "to R..." when content moved. */
  note?: string;
}

/**
 * git-annex `--json` output: one JSON object a line for each file it acted
 * on (`--batch` answers a file it skips with an empty line). Progress lines
 * (`--json-progress`) carry no `success` and are left out.
 */
export function parseJsonResults(stdout: string): BatchResult[] {
  const results: BatchResult[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    let value: { file?: unknown; key?: unknown; success?: unknown; command?: unknown; note?: unknown };
    try {
      value = JSON.parse(line) as typeof value;
    } catch {
      continue;
    }
    if (typeof value.success !== "boolean") continue;
    results.push({
      file: typeof value.file === "string" ? value.file : undefined,
      key: typeof value.key === "string" ? value.key : undefined,
      success: value.success,
      ...(typeof value.command === "string" ? { command: value.command } : {}),
      ...(typeof value.note === "string" ? { note: value.note } : {}),
    });
  }
  return results;
}
