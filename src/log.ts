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
    write(`${stamp}${tag}${redact(message)}\n`);
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

export const silentLogger: Logger = createLogger({ level: "silent" });
