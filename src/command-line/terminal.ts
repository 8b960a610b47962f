/**
 * Questions on a terminal, for the guided `configure`: plain answers are
 * echoed by readline as usual; a hidden one (the password) runs with the
 * terminal in raw mode (readline sets it, so the terminal itself echoes
 * nothing) and readline's own echo going to a muted stream, so no
 * character of it reaches the screen. One readline interface per question:
 * between questions (while configure logs in) the terminal is back in its
 * normal mode and Ctrl-C is the usual signal. Prompts go to stderr: stdout
 * stays the command's output. Ctrl-C or Ctrl-D at a question cancels.
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
  return {
    say: (text) => void output.write(`${text}\n`),
    ask: (question, options = {}) => askOnce(input, output, question, options),
    close: () => {},
  };
}

function askOnce(input: NodeJS.ReadStream, output: NodeJS.WriteStream, question: string, options: { default?: string; hidden?: boolean }): Promise<string> {
  let muted = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  // readline draws its line as wide as the terminal it believes it writes to.
  Object.assign(sink, { isTTY: true, columns: output.columns || 80 });
  // No history: nothing typed here (a password) can be brought back with Up.
  const rl = createInterface({ input, output: sink, terminal: true, historySize: 0 });
  return new Promise<string>((resolve, reject) => {
    let answered = false;
    const cancel = () => {
      if (answered) return;
      answered = true;
      output.write("\n");
      rl.close();
      reject(new PromptCancelledError());
    };
    rl.once("close", cancel);
    rl.once("SIGINT", cancel);
    const done = (answer: string) => {
      answered = true;
      if (muted) output.write("\n");
      rl.close();
      resolve(answer.trim() === "" ? (options.default ?? "") : options.hidden ? answer : answer.trim());
    };
    if (options.hidden) {
      output.write(`${question}: `);
      muted = true;
      rl.question("", done);
    } else {
      const shown = options.default !== undefined ? ` [${options.default}]` : "";
      rl.question(`${question}${shown}: `, done);
    }
  });
}
