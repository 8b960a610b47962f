/**
 * Clones of a hub behind the private sshd, each on a machine of its own:
 * the machine's ssh and home, XMPP settings and state of its own (the loop
 * fixture's machineEnv), git run with exactly that environment.
 */
import { execa } from "execa";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LoopFixture } from "./loop-fixture.js";
import type { Machine, Sshd } from "./sshd.js";

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode?: number | undefined;
}

export interface SshClones {
  /** Each clone's environment, by the name it was made with. */
  env: Record<string, NodeJS.ProcessEnv>;
  gitIn(machine: string, cwd: string, args: string[]): Promise<GitResult>;
  headOf(machine: string, repo: string, ref?: string): Promise<string>;
  /** Adds and commits an annexed file; the new HEAD. */
  commitIn(machine: string, repo: string, name: string): Promise<string>;
  /** A clone on `machine` over ssh, annex-initialised, a first commit synced (git-annex records the hub's UUID), configured for `account`. */
  cloneOn(name: string, machine: Machine, hubDir: string, options?: { first?: string; account?: string }): Promise<string>;
}

export function sshClones<User extends string>(fx: LoopFixture<User>, sshd: Sshd, defaultAccount: User): SshClones {
  const env: Record<string, NodeJS.ProcessEnv> = {};
  const gitIn = (machine: string, cwd: string, args: string[]): Promise<GitResult> =>
    execa("git", ["-C", cwd, ...args], { env: env[machine], extendEnv: false, stdin: "ignore" });
  const headOf = async (machine: string, repo: string, ref = "HEAD") => (await gitIn(machine, repo, ["rev-parse", ref])).stdout.trim();
  const commitIn = async (machine: string, repo: string, name: string) => {
    await writeFile(join(repo, name), `content of ${name}\n`);
    await gitIn(machine, repo, ["annex", "add", "--quiet", name]);
    await gitIn(machine, repo, ["commit", "--quiet", "-m", `add ${name}`]);
    return headOf(machine, repo);
  };
  return {
    env,
    gitIn,
    headOf,
    commitIn,
    async cloneOn(name, machine, hubDir, options = {}) {
      env[name] = { ...machine.env, ...(await fx.machineEnv(name)), HOME: machine.home, PATH: machine.env.PATH };
      const dir = join(machine.home, "annex");
      await execa("git", ["clone", "--quiet", sshd.url(hubDir), dir], { env: env[name], extendEnv: false, stdin: "ignore" });
      await gitIn(name, dir, ["annex", "init", `clone ${name}`]);
      if (options.first !== undefined) await commitIn(name, dir, options.first);
      await gitIn(name, dir, ["annex", "sync", "--quiet", "--no-content"]);
      await fx.useAccount(dir, (options.account ?? defaultAccount) as User);
      return dir;
    },
  };
}
