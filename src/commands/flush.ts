/**
 * `flush`: deliver the account's spool now (what a running `listen` does by
 * itself whenever it is connected): oldest first, duplicates merged, each
 * entry deleted only once the server acknowledged the presence carrying it.
 */
import path from "node:path";
import { loadConfig, resolveCredentials, type LoadedConfig } from "../config/load.js";
import { userStateDir } from "../config/places.js";
import { AppError, NotAnnexRepoError } from "../errors.js";
import { deliverAnnouncement } from "../services/announce.js";
import { createSession } from "../services/connect.js";
import { flushSpool } from "../spool/flush.js";
import { spoolDirFor } from "../spool/paths.js";
import { openSpool } from "../spool/spool.js";
import { repoAndConfig } from "./common.js";
import type { CommandContext } from "./context.js";

export interface FlushArgs {
  repo?: string;
}

/** The configuration of --repo, else of the current repository, else the user's alone. */
async function configFor(ctx: CommandContext, repoArg: string | undefined): Promise<LoadedConfig> {
  try {
    return (await repoAndConfig(ctx, repoArg)).loaded;
  } catch (error) {
    if (repoArg !== undefined || !(error instanceof NotAnnexRepoError)) throw error;
    return loadConfig({ env: ctx.env, ...(ctx.configPath ? { explicitFile: path.resolve(ctx.cwd, ctx.configPath) } : {}) });
  }
}

export async function run(ctx: CommandContext, args: FlushArgs): Promise<void> {
  const loaded = await configFor(ctx, args.repo);
  const { config } = loaded;
  const credentials = await resolveCredentials(config, loaded.userDir, userStateDir(ctx.env));
  const spool = openSpool(spoolDirFor(userStateDir(ctx.env), credentials.jid));
  const pending = (await spool.list()).length;
  if (pending === 0) {
    ctx.out(`nothing to deliver: the spool of ${credentials.jid} is empty`);
    return;
  }
  ctx.log.info(`delivering ${pending} spooled announcement(s) for ${credentials.jid}`);
  const session = await createSession(config, credentials, ctx.log, "flush");
  try {
    await session.start();
    const result = await flushSpool(
      spool,
      (announcement) => deliverAnnouncement(session, announcement, { ackTimeoutMs: config.timeoutMs, sealed: config.sealed, log: ctx.log }),
      ctx.log,
    );
    ctx.out(`delivered ${result.entries} announcement(s) in ${result.presences} presence(s)`);
    if (result.refused) {
      throw new AppError("EREFUSED", `${result.kept} announcement(s) kept in ${spool.dir}: ${result.refused.message}`, {
        hint: result.refused.hint,
        exitCode: result.refused.exitCode,
      });
    }
  } finally {
    await session.stop().catch(() => undefined);
  }
}
