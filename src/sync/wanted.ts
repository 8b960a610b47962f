/**
 * Which repositories have a preferred content expression (`git annex
 * wanted`), read from the `git-annex` branch's preferred-content.log. Only
 * for those can `git annex drop --auto --from R` drop anything (without an
 * expression a repository wants everything), so only those cost a
 * git-annex process in the targeted scan.
 */
import { git } from "../git/run.js";

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

export async function uuidsWithPreferredContent(repo: string): Promise<Set<string>> {
  const log = await git(repo, ["cat-file", "blob", "git-annex:preferred-content.log"], { reject: false });
  return log.exitCode === 0 ? parsePreferredContentLog(log.stdout) : new Set();
}
