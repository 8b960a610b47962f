/**
 * Where transfer progress goes while a sync runs: one self-rewriting line
 * on a terminal; in a log (a file, journald), a line once a step has run
 * for a second and then every ten seconds, so a 200 MB file over a slow
 * link is not silent and a fast sync leaves no progress lines at all; and
 * always to `status` (the agent's status file, which bounds its own
 * writes).
 */
import { formatProgress, type TransferProgress } from "./progress.js";

export interface ProgressSink {
  update(progress: TransferProgress): void;
  /** The run's transfers are over: leave the terminal line clean. */
  end(): void;
}

export interface TerminalLike {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressOutputs {
  /** The agent's stderr: a terminal gets the updating line, anything else log lines. */
  terminal: TerminalLike;
  log: (line: string) => void;
  /** `status`: every update, and undefined when the transfers end. */
  status?: (progress: TransferProgress | undefined) => void;
  now?: () => number;
}

/** A step's first log line after this long; then one every LOG_EVERY_MS. */
const LOG_AFTER_MS = 1000;
const LOG_EVERY_MS = 10_000;
/** A terminal line is redrawn at most this often. */
const DRAW_EVERY_MS = 100;

export function createProgressReporter(outputs: ProgressOutputs): ProgressSink {
  const now = outputs.now ?? Date.now;
  const onTerminal = outputs.terminal.isTTY === true;
  let shown = false;
  let stepKey: string | undefined;
  let stepStarted = 0;
  let lastOut = 0;
  return {
    update(progress) {
      outputs.status?.(progress);
      const at = now();
      const key = `${progress.step} ${progress.remote ?? ""}`;
      if (key !== stepKey) {
        stepKey = key;
        stepStarted = at;
        lastOut = -Infinity;
      }
      if (onTerminal) {
        if (at - lastOut < DRAW_EVERY_MS) return;
        outputs.terminal.write(`\r\x1b[K${formatProgress(progress)}`);
        shown = true;
      } else {
        if (at - stepStarted < LOG_AFTER_MS || at - lastOut < LOG_EVERY_MS) return;
        outputs.log(`progress: ${formatProgress(progress)}`);
      }
      lastOut = at;
    },
    end() {
      outputs.status?.(undefined);
      if (shown) outputs.terminal.write("\r\x1b[K");
      shown = false;
      stepKey = undefined;
    },
  };
}
