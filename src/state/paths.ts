/**
 * Every path under the user's state directory, in one place: the
 * announcement queue and its lock, the agent's status file, logs and the
 * SCRAM key cache. hooks/notify-block.sh computes the queue and its lock
 * in shell the same way ($XDG_STATE_HOME/git-annex-xmpp, an XDG_STATE_HOME
 * that is not absolute ignored): change both together. Per-repository state
 * lives in the repository's git directory (repoStatePaths).
 */
import { isAbsolute, join } from "node:path";
import { userStateDir } from "../config/places.js";
import { scramCachePath } from "./scram-cache.js";

export interface StatePaths {
  dir: string;
  /** One file per announcement, written by hooks and commands, sent by the agent or a sender. */
  queue: string;
  /** Held (pid lock) by whoever sends the queue: the agent, or one detached sender. */
  queueLock: string;
  /** Each running agent's state for `status` (agent-status/<pid>.json), rewritten on every change. */
  agentStatusDir: string;
  logs: string;
  agentLog: string;
  senderLog: string;
  /** What whoever sends the queue announced moments ago (announce/recent.ts); read and written under queueLock. */
  recentAnnouncements: string;
  scramCache: string;
  /**
   * ssh ControlMaster sockets of the agent's fetches (src/sync/ssh-cache.ts):
   * under $XDG_RUNTIME_DIR when it is set (the XDG place for sockets, and a
   * short path: a unix socket's path is limited to about 100 bytes).
   */
  sshSockets: string;
}

export function statePaths(env: NodeJS.ProcessEnv): StatePaths {
  const dir = userStateDir(env);
  const logs = join(dir, "logs");
  return {
    dir,
    queue: join(dir, "queue"),
    queueLock: join(dir, "queue.lock"),
    agentStatusDir: join(dir, "agent-status"),
    logs,
    agentLog: join(logs, "agent.log"),
    senderLog: join(logs, "sender.log"),
    recentAnnouncements: join(dir, "recent-announcements.json"),
    scramCache: scramCachePath(dir),
    sshSockets: env.XDG_RUNTIME_DIR && isAbsolute(env.XDG_RUNTIME_DIR) ? join(env.XDG_RUNTIME_DIR, "git-annex-xmpp", "ssh") : join(dir, "ssh"),
  };
}

export interface RepoStatePaths {
  dir: string;
  /** One agent serves a repository at a time. */
  listenLock: string;
  syncState: string;
  /** Nonces of signed announcements already accepted (replay protection across restarts). */
  seenNonces: string;
}

export function repoStatePaths(gitDir: string): RepoStatePaths {
  const dir = join(gitDir, "annex-xmpp");
  return { dir, listenLock: join(dir, "listen.lock"), syncState: join(dir, "sync-state.json"), seenNonces: join(dir, "seen-nonces") };
}

/** The status file of the agent with this pid. */
export function agentStatusFile(paths: StatePaths, pid: number): string {
  return join(paths.agentStatusDir, `${pid}.json`);
}
