/**
 * Whether a follow-up sync still has work, pure. An announcement is acted
 * on when the repository lacks one of its objects (stanzas.ts); one that
 * arrives while a sync runs gets a follow-up (scheduler.ts) — but that sync
 * may well have fetched those very objects already: the second and third
 * pushes of one `git annex sync` move other refs to the commits the first
 * announced, and two machines (the hub's hook, the pushing clone) may
 * announce one push. So when every request behind a run named its objects
 * and came before an earlier sync ended well, the run first looks whether
 * they are all here now, and is skipped if so; anything else (a catch-up, a
 * plain git-annex push without refs, a failed sync) runs as asked.
 */
export interface SyncCoverage {
  /** A sync was asked for, for these announced objects (undefined: whatever the repository has). */
  requested(objects: readonly string[] | undefined): void;
  /**
   * A sync starts, taking every request so far: the objects to look for
   * first, or undefined when the sync must run anyway.
   */
  starting(): string[] | undefined;
  /** The sync that started last ended well (one repository's syncs never overlap: scheduler.ts). */
  succeeded(): void;
}

export function createSyncCoverage(): SyncCoverage {
  /** Syncs that ended well so far. */
  let succeeded = 0;
  let waiting: Array<{ objects: readonly string[] | undefined; after: number }> = [];
  return {
    requested(objects) {
      waiting.push({ objects: objects && objects.length > 0 ? [...objects] : undefined, after: succeeded });
    },
    starting() {
      const taken = waiting;
      waiting = [];
      // A request older than the last good sync's end may have been served by it; a newer one not.
      if (taken.length === 0 || taken.some((r) => r.objects === undefined || r.after >= succeeded)) return undefined;
      return [...new Set(taken.flatMap((r) => r.objects!))];
    },
    succeeded() {
      succeeded++;
    },
  };
}
