/**
 * The built CLI (dist/cli.js), run the way a user runs it, for the demo and
 * the benchmarks. test/support/cli.ts does the same for tests, but finds
 * dist/ relative to its own source location, which moves when this code is
 * compiled into .tools-dist/; here the package root is looked up instead.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { reapOnExit } from "../../test/support/reaper.js";
import { waitFor } from "../../test/support/wait.js";

/** The directory holding git-annex-xmpp's package.json, above this file. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "git-annex-xmpp") {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find git-annex-xmpp's package.json above the tools");
    dir = parent;
  }
}

export const CLI = join(packageRoot(), "dist", "cli.js");

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** `git-annex-xmpp ARGS` with exactly this environment; never throws on a non-zero exit. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    env,
    extendEnv: false,
    stdin: "ignore",
    reject: false,
    timeout: 60_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export interface Listener {
  /** Every line it logged so far (stderr). */
  readonly lines: string[];
  readonly exited: boolean;
  /** The first line at index >= since matching `pattern`. */
  waitForLine(pattern: RegExp, options?: { since?: number; timeoutMs?: number }): Promise<string>;
  count(pattern: RegExp, since?: number): number;
  /** SIGTERM (the daemon's clean stop) and wait; resolves with the exit code. */
  stop(): Promise<number>;
}

/** `git-annex-xmpp listen …` as a child; each log line also goes to `onLine`. */
export function startListener(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void = () => {}): Listener {
  const child: ResultPromise = execa(process.execPath, [CLI, "listen", ...args], {
    env,
    extendEnv: false,
    stdin: "ignore",
    reject: false,
    buffer: false,
  });
  reapOnExit(child);
  const lines: string[] = [];
  let partial = "";
  let exited = false;
  const take = (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      onLine(line);
    }
  };
  child.stderr?.on("data", take);
  child.stdout?.on("data", take);
  const done = child.then((result) => {
    exited = true;
    if (partial !== "") {
      lines.push(partial);
      onLine(partial);
    }
    return result.exitCode ?? -1;
  });
  return {
    lines,
    get exited() {
      return exited;
    },
    count: (pattern, since = 0) => lines.slice(since).filter((line) => pattern.test(line)).length,
    async waitForLine(pattern, { since = 0, timeoutMs = 30_000 } = {}) {
      const found = await waitFor(
        () => {
          const line = lines.slice(since).find((l) => pattern.test(l));
          if (line !== undefined) return { line };
          return exited ? { exited: true as const } : undefined;
        },
        { timeoutMs, intervalMs: 10, what: `a listen log line matching ${pattern}` },
      );
      if ("exited" in found) throw new Error(`listen exited; its last lines:\n${lines.slice(-15).join("\n")}`);
      return found.line;
    },
    async stop() {
      if (!exited) child.kill("SIGTERM");
      return done;
    },
  };
}
