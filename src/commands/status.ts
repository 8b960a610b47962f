/**
 * `status`: what git-annex-xmpp is doing for a repository, read from local
 * state only (no login, no network): the account, whether a listen runs
 * and where it logs, the hand-off socket, announcements waiting in the
 * spool, hooks, the announcement secret, and the listener's last sync.
 * `--json` for scripts. Exit 0 whatever it finds; `doctor` is the check.
 */
import { stat } from "node:fs/promises";
import { userStateDir } from "../config/places.js";
import { readAnnounceSecret, readRemoteSecrets } from "../git/secret.js";
import { installedHooks } from "../git/hooks.js";
import { answers } from "../handoff/server.js";
import { socketPathFor } from "../handoff/paths.js";
import { runningListener } from "../lock/repo-lock.js";
import { openSpool } from "../spool/spool.js";
import { entryCreatedAt } from "../spool/entry.js";
import { spoolDirFor } from "../spool/paths.js";
import { loadSyncState, stateFile } from "../sync/state.js";
import { listenLogFile } from "./ensure.js";
import { repoAndConfig } from "./common.js";
import type { CommandContext } from "./context.js";

export interface StatusArgs {
  repo?: string;
  json?: boolean;
}

export interface StatusReport {
  repository: { dir: string; bare: boolean; uuid: string | undefined };
  account: string | undefined;
  listen: { pid: number; host: string | undefined } | undefined;
  /** ensure's log of this repository's daemon, when there is one. */
  log: string | undefined;
  handoff: { socket: string; answering: boolean } | undefined;
  spool: { dir: string; waiting: number; oldest: string | undefined } | undefined;
  hooks: string[];
  signed: boolean;
  /** Only for a clone a listener has synced. */
  lastSync: { at: string; lastFullScan: string | undefined; pendingTransfers: number } | undefined;
}

export async function run(ctx: CommandContext, args: StatusArgs): Promise<void> {
  const report = await collect(ctx, args);
  // Every key present, absent values as null: scripts need not guess.
  if (args.json) ctx.out(JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), 2));
  else for (const line of describe(report)) ctx.out(line);
}

export async function collect(ctx: CommandContext, args: StatusArgs): Promise<StatusReport> {
  const { repo, loaded } = await repoAndConfig(ctx, args.repo);
  const stateDir = userStateDir(ctx.env);
  const jid = loaded.config.jid;
  const log = listenLogFile(stateDir, repo.dir);
  const socket = jid ? socketPathFor(ctx.env, jid) : undefined;
  const spool = jid ? openSpool(spoolDirFor(stateDir, jid)) : undefined;
  const waiting = spool ? await spool.list() : [];
  const syncStateAt = await stat(stateFile(repo.gitDir)).then((s) => s.mtime, () => undefined);
  const syncState = syncStateAt ? await loadSyncState(repo.gitDir) : undefined;
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    repository: { dir: repo.dir, bare: repo.bare, uuid: repo.annexUuid },
    account: jid,
    listen: await runningListener(repo.gitDir),
    log: (await stat(log).then(() => true, () => false)) ? log : undefined,
    handoff: socket ? { socket, answering: await answers(socket) } : undefined,
    spool: spool && {
      dir: spool.dir,
      waiting: waiting.length,
      oldest: waiting[0] === undefined ? undefined : iso(entryCreatedAt(waiting[0])),
    },
    hooks: await installedHooks(repo),
    signed: (await readAnnounceSecret(repo.dir)) !== undefined || (await readRemoteSecrets(repo.dir)).size > 0,
    lastSync:
      syncStateAt && syncState
        ? { at: syncStateAt.toISOString(), lastFullScan: iso(syncState.lastFullScan), pendingTransfers: syncState.pending.length }
        : undefined,
  };
}

export function describe(r: StatusReport): string[] {
  const lines = [
    `repository: ${r.repository.dir} (${r.repository.bare ? "bare" : "with work tree"}), annex uuid ${r.repository.uuid ?? "none (run `git annex init`)"}`,
    `account:    ${r.account ?? "none configured (git-annex-xmpp configure --jid …)"}`,
    `listen:     ${r.listen ? `running, pid ${r.listen.pid}${r.listen.host ? ` on ${r.listen.host}` : ""}` : "not running (git-annex-xmpp ensure starts one)"}${r.log ? `; log ${r.log}` : ""}`,
  ];
  if (r.handoff) lines.push(`hand-off:   ${r.handoff.socket} ${r.handoff.answering ? "(a listen of this account answers: hooks hand off)" : "(no listen of this account answers: hooks log in themselves)"}`);
  if (r.spool) {
    const oldest = r.spool.oldest ? `, oldest from ${r.spool.oldest}` : "";
    lines.push(`spool:      ${r.spool.waiting} announcement(s) waiting${oldest}${r.spool.waiting > 0 ? " (delivered by a connected listen, or git-annex-xmpp flush)" : ""}`);
  }
  lines.push(`hooks:      ${r.hooks.length > 0 ? `notify runs from ${r.hooks.join(", ")}` : "none"}`);
  lines.push(`signing:    ${r.signed ? "announcements are signed and checked (refs/annex-xmpp/secret)" : "no announcement secret: unsigned"}`);
  if (r.lastSync) {
    const full = r.lastSync.lastFullScan ? `, last full scan ${r.lastSync.lastFullScan}` : "";
    const pending = r.lastSync.pendingTransfers > 0 ? `, ${r.lastSync.pendingTransfers} transfer(s) to retry` : "";
    lines.push(`last sync:  ${r.lastSync.at}${full}${pending}`);
  }
  return lines;
}
