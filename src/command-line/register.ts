/**
 * What every command's registration shares: the global options, the
 * context a command runs with, and the `--repo` option. Only main.ts and
 * this folder read process.* (argv, env, stdio).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Argv } from "yargs";
import type { CommandContext } from "../commands/context.js";
import { createLogger, setCommandLogger, type LogLevel } from "../log.js";
import { UsageError } from "../errors.js";

export interface GlobalArgs {
  config?: string;
  verbose?: boolean;
  quiet?: boolean;
}

/** Adds one command (or a few) to the command line; handlers import their module lazily. */
export type Register = (y: Argv<GlobalArgs>, signal: AbortSignal) => Argv<GlobalArgs>;

/** A detached process (the hook's sender) logs to this file, with timestamps. */
function fileWriter(file: string): (line: string) => void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  return (line) => appendFileSync(file, line, { mode: 0o600 });
}

/** What SIGHUP does for the running command (the agent reloads its repositories); main.ts calls them. */
export const reloaders: Array<() => void> = [];

export function contextFrom(argv: GlobalArgs, signal: AbortSignal, daemon = false, logFile?: string): CommandContext {
  const level: LogLevel = argv.verbose ? "debug" : argv.quiet ? "warn" : "info";
  const log = createLogger({ level, timestamps: daemon || logFile !== undefined, ...(logFile ? { write: fileWriter(logFile) } : {}) });
  // The git adapter's command log (--verbose: every git and git-annex run).
  setCommandLogger(log);
  return {
    log,
    cwd: process.cwd(),
    env: process.env,
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    signal,
    verbose: Boolean(argv.verbose),
    onReload: (handler) => void reloaders.push(handler),
    ...(argv.config ? { configPath: argv.config } : {}),
  };
}

export const repoOption = { type: "string", describe: "the repository (default: the current directory)" } as const;

export function positive(value: number, flag: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number of milliseconds`);
  return value;
}
