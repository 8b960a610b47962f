/**
 * Transfer progress on one self-rewriting terminal line. Only for a
 * terminal: a log (a file, journald) gets the run's summary line instead.
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

export function createProgressLine(terminal: TerminalLike): ProgressSink | undefined {
  if (!terminal.isTTY) return undefined;
  let shown = false;
  return {
    update(progress) {
      terminal.write(`\r\x1b[K${formatProgress(progress)}`);
      shown = true;
    },
    end() {
      if (shown) terminal.write("\r\x1b[K");
      shown = false;
    },
  };
}
