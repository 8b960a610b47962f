/**
 * The one adapter through which git and git-annex run. Every call names its
 * repository; environment variables that a hook inherits from git
 * (GIT_DIR, GIT_WORK_TREE, …) are stripped so that we act on the repository
 * we name, not on whichever one invoked us. Our own secrets are stripped
 * too: git runs hooks, special remotes and ssh, none of which needs our
 * XMPP password. With --verbose, every command is logged (argv, directory,
 * duration, exit status; never its input or output, which may be a secret).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
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
  /**
   * Each line of stdout as it arrives (git-annex's `--json-progress`): the
   * lines are passed here instead of being kept, and the result's stdout
   * is empty.
   */
  onLine?: (line: string) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** How a child ended: its exit code, or why it has none. */
interface Finished {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Set when the child could not run, was killed, timed out or was cancelled. */
  failure?: { outcome: string; errno?: string; message: string };
}

/** Output beyond this is an error, as a runaway child must not exhaust memory. */
const MAX_BUFFER = 256 * 1024 * 1024;

const stripFinalNewline = (text: string) => text.replace(/\r?\n$/, "");

/**
 * node:child_process, not execa: loading execa costs the hook's sender
 * about 100 ms before its first git call (issue 11), and this adapter needs
 * only spawn, collect, kill on timeout or abort.
 */
function spawnCollect(binary: string, cwd: string, args: readonly string[], options: RunOptions): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { cwd, env: cleanGitEnv({ ...process.env, ...options.env }), stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: Finished["failure"];
    const stop = (outcome: string, message: string) => {
      failure ??= { outcome, message };
      child.kill("SIGTERM");
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BUFFER) stop("failed to run", `more than ${MAX_BUFFER} bytes of output`);
      else into.push(chunk);
    };
    if (options.onLine) splitLines(child.stdout!, options.onLine);
    else child.stdout!.on("data", collect(out));
    child.stderr!.on("data", collect(err));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => stop("timed out", `timed out after ${options.timeoutMs} ms`), options.timeoutMs);
    const onAbort = () => stop("cancelled", "cancelled");
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (error: NodeJS.ErrnoException) => {
      failure ??= { outcome: "failed to run", message: error.message, ...(error.code ? { errno: error.code } : {}) };
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.input);
    // A grandchild (a shell alias, ssh) may hold the pipes after we killed the child: stop reading them.
    child.on("exit", () => {
      if (failure) for (const stream of [child.stdout, child.stderr]) stream?.destroy();
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (!failure && code === null) failure = { outcome: `killed by ${signal}`, message: `killed by ${signal}` };
      const text = (chunks: Buffer[]) => stripFinalNewline(Buffer.concat(chunks).toString("utf8"));
      resolve({ stdout: text(out), stderr: text(err), exitCode: failure ? null : code, ...(failure ? { failure } : {}) });
    });
  });
}

/** Calls `onLine` for each line of the stream as it comes; a last line without a newline too. */
function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = "";
  const decoder = new TextDecoder();
  stream.on("data", (chunk: Buffer) => {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  });
  stream.on("end", () => {
    if (rest !== "") onLine(rest);
  });
}

async function run(binary: string, cwd: string, args: readonly string[], options: RunOptions = {}, missing?: () => Error): Promise<RunResult> {
  const commandText = `${binary} ${args.join(" ")}`;
  const startedAt = Date.now();
  const result = await spawnCollect(binary, cwd, args, options);
  if (result.failure) {
    logCommand(binary, cwd, args, startedAt, result.failure.outcome);
    // spawn says ENOENT for a missing directory too: only a missing binary is "not installed".
    if (result.failure.errno === "ENOENT" && !existsSync(cwd)) throw new GitCommandError(commandText, undefined, `the directory ${cwd} does not exist`);
    if (result.failure.errno === "ENOENT") throw missing ? missing() : new GitAnnexMissingError(binary);
    throw new GitCommandError(commandText, undefined, result.failure.message);
  }
  const exitCode = result.exitCode ?? 1;
  logCommand(binary, cwd, args, startedAt, `exit ${exitCode}`);
  if (exitCode !== 0 && options.reject !== false) throw new GitCommandError(commandText, exitCode, result.stderr);
  return { stdout: result.stdout, stderr: result.stderr, exitCode };
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
