/**
 * The one adapter through which git and git-annex run. Every call names its
 * repository; environment variables that a hook inherits from git
 * (GIT_DIR, GIT_WORK_TREE, …) are stripped so that we act on the repository
 * we name, not on whichever one invoked us. Our own secrets are stripped
 * too: git runs hooks, special remotes and ssh, none of which needs our
 * XMPP password. With --verbose, every command is logged (argv, directory,
 * duration, exit status; never its input or output, which may be a secret).
 */
import { execa, ExecaError } from "execa";
import { AppError, GitAnnexMissingError, GitCommandError } from "../errors.js";
import { getCommandLogger } from "../log.js";

const INHERITED_GIT_VARS = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_PREFIX",
  "GIT_COMMON_DIR",
  "GIT_QUARANTINE_PATH",
  "GIT_PUSH_OPTION_COUNT",
];

/**
 * Variables of ours that hold a secret, or may one day: a child (a git hook,
 * a special remote, ssh with SendEnv) must never see them. The others
 * (GIT_ANNEX_XMPP_CREDENTIALS, a path; _SEALED, _TIMEOUT, …) stay: a hook
 * that runs notify relies on them.
 */
export function isSecretVar(key: string): boolean {
  return /^GIT_ANNEX_XMPP_\w*(PASSWORD|SECRET|KEY|TOKEN)\w*$/i.test(key);
}

export function cleanGitEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (INHERITED_GIT_VARS.includes(key) || key.startsWith("GIT_PUSH_OPTION_") || isSecretVar(key)) continue;
    out[key] = value;
  }
  return out;
}

/** The command as a shell would take it, each argument quoted when it needs to be. */
function shellWords(binary: string, args: readonly string[]): string {
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
  return [binary, ...args].map(quote).join(" ");
}

function logCommand(binary: string, cwd: string, args: readonly string[], startedAt: number, outcome: string): void {
  const log = getCommandLogger();
  if (log.level !== "debug") return;
  log.debug(`run: ${shellWords(binary, args)} (in ${cwd}): ${outcome} after ${Date.now() - startedAt} ms`);
}

export interface RunOptions {
  /** Text for the process's stdin. */
  input?: string;
  /** Return the result instead of throwing on a non-zero exit. */
  reject?: boolean;
  /** Kill the process after this many milliseconds. */
  timeoutMs?: number;
  /** Extra environment on top of the cleaned one. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

async function run(binary: string, cwd: string, args: readonly string[], options: RunOptions = {}, missing?: () => Error): Promise<RunResult> {
  const commandText = `${binary} ${args.join(" ")}`;
  const startedAt = Date.now();
  try {
    const result = await execa(binary, args, {
      cwd,
      env: cleanGitEnv({ ...process.env, ...options.env }),
      extendEnv: false,
      input: options.input,
      stdin: options.input === undefined ? "ignore" : "pipe",
      reject: false,
      timeout: options.timeoutMs,
      cancelSignal: options.signal,
      stripFinalNewline: true,
      maxBuffer: 256 * 1024 * 1024,
    });
    if (result.failed && result.exitCode === undefined) {
      const outcome = result.timedOut ? "timed out" : result.isCanceled ? "cancelled" : result.signal ? `killed by ${result.signal}` : "failed to run";
      logCommand(binary, cwd, args, startedAt, outcome);
      throw result;
    }
    logCommand(binary, cwd, args, startedAt, `exit ${result.exitCode}`);
    if (result.exitCode !== 0 && options.reject !== false) {
      throw new GitCommandError(commandText, result.exitCode, String(result.stderr));
    }
    return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? 1 };
  } catch (error) {
    if (error instanceof GitCommandError) throw error;
    const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as ExecaError).cause;
    const errno = typeof code === "string" ? code : (code as { code?: string } | undefined)?.code;
    if (errno === "ENOENT") {
      if (missing) throw missing();
      throw binary === "git" ? new GitAnnexMissingError("git") : new GitAnnexMissingError(binary);
    }
    throw new GitCommandError(commandText, undefined, (error as Error).message);
  }
}

/** Run `git ARGS` in `repo`. */
export function git(repo: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return run("git", repo, args, options);
}

/**
 * Run `git annex ARGS` in `repo`. It is called through its own binary so that
 * a missing git-annex shows up as ENOENT, not as git's "not a git command".
 */
export function annex(repo: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return run("git-annex", repo, args, options);
}

export type GitRunner = typeof git;

/**
 * Another system tool (crontab, systemctl) through the same adapter: the
 * same cleaned environment and command log; a missing one is named.
 */
export function tool(program: string, cwd: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
  return run(program, cwd, args, options, () => new AppError("ENOTOOL", `${program} is not installed or not on PATH`, { hint: `install the package that provides ${program}` }));
}
