/**
 * `status`: what git-annex-xmpp is doing for a repository. When an agent
 * serves it, the agent's own account of itself (agent/status.ts): its
 * session (connected since when, to which server, stream management), the
 * repository's last announcement received and sent, the sync running now
 * and the last one, what was rejected and why, the queue. Without a
 * running agent, local state only (no login, no network): the queue,
 * hooks, the announcement secret, the last sync. `--json` for scripts
 * (README, "status --json"). Exit 0 whatever it finds; `doctor` is the check.
 */
import { stat } from "node:fs/promises";
import { openQueue } from "../announce/queue.js";
import { readAgentStatus, type AccountStatus, type RepositoryStatus } from "../agent/status.js";
import { bareJid } from "../config/schema.js";
import { readAnnounceSecret, readRemoteSecrets } from "../git/secret.js";
import { installedHooks } from "../git/hooks.js";
import { liveLockHolder } from "../lock/pid-lock.js";
import { runningListener } from "../lock/repo-lock.js";
import { agentStatusFile, statePaths } from "../state/paths.js";
import { formatProgress } from "../sync/progress.js";
import { loadSyncState, stateFile } from "../sync/state.js";
import { describeFailure, type FailureMap, type FailureRecord } from "../sync/waiting.js";
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
  /** The agent's own account, when one serves this repository and reports. */
  agent: { pid: number; startedAt: string; updatedAt: string; session: AccountStatus | undefined; repository: RepositoryStatus | undefined } | undefined;
  /** The agent's log, when `ensure` or `service` started it. */
  log: string | undefined;
  /** The user's announcement queue, and the process that sends it (an agent or a sender), if any. */
  queue: { dir: string; waiting: number; oldest: string | undefined; sentBy: number | undefined };
  hooks: string[];
  signed: boolean;
  /** Only for a clone an agent has synced. */
  lastSync:
    | {
        at: string;
        lastFullScan: string | undefined;
        pendingTransfers: number;
        /** Failed transfers, retried on every sync, with git-annex's reason. */
        failures: NamedFailure[];
        /** Files whose content no reachable remote has. */
        waiting: NamedFailure[];
      }
    | undefined;
}

export type NamedFailure = FailureRecord & { file: string };

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
  const queue = openQueue(paths.queue);
  const waiting = await queue.list();
  const oldest = waiting[0] === undefined ? undefined : await stat(`${queue.dir}/${waiting[0]}`).then((s) => s.mtimeMs, () => undefined);
  const syncStateAt = await stat(stateFile(repo.gitDir)).then((s) => s.mtime, () => undefined);
  const syncState = syncStateAt ? await loadSyncState(repo.gitDir) : undefined;
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const listen = await runningListener(repo.gitDir);
  return {
    repository: { dir: repo.dir, bare: repo.bare, uuid: repo.annexUuid },
    account: jid,
    listen,
    agent: listen ? await agentReport(agentStatusFile(paths, listen.pid), repo.dir, jid) : undefined,
    log: (await stat(paths.agentLog).then(() => true, () => false)) ? paths.agentLog : undefined,
    queue: { dir: queue.dir, waiting: waiting.length, oldest: iso(oldest), sentBy: (await liveLockHolder(paths.queueLock))?.pid },
    hooks: await installedHooks(repo),
    signed: (await readAnnounceSecret(repo.dir)) !== undefined || (await readRemoteSecrets(repo.dir)).size > 0,
    lastSync:
      syncStateAt && syncState
        ? {
            at: syncStateAt.toISOString(),
            lastFullScan: iso(syncState.lastFullScan),
            pendingTransfers: syncState.pending.length,
            failures: named(syncState.failures),
            waiting: named(syncState.waiting),
          }
        : undefined,
  };
}

function named(map: FailureMap): NamedFailure[] {
  return Object.entries(map)
    .map(([file, record]) => ({ file, ...record }))
    .sort((a, b) => a.file.localeCompare(b.file));
}

async function agentReport(file: string, dir: string, jid: string | undefined): Promise<StatusReport["agent"]> {
  const found = await readAgentStatus(file);
  if (!found) return undefined;
  const repository = found.repositories.find((r) => r.dir === dir);
  const account = repository?.account ?? (jid ? bareJid(jid) : undefined);
  return {
    pid: found.pid,
    startedAt: found.startedAt,
    updatedAt: found.updatedAt,
    session: found.accounts.find((a) => a.account === account),
    repository,
  };
}

export function describe(r: StatusReport): string[] {
  const lines = [
    `repository: ${r.repository.dir} (${r.repository.bare ? "bare" : "with work tree"}), annex uuid ${r.repository.uuid ?? "none (run `git annex init`)"}`,
    `account:    ${r.account ?? "none configured (git-annex-xmpp configure --jid …)"}`,
    `agent:      ${r.listen ? `running, pid ${r.listen.pid}${r.listen.host ? ` on ${r.listen.host}` : ""}${r.agent ? `, since ${r.agent.startedAt}` : ""}` : "not running (git-annex-xmpp ensure starts one)"}${r.log ? `; log ${r.log}` : ""}`,
    ...describeAgent(r.agent),
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
    lines.push(...listed("failed:", r.lastSync.failures, (f) => `${describeFailure(f)} (since ${f.since})`));
    lines.push(...listed("waiting:", r.lastSync.waiting, (f) => `${f.file}: no reachable remote has its content (${f.reason}; since ${f.since})`));
  }
  return lines;
}

/** A heading and one line per item, at most LISTED of them (`--json` has all). */
const LISTED = 10;
function listed(heading: string, items: NamedFailure[], line: (item: NamedFailure) => string): string[] {
  if (items.length === 0) return [];
  const more = items.length > LISTED ? [`  … and ${items.length - LISTED} more (status --json lists all)`] : [];
  return [heading.padEnd(12) + `${items.length} file(s)`, ...items.slice(0, LISTED).map((item) => `  ${line(item)}`), ...more];
}

function describeAgent(agent: StatusReport["agent"]): string[] {
  if (!agent) return [];
  const lines: string[] = [];
  const s = agent.session;
  if (s) {
    const sm = s.streamManagement ? `; stream management ${s.streamManagement.resumable ? "on, resumable" : s.streamManagement.enabled ? "on, not resumable" : "off"}` : "";
    lines.push(`session:    ${s.state} since ${s.since}${s.server ? ` (${s.server})` : ""}${sm}${s.error ? `: ${s.error}` : ""}`);
  }
  const r = agent.repository;
  if (!r) return lines;
  if (r.lastReceived) lines.push(`received:   last announcement ${r.lastReceived.at} from ${r.lastReceived.from}`);
  if (r.lastSent) lines.push(`sent:       last announcement ${r.lastSent.at}`);
  if (r.syncing) {
    const progress = r.syncing.progress ? `: ${formatProgress(r.syncing.progress)}` : "";
    lines.push(`syncing:    ${r.syncing.remotes.join(" ")} since ${r.syncing.since} (${r.syncing.reason})${progress}`);
  }
  if (r.lastSync) lines.push(`synced:     ${r.lastSync.at}: ${r.lastSync.ok ? "ok" : `failed: ${r.lastSync.error}`} in ${r.lastSync.durationMs} ms (${r.lastSync.remotes.join(" ")})`);
  if (r.rejected.count > 0 && r.rejected.last) {
    lines.push(`rejected:   ${r.rejected.count} announcement(s); last ${r.rejected.last.at} from ${r.rejected.last.from}: ${r.rejected.last.reason}`);
  }
  return lines;
}
