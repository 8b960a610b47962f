#!/usr/bin/env node
/**
 * The `git-annex-xmpp` command (package.json "bin"). The hook's detached
 * sender (`flush --background`) loads hook-sender.js, one bundled file;
 * every other command the command line, main.ts.
 */
import { isHookSender } from "./command-line/top-level.js";

const argv = process.argv.slice(2);
const { main } = isHookSender(argv) ? await import("./hook-sender.js") : await import("./main.js");
process.exitCode = await main(argv);
// Daemons hold sockets and timers; a finished command must not linger.
process.exit();
