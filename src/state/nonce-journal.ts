/**
 * The nonces of signed announcements a repository's listener accepted,
 * kept on disk so that replay protection holds across restarts (DESIGN.md
 * §2.2): a presence captured on the wire and re-sent within the replay
 * window after a restart must be refused like one re-sent before it.
 *
 * The file lives beside sync-state.json under the repository's git
 * directory (`.git/annex-xmpp/seen-nonces`), one `<ts> <nonce>` line per
 * accepted announcement. Accepting one costs one small O_APPEND write; the
 * file is rewritten (write-then-rename) with only the live lines once dead
 * ones outnumber them, so it stays bounded by the window. A torn or foreign
 * line is skipped on reading, never fatal: the worst it costs is the
 * protection of that one nonce.
 */
import { repoStatePaths } from "./paths.js";
import { appendFile, mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "./atomic-write.js";

export interface SeenNonce {
  nonce: string;
  /** The announcement's own timestamp (ms since the epoch). */
  ts: number;
}

export interface NonceJournal {
  readonly file: string;
  /** Adds one accepted nonce; resolves once it is written. */
  append(entry: SeenNonce): Promise<void>;
  /** Replaces the file's content with exactly these entries. */
  rewrite(entries: Iterable<SeenNonce>): Promise<void>;
}

export function nonceJournalFile(gitDir: string): string {
  return repoStatePaths(gitDir).seenNonces;
}

const LINE = /^(\d{1,16}) ([A-Za-z0-9_-]{8,64})$/;
/** Beyond this the file is not ours to trust as a whole: its tail is read. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** The journal's entries, in file order; none when the file does not exist yet. */
export async function readNonceJournal(file: string): Promise<SeenNonce[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  if (text.length > MAX_READ_BYTES) text = text.slice(-MAX_READ_BYTES);
  const entries: SeenNonce[] = [];
  const lines = text.split("\n");
  // What follows the last newline is an append cut short (or nothing).
  lines.pop();
  for (const line of lines) {
    const match = LINE.exec(line);
    if (match) entries.push({ ts: Number(match[1]), nonce: match[2]! });
  }
  return entries;
}

function formatLine(entry: SeenNonce): string {
  return `${entry.ts} ${entry.nonce}\n`;
}

/**
 * A journal for `file`. Writes are chained one after the other, so a
 * rewrite never races an append (whose line would land in the replaced
 * file and be lost). The first append ends a line cut short by a crash,
 * so that the new one is not glued to it.
 */
export function openNonceJournal(file: string): NonceJournal {
  let chain: Promise<unknown> = Promise.resolve();
  let ready = false;
  const serialised = (work: () => Promise<void>): Promise<void> => {
    const next = chain.then(work);
    chain = next.catch(() => undefined);
    return next;
  };
  const prepare = async (): Promise<string> => {
    if (ready) return "";
    await mkdir(path.dirname(file), { recursive: true });
    ready = true;
    return (await endsLine(file)) ? "" : "\n";
  };
  return {
    file,
    append: (entry) =>
      serialised(async () => {
        const prefix = await prepare();
        await appendFile(file, prefix + formatLine(entry));
      }),
    rewrite: (entries) => {
      const text = [...entries].map(formatLine).join("");
      return serialised(() => writeFileAtomic(file, text));
    },
  };
}

/** True when the file is empty, missing, or ends with a newline. */
async function endsLine(file: string): Promise<boolean> {
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return true;
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}
