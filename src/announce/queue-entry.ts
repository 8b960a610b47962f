/**
 * The announcement queue's entry format, pure. An entry is what a hook saw
 * (hooks/notify-block.sh writes it in plain shell) or what a command asked
 * to announce; it is turned into a presence only when sent, with the
 * repository's current UUID, secret and settings.
 *
 *   git-annex-xmpp-queue 1
 *   hook post-receive            post-receive, post-update, notify or push
 *   repo /abs/path/of/the/git/dir
 *   uuid UUID                    optional, repeated: announce these instead of the repo's own
 *   remote NAME                  optional (push): the remote that received it
 *   <empty line>
 *   <old> <new> <ref>            post-receive lines, or one ref name a line
 *   end                          the entry is complete once this line is there
 */
import { parsePostReceive, parsePostUpdate, type RefUpdate } from "./refs.js";

export const QUEUE_MAGIC = "git-annex-xmpp-queue 1";
/** Bounds on one entry (a reader reads them all). */
export const MAX_ENTRY_BYTES = 4 * 1024 * 1024;
const MAX_UUIDS = 1024;

export const ENTRY_HOOKS = ["post-receive", "post-update", "notify", "push"] as const;
export type EntryHook = (typeof ENTRY_HOOKS)[number];

export interface QueueEntry {
  hook: EntryHook;
  /** Absolute path of the repository (its git directory for a hook, its top for a command). */
  repo: string;
  /** UUIDs to announce instead of the repository's own (notify --uuid, a push's remotes). */
  uuids: string[];
  /** The remote that received a push made from a clone. */
  remote?: string;
  refs: RefUpdate[];
}

export type ParsedEntry = { ok: true; entry: QueueEntry } | { ok: false; incomplete: boolean; reason: string };

export function formatQueueEntry(entry: QueueEntry): string {
  const head = [QUEUE_MAGIC, `hook ${entry.hook}`, `repo ${entry.repo}`, ...entry.uuids.map((u) => `uuid ${u}`)];
  if (entry.remote !== undefined) head.push(`remote ${entry.remote}`);
  const refs = entry.refs.map((r) => (r.old !== undefined && r.new !== undefined ? `${r.old} ${r.new} ${r.ref}` : r.ref));
  return `${[...head, "", ...refs, "end"].join("\n")}\n`;
}

function isSingleLine(value: string): boolean {
  return value !== "" && !/[\r\n\0]/.test(value);
}

export function parseQueueEntry(text: string): ParsedEntry {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const bad = (reason: string): ParsedEntry => ({ ok: false, incomplete: false, reason });
  if (lines.at(-1) !== "end") return { ok: false, incomplete: true, reason: "no final `end` line (still being written, or its writer died)" };
  if (lines[0] !== QUEUE_MAGIC) return bad(`first line is not "${QUEUE_MAGIC}"`);
  const blank = lines.indexOf("");
  if (blank < 0) return bad("no empty line after the header");
  const fields = { uuids: [] as string[] } as { hook?: string; repo?: string; remote?: string; uuids: string[] };
  for (const line of lines.slice(1, blank)) {
    const space = line.indexOf(" ");
    const [key, value] = space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space + 1)];
    if (key === "uuid" && isSingleLine(value) && value.length <= 128) fields.uuids.push(value);
    else if ((key === "hook" || key === "repo" || key === "remote") && fields[key] === undefined && isSingleLine(value)) fields[key] = value;
    else return bad(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (!ENTRY_HOOKS.includes(fields.hook as EntryHook)) return bad(`unknown hook ${JSON.stringify(fields.hook)}`);
  if (!fields.repo?.startsWith("/")) return bad("`repo` must be an absolute path");
  if (fields.uuids.length > MAX_UUIDS) return bad(`more than ${MAX_UUIDS} uuids`);
  const body = lines.slice(blank + 1, -1).filter((line) => line.trim() !== "");
  let refs: RefUpdate[];
  try {
    refs = body.some((line) => line.trim().includes(" ")) ? parsePostReceive(body.join("\n")) : parsePostUpdate(body.map((l) => l.trim()));
  } catch (error) {
    return bad((error as Error).message);
  }
  const remote = fields.remote !== undefined ? { remote: fields.remote } : {};
  return { ok: true, entry: { hook: fields.hook as EntryHook, repo: fields.repo, uuids: fields.uuids, ...remote, refs } };
}

/** Entry files: `e.<pid>.<n>` from the hook, `e.<time>-<pid>-<random>` from node; dot files are in progress or set aside. */
export function isQueueEntryName(name: string): boolean {
  return /^e\.[0-9A-Za-z.-]{1,80}$/.test(name);
}
