#!/usr/bin/env node
/** The `git-annex-xmpp` command (package.json "bin"); main.ts is the command line. */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
// Daemons hold sockets and timers; a finished command must not linger.
process.exit();
