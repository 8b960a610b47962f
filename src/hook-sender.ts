/**
 * The hook's detached sender: `flush --background` as hooks/queue-write.sh
 * starts it when no agent holds the queue. The same command as through the
 * command line (main.ts), without loading it: `npm run build` bundles this
 * file and everything it imports into one (scripts/bundle-sender.mjs), as
 * this start is in the path from a push to its announcement (issue 11) and
 * the module loader walking a few hundred files cost it about as much as
 * its login.
 */
import { contextFrom } from "./command-line/register.js";
import { runTopLevel } from "./command-line/top-level.js";
import { run } from "./commands/flush.js";
import { statePaths } from "./state/paths.js";

export function main(argv: string[]): Promise<number> {
  return runTopLevel(argv, async (signal) => {
    // The hook's trace switch traces the sender too: its debug log, each line timed.
    const ctx = contextFrom({ verbose: process.env.GIT_ANNEX_XMPP_TRACE === "1" }, signal, false, statePaths(process.env).senderLog);
    ctx.log.debug(`sender: modules loaded ${Math.round(performance.now())} ms after node started`);
    await run(ctx, { background: true });
  });
}
