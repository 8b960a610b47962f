/**
 * The private sshd of test/support/sshd.ts, checked as the hub tests and
 * bench/ssh-topology.ts use it: a bare annex hub on the "hub machine",
 * clones on two other machines reaching it over ssh with git and git-annex's
 * own ssh (git-annex-shell on the other side), and the hub's hooks running
 * with the hub machine's environment, not the pushing clone's.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeSandbox, createSandboxHome } from "../support/annex.js";
import { startSshd, type Machine, type Sshd } from "../support/sshd.js";

const git = (machine: Machine, cwd: string, args: string[]) =>
  execa("git", ["-C", cwd, ...args], { env: machine.env, extendEnv: false, stdin: "ignore" });

describe("a hub reached over a private sshd", () => {
  let root: string;
  let sshd: Sshd;
  let hubDir: string;
  let a: Machine;
  let b: Machine;

  beforeAll(async () => {
    root = (await createSandboxHome("gax-sshd-")).root;
    sshd = await startSshd({ dir: join(root, "sshd") });
    hubDir = join(sshd.hub.home, "hub.git");
    await mkdir(hubDir);
    await git(sshd.hub, hubDir, ["init", "--bare", "--quiet"]);
    await git(sshd.hub, hubDir, ["annex", "init", "hub"]);
    // What a hub hook sees of its machine, one push per line.
    const hook = join(hubDir, "hooks", "post-receive");
    await writeFile(hook, `#!/bin/sh\necho "HOME=$HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME XDG_STATE_HOME=$XDG_STATE_HOME" >> "$HOME/hook-env.log"\n`);
    await chmod(hook, 0o755);
    a = await sshd.machine("a");
    b = await sshd.machine("b");
  });

  afterAll(async () => {
    await sshd?.stop();
    if (root !== undefined) await removeSandbox(root);
  });

  it("runs git-annex-shell on the hub machine for a client's ssh", async () => {
    const { stdout } = await execa("ssh", [sshd.hostAlias, "git-annex-shell", "configlist", hubDir], { env: a.env, extendEnv: false, stdin: "ignore" });
    const hubUuid = (await git(sshd.hub, hubDir, ["config", "annex.uuid"])).stdout.trim();
    expect(stdout).toContain(`annex.uuid=${hubUuid}`);
  });

  it("carries `git annex sync --content` from A through the hub to B, the hub's hook seeing the hub machine's home", async () => {
    const cloneA = join(a.home, "annex");
    const cloneB = join(b.home, "annex");
    await execa("git", ["clone", "--quiet", sshd.url(hubDir), cloneA], { env: a.env, extendEnv: false, stdin: "ignore" });
    await git(a, cloneA, ["annex", "init", "clone A"]);
    await writeFile(join(cloneA, "big.bin"), "content that travels over ssh\n");
    await git(a, cloneA, ["annex", "add", "--quiet", "big.bin"]);
    await git(a, cloneA, ["commit", "--quiet", "-m", "add big.bin"]);
    await git(a, cloneA, ["annex", "sync", "--quiet", "--content"]);

    await execa("git", ["clone", "--quiet", sshd.url(hubDir), cloneB], { env: b.env, extendEnv: false, stdin: "ignore" });
    await git(b, cloneB, ["annex", "init", "clone B"]);
    await git(b, cloneB, ["annex", "sync", "--quiet", "--content"]);
    expect(await readFile(join(cloneB, "big.bin"), "utf8")).toBe("content that travels over ssh\n");
    const hubUuid = (await git(sshd.hub, hubDir, ["config", "annex.uuid"])).stdout.trim();
    expect((await git(b, cloneB, ["config", "remote.origin.annex-uuid"])).stdout.trim()).toBe(hubUuid);

    const hookLines = (await readFile(join(sshd.hub.home, "hook-env.log"), "utf8")).trim().split("\n");
    const expected = `HOME=${sshd.hub.home} XDG_CONFIG_HOME=${sshd.hub.env.XDG_CONFIG_HOME} XDG_STATE_HOME=${sshd.hub.env.XDG_STATE_HOME}`;
    expect(hookLines.length).toBeGreaterThan(0);
    expect(new Set(hookLines)).toEqual(new Set([expected]));
  });
});
