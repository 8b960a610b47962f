/**
 * The logger is passed in, never imported deep inside: commands get one from
 * cli.ts, services get one from their command. Logs go to stderr; stdout is
 * for command output only.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  readonly level: LogLevel;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  /** Prefix each line with an ISO timestamp (daemons). */
  timestamps?: boolean;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const emit = (at: LogLevel) => (message: string) => {
    if (ORDER[at] < ORDER[level]) return;
    const stamp = options.timestamps ? `${now().toISOString()} ` : "";
    const tag = at === "info" ? "" : `${at}: `;
    write(`${stamp}${tag}${oneEntry(redact(message))}\n`);
  };
  return {
    level,
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
  };
}

/** Never let SASL payloads or passwords reach a log (xmpp.js debug does the same). */
export function redact(text: string): string {
  return text
    .replace(/(<(auth|response|challenge|success)\b[^>]*>)[^<]*(<\/\2>)/g, "$1[redacted]$3")
    .replace(/(password["']?\s*[:=]\s*["']?)[^"'\s,}]+/gi, "$1[redacted]");
}

/** The same logger, each message led by `prefix: ` (the agent names the repository a line is about). */
export function prefixedLogger(log: Logger, prefix: string): Logger {
  return {
    level: log.level,
    debug: (m) => log.debug(`${prefix}: ${m}`),
    info: (m) => log.info(`${prefix}: ${m}`),
    warn: (m) => log.warn(`${prefix}: ${m}`),
    error: (m) => log.error(`${prefix}: ${m}`),
  };
}

/**
 * A message is one log entry whatever it quotes: control characters (a
 * carriage return that overwrites a terminal line, escape sequences) are
 * shown escaped, and the lines after the first of a multi-line message (a
 * stack trace) are indented, so text a peer or a file chose can never pass
 * for a line of ours.
 */
export function oneEntry(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/\n/g, "\n    ");
}

export const silentLogger: Logger = createLogger({ level: "silent" });

/**
 * The logger of the git adapter's command log (src/git/run.ts). The one
 * module-level logger: threading one through every git call of every use
 * case would touch them all for a debug line. main.ts sets it from the
 * command's own logger, so --verbose and --quiet apply.
 */
let commandLogger: Logger = silentLogger;

export function setCommandLogger(logger: Logger): void {
  commandLogger = logger;
}

export function getCommandLogger(): Logger {
  return commandLogger;
}
