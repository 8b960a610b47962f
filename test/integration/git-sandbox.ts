/**
 * Temp-dir repositories for the git-side integration tests. src/git runs
 * git through src/git/run.ts with process.env, so the sandbox's pinned
 * environment (test/support/annex.ts: a throwaway HOME, no system
 * gitconfig, a fixed identity, no inherited GIT_*) is put into process.env
 * (vi.stubEnv) for the duration of the file.
 */
import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { vi } from "vitest";
import { annex, git, type RunResult } from "../../src/git/run.js";
import { createSandboxHome, removeSandbox } from "../support/annex.js";

export interface GitSandbox {
  root: string;
  /** `git init` (bare or not) and, unless told otherwise, `git annex init`. */
  makeRepo(name: string, opts?: { bare?: boolean; annexInit?: boolean }): Promise<string>;
  clone(from: string, name: string): Promise<string>;
  /** Commit a new file (plain git) and return the new HEAD. */
  commitFile(repo: string, file: string, content: string): Promise<string>;
  git(repo: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  cleanup(): Promise<void>;
}

/** process.env becomes `env`: its values set, and every other GIT_* or XDG_* variable unset. */
function stubProcessEnv(env: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) {
    if ((key.startsWith("GIT_") || key.startsWith("XDG_")) && !(key in env)) vi.stubEnv(key, undefined);
  }
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
}

export async function createGitSandbox(): Promise<GitSandbox> {
  const { root, env } = await createSandboxHome("gax-git-");
  stubProcessEnv(env);

  const run = (repo: string, args: string[], env?: NodeJS.ProcessEnv) => git(repo, args, env ? { env } : {});
  return {
    root,
    async makeRepo(name, opts = {}) {
      const dir = path.join(root, name);
      await git(root, ["init", "-q", ...(opts.bare ? ["--bare"] : []), dir]);
      if (opts.annexInit !== false) await annex(dir, ["init", name]);
      return dir;
    },
    async clone(from, name) {
      const dir = path.join(root, name);
      await git(root, ["clone", "-q", from, dir]);
      return dir;
    },
    async commitFile(repo, file, content) {
      await writeFile(path.join(repo, file), content);
      await git(repo, ["add", file]);
      await git(repo, ["commit", "-q", "-m", `add ${file}`]);
      return (await git(repo, ["rev-parse", "HEAD"])).stdout;
    },
    git: run,
    async cleanup() {
      vi.unstubAllEnvs();
      await removeSandbox(root);
    },
  };
}

/** Name → content and mode of every file in a hooks directory, for golden comparisons. */
export async function snapshotDir(dir: string): Promise<Record<string, { content: string; mode: number }>> {
  const out: Record<string, { content: string; mode: number }> = {};
  for (const name of (await readdir(dir)).sort()) {
    const file = path.join(dir, name);
    out[name] = { content: await readFile(file, "latin1"), mode: (await stat(file)).mode & 0o7777 };
  }
  return out;
}

export interface FakeCli {
  /** argv prefix to pass as cliCommand. */
  command: string[];
  /** Arguments of every call so far, one array per call. */
  calls(): Promise<string[][]>;
  /** stdin of every call so far. */
  stdins(): Promise<string[]>;
}

/**
 * A stand-in for the CLI that records its arguments and stdin, one numbered
 * file pair per call, then exits with `exitCode`.
 */
export async function makeFakeCli(dir: string, name = "fake-cli", exitCode = 0): Promise<FakeCli> {
  const log = path.join(dir, `${name}.calls`);
  await mkdir(log, { recursive: true });
  const script = path.join(dir, name);
  await writeFile(
    script,
    `#!/bin/sh
n=$(ls '${log}' | wc -l)
printf '%s\\n' "$@" > '${log}'/$n.args.tmp
cat > '${log}'/$n.stdin
mv '${log}'/$n.args.tmp '${log}'/$n.args
exit ${exitCode}
`,
  );
  await chmod(script, 0o755);
  const read = async (suffix: string) => {
    const names = (await readdir(log)).filter((f) => f.endsWith(suffix));
    names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    return Promise.all(names.map((f) => readFile(path.join(log, f), "utf8")));
  };
  return {
    command: [script],
    calls: async () => (await read(".args")).map((text) => text.split("\n").slice(0, -1)),
    stdins: () => read(".stdin"),
  };
}
