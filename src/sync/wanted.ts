/**
 * Which repositories have a preferred content expression (`git annex
 * wanted`), read from the `git-annex` branch's preferred-content.log. Only
 * for those can `git annex drop --auto --from R` drop anything (without an
 * expression a repository wants everything), so only those cost a
 * git-annex process in the targeted scan. Also which special remotes are
 * export remotes (remote.log).
 */
import { git } from "../git/run.js";
import { encodeKeyFile, hashDirLower } from "./annex-keys.js";

/**
 * Lines are `<uuid> <expression> timestamp=<seconds>s` (older git-annex:
 * `<seconds>s` without the name); the expression may hold spaces or be
 * empty (unset); the latest line of a UUID wins.
 */
export function parsePreferredContentLog(text: string): Set<string> {
  const latest = new Map<string, { at: number; expression: string }>();
  for (const line of text.split("\n")) {
    const match = /^(\S+) (.*?) ?(?:timestamp=)?(\d+(?:\.\d+)?)s$/.exec(line);
    if (!match) continue;
    const [, uuid, expression, at] = match as unknown as [string, string, string, string];
    const seen = latest.get(uuid);
    if (!seen || Number(at) >= seen.at) latest.set(uuid, { at: Number(at), expression: expression.trim() });
  }
  return new Set([...latest].filter(([, entry]) => entry.expression !== "").map(([uuid]) => uuid));
}

/**
 * remote.log lines are `<uuid> field=value … timestamp=<seconds>s`; the
 * latest line of a UUID wins. The special remotes whose config says
 * `exporttree=yes` hold a tree of files, not keys: `git annex sync
 * --content` exports to them and never copies or drops there (Command/Sync.hs
 * splits the content remotes on exportTree).
 */
export function parseExportRemotes(text: string): Set<string> {
  const latest = new Map<string, { at: number; exports: boolean }>();
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    const at = /^(?:timestamp=)?(\d+(?:\.\d+)?)s$/.exec(fields.at(-1) ?? "")?.[1];
    if (fields.length < 2 || at === undefined) continue;
    const seen = latest.get(fields[0]!);
    if (!seen || Number(at) >= seen.at) latest.set(fields[0]!, { at: Number(at), exports: fields.includes("exporttree=yes") });
  }
  return new Set([...latest].filter(([, entry]) => entry.exports).map(([uuid]) => uuid));
}

export interface BranchPolicy {
  /** UUIDs with a preferred content expression. */
  withWanted: Set<string>;
  /** UUIDs of export remotes (exporttree=yes). */
  exports: Set<string>;
}

/** preferred-content.log and remote.log of the `git-annex` branch (either may not exist yet). */
export async function readBranchPolicy(repo: string): Promise<BranchPolicy> {
  const read = async (name: string) => {
    const blob = await git(repo, ["cat-file", "blob", `git-annex:${name}`], { reject: false });
    return blob.exitCode === 0 ? blob.stdout : "";
  };
  const [preferred, remotes] = await Promise.all([read("preferred-content.log"), read("remote.log")]);
  return { withWanted: parsePreferredContentLog(preferred), exports: parseExportRemotes(remotes) };
}

/**
 * `<seconds>s <1|0> <uuid>` lines of a location log: the repositories whose
 * latest line says they have the content.
 */
export function parseLocationLog(text: string): Set<string> {
  const latest = new Map<string, { at: number; present: boolean }>();
  for (const line of text.split("\n")) {
    const match = /^(\d+(?:\.\d+)?)s ([01]) (\S+)$/.exec(line.trim());
    if (!match) continue;
    const at = Number(match[1]);
    const seen = latest.get(match[3]!);
    if (!seen || at >= seen.at) latest.set(match[3]!, { at, present: match[2] === "1" });
  }
  return new Set([...latest].filter(([, entry]) => entry.present).map(([uuid]) => uuid));
}

/**
 * For each key, the repositories the `git-annex` branch's location log says
 * have its content (one `git cat-file --batch`). What this run's own
 * git-annex processes journalled is not in it: callers add that.
 */
export async function contentLocations(repo: string, keys: Iterable<string>): Promise<Map<string, Set<string>>> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return new Map();
  const names = unique.map((key) => `git-annex:${hashDirLower(key)}${encodeKeyFile(key)}.log`);
  const result = await git(repo, ["cat-file", "--batch"], { input: `${names.join("\n")}\n` });
  const logs = parseLogBatch(result.stdout, names.length);
  return new Map(unique.map((key, i) => [key, parseLocationLog(logs[i] ?? "")]));
}

/**
 * `git cat-file --batch` answers for `count` names, in order: `<id> blob
 * <size>` LF content LF, or `<name> missing` LF. Logs are ASCII, so a
 * size in bytes is a length in characters.
 */
export function parseLogBatch(text: string, count: number): Array<string | undefined> {
  const out: Array<string | undefined> = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const eol = text.indexOf("\n", at);
    if (eol === -1) break;
    const header = text.slice(at, eol);
    const size = / blob (\d+)$/.exec(header)?.[1];
    if (size === undefined) {
      out.push(undefined);
      at = eol + 1;
      continue;
    }
    out.push(text.slice(eol + 1, eol + 1 + Number(size)));
    at = eol + 1 + Number(size) + 1;
  }
  return out;
}
