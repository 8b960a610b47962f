/**
 * What the listener remembers between syncs, kept under the repository's
 * git directory (`.git/annex-xmpp/sync-state.json`), never in the work tree:
 * the tips it last synced to, when it last ran a full scan, the paths
 * whose transfers failed so the next run retries them (with git-annex's
 * reason), and the files waiting for content no reachable remote has
 * (waiting.ts).
 */
import { repoStatePaths } from "../state/paths.js";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { SyncStateError } from "./errors.js";
import type { FailureMap } from "./waiting.js";

export interface SyncState {
  version: 1;
  /** The checked-out branch's commit after the last sync. */
  head: string | undefined;
  /** The `git-annex` branch tip after the last sync. */
  annexTip: string | undefined;
  /** Remote-tracking refs (full names) after the last sync, per remote name. */
  remotes: Record<string, Record<string, string>>;
  /** Epoch ms of the last full scan. */
  lastFullScan: number | undefined;
  /** Work-tree paths whose transfers failed or were cut short: retried on the next sync. */
  pending: string[];
  /** Why each of the failed transfers failed, and since when. */
  failures: FailureMap;
  /** Files waiting for content no reachable remote has: not retried until their location log changes or a full scan. */
  waiting: FailureMap;
}

export function emptyState(): SyncState {
  return { version: 1, head: undefined, annexTip: undefined, remotes: {}, lastFullScan: undefined, pending: [], failures: {}, waiting: {} };
}

export function stateFile(gitDir: string): string {
  return repoStatePaths(gitDir).syncState;
}

/** The remembered state, or an empty one when there is none yet. A corrupt file is an error, not a silent reset. */
export async function loadSyncState(gitDir: string): Promise<SyncState> {
  const file = stateFile(gitDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
    throw new SyncStateError(file, (error as Error).message);
  }
  return parseSyncState(text, file);
}

export function parseSyncState(text: string, source: string): SyncState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SyncStateError(source, (error as Error).message);
  }
  const value = raw as Partial<SyncState> | null;
  if (!value || value.version !== 1 || !Array.isArray(value.pending) || typeof value.remotes !== "object") {
    throw new SyncStateError(source, "not a version 1 sync state");
  }
  return {
    ...emptyState(),
    ...value,
    pending: value.pending.filter((p): p is string => typeof p === "string"),
    failures: failureMap(value.failures),
    waiting: failureMap(value.waiting),
  };
}

/** Records of an older version (none) or a hand-edited file (junk) read as none, entry by entry. */
function failureMap(value: unknown): FailureMap {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(([, r]) => {
      const record = r as Partial<FailureMap[string]> | null;
      return record !== null && typeof record === "object" && typeof record.reason === "string" && typeof record.step === "string" && typeof record.since === "string";
    }),
  ) as FailureMap;
}

/** Write through a temporary file and rename, so a crash never leaves half a state. */
export async function saveSyncState(gitDir: string, state: SyncState): Promise<void> {
  const file = stateFile(gitDir);
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 1)}\n`);
  await rename(temporary, file);
}
