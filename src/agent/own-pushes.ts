/**
 * The agent announces the pushes made from the clones it serves, for hubs
 * that cannot run our post-receive hook, as git-annex's assistant did after
 * each push (Assistant/Sync.hs, `pushToRemotes'` → `NotifyPush`): whoever
 * pushed — `git push`, `git annex sync`, the assistant, this agent's own
 * push-back — git updates the remote-tracking ref and writes "update by
 * push" as its reflog message (refs/remotes/<remote>/<branch>, under
 * $GIT_DIR/logs). Fetches write "fetch …", so they are told apart without
 * touching the user's hooks: we only watch those reflog files and read
 * what was appended since.
 *
 * A clone that has the client hook (install-hooks --client) announces its
 * pushes itself; the agent then queues nothing for it, checked at each
 * push, so installing or removing the hook while the agent runs is fine.
 */
import { watch, type FSWatcher } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Queue } from "../announce/queue.js";
import type { RefUpdate } from "../announce/refs.js";
import { CLIENT_HOOK } from "../git/hook-script.js";
import { installedHooks } from "../git/hooks.js";
import { listAnnexRemotes, type RepoInfo } from "../git/repo.js";
import type { Logger } from "../log.js";

export interface OwnPushOptions {
  repo: RepoInfo;
  queue: Queue;
  log: Logger;
  /** Coalescing window: the refs one push updates arrive as one entry (default 100 ms). */
  settleMs?: number;
}

export interface OwnPushWatcher {
  /** Resolves once what is there already has been recorded as seen (nothing older is announced). */
  ready: Promise<void>;
  stop(): void;
}

/** A reflog line: `<old> <new> <committer> <time> <tz>\t<message>`. */
const REFLOG_LINE = /^([0-9a-f]{40,64}) ([0-9a-f]{40,64}) [^\t]*\t(.*)$/;

/**
 * The pushes among appended reflog lines of one remote-tracking ref
 * (`refs/remotes/<remote>/<branch>`), as remote-side updates of
 * refs/heads/<branch> (git annex sync's synced/<branch> likewise). A
 * remote's name may hold a slash: the ref belongs to the longest of
 * `remotes` it starts with. Pure.
 */
export function pushesInReflog(trackingRef: string, appended: string, remotes: readonly string[]): { remote: string; update: RefUpdate }[] {
  const rest = trackingRef.startsWith("refs/remotes/") ? trackingRef.slice("refs/remotes/".length) : undefined;
  if (rest === undefined) return [];
  const remote = remotes.filter((name) => name !== "" && rest.startsWith(`${name}/`) && rest.length > name.length + 1).sort((a, b) => b.length - a.length)[0];
  if (remote === undefined) return [];
  const ref = `refs/heads/${rest.slice(remote.length + 1)}`;
  const found: { remote: string; update: RefUpdate }[] = [];
  for (const line of appended.split("\n")) {
    const match = REFLOG_LINE.exec(line);
    if (!match || match[3] !== "update by push" || /^0+$/.test(match[2]!)) continue;
    found.push({ remote, update: { ref, old: match[1]!, new: match[2]! } });
  }
  return found;
}

export function watchOwnPushes(options: OwnPushOptions): OwnPushWatcher {
  const { repo, log } = options;
  const logs = path.join(repo.gitDir, "logs");
  const root = path.join(logs, "refs", "remotes");
  /** Bytes of each reflog file already looked at. */
  const seen = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> = Promise.resolve();
  let stopped = false;

  const scan = async (announce: boolean) => {
    const appendedTo: Array<[string, string]> = [];
    for (const file of await listFiles(root)) {
      const appended = await readAppended(file, seen);
      if (announce && appended !== "") appendedTo.push([path.relative(logs, file).split(path.sep).join("/"), appended]);
    }
    if (appendedTo.length > 0) await queuePushes(options, appendedTo);
  };
  const request = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      scanning = scanning.then(() => scan(true)).catch((error: Error) => log.warn(`own pushes: ${error.message}`));
    }, options.settleMs ?? 100);
  };

  let watcher: FSWatcher | undefined;
  try {
    // logs/ rather than logs/refs/remotes/: that one appears with the first
    // remote-tracking ref, and a recursive watch (Node >= 20 on Linux) sees
    // the directories created under it later.
    watcher = watch(logs, { recursive: true }, (_event, name) => {
      if (name === null || name.startsWith(path.join("refs", "remotes"))) request();
    });
    watcher.on("error", (error) => log.warn(`own pushes: watching ${logs} failed (${error.message}); pushes from ${repo.dir} are not announced`));
  } catch (error) {
    log.warn(`own pushes: cannot watch ${logs} (${(error as Error).message}); pushes from ${repo.dir} are not announced`);
  }
  const ready = scan(false).catch((error: Error) => log.warn(`own pushes: ${error.message}`));
  scanning = ready;
  return {
    ready,
    stop() {
      stopped = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}

/**
 * One entry per remote that is a git-annex repository, for the pushes among
 * the appended reflog lines (tracking ref, text); none when the client hook
 * announces for this clone.
 */
async function queuePushes(options: OwnPushOptions, appendedTo: Array<[string, string]>): Promise<void> {
  const { repo, log } = options;
  const remotes = await listAnnexRemotes(repo.dir);
  const pending = new Map<string, RefUpdate[]>();
  for (const [trackingRef, appended] of appendedTo) {
    for (const { remote, update } of pushesInReflog(trackingRef, appended, remotes.map((r) => r.name))) pending.set(remote, [...(pending.get(remote) ?? []), update]);
  }
  if (pending.size === 0) return;
  if ((await installedHooks(repo)).includes(CLIENT_HOOK)) {
    log.debug(`own pushes: ${repo.dir} has the client hook, which announces them`);
    return;
  }
  const uuids = new Map(remotes.map((r) => [r.name, r.uuid]));
  for (const [remote, refs] of pending) {
    if (uuids.get(remote) === undefined) {
      log.debug(`own pushes: ${remote} is not a git-annex remote (no annex-uuid); its push is not announced`);
      continue;
    }
    await options.queue.add({ hook: "push", repo: repo.dir, uuids: [], remote, refs });
    log.debug(`own pushes: queued ${refs.length} ref(s) pushed to ${remote}`);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/**
 * The complete lines appended to `file` since last time (a partial last
 * line waits for the next round). A file that shrank was rewritten (`git
 * reflog expire`): nothing in it is new.
 */
async function readAppended(file: string, seen: Map<string, number>): Promise<string> {
  const size = await stat(file).then((s) => s.size, () => undefined);
  const from = seen.get(file) ?? 0;
  if (size === undefined || size <= from) {
    if (size !== undefined) seen.set(file, size);
    return "";
  }
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(size - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    const complete = text.lastIndexOf("\n") + 1;
    seen.set(file, from + Buffer.byteLength(text.slice(0, complete)));
    return text.slice(0, complete);
  } finally {
    await handle.close();
  }
}
