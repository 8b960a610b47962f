#!/usr/bin/env node
/**
 * The `git-annex-xmpp` command (package.json "bin"). The hook's detached
 * sender loads hook-sender.js, one bundled file, and nothing else of ours;
 * every other command the command line, main.ts.
 */

/**
 * `flush --background`, exactly as the hook runs it when no agent holds the
 * queue (hooks/queue-write.sh): this start is in the path from a push to
 * its announcement (issue 11).
 */
function isHookSender(argv: readonly string[]): boolean {
  return argv.length === 2 && argv[0] === "flush" && argv[1] === "--background";
}

const argv = process.argv.slice(2);
const { main } = isHookSender(argv) ? await import("./hook-sender.js") : await import("./main.js");
process.exitCode = await main(argv);
// Daemons hold sockets and timers; a finished command must not linger.
process.exit();
