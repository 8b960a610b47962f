/**
 * The built CLI, spawned as a user (or a git hook) would run it: `node
 * dist/cli.js …` with the sandbox's environment. Integration tests assert
 * on its exit codes, messages and effects.
 */
import { execa, type ResultPromise } from "execa";
import { fileURLToPath } from "node:url";
import { reapOnExit } from "./reaper.js";
import { waitFor } from "./wait.js";

export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number },
): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
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
  lines: string[];
  /** Resolves with the first line at index >= since matching `pattern`. */
  waitForLine(pattern: RegExp, options?: { since?: number; timeoutMs?: number }): Promise<string>;
  count(pattern: RegExp, since?: number): number;
  stop(signal?: NodeJS.Signals): Promise<number>;
  readonly exited: boolean;
  readonly process: ResultPromise;
}

export function startDaemon(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Daemon {
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
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = partial + chunk.toString("utf8");
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    if (process.env.DEBUG_DAEMON === "1") for (const p of parts) console.error(`[daemon] ${p}`);
  });
  child.stdout?.resume();
  const done = child.then((r) => {
    exited = true;
    return r.exitCode ?? -1;
  });
  return {
    lines,
    get exited() {
      return exited;
    },
    process: child,
    count: (pattern, since = 0) => lines.slice(since).filter((l) => pattern.test(l)).length,
    waitForLine: (pattern, { since = 0, timeoutMs = 20_000 } = {}) =>
      waitFor(
        () => {
          const line = lines.slice(since).find((l) => pattern.test(l));
          if (line) return line;
          if (exited) throw new Error(`daemon exited; its log:\n${lines.slice(-30).join("\n")}`);
          return undefined;
        },
        { timeoutMs, what: `a daemon log line matching ${pattern}` },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\ndaemon log:\n${lines.slice(-30).join("\n")}`);
      }),
    async stop(signal = "SIGTERM") {
      if (!exited) child.kill(signal);
      return done;
    },
  };
}
