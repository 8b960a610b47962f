#!/usr/bin/env node
/**
 * What install-hooks' block runs: the whole CLI, but for `notify` the
 * hand-off fast path comes first, and the build bundles this file with
 * that path into one CommonJS file, dist/notify-hook.cjs (package.json's
 * "bundle", esbuild), so that a hook with a listen running loads one file
 * and node's own modules, not even node's ES module loader. The full
 * command line (main.ts, yargs, …) is loaded only when the fast path
 * cannot hand off.
 */
import { reportFastNotify, tryFastNotify, type FastNotifyOutcome } from "./handoff/fast-notify.js";

async function run(argv: string[]): Promise<void> {
  let fast: FastNotifyOutcome | undefined;
  if (argv[0] === "notify") {
    fast = await tryFastNotify(argv.slice(1), process.env, process.cwd());
    reportFastNotify(argv, fast);
  }
  if (!fast?.handedOff) {
    // A variable, so that the bundler leaves the full CLI out of the bundle.
    const full = "./main.js";
    const { main } = (await import(full)) as typeof import("./main.js");
    process.exitCode = await main(argv, fast);
  }
  process.exit();
}

// No top-level await: the bundle is CommonJS. main() maps its own errors
// to exit codes; this catches what fails before it (a broken install).
run(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`git-annex-xmpp: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(70);
});
