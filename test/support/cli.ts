/**
 * The built CLI, spawned as a user (or a git hook) would run it: `node
 * dist/cli.js …` with exactly the given environment. Integration tests
 * assert on its exit codes, messages and effects; the demo and the
 * benchmarks (scripts/lib/cli.ts) run it through the same helpers.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { reapOnExit } from "./reaper.js";
import { waitFor } from "./wait.js";

/**
 * The directory holding git-annex-xmpp's package.json, above this file.
 * Looked up rather than relative: compiled into .tools-dist/ for the demo
 * and the benchmarks, this file sits one level deeper than in test/support/.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "git-annex-xmpp") {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find git-annex-xmpp's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const CLI = join(packageRoot(), "dist", "cli.js");


export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** `git-annex-xmpp ARGS`; never throws on a non-zero exit. */
export async function runCli(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number; entry?: string },
): Promise<CliResult> {
  const result = await execa(process.execPath, [options.entry ?? CLI, ...args], {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    input: options.input,
    stdin: options.input === undefined ? "ignore" : "pipe",
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export interface Daemon {
  /** Everything it logged so far (stderr), line by line. */
  readonly lines: string[];
  /** Resolves with the first line at index >= since matching `pattern`; rejects at once if the daemon exits first. */
  waitForLine(pattern: RegExp, options?: { since?: number; timeoutMs?: number }): Promise<string>;
  count(pattern: RegExp, since?: number): number;
  /** Sends `signal` (SIGTERM: the daemon's clean stop) and waits; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  readonly exited: boolean;
  readonly process: ResultPromise;
}

export interface DaemonOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with each log line as it comes. */
  onLine?: (line: string) => void;
  /** Collect stdout lines too (otherwise stdout is drained and dropped). */
  takeStdout?: boolean;
  /** waitForLine's default timeout and poll interval. */
  timeoutMs?: number;
  intervalMs?: number;
}

/** A long-running `git-annex-xmpp ARGS` child whose log is collected line by line. */
export function startDaemon(args: string[], options: DaemonOptions): Daemon {
  const { onLine = () => {}, timeoutMs: defaultTimeoutMs = 20_000, intervalMs = 50 } = options;
  const child = execa(process.execPath, [CLI, ...args], {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    stdin: "ignore",
    reject: false,
    buffer: false,
  });
  reapOnExit(child);
  const lines: string[] = [];
  let partial = "";
  let exited = false;
  const add = (line: string) => {
    lines.push(line);
    onLine(line);
    if (process.env.DEBUG_DAEMON === "1") console.error(`[daemon] ${line}`);
  };
  const take = (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    parts.forEach(add);
  };
  child.stderr?.on("data", take);
  if (options.takeStdout) child.stdout?.on("data", take);
  else child.stdout?.resume();
  const done = child.then((r) => {
    exited = true;
    if (partial !== "") add(partial);
    return r.exitCode ?? -1;
  });
  const logTail = () => lines.slice(-30).join("\n");
  return {
    lines,
    get exited() {
      return exited;
    },
    process: child,
    count: (pattern, since = 0) => lines.slice(since).filter((l) => pattern.test(l)).length,
    async waitForLine(pattern, { since = 0, timeoutMs = defaultTimeoutMs } = {}) {
      const found = await waitFor(
        () => {
          const line = lines.slice(since).find((l) => pattern.test(l));
          if (line !== undefined) return { line };
          return exited ? { exited: true as const } : undefined;
        },
        { timeoutMs, intervalMs, what: `a daemon log line matching ${pattern}` },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\ndaemon log:\n${logTail()}`);
      });
      if ("exited" in found) throw new Error(`daemon exited before logging a line matching ${pattern}; its log:\n${logTail()}`);
      return found.line;
    },
    async stop(signal = "SIGTERM") {
      if (!exited) child.kill(signal);
      return done;
    },
  };
}
