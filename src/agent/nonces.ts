/**
 * Replay protection for signed announcements (DESIGN.md §2.2): a signed
 * announcement outside the time window is refused by its timestamp
 * (push-extension.ts judgeAuthenticity); within it, by its nonce, which
 * must not have been seen before — by this process or, through the
 * journal, by an earlier one (a listener restarted within the window).
 */
import type { Logger } from "../log.js";
import { openNonceJournal, readNonceJournal, type NonceJournal, type SeenNonce } from "../state/nonce-journal.js";

export interface NonceMemory {
  /**
   * False when the nonce was seen before. A new nonce is taken at once
   * (a duplicate arriving meanwhile is refused) and the promise resolves
   * once it is on disk too, so a caller acts only on what a restart will
   * still refuse.
   */
  remember(nonce: string, ts: number, now: number): Promise<boolean>;
}

export interface NonceMemoryOptions {
  /** Most nonces kept; past it the oldest go first (default 10,000). */
  limit?: number;
  journal?: NonceJournal;
  /** What the journal held at start (readNonceJournal), with the time it was read. */
  known?: { entries: readonly SeenNonce[]; now: number };
  /** A failed write keeps the nonce in memory only (the caller decides how often to say so). */
  onJournalError?(error: Error): void;
}

/** Dead lines the journal may carry beyond twice the live ones before it is rewritten. */
const JOURNAL_SLACK = 256;

export function createNonceMemory(windowMs: number, options: NonceMemoryOptions = {}): NonceMemory {
  const limit = options.limit ?? 10_000;
  const { journal } = options;
  // nonce → the announcement's ts; Map order is arrival order.
  const seen = new Map<string, number>();
  // An announcement's ts may lie up to the window ahead of our clock: it
  // stays replayable, and remembered, until ts + window.
  const expired = (ts: number, now: number) => now - ts > windowMs;
  for (const { nonce, ts } of options.known?.entries.slice(-limit) ?? []) {
    if (!expired(ts, options.known!.now)) seen.set(nonce, ts);
  }
  let lines = options.known?.entries.length ?? 0;

  const record = async (nonce: string, ts: number) => {
    if (!journal) return;
    lines++;
    try {
      if (lines > 2 * seen.size + JOURNAL_SLACK) {
        lines = seen.size;
        await journal.rewrite([...seen].map(([n, t]) => ({ nonce: n, ts: t })));
      } else {
        await journal.append({ nonce, ts });
      }
    } catch (error) {
      options.onJournalError?.(error as Error);
    }
  };

  return {
    async remember(nonce, ts, now) {
      if (seen.has(nonce)) return false;
      for (const [n, t] of seen) {
        if (!expired(t, now) && seen.size < limit) break;
        seen.delete(n);
      }
      seen.set(nonce, ts);
      await record(nonce, ts);
      return true;
    },
  };
}

/**
 * The memory of a repository's listener, reloaded from its journal. An
 * unreadable journal is a warning, not a reason to stop listening: the
 * listener then protects against replays within this run only.
 */
export async function loadNonceMemory(file: string, windowMs: number, log: Logger): Promise<NonceMemory> {
  const entries = await readNonceJournal(file).catch((error: Error) => {
    log.warn(`cannot read ${file} (${error.message}): announcements seen before this start may be replayed`);
    return [];
  });
  let told = false;
  return createNonceMemory(windowMs, {
    journal: openNonceJournal(file),
    known: { entries, now: Date.now() },
    onJournalError: (error) => {
      if (!told) log.warn(`cannot record announcement nonces in ${file} (${error.message}): replays after a restart are not refused`);
      told = true;
    },
  });
}
