/**
 * `notify`: announce that this repository received commits. Runs from git
 * hooks, so it is bounded by a hard timeout: a push must never hang on it.
 */
import { resolveCredentials } from "../config/load.js";
import { TimeoutError, UsageError } from "../errors.js";
import { requireAnnexUuid } from "../git/repo.js";
import { parsePostReceive, parsePostUpdate, type RefUpdate } from "../notify/refs.js";
import { createSession } from "../services/connect.js";
import { encodeAnnouncement } from "../notify/announcement.js";
import type { XmppSession } from "../xmpp/session.js";
import { repoAndConfig } from "./common.js";
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
  const started = Date.now();
  const { repo, loaded } = await repoAndConfig(ctx, args.repo, args.timeout ? { timeoutMs: args.timeout } : {});
  const { config } = loaded;
  const uuids = args.uuid && args.uuid.length > 0 ? args.uuid : [requireAnnexUuid(repo)];
  const refs = await readRefUpdates(args);
  const credentials = await resolveCredentials(config, loaded.userDir);
  ctx.log.debug(`notify: ${uuids.join(",")} (${refs.length} refs) from ${repo.dir}`);

  const session = await createSession(config, credentials, ctx.log, "notify");
  await withDeadline(config.timeoutMs, session, async () => {
    await session.start();
    await session.send(encodeAnnouncement({ uuids, refs, createdAt: started }));
    // The server handles a stream's stanzas in order: once it answers a
    // ping sent after the presence, it has processed (and fanned out) the presence.
    await session.ping(config.timeoutMs);
    await session.stop();
  });
  ctx.log.debug(`notify: announced ${uuids.join(",")} in ${Date.now() - started} ms`);
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

async function withDeadline(ms: number, session: XmppSession, work: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError("announcing the push", ms)), ms);
  });
  try {
    await Promise.race([work(), deadline]);
  } catch (error) {
    await session.stop().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
