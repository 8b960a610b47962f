/**
 * The pieces of the whole loop that the demo and the benchmarks set up the
 * same way: a private prosody (test/support/prosody.ts), a bare hub and two
 * clones made by git-annex in a throwaway home (test/support/annex.ts), the
 * user configuration and credentials files as a user writes them, and our
 * hook on the hub.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import type { AnnexSandbox } from "../../test/support/annex.js";
import { startProsody, type ProsodyServer } from "../../test/support/prosody.js";
import { runCli } from "./cli.js";

/** The one XMPP account: the hub's hook and B's listener are two resources of it. */
export const USER = "alice";

export function startServer(): Promise<ProsodyServer> {
  return startProsody({ accounts: { [USER]: randomBytes(12).toString("base64url") } });
}

export interface Repos {
  hub: string;
  cloneA: string;
  cloneB: string;
}

/**
 * hub.git: bare, `git annex init`; a and b: `git clone` of it, then `git
 * annex init`. A first commit synced to both, so every clone has a branch;
 * its content goes to the hub too, so no clone ever looks for it in vain.
 */
export async function makeRepos(box: AnnexSandbox): Promise<Repos> {
  const hub = await box.makeHub(join(box.root, "hub.git"), "hub");
  const cloneA = await box.cloneRepo(hub, join(box.root, "a"), "clone A");
  const cloneB = await box.cloneRepo(hub, join(box.root, "b"), "clone B");
  await box.addAnnexedFile(cloneA, "README.txt", "A shared annex.\n");
  await box.git(cloneA, ["annex", "sync", "--quiet", "--content"]);
  await box.git(cloneB, ["annex", "sync", "--quiet"]);
  return { hub, cloneA, cloneB };
}

export interface UserConfig {
  dir: string;
  configFile: string;
  credentialsFile: string;
  /** What config.json holds. */
  values: Record<string, unknown>;
}

/**
 * ~/.config/git-annex-xmpp/config.json (account and server) and
 * ~/.config/git-annex-xmpp/credentials (the password, first line, 0600),
 * the default locations src/config/load.ts reads.
 */
export async function writeUserConfig(box: AnnexSandbox, server: ProsodyServer, extra: Record<string, unknown> = {}): Promise<UserConfig> {
  const dir = join(box.env.XDG_CONFIG_HOME ?? join(box.home, ".config"), "git-annex-xmpp");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const values = { jid: server.jid(USER), server: server.host, port: server.port, ca: server.caFile, ...extra };
  const configFile = join(dir, "config.json");
  await writeFile(configFile, `${JSON.stringify(values, null, 2)}\n`);
  const credentialsFile = join(dir, "credentials");
  await writeFile(credentialsFile, `${server.account(USER).password}\n`, { mode: 0o600 });
  // writeFile's mode only applies to a new file, and through the umask.
  await chmod(credentialsFile, 0o600);
  return { dir, configFile, credentialsFile, values };
}

/** `git-annex-xmpp install-hooks --repo HUB`; returns what it printed. */
export async function installHubHooks(box: AnnexSandbox, hub: string): Promise<string> {
  const result = await runCli(["install-hooks", "--repo", hub], { env: box.env });
  if (result.exitCode !== 0) throw new Error(`install-hooks failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** The absolute git directory of a clone, for reading its refs directly. */
export async function gitDirOf(box: AnnexSandbox, repo: string): Promise<string> {
  return box.gitOut(repo, ["rev-parse", "--absolute-git-dir"]);
}

export async function isAncestor(box: AnnexSandbox, repo: string, commit: string, head: string): Promise<boolean> {
  const result = await box.git(repo, ["merge-base", "--is-ancestor", commit, head]).catch(() => undefined);
  return result?.exitCode === 0;
}

/** Runs `git annex sync ARGS` in `repo`; resolves with performance.now() when it has returned. */
/**
 * `git annex sync` in `repo`. With `hubElsewhere`, the hub's hook gets a
 * state directory of its own, as on a hub that is another machine: no agent
 * sends that queue, so the hook's detached sender announces over XMPP.
 */
export async function annexSync(box: AnnexSandbox, repo: string, args: string[] = [], hubElsewhere = false): Promise<number> {
  const env = hubElsewhere ? { ...box.env, XDG_STATE_HOME: join(box.root, "hub-machine-state") } : box.env;
  await promisify(execFile)("git", ["-C", repo, "annex", "sync", "--quiet", ...args], { env });
  return performance.now();
}
