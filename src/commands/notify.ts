/**
 * `notify`: announce that this repository received commits. Runs from git
 * hooks, so it is bounded by a hard timeout: a push must never hang on it.
 *
 * In order: hand the announcement to a running `listen` of the same account
 * (cli.ts tries that first, before loading this module, when it can); else
 * log in and deliver it; if anything fails once the account is known
 * (server down, timeout, refused login, missing password, no TLS offered,
 * an invalid key beside a valid `jid`, sealed mode without a secret, an
 * unexpected exception), put it in the spool and exit 0 with a one-line
 * warning: the announcement is safe on disk and `flush` or a running
 * `listen` delivers it. Exit status: 0 when it was delivered, handed off or
 * spooled; 78 when the configuration is so broken that the account, and so
 * the spool, is unknown; 1 when even the spool cannot be written.
 */
import path from "node:path";
import { resolveCredentials, type LoadedConfig } from "../config/load.js";
import { userStateDir } from "../config/places.js";
import { AppError, ConfigError, EXIT, TimeoutError, UsageError, XmppTlsError } from "../errors.js";
import { requireAnnexUuid, resolveRepo } from "../git/repo.js";
import { readAnnounceSecret } from "../git/secret.js";
import { handOff } from "../handoff/client.js";
import { socketPathFor } from "../handoff/paths.js";
import type { Announcement } from "../notify/announcement.js";
import { parsePostReceive, parsePostUpdate, type RefUpdate } from "../notify/refs.js";
import { deliverAnnouncement } from "../services/announce.js";
import { createSession } from "../services/connect.js";
import { flushSpool } from "../spool/flush.js";
import { spoolDirFor } from "../spool/paths.js";
import { openSpool, type Spool } from "../spool/spool.js";
import type { XmppSession } from "../xmpp/session.js";
import { configOf } from "./common.js";
import type { CommandContext } from "./context.js";

export interface NotifyArgs {
  repo?: string;
  uuid?: string[];
  hook?: "post-receive" | "post-update";
  timeout?: number;
  refs?: string[];
  /** Reads the hook's stdin; injected so tests need no real stdin. */
  readStdin: () => Promise<string>;
  /** cli.ts's fast path already asked the daemon (and it declined or none runs). */
  handOffTried?: boolean;
}

export async function run(ctx: CommandContext, args: NotifyArgs): Promise<void> {
  const started = Date.now();
  const repo = await resolveRepo(path.resolve(ctx.cwd, args.repo ?? "."));
  const uuids = args.uuid && args.uuid.length > 0 ? args.uuid : [requireAnnexUuid(repo)];
  const refs = await readRefUpdates(args);
  const base: Announcement = { uuids, refs, createdAt: started, repo: repo.dir };
  let loaded: LoadedConfig;
  try {
    loaded = await configOf(ctx, repo, args.timeout ? { timeoutMs: args.timeout } : {});
  } catch (error) {
    // Another key is wrong but the account is known: keep the announcement in its spool.
    if (!(error instanceof ConfigError) || error.account === undefined) throw error;
    await keep(ctx, openSpool(spoolDirFor(userStateDir(ctx.env), error.account)), base, error);
    return;
  }
  const { config } = loaded;
  // Without an account there is no spool either: that configuration error is fatal (78).
  if (!config.jid) await resolveCredentials(config, loaded.userDir);
  const announcement: Announcement = { ...base, ...(config.sealed ? { sealed: true } : {}) };
  const spool = openSpool(spoolDirFor(userStateDir(ctx.env), config.jid!));
  ctx.log.debug(`notify: ${uuids.join(",")} (${refs.length} refs) from ${repo.dir}`);
  try {
    await announce(ctx, args, { loaded, jid: config.jid!, announcement, spool });
  } catch (error) {
    // Whatever went wrong once the account is known, the announcement is kept.
    await keep(ctx, spool, announcement, error);
  }
}

interface Job {
  loaded: LoadedConfig;
  jid: string;
  announcement: Announcement;
  spool: Spool;
}

