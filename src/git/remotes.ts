/**
 * The repository's remotes as git-annex sees them: which UUID each one is,
 * and whether `git annex sync` would pull from it. Read from one
 * `git config -z --get-regexp` call; the parsing is pure.
 */
import { GitCommandError } from "../errors.js";
import { git } from "./run.js";

export interface AnnexRemote {
  name: string;
  /** First `remote.<name>.url` (the one git fetches from); undefined for special remotes. */
  url: string | undefined;
  /** `remote.<name>.annex-uuid`, recorded by git-annex when it first talks to the remote. */
  uuid: string | undefined;
  /** `remote.<name>.annex-sync` is not false. */
  sync: boolean;
  /** `remote.<name>.annex-ignore` is true. */
  ignore: boolean;
  /** `remote.<name>.annex-pull` is not false. */
  pull: boolean;
  /** `remote.<name>.annex-push` is not false (undefined: not set, true). */
  push?: boolean;
  /** `remote.<name>.annex-readonly` is true. */
  readonly?: boolean;
  /** `remote.<name>.annex-tracking-branch`: what `sync --content` exports to an export remote. */
  trackingBranch?: string;
}

/**
 * git-config(1) booleans: a key without `=` is true, an empty value false;
 * yes/on/true/1 and no/off/false/0 in any case; integers are true when
 * non-zero. Anything else is not a boolean (undefined), and the caller keeps
 * its default, where git itself would refuse the configuration.
 */
export function parseGitBoolean(value: string | null): boolean | undefined {
  if (value === null) return true;
  const text = value.trim().toLowerCase();
  if (text === "") return false;
  if (["true", "yes", "on"].includes(text)) return true;
  if (["false", "no", "off"].includes(text)) return false;
  if (/^[-+]?\d+$/.test(text)) return Number(text) !== 0;
  return undefined;
}

interface ConfigEntry {
  key: string;
  /** null: the key was given without `=` (implicit true). */
  value: string | null;
}

/** Split `git config -z` output: entries end in NUL, key and value are separated by a newline. */
function splitConfigEntries(text: string): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const record of text.split("\0")) {
    if (record === "") continue;
    const newline = record.indexOf("\n");
    entries.push(
      newline === -1
        ? { key: record, value: null }
        : { key: record.slice(0, newline), value: record.slice(newline + 1) },
    );
  }
  return entries;
}

/**
 * Parse the output of `git config -z --get-regexp '^remote\.'`.
 *
 * A key is `remote.<name>.<variable>`. Remote names may contain dots
 * (`remote.my.remote.url`), variable names never do, so the name is
 * everything between the first and the last dot. Section and variable
 * names come lower-cased from git; the remote name keeps its case.
 * Single-valued settings follow git's "last one wins"; `url` keeps the first
 * value, the one git fetches from. Remotes are returned in order of first
 * appearance.
 */
export function parseRemoteConfig(text: string): AnnexRemote[] {
  const remotes = new Map<string, AnnexRemote>();
  for (const { key, value } of splitConfigEntries(text)) {
    const first = key.indexOf(".");
    const last = key.lastIndexOf(".");
    if (first === last || key.slice(0, first).toLowerCase() !== "remote") continue;
    const name = key.slice(first + 1, last);
    const variable = key.slice(last + 1).toLowerCase();
    let remote = remotes.get(name);
    if (!remote) {
      remote = { name, url: undefined, uuid: undefined, sync: true, ignore: false, pull: true };
      remotes.set(name, remote);
    }
    applySetting(remote, variable, value);
  }
  return [...remotes.values()];
}

function applySetting(remote: AnnexRemote, variable: string, value: string | null): void {
  switch (variable) {
    case "url":
      if (remote.url === undefined && value !== null) remote.url = value;
      break;
    case "annex-uuid":
      remote.uuid = value === null || value === "" ? undefined : value;
      break;
    case "annex-sync":
      remote.sync = parseGitBoolean(value) ?? remote.sync;
      break;
    case "annex-ignore":
      remote.ignore = parseGitBoolean(value) ?? remote.ignore;
      break;
    case "annex-pull":
      remote.pull = parseGitBoolean(value) ?? remote.pull;
      break;
    case "annex-push":
      remote.push = parseGitBoolean(value) ?? remote.push;
      break;
    case "annex-readonly":
      remote.readonly = parseGitBoolean(value) ?? remote.readonly;
      break;
    case "annex-tracking-branch":
      remote.trackingBranch = value === null || value === "" ? undefined : value;
      break;
  }
}

/** All remotes of `repo` with their git-annex settings. */
export async function listAnnexRemotes(repo: string): Promise<AnnexRemote[]> {
  // Exit status 1 means "no remote.* key at all": no remotes.
  const args = ["config", "-z", "--get-regexp", "^remote\\."];
  const result = await git(repo, args, { reject: false });
  if (result.exitCode === 1) return [];
  if (result.exitCode !== 0) throw new GitCommandError(`git ${args.join(" ")}`, result.exitCode, result.stderr);
  return parseRemoteConfig(result.stdout);
}

/**
 * The remotes to sync with when the repositories `uuids` announced a push:
 * a remote whose annex-uuid is among them, that is a git remote (has a url;
 * special remotes carry no branches), and that `git annex sync` would pull
 * from (annex-sync not false, annex-ignore not true, annex-pull not false).
 * The empty member of a `push` list ("a repository without a UUID") matches
 * nothing.
 */
export function remotesForUuids(remotes: readonly AnnexRemote[], uuids: Iterable<string>): AnnexRemote[] {
  const wanted = new Set([...uuids].filter((uuid) => uuid !== ""));
  return remotes.filter(
    (remote) =>
      remote.uuid !== undefined &&
      wanted.has(remote.uuid) &&
      remote.url !== undefined &&
      remote.sync &&
      !remote.ignore &&
      remote.pull,
  );
}
