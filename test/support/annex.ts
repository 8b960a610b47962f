import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa, type Result } from "execa";

/**
 * The environment every git and git-annex call in a test runs with, and the
 * one to give the CLI under test. Starts from process.env (PATH, locale,
 * NODE_* for the CLI) but drops every GIT_* variable: a test run from a git
 * hook, or under a developer's GIT_DIR, must not act on the wrong repository
 * (STYLE.md). HOME and XDG_CONFIG_HOME point at a throwaway home so neither
 * the developer's ~/.gitconfig nor git-annex's ~/.config/git-annex leak in,
 * and the system gitconfig is ignored.
 */
export function testEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("GIT_") && !key.startsWith("XDG_")) env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_CACHE_HOME: join(home, ".cache"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Test Author",
    GIT_AUTHOR_EMAIL: "author@example.test",
    GIT_COMMITTER_NAME: "Test Committer",
    GIT_COMMITTER_EMAIL: "committer@example.test",
    GIT_TERMINAL_PROMPT: "0",
    // Stable, untranslated messages for assertions.
    LC_ALL: "C",
    LANG: "C",
  };
}

/**
 * Settings a fresh home needs so runs are the same on every machine: an
 * explicit branch name (git 2.39 still defaults to "master" with a hint) and
 * an identity for tools that read config rather than GIT_AUTHOR_*.
 */
export const GITCONFIG = `[user]
\tname = Test Author
\temail = author@example.test
[init]
\tdefaultBranch = main
[advice]
\tdetachedHead = false
`;

export interface SandboxHome {
  /** Temp dir holding home/ and whatever repositories the test makes. */
  root: string;
  home: string;
  /** testEnv(home): what every git call and the CLI under test run with. */
  env: NodeJS.ProcessEnv;
}

export interface AnnexSandbox extends SandboxHome {
  /** A bare repository with `git annex init <description>`: the shared hub. */
  makeHub(dir: string, description?: string): Promise<string>;
  /** `git clone hub dir` then `git annex init <name>`; the hub is remote "origin". */
  cloneRepo(hub: string, dir: string, name: string): Promise<string>;
  annexUuid(repo: string): Promise<string>;
  /** Writes, `git annex add`s and commits one file; returns its annex key. */
  addAnnexedFile(repo: string, path: string, content: string | Uint8Array): Promise<string>;
  git(repo: string, args: string[]): Promise<Result>;
  gitOut(repo: string, args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

/**
 * A temp dir with a pinned home (its own .gitconfig): the core that both the
 * git-annex sandbox below and test/integration/git-sandbox.ts build on.
 */
export async function createSandboxHome(prefix: string): Promise<SandboxHome> {
  // realpath: git prints resolved paths, so tests can compare them as-is
  // even where the temp dir sits behind a symlink.
  const root = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  const home = join(root, "home");
  await mkdir(home, { recursive: true });
  await writeFile(join(home, ".gitconfig"), GITCONFIG);
  return { root, home, env: testEnv(home) };
}

/** Removes a sandbox, unless KEEP_TMP=1 asks to keep it for a look. */
export async function removeSandbox(root: string): Promise<void> {
  if (process.env.KEEP_TMP === "1") console.error(`KEEP_TMP=1: repositories kept in ${root}`);
  // git-annex makes object files and dirs read-only: restore write
  // permission or rm fails for a non-root user.
  else {
    await execa("chmod", ["-R", "u+w", root], { reject: false });
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * A temp dir with a pinned home in which to make real git-annex
 * repositories. All helpers run git with `-C <repo>` and the sandbox env:
 * nothing depends on process.cwd().
 */
export async function createAnnexSandbox(prefix = "gax-annex-"): Promise<AnnexSandbox> {
  const { root, home, env } = await createSandboxHome(prefix);

  const git = (repo: string, args: string[]) =>
    execa("git", ["-C", repo, ...args], { env, extendEnv: false, stdin: "ignore" });
  const gitOut = async (repo: string, args: string[]) => (await git(repo, args)).stdout.trim();

  return {
    root,
    home,
    env,
    git,
    gitOut,
    async makeHub(dir, description = "hub") {
      await mkdir(dir, { recursive: true });
      await git(dir, ["init", "--bare", "--quiet"]);
      await git(dir, ["annex", "init", description]);
      return dir;
    },
    async cloneRepo(hub, dir, name) {
      await mkdir(dirname(dir), { recursive: true });
      await execa("git", ["clone", "--quiet", hub, dir], { env, extendEnv: false, stdin: "ignore" });
      await git(dir, ["annex", "init", name]);
      return dir;
    },
    annexUuid: (repo) => gitOut(repo, ["config", "--get", "annex.uuid"]),
    async addAnnexedFile(repo, path, content) {
      const file = join(repo, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
      await git(repo, ["annex", "add", "--quiet", "--", path]);
      await git(repo, ["commit", "--quiet", "-m", `add ${path}`, "--", path]);
      return gitOut(repo, ["annex", "lookupkey", "--", path]);
    },
    cleanup: () => removeSandbox(root),
  };
}
