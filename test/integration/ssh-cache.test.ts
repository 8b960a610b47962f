/**
 * The agent's fetch over ssh keeps its connection warm (issue 11): with the
 * environment sshCachingEnv gives, a fetch from a hub behind the private
 * sshd leaves a ControlMaster in the per-user socket directory, the next
 * fetch goes through it, and a `git annex sync` (whose cleanup stops the
 * masters under .git/annex/ssh/) leaves it running.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git } from "../../src/git/run.js";
import { sshCachingEnv, stopSshMasters } from "../../src/sync/ssh-cache.js";
import { createSandboxHome, removeSandbox } from "../support/annex.js";
import { startSshd, type Machine, type Sshd } from "../support/sshd.js";

describe("ssh connection caching for the agent's fetches", () => {
  let root: string;
  let runtime: string;
  let sshd: Sshd;
  let b: Machine;
  let clone: string;

  beforeAll(async () => {
    root = (await createSandboxHome("gax-sshcache-")).root;
    // A short runtime directory, as a login session's /run/user/UID: a socket path must fit in about 100 bytes.
    runtime = await mkdtemp("/tmp/gax-rt-");
    sshd = await startSshd({ dir: join(root, "sshd") });
    const hub = join(sshd.hub.home, "hub.git");
    await mkdir(hub);
    await execa("git", ["init", "--bare", "--quiet", hub], { env: sshd.hub.env, extendEnv: false });
    await execa("git", ["-C", hub, "annex", "init", "hub"], { env: sshd.hub.env, extendEnv: false });
    b = await sshd.machine("b");
    b.env.XDG_RUNTIME_DIR = runtime;
    clone = join(b.home, "annex");
    await execa("git", ["clone", "--quiet", sshd.url(hub), clone], { env: b.env, extendEnv: false, stdin: "ignore" });
    await execa("git", ["-C", clone, "annex", "init", "clone B"], { env: b.env, extendEnv: false, stdin: "ignore" });
    await writeFile(join(clone, "first.txt"), "first\n");
    await execa("git", ["-C", clone, "add", "first.txt"], { env: b.env, extendEnv: false });
    await execa("git", ["-C", clone, "commit", "--quiet", "-m", "first"], { env: b.env, extendEnv: false });
  }, 60_000);

  afterAll(async () => {
    const sockets = join(runtime, "git-annex-xmpp", "ssh");
    for (const socket of await readdir(sockets).catch(() => [])) {
      await execa("ssh", ["-O", "exit", "-o", `ControlPath=${join(sockets, socket)}`, sshd.hostAlias], { env: b.env, extendEnv: false, reject: false });
    }
    await sshd?.stop();
    await rm(runtime, { recursive: true, force: true });
    if (root !== undefined) await removeSandbox(root);
  });

  it("leaves a master after the first fetch, reuses it, and survives git annex sync", async () => {
    const env = await sshCachingEnv(clone, b.env);
    expect(env.GIT_SSH_COMMAND).toMatch(/^ssh -o ControlMaster=auto -o ControlPath=\/tmp\/gax-rt-\w+\/git-annex-xmpp\/ssh\/%C -o ControlPersist=\d+$/);
    await git(clone, ["fetch", "--quiet", "origin"], { env: { ...b.env, ...env } });
    const sockets = join(runtime, "git-annex-xmpp", "ssh");
    const [socket] = await readdir(sockets);
    expect(socket).toMatch(/^[0-9a-f]{40}$/);
    const check = () => execa("ssh", ["-O", "check", "-o", `ControlPath=${join(sockets, socket!)}`, sshd.hostAlias], { env: b.env, extendEnv: false, reject: false });
    expect((await check()).exitCode).toBe(0);
    await git(clone, ["fetch", "--quiet", "origin"], { env: { ...b.env, ...env } });
    await git(clone, ["annex", "sync", "--quiet", "--no-content"], { env: b.env });
    expect((await check()).exitCode).toBe(0);
    expect(await readdir(sockets)).toEqual([socket]);
    // What the last agent does when it stops: no master outlives it for the ControlPersist time.
    await stopSshMasters(sockets, b.env);
    expect((await check()).exitCode).not.toBe(0);
    expect(await readdir(sockets)).toEqual([]);
  }, 60_000);

  it("adds nothing when the user's ssh command is not OpenSSH's", async () => {
    await git(clone, ["config", "core.sshCommand", "plink -batch"]);
    try {
      expect(await sshCachingEnv(clone, b.env)).toEqual({});
    } finally {
      await git(clone, ["config", "--unset", "core.sshCommand"]);
    }
  });
});
