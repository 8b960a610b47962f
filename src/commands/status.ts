/**
 * `status`: what git-annex-xmpp is doing for a repository, read from local
 * state only (no login, no network): the account, whether a listen runs
 * and where it logs, the hand-off socket, announcements waiting in the
 * spool, hooks, the announcement secret, and the listener's last sync.
 * `--json` for scripts. Exit 0 whatever it finds; `doctor` is the check.
 */
import { stat } from "node:fs/promises";
import { openQueue } from "../announce/queue.js";
import { readAnnounceSecret, readRemoteSecrets } from "../git/secret.js";
import { installedHooks } from "../git/hooks.js";
import { liveLockHolder } from "../lock/pid-lock.js";
import { runningListener } from "../lock/repo-lock.js";
import { statePaths } from "../state/paths.js";
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
  /** The user's announcement queue, and the process that sends it (an agent or a sender), if any. */
  queue: { dir: string; waiting: number; oldest: string | undefined; sentBy: number | undefined };
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
  const paths = statePaths(ctx.env);
  const jid = loaded.config.jid;
  const log = listenLogFile(paths.dir, repo.dir);
  const queue = openQueue(paths.queue);
  const waiting = await queue.list();
  const oldest = waiting[0] === undefined ? undefined : await stat(`${queue.dir}/${waiting[0]}`).then((s) => s.mtimeMs, () => undefined);
  const syncStateAt = await stat(stateFile(repo.gitDir)).then((s) => s.mtime, () => undefined);
  const syncState = syncStateAt ? await loadSyncState(repo.gitDir) : undefined;
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    repository: { dir: repo.dir, bare: repo.bare, uuid: repo.annexUuid },
    account: jid,
    listen: await runningListener(repo.gitDir),
    log: (await stat(log).then(() => true, () => false)) ? log : undefined,
    queue: { dir: queue.dir, waiting: waiting.length, oldest: iso(oldest), sentBy: (await liveLockHolder(paths.queueLock))?.pid },
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
  const oldest = r.queue.oldest ? `, oldest from ${r.queue.oldest}` : "";
  const sender = r.queue.sentBy ? `sent by pid ${r.queue.sentBy}` : "no agent or sender holds it: hooks start a sender";
  lines.push(`queue:      ${r.queue.waiting} announcement(s) waiting${oldest}; ${sender}`);
  lines.push(`hooks:      ${r.hooks.length > 0 ? `notify runs from ${r.hooks.join(", ")}` : "none"}`);
  lines.push(`signing:    ${r.signed ? "announcements are signed and checked (refs/annex-xmpp/secret)" : "no announcement secret: unsigned"}`);
  if (r.lastSync) {
    const full = r.lastSync.lastFullScan ? `, last full scan ${r.lastSync.lastFullScan}` : "";
    const pending = r.lastSync.pendingTransfers > 0 ? `, ${r.lastSync.pendingTransfers} transfer(s) to retry` : "";
    lines.push(`last sync:  ${r.lastSync.at}${full}${pending}`);
  }
  return lines;
}
