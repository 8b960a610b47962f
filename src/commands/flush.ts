/**
 * `flush`: send the announcement queue now (what a running agent does by
 * itself): entries merged per repository, each deleted only once the
 * server acknowledged the presence carrying it. `--background` is how the
 * hook starts it when no agent runs: its log goes to the sender's log file
 * under the state directory, nothing to the terminal.
 */
import { openQueue } from "../announce/queue.js";
import { runSender } from "../announce/sender.js";
import { migrateOldSpool } from "../announce/spool-migration.js";
import { statePaths } from "../state/paths.js";
import type { CommandContext } from "./context.js";

export interface FlushArgs {
  background?: boolean;
}

export async function run(ctx: CommandContext, args: FlushArgs): Promise<void> {
  // An earlier version's spool is sent too (the agent does the same when it starts).
  const paths = statePaths(ctx.env);
  await migrateOldSpool(paths.dir, openQueue(paths.queue), ctx.log);
  const result = await runSender({ env: ctx.env, log: ctx.log, quiet: !args.background });
  if (result.heldBy) {
    ctx.out(`pid ${result.heldBy.pid} sends the queue (an agent or another sender); ${result.pending} announcement(s) queued`);
    return;
  }
  if (result.entries === 0 && result.pending === 0) {
    ctx.out("nothing to deliver: the queue is empty");
    return;
  }
  ctx.out(`delivered ${result.entries} announcement(s) in ${result.presences} presence(s)${result.pending ? `; ${result.pending} still queued` : ""}`);
  // What kept the rest queued, the usual way (message, hint, exit code).
  const [first] = result.errors;
  if (result.pending > 0 && first) throw first;
}
