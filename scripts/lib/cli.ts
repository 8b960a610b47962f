/**
 * The built CLI (dist/cli.js), run the way a user runs it, for the demo and
 * the benchmarks: the test helpers of test/support/cli.ts, which find
 * dist/ from the package root wherever they are compiled to.
 */
import { startDaemon, type Daemon } from "../../test/support/cli.js";

export { CLI, packageRoot, runCli, type CliResult } from "../../test/support/cli.js";

export type Listener = Daemon;

/** `git-annex-xmpp listen …` as a child; each log line (stderr and stdout) also goes to `onLine`. */
export function startListener(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Listener {
  return startDaemon(["listen", ...args], { env, onLine, takeStdout: true, timeoutMs: 30_000, intervalMs: 10 });
}