/** Hand off, else deliver directly; throws when the announcement was not delivered. */
async function announce(ctx: CommandContext, args: NotifyArgs, { loaded, jid, announcement, spool }: Job): Promise<void> {
  const { config } = loaded;
  const { uuids, refs, createdAt: started, repo } = announcement;
  if (config.sealed && (await readAnnounceSecret(repo!)) === undefined) {
    throw new ConfigError(`sealed mode, but ${repo} has no announcement secret to seal with`, {
      key: "sealed",
      hint: `git-annex-xmpp install-hooks --repo ${repo} creates it; or set sealed: false`,
    });
  }
  if (!args.handOffTried) {
    const request = { v: 1, op: "announce", jid, repo: repo!, uuids, refs, createdAt: started, ...(config.sealed ? { sealed: true } : {}) } as const;
    const outcome = await handOff(socketPathFor(ctx.env, jid), request, Math.min(2_000, config.timeoutMs));
    if (outcome.accepted) {
      ctx.log.debug(`notify: handed off to listen (pid ${outcome.pid}) in ${Date.now() - started} ms`);
      return;
    }
    ctx.log.debug(`notify: no hand-off (${outcome.reason}); delivering directly`);
  }
  let delivered = false;
  let session: XmppSession | undefined;
  try {
    await withDeadline(
      config.timeoutMs,
      async () => {
        const credentials = await resolveCredentials(config, loaded.userDir, userStateDir(ctx.env));
        const live = (session = await createSession(config, credentials, ctx.log, "notify"));
        const deliver = (a: Announcement) => deliverAnnouncement(live, a, { ackTimeoutMs: config.timeoutMs, sealed: config.sealed, log: ctx.log });
        await live.start();
        await deliver(announcement);
        delivered = true;
        ctx.log.debug(`notify: announced ${uuids.join(",")} in ${Date.now() - started} ms`);
        await deliverBacklog(spool, deliver, ctx);
        await live.stop();
      },
      () => session?.stop(),
    );
  } catch (error) {
    if (!delivered) throw error;
    ctx.log.debug(`notify: the spool's backlog stays for later: ${(error as Error).message}`);
  }
}

/** Put the announcement in the spool, with one warning line that says why and what fixes it. */
async function keep(ctx: CommandContext, spool: Spool, announcement: Announcement, error: unknown): Promise<void> {
  const entry = await spool.add(announcement);
  // A refused login, a bad key or a server that will not encrypt does not fix itself: name the remedy on the same line.
  const named = error instanceof AppError && (error.exitCode === EXIT.config || error instanceof XmppTlsError);
  const remedy = named && error.hint ? ` (hint: ${error.hint})` : "";
  ctx.log.warn(
    `could not announce the push (${error instanceof Error ? error.message : String(error)}); spooled as ${entry} in ${spool.dir}: ` +
      `a running \`listen\` or \`git-annex-xmpp flush\` delivers it${remedy}`,
  );
  if (ctx.verbose && error instanceof Error && error.stack) ctx.log.debug(error.stack);
}

/** Connected anyway: deliver what earlier hooks had to spool (a hub may run no daemon). */
async function deliverBacklog(spool: Spool, deliver: (a: Announcement) => Promise<void>, ctx: CommandContext): Promise<void> {
  if ((await spool.list()).length === 0) return;
  const result = await flushSpool(spool, deliver, ctx.log);
  if (result.entries > 0) ctx.log.info(`delivered ${result.entries} spooled announcement(s) too`);
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

async function withDeadline(ms: number, work: () => Promise<void>, abandon: () => Promise<void> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError("announcing the push", ms)), ms);
  });
  try {
    await Promise.race([work(), deadline]);
  } catch (error) {
    // Bounded too, and by a live timer: an abandoned login that never
    // settles must not leave the process with nothing to wait on (Node
    // then exits 13 before the announcement is spooled).
    let grace: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (grace = setTimeout(resolve, ABANDON_MS)));
    await Promise.race([Promise.resolve(abandon()).catch(() => undefined), bound]);
    clearTimeout(grace);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const ABANDON_MS = 1_000;
