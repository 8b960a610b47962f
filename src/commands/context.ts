import type { Logger } from "../log.js";

/**
 * What every command receives from cli.ts. Commands never read
 * process.cwd(), process.env or write to process.stdout themselves, so
 * tests can call them with small fakes.
 */
export interface CommandContext {
  log: Logger;
  /** Directory the user ran the command in (default for --repo). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Command output (stdout). Logs go through `log` (stderr). */
  out: (text: string) => void;
  /** Resolves when the user asks the process to stop (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** Registers what a reload request (SIGHUP) does; without one, SIGHUP stops the command. */
  onReload?(handler: () => void): void;
  /** Value of --config, if given. */
  configPath?: string;
  verbose: boolean;
  /** Questions to the user; only on a terminal, only for commands that ask (configure). */
  prompt?: Prompter;
}

/** Asks the user on a terminal (src/command-line/terminal.ts); tests pass scripted answers. */
export interface Prompter {
  /** One answer; an empty one is `default` (for a hidden question too). */
  ask(question: string, options?: { default?: string; hidden?: boolean }): Promise<string>;
  /** A line of guidance between questions (stderr). */
  say(text: string): void;
  close(): void;
}
