/**
 * Typed, expected failures. Each carries a stable code, a hint for the
 * remedy and the exit code that src/cli.ts (the only place that exits)
 * maps it to. Exit codes follow sysexits where one fits:
 * 0 ok, 1 operation failed, 2 usage, 70 internal bug, 78 configuration.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  software: 70,
  config: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class AppError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT.failed;
  }
}

/** The command line itself is wrong. */
export class UsageError extends AppError {
  constructor(message: string, hint?: string) {
    super("EUSAGE", message, { hint, exitCode: EXIT.usage });
  }
}

/** A configuration value (file, environment or flag) is missing or invalid. */
export class ConfigError extends AppError {
  readonly key: string | undefined;
  constructor(message: string, options: { key?: string; hint?: string; cause?: unknown } = {}) {
    super("ECONFIG", message, { ...options, exitCode: EXIT.config });
    this.key = options.key;
  }
}

/** SASL failure (RFC 6120 §6.5): the server rejected our credentials. */
export class XmppAuthError extends AppError {
  readonly condition: string;
  constructor(jid: string, condition: string, cause?: unknown) {
    super("EXMPPAUTH", `the XMPP server refused the login of ${jid} (${condition})`, {
      hint: "check the password or credentials file for this JID (git-annex-xmpp doctor shows which one is used)",
      exitCode: EXIT.config,
      cause,
    });
    this.condition = condition;
  }
}

/** TCP could not be established, or the stream broke before we were online. */
export class XmppConnectError extends AppError {
  constructor(target: string, detail: string, cause?: unknown) {
    super("EXMPPCONNECT", `cannot reach the XMPP server at ${target}: ${detail}`, {
      hint: "check `server`/`port` in the configuration and that the server is running",
      cause,
    });
  }
}

/** The TLS handshake failed, typically certificate verification. */
export class XmppTlsError extends AppError {
  constructor(target: string, detail: string, cause?: unknown, options: { hint?: string } = {}) {
    super("EXMPPTLS", `TLS with ${target} failed: ${detail}`, {
      hint: options.hint ?? "for a server with a private CA, set `ca` to the CA certificate file; verification is never switched off",
      cause,
    });
  }
}

/** A deadline (e.g. notify's --timeout) passed before the work was done. */
export class TimeoutError extends AppError {
  constructor(what: string, ms: number) {
    super("ETIMEOUT", `${what} did not finish within ${ms} ms`, {
      hint: "raise --timeout, or check that the XMPP server answers",
    });
  }
}

export class NotAnnexRepoError extends AppError {
  constructor(repo: string, detail: string) {
    super("ENOTANNEX", `${repo} is not a git-annex repository (${detail})`, {
      hint: "run `git annex init` in it first, or pass --repo DIR",
    });
  }
}

export class GitAnnexMissingError extends AppError {
  constructor(binary: string) {
    super("ENOGITANNEX", `${binary} is not installed or not on PATH`, {
      hint: "install git-annex (Debian/Ubuntu: apt-get install git-annex)",
    });
  }
}

/** A git or git-annex command exited non-zero. */
export class GitCommandError extends AppError {
  readonly exitStatus: number | undefined;
  constructor(command: string, exitStatus: number | undefined, stderr: string) {
    const detail = stderr.trim().split("\n").slice(-3).join(" | ");
    super("EGIT", `\`${command}\` failed${exitStatus === undefined ? "" : ` (exit ${exitStatus})`}${detail ? `: ${detail}` : ""}`);
    this.exitStatus = exitStatus;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Another `listen` already holds this repository's lock (one daemon per repository). */
export class DaemonRunningError extends AppError {
  readonly pid: number;
  constructor(repo: string, pid: number, lockFile: string) {
    super("EDAEMONRUNNING", `another listen (pid ${pid}) already runs for ${repo}`, {
      hint: `stop it first (kill ${pid}), or leave it running; its lock is ${lockFile}`,
    });
    this.pid = pid;
  }
}

/** The spool directory cannot be written or read. */
export class QueueError extends AppError {
  constructor(detail: string, cause?: unknown) {
    super("EQUEUE", `cannot use the announcement queue: ${detail}`, {
      hint: "check the permissions of the state directory ($XDG_STATE_HOME/git-annex-xmpp or ~/.local/state/git-annex-xmpp)",
      cause,
    });
  }
}

/**
 * We refused to send an announcement (sealed mode, but the repository's
 * secret is gone): nothing went out, so whoever holds it keeps it.
 */
export class DeliveryRefusedError extends AppError {
  constructor(detail: string, hint: string) {
    super("EREFUSED", `not sent: ${detail}`, { hint, exitCode: EXIT.config });
  }
}
