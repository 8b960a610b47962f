/**
 * What the agent tells `status`: a JSON file per running agent
 * ($XDG_STATE_HOME/git-annex-xmpp/agent-status/<pid>.json), rewritten
 * (atomically, at most every 200 ms) whenever something changes: each
 * account's session, each repository's last announcement received and
 * sent, the sync running now and the last one, what was rejected and why,
 * and the queue. `status` reads the file of the agent that holds a
 * repository's lock; a file whose agent is gone is ignored. The format is
 * `status --json`'s `agent` member (README, "status --json").
 */
import { readdir, readFile, unlink } from "node:fs/promises";
import { isProcessAlive } from "../lock/pid-lock.js";
import { writeFileAtomic } from "../state/atomic-write.js";
import type { TransferProgress } from "../sync/progress.js";

/** "failed": the last attempt failed and another comes; "stopped": failed for good (a refused login), no more attempts. */
export type SessionState = "connecting" | "connected" | "disconnected" | "failed" | "stopped";

export interface AccountStatus {
  account: string;
  state: SessionState;
  since: string;
  /** Where it is connected (host:port), once it is. */
  server?: string;
  streamManagement?: { enabled: boolean; resumable: boolean; resumed: boolean };
  /** Why it is not connected. */
  error?: string;
}

export interface RepositoryStatus {
  dir: string;
  account: string;
  lastReceived?: { at: string; from: string };
  lastSent?: { at: string };
  syncing?: { since: string; remotes: string[]; reason: string; progress?: TransferProgress };
  lastSync?: { at: string; remotes: string[]; ok: boolean; durationMs: number; error?: string };
  rejected: { count: number; last?: { at: string; from: string; reason: string } };
}

export interface AgentStatusFile {
  version: 1;
  pid: number;
  startedAt: string;
  updatedAt: string;
  accounts: AccountStatus[];
  repositories: RepositoryStatus[];
  queue: { waiting: number; holding: boolean };
}

export interface AgentStatus {
  session(account: string, state: SessionState, detail?: Partial<Omit<AccountStatus, "account" | "state" | "since">>): void;
  received(dir: string, from: string): void;
  sent(dir: string): void;
  rejected(dir: string, from: string, reason: string): void;
  syncStarted(dir: string, remotes: string[], reason: string): void;
  /** The running sync's transfer progress; undefined once its transfers are over. */
  syncProgress(dir: string, progress: TransferProgress | undefined): void;
  syncEnded(dir: string, remotes: string[], durationMs: number, error?: string): void;
  queue(waiting: number, holding: boolean): void;
  addRepository(dir: string, account: string): void;
  dropRepository(dir: string): void;
  close(): Promise<void>;
}

const WRITE_EVERY_MS = 200;

export function createAgentStatus(file: string, repositories: ReadonlyArray<{ dir: string; account: string }>, now = () => new Date()): AgentStatus {
  const stamp = () => now().toISOString();
  const state: AgentStatusFile = {
    version: 1,
    pid: process.pid,
    startedAt: stamp(),
    updatedAt: stamp(),
    accounts: [],
    repositories: repositories.map((r) => ({ dir: r.dir, account: r.account, rejected: { count: 0 } })),
    queue: { waiting: 0, holding: false },
  };
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;
  const flush = () => {
    timer = undefined;
    state.updatedAt = stamp();
    const text = `${JSON.stringify(state, null, 2)}\n`;
    writing = writing.then(() => writeFileAtomic(file, text, { mode: 0o600, dirMode: 0o700 })).catch(() => undefined);
  };
  const changed = () => {
    if (!closed && !timer) timer = setTimeout(flush, WRITE_EVERY_MS);
  };
  const repo = (dir: string) => state.repositories.find((r) => r.dir === dir);
  flush();
  return {
    session(account, sessionState, detail = {}) {
      const others = state.accounts.filter((a) => a.account !== account);
      state.accounts = [...others, { account, state: sessionState, since: stamp(), ...detail }];
      changed();
    },
    received(dir, from) {
      const r = repo(dir);
      if (r) r.lastReceived = { at: stamp(), from };
      changed();
    },
    sent(dir) {
      const r = repo(dir);
      if (r) r.lastSent = { at: stamp() };
      changed();
    },
    rejected(dir, from, reason) {
      const r = repo(dir);
      if (r) r.rejected = { count: r.rejected.count + 1, last: { at: stamp(), from, reason } };
      changed();
    },
    syncStarted(dir, remotes, reason) {
      const r = repo(dir);
      if (r) r.syncing = { since: stamp(), remotes, reason };
      changed();
    },
    syncProgress(dir, progress) {
      const syncing = repo(dir)?.syncing;
      if (!syncing) return;
      if (progress) syncing.progress = progress;
      else delete syncing.progress;
      changed();
    },
    syncEnded(dir, remotes, durationMs, error) {
      const r = repo(dir);
      if (r) {
        delete r.syncing;
        r.lastSync = { at: stamp(), remotes, ok: error === undefined, durationMs, ...(error !== undefined ? { error } : {}) };
      }
      changed();
    },
    queue(waiting, holding) {
      state.queue = { waiting, holding };
      changed();
    },
    addRepository(dir, account) {
      if (!repo(dir)) state.repositories.push({ dir, account, rejected: { count: 0 } });
      changed();
    },
    dropRepository(dir) {
      state.repositories = state.repositories.filter((r) => r.dir !== dir);
      changed();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await writing;
      await unlink(file).catch(() => undefined);
    },
  };
}

/** An agent's status file as it wrote it; undefined when there is none (or not yet a whole one). */
export async function readAgentStatus(file: string): Promise<AgentStatusFile | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as AgentStatusFile;
  } catch {
    return undefined;
  }
}

/** The pids of the agents that have a status file in `dir` and still run. */
export async function liveAgents(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.flatMap((name) => {
    const pid = /^(\d+)\.json$/.exec(name)?.[1];
    return pid !== undefined && isProcessAlive(Number(pid)) ? [Number(pid)] : [];
  });
}
