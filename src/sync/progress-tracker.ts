/**
 * Follows one transfer step through git-annex's `--json --json-progress`
 * output, line by line: which file is moving and how far, how many files
 * and bytes are done, and how long the rest will take at the rate so far.
 * A file the step found nothing to do for (content already where it was
 * going: an empty `--batch` line, or a success without "from"/"to") leaves
 * the totals: "3 of 10 files" counts files that actually move. Pure; the
 * clock is passed in.
 */
import type { AnnexLine, TransferProgress, TransferStep } from "./progress.js";

export interface StepFiles {
  step: TransferStep;
  remote?: string | undefined;
  /** The paths of the step in the order git-annex is given them, with their sizes where known; undefined in a full scan. */
  files?: ReadonlyArray<{ path: string; size: number }>;
}

export interface ProgressTracker {
  /** Takes one parsed line; true when the progress changed. */
  take(line: AnnexLine): boolean;
  /**
   * A batch process ended: the next answer is for file `position` (the
   * next batch's first). Files it never answered (it died) leave the
   * totals; without this, every later answer would be counted for the
   * wrong file and size.
   */
  skipTo(position: number): void;
  snapshot(): TransferProgress;
}

/** Before this much time has passed, a rate says little. */
const MIN_ELAPSED_FOR_ETA_MS = 1000;

export function createProgressTracker(step: StepFiles, now: () => number = Date.now): ProgressTracker {
  const startedAt = now();
  const files = step.files;
  let index = 0;
  let filesTotal = files?.length;
  let bytesTotal = files?.reduce((sum, f) => sum + f.size, 0) ?? 0;
  let filesDone = 0;
  let bytesDone = 0;
  let current: TransferProgress["current"];
  const sizeOf = (path: string | undefined) => files?.find((f) => f.path === path)?.size ?? 0;
  const finish = (file: string | undefined, moved: boolean) => {
    // In a batch, answers come in input order: the n-th answer is the n-th path.
    const path = files ? files[index]?.path : file;
    index++;
    const size = files ? (files[index - 1]?.size ?? 0) : (current?.bytesTotal ?? 0);
    if (moved) {
      filesDone++;
      bytesDone += size;
      if (!files) bytesTotal += size;
    } else if (files) {
      filesTotal = (filesTotal ?? 1) - 1;
      bytesTotal -= size;
    }
    if (current?.file === path || current?.file === file) current = undefined;
  };
  return {
    take(line) {
      if (line.kind === "progress") {
        const p = line.progress;
        const file = p.file ?? current?.file ?? "?";
        current = { file, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal ?? (sizeOf(file) || undefined), ...(p.direction ? { direction: p.direction } : {}) };
        return true;
      }
      if (line.kind === "empty" && files) {
        finish(undefined, false);
        return true;
      }
      if (line.kind === "result") {
        finish(line.result.file, line.result.success && movedByNote(step.step, line.result.note, line.result.command));
        return true;
      }
      return false;
    },
    skipTo(position) {
      if (!files) return;
      while (index < position && index < files.length) finish(undefined, false);
      current = undefined;
    },
    snapshot() {
      const moving = current?.bytesDone ?? 0;
      const done = bytesDone + moving;
      const total = files ? bytesTotal : bytesTotal + (current?.bytesTotal ?? 0);
      const elapsed = now() - startedAt;
      const rate = elapsed >= MIN_ELAPSED_FOR_ETA_MS && done > 0 ? done / elapsed : undefined;
      const secondsLeft = rate !== undefined && files && total >= done ? (total - done) / rate / 1000 : undefined;
      return {
        step: step.step,
        ...(step.remote !== undefined ? { remote: step.remote } : {}),
        filesDone,
        filesTotal,
        bytesDone: done,
        bytesTotal: total,
        ...(current ? { current: { ...current } } : {}),
        ...(secondsLeft !== undefined ? { secondsLeft } : {}),
      };
    },
  };
}

/**
 * Whether a successful result moved anything. `get` and `copy` also answer
 * success for content already where it was going (a remote that had it
 * without the location log knowing, say); only a transfer carries the
 * "from R…" / "to R…" note. An export line is a file sent; its
 * "unexport" lines are removals.
 */
export function movedByNote(step: TransferStep, note: string | undefined, command: string | undefined): boolean {
  if (step === "get") return note?.startsWith("from ") ?? false;
  if (step === "copy") return note?.startsWith("to ") ?? false;
  if (step === "export") return command?.startsWith("export") ?? false;
  return true;
}
