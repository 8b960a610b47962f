/**
 * Questions on a terminal, for the guided `configure`: plain answers are
 * echoed by readline as usual; a hidden one (the password) runs with the
 * terminal in raw mode (readline sets it, so the terminal itself echoes
 * nothing) and readline's own echo going to a muted stream, so no
 * character of it reaches the screen. Prompts go to stderr: stdout stays
 * the command's output. Ctrl-C or Ctrl-D cancels.
 */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import type { Prompter } from "../commands/context.js";
import { AppError } from "../errors.js";

export class PromptCancelledError extends AppError {
  constructor() {
    super("ECANCELLED", "cancelled: nothing was saved");
  }
}

/** Whether questions can be asked: stdin and stderr are both a terminal. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export function createTerminalPrompter(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Prompter {
  let muted = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  // readline draws its line as wide as the terminal it believes it writes to.
  Object.assign(sink, { isTTY: true, columns: output.columns || 80 });
  // No history: Up at a later question would otherwise bring the password back, visible.
  const rl = createInterface({ input, output: sink, terminal: true, historySize: 0 });
  return {
    say: (text) => void output.write(`${text}\n`),
    ask: (question, options = {}) =>
      new Promise<string>((resolve, reject) => {
        const shown = options.default !== undefined && !options.hidden ? ` [${options.default}]` : "";
        const cancel = () => {
          muted = false;
          output.write("\n");
          rl.off("close", cancel);
          rl.off("SIGINT", cancel);
          reject(new PromptCancelledError());
        };
        rl.once("close", cancel);
        rl.once("SIGINT", cancel);
        const answered = (answer: string) => {
          rl.off("close", cancel);
          rl.off("SIGINT", cancel);
          if (muted) output.write("\n");
          muted = false;
          resolve(answer.trim() === "" ? (options.default ?? "") : options.hidden ? answer : answer.trim());
        };
        if (options.hidden) {
          output.write(`${question}: `);
          muted = true;
          rl.question("", answered);
        } else {
          rl.question(`${question}${shown}: `, answered);
        }
      }),
    close: () => rl.close(),
  };
}
