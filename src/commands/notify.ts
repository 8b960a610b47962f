/**
 * `notify`: announce that this repository received commits, by hand or
 * from an old hook. It puts the announcement in the queue first — from
 * then on it is safe, whatever else is wrong — and then sends the queue
 * itself unless an agent or a sender already does (sender.ts), bounded by
 * `timeoutMs`. Exit 0 once the announcement is queued: what could not be
 * sent now stays queued with a one-line warning, for the agent or `flush`.
 */
import { openQueue } from "../announce/queue.js";
import type { EntryHook } from "../announce/queue-entry.js";
import { parsePostReceive, parsePostUpdate, type RefUpdate } from "../announce/refs.js";
import { runSender } from "../announce/sender.js";
import { AppError, TimeoutError, UsageError } from "../errors.js";
import { requireAnnexUuid, resolveRepo } from "../git/repo.js";
import { statePaths } from "../state/paths.js";
import path from "node:path";
import type { CommandContext } from "./context.js";

export interface NotifyArgs {
  repo?: string;
  uuid?: string[];
  hook?: "post-receive" | "post-update";
  timeout?: number;
  refs?: string[];
  /** Reads the hook's stdin; injected so tests need no real stdin. */
  readStdin: () => Promise<string>;
}

export async function run(ctx: CommandContext, args: NotifyArgs): Promise<void> {
  const repo = await resolveRepo(path.resolve(ctx.cwd, args.repo ?? "."));
  const uuids = args.uuid ?? [];
  if (uuids.length === 0) requireAnnexUuid(repo);
  const refs = await readRefUpdates(args);
  const queue = openQueue(statePaths(ctx.env).queue);
  const hook: EntryHook = args.hook ?? "notify";
  const name = await queue.add({ hook, repo: repo.dir, uuids, refs });
  ctx.log.debug(`notify: queued ${name} (${refs.length} refs) for ${repo.dir}`);
  const timeoutMs = args.timeout ?? 5_000;
  const result = await withinTimeout(timeoutMs, runSender({ env: ctx.env, log: ctx.log, role: "notify", quiet: true }));
  if (result?.heldBy) {
    ctx.log.debug(`notify: pid ${result.heldBy.pid} sends the queue`);
    return;
  }
  if (result !== undefined && !(await queue.list()).includes(name)) return;
  // One line: what went wrong, where the announcement is safe, who sends it, and the remedy.
  const error = result === undefined ? new TimeoutError("announcing the push", timeoutMs) : result.errors[0];
  const why = error ? ` (${error.message})` : "";
  const hint = error instanceof AppError && error.hint ? ` (hint: ${error.hint})` : "";
  ctx.log.warn(`could not announce the push${why}; it stays queued as ${name} in ${queue.dir}: the agent or \`git-annex-xmpp flush\` sends it${hint}`);
}

async function readRefUpdates(args: NotifyArgs): Promise<RefUpdate[]> {
  if (args.hook === "post-receive") {
    try {
      return parsePostReceive(await args.readStdin());
    } catch (error) {
      throw new UsageError((error as Error).message, "notify --hook post-receive reads git's post-receive input on stdin");
    }
  }
  return parsePostUpdate(args.refs ?? []);
}

async function withinTimeout<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
