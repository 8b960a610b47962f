/**
 * installHooks / uninstallHooks against real `git init` + `git annex init`
 * repositories, and real pushes running the installed hooks.
 */
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as installHooksCommand } from "../../src/commands/install-hooks.js";
import { run as uninstallHooksCommand } from "../../src/commands/uninstall-hooks.js";
import type { CommandContext } from "../../src/commands/context.js";
import { AppError, NotAnnexRepoError, UsageError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { installHooks, uninstallHooks } from "../../src/git/hooks.js";
import { resolveRepo } from "../../src/git/repo.js";
import { annex } from "../../src/git/run.js";
import { acquirePidLock } from "../../src/lock/pid-lock.js";
import { openQueue } from "../../src/announce/queue.js";
import { statePaths } from "../../src/state/paths.js";
import { waitFor } from "../support/wait.js";
import { createGitSandbox, makeFakeCli, snapshotDir, type GitSandbox } from "./git-sandbox.js";

const ZERO = "0".repeat(40);

/** The user's announcement queue, where the hooks write (the sandbox's HOME). */
const queue = () => openQueue(statePaths(process.env).queue);

/** Complete entries, oldest first; the queue is emptied for the next case. */
async function takeQueued() {
  const items = await queue().readAll();
  await queue().remove(items.map((i) => i.name));
  return items.map((i) => i.entry);
}

/** The hook starts its sender detached: wait for it to have run. */
async function calledTimes(fake: { calls(): Promise<string[][]> }, n: number): Promise<string[][]> {
  await waitFor(async () => (await fake.calls()).length >= n, { timeoutMs: 10_000, what: `${n} call(s) of the fake CLI` });
  return fake.calls();
}
const GIT_ANNEX_HOOKS = ["post-checkout", "post-merge", "post-receive", "pre-commit"];

let box: GitSandbox;
beforeAll(async () => {
  box = await createGitSandbox();
});
afterAll(async () => {
  await box.cleanup();
});

/** A bare annex hub with our post-receive installed, and a clone to push from. */
async function hubWithClone(name: string, cliCommand: string[], hooks?: ("post-receive" | "post-update")[]) {
  const hub = await box.makeRepo(`${name}.git`, { bare: true });
  const result = await installHooks(await resolveRepo(hub), { cliCommand, ...(hooks ? { hooks } : {}) });
  const clone = await box.clone(hub, `${name}-clone`);
  return { hub, clone, result };
}

describe("installHooks / uninstallHooks on disk", () => {
  it("leaves git-annex's hook files byte-identical after install and uninstall (non-bare)", async () => {
    const repo = await box.makeRepo("work");
    const hooksDir = path.join(repo, ".git", "hooks");
    const before = await snapshotDir(hooksDir);
    for (const name of GIT_ANNEX_HOOKS) expect(before[name]?.content).toContain("automatically configured by git-annex");

    const info = await resolveRepo(repo);
    const first = await installHooks(info, { cliCommand: ["/usr/bin/node", "/opt/gax/cli.js"] });
    expect(first.hooksDir).toBe(hooksDir);
    expect(first.files.map((f) => [f.hook, f.action])).toEqual([["post-receive", "updated"]]);
    const installed = await readFile(path.join(hooksDir, "post-receive"), "utf8");
    expect(installed.startsWith("#!/bin/sh\n# >>> git-annex-xmpp >>>\n")).toBe(true);
    expect(installed.endsWith(before["post-receive"]!.content.slice("#!/bin/sh\n".length))).toBe(true);

    const again = await installHooks(info, { cliCommand: ["/usr/bin/node", "/opt/gax/cli.js"] });
    expect(again.files.map((f) => f.action)).toEqual(["unchanged"]);
    expect(await readFile(path.join(hooksDir, "post-receive"), "utf8")).toBe(installed);

    const both = await installHooks(info, { cliCommand: ["git-annex-xmpp"], hooks: ["post-receive", "post-update"] });
    expect(both.files.map((f) => [f.hook, f.action])).toEqual([["post-receive", "updated"], ["post-update", "created"]]);
    expect((await stat(path.join(hooksDir, "post-update"))).mode & 0o777).toBe(0o755);

    const client = await installHooks(info, { cliCommand: ["git-annex-xmpp"], hooks: ["reference-transaction"] });
    expect(client.files.map((f) => [f.hook, f.action])).toEqual([["reference-transaction", "created"]]);

    const removed = await uninstallHooks(info);
    expect(removed.files.map((f) => [f.hook, f.action])).toEqual([
      ["post-receive", "removed"],
      ["post-update", "removed"],
      ["reference-transaction", "removed"],
    ]);
    expect(await snapshotDir(hooksDir)).toEqual(before);
    const noop = await uninstallHooks(info);
    expect(noop.files.map((f) => f.action)).toEqual(["absent", "absent", "absent"]);
  });

  it("creates an executable post-receive in a bare hub and deletes it again", async () => {
    const hub = await box.makeRepo("bare.git", { bare: true });
    const hooksDir = path.join(hub, "hooks");
    const before = await snapshotDir(hooksDir);
    expect(Object.keys(before).filter((name) => !name.endsWith(".sample"))).toEqual([]);

    const info = await resolveRepo(hub);
    const result = await installHooks(info, { cliCommand: "git-annex-xmpp" });
    expect(result.files).toEqual([{ hook: "post-receive", path: path.join(hooksDir, "post-receive"), action: "created", executable: true }]);
    expect((await stat(path.join(hooksDir, "post-receive"))).mode & 0o777).toBe(0o755);

    await uninstallHooks(info);
    expect(await snapshotDir(hooksDir)).toEqual(before);
  });

  it("keeps the mode of an existing hook file", async () => {
    const hub = await box.makeRepo("mode.git", { bare: true });
    const file = path.join(hub, "hooks", "post-receive");
    await writeFile(file, "#!/bin/sh\necho mine\n");
    await chmod(file, 0o700);
    const info = await resolveRepo(hub);
    await installHooks(info, { cliCommand: "git-annex-xmpp" });
    expect((await stat(file)).mode & 0o777).toBe(0o700);
    await uninstallHooks(info);
    expect(await readFile(file, "utf8")).toBe("#!/bin/sh\necho mine\n");
    expect((await stat(file)).mode & 0o777).toBe(0o700);
  });

  it("keeps bytes that are not UTF-8, and runs a CLI from a non-ASCII path", async () => {
    const hub = await box.makeRepo("bytes.git", { bare: true });
    const file = path.join(hub, "hooks", "post-receive");
    const original = Buffer.concat([Buffer.from("#!/bin/sh\n# caf"), Buffer.from([0xe9, 0xff]), Buffer.from("\n")]);
    await writeFile(file, original);
    await chmod(file, 0o755);
    const dir = path.join(box.root, "outils-é ß");
    await mkdir(dir);
    const fake = await makeFakeCli(dir, "fake-bytes");
    const info = await resolveRepo(hub);
    await installHooks(info, { cliCommand: fake.command });

    const clone = await box.clone(hub, "bytes-clone");
    await box.commitFile(clone, "a", "a\n");
    await box.git(clone, ["push", "-q", "origin", "main"]);
    expect(await calledTimes(fake, 1)).toEqual([["flush", "--background"]]);
    expect(await takeQueued()).toHaveLength(1);
    await uninstallHooks(info);
    expect(Buffer.compare(await readFile(file), original)).toBe(0);
  });

  it("refuses a repository without annex.uuid, before writing anything", async () => {
    const repo = await box.makeRepo("plain", { annexInit: false });
    const before = await snapshotDir(path.join(repo, ".git", "hooks"));
    await expect(installHooks(await resolveRepo(repo), { cliCommand: "git-annex-xmpp" })).rejects.toThrow(NotAnnexRepoError);
    expect(await snapshotDir(path.join(repo, ".git", "hooks"))).toEqual(before);
  });

  it("refuses hook files it must not edit: symlinks and non-shell scripts", async () => {
    const hub = await box.makeRepo("odd.git", { bare: true });
    const info = await resolveRepo(hub);
    await writeFile(path.join(hub, "hooks", "post-update"), "#!/usr/bin/env python3\nprint('hi')\n");
    await expect(installHooks(info, { cliCommand: "x", hooks: ["post-update"] })).rejects.toThrow(/not a shell script/);
    await writeFile(path.join(box.root, "shared-hook"), "#!/bin/sh\n");
    await symlink(path.join(box.root, "shared-hook"), path.join(hub, "hooks", "post-receive"));
    await expect(installHooks(info, { cliCommand: "x" })).rejects.toThrow(AppError);
    expect(await readFile(path.join(box.root, "shared-hook"), "utf8")).toBe("#!/bin/sh\n");
  });

  // receive-pack runs push hooks in the git directory, so git resolves a
  // relative core.hooksPath against it, also in a non-bare repository.
  it("writes where git runs hooks when core.hooksPath is set, and says so", async () => {
    const hub = await box.makeRepo("hookspath.git", { bare: true });
    await box.git(hub, ["config", "core.hooksPath", "myhooks"]);
    const fake = await makeFakeCli(box.root, "fake-hookspath");
    const result = await installHooks(await resolveRepo(hub), { cliCommand: fake.command });
    expect(result.coreHooksPath).toBe("myhooks");
    expect(result.hooksDir).toBe(path.join(hub, "myhooks"));
    const clone = await box.clone(hub, "hookspath-clone");
    await box.commitFile(clone, "a", "a\n");
    await box.git(clone, ["push", "-q", "origin", "main"]);
    expect(await calledTimes(fake, 1)).toHaveLength(1);

    const work = await box.makeRepo("hookspath-work");
    await box.git(work, ["config", "core.hooksPath", ".githooks"]);
    const inWork = await installHooks(await resolveRepo(work), { cliCommand: fake.command });
    expect(inWork.hooksDir).toBe(path.join(work, ".git", ".githooks"));
    const workClone = await box.clone(work, "hookspath-work-clone");
    await box.commitFile(workClone, "a", "a\n");
    await box.git(workClone, ["push", "-q", "origin", "main:other"]);
    expect(await calledTimes(fake, 2)).toHaveLength(2);
    expect((await takeQueued()).map((e) => e.refs.map((r) => r.ref))).toEqual([["refs/heads/main"], ["refs/heads/other"]]);
  });
});

describe("the installed block in real pushes", () => {
  it("queues the post-receive ref lines and starts the sender detached", async () => {
    const fake = await makeFakeCli(box.root, "fake-push");
    const { hub, clone } = await hubWithClone("push", fake.command);
    const first = await box.commitFile(clone, "a", "a\n");
    await box.git(clone, ["push", "-q", "origin", "main"]);
    const second = await box.commitFile(clone, "b", "b\n");
    await box.git(clone, ["push", "-q", "origin", "main"]);

    expect(await calledTimes(fake, 2)).toEqual([["flush", "--background"], ["flush", "--background"]]);
    // Detached: nothing of the push's stdin reaches it.
    expect(await fake.stdins()).toEqual(["", ""]);
    expect(await takeQueued()).toEqual([
      { hook: "post-receive", repo: hub, uuids: [], refs: [{ ref: "refs/heads/main", old: ZERO, new: first }] },
      { hook: "post-receive", repo: hub, uuids: [], refs: [{ ref: "refs/heads/main", old: first, new: second }] },
    ]);
  });

  it("queues the ref names in post-update", async () => {
    const fake = await makeFakeCli(box.root, "fake-update");
    const { hub, clone } = await hubWithClone("update", fake.command, ["post-update"]);
    await box.commitFile(clone, "a", "a\n");
    await box.git(clone, ["push", "-q", "origin", "main", "main:refs/heads/other"]);
    const [entry] = await takeQueued();
    expect(entry).toMatchObject({ hook: "post-update", repo: hub });
    expect(entry!.refs.map((r) => r.ref).sort()).toEqual(["refs/heads/main", "refs/heads/other"]);
  });

  it("starts no sender while an agent or a sender holds the queue", async () => {
    const fake = await makeFakeCli(box.root, "fake-held");
    const { clone } = await hubWithClone("held", fake.command);
    const lock = await acquirePidLock(statePaths(process.env).queueLock);
    expect(lock.acquired).toBe(true);
    try {
      await box.commitFile(clone, "a", "a\n");
      await box.git(clone, ["push", "-q", "origin", "main"]);
      expect(await takeQueued()).toHaveLength(1);
      expect(await fake.calls()).toEqual([]);
    } finally {
      if (lock.acquired) await lock.release();
    }
  });

  it("is skipped with GIT_ANNEX_XMPP=0 and traced with GIT_ANNEX_XMPP_TRACE=1", async () => {
    const fake = await makeFakeCli(box.root, "fake-switches");
    const { clone } = await hubWithClone("switches", fake.command);
    await box.commitFile(clone, "a", "a\n");
    await box.git(clone, ["push", "-q", "origin", "main"], { GIT_ANNEX_XMPP: "0" });
    expect(await takeQueued()).toEqual([]);

    await box.commitFile(clone, "b", "b\n");
    const traced = await box.git(clone, ["push", "origin", "main"], { GIT_ANNEX_XMPP_TRACE: "1" });
    expect(traced.stderr).toMatch(/remote: \+ .*flush --background/);
    expect(await calledTimes(fake, 1)).toHaveLength(1);
    expect(await takeQueued()).toHaveLength(1);
  });

  it("falls back to git-annex-xmpp on PATH, and still queues, quietly, when the CLI is gone", async () => {
    const { clone } = await hubWithClone("missing", ["/nonexistent/node", "/nonexistent/cli.js"]);
    await box.commitFile(clone, "a", "a\n");
    const quiet = await box.git(clone, ["push", "origin", "main"]);
    expect(quiet.stderr).not.toMatch(/not found|No such file|nonexistent/);
    expect(await takeQueued()).toHaveLength(1);

    const bin = path.join(box.root, "bin");
    await mkdir(bin, { recursive: true });
    const fake = await makeFakeCli(bin, "git-annex-xmpp");
    await box.commitFile(clone, "b", "b\n");
    await box.git(clone, ["push", "-q", "origin", "main"], { PATH: `${bin}:${process.env.PATH ?? ""}` });
    expect(await calledTimes(fake, 1)).toEqual([["flush", "--background"]]);
    await takeQueued();
  });

  it("hands stdin on to the rest of the hook byte for byte, even under sh -e", async () => {
    const hub = await box.makeRepo("chain.git", { bare: true });
    const after = path.join(box.root, "chain-after");
    const file = path.join(hub, "hooks", "post-receive");
    await writeFile(file, `#!/bin/sh -e\ncat > '${after}'\n`);
    await chmod(file, 0o755);
    const failing = await makeFakeCli(box.root, "fake-failing", 3);
    await installHooks(await resolveRepo(hub), { cliCommand: failing.command });

    const clone = await box.clone(hub, "chain-clone");
    const head = await box.commitFile(clone, "a", "a\n");
    await box.git(clone, ["push", "-q", "origin", "main", "main:other"]);
    const lines = (await readFile(after, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.sort()).toEqual([`${ZERO} ${head} refs/heads/main`, `${ZERO} ${head} refs/heads/other`]);
    expect((await takeQueued())[0]!.refs).toHaveLength(2);
  });

  it("keeps git-annex's own post-receive working (updateInstead on an adjusted branch)", async () => {
    const target = await box.makeRepo("adjusted");
    await box.commitFile(target, "first", "1\n");
    const clone = await box.clone(target, "adjusted-clone");
    await annex(target, ["adjust", "--unlock"]);
    await box.git(target, ["config", "receive.denyCurrentBranch", "updateInstead"]);
    const hooksDir = path.join(target, ".git", "hooks");
    const before = await snapshotDir(hooksDir);

    const fake = await makeFakeCli(box.root, "fake-adjusted");
    const info = await resolveRepo(target);
    await installHooks(info, { cliCommand: fake.command });
    const head = await box.commitFile(clone, "second", "2\n");
    // git-annex's post-receive merges synced/main into the checked-out adjusted branch.
    await box.git(clone, ["push", "-q", "origin", "main:synced/main"]);

    expect(await readFile(path.join(target, "second"), "utf8")).toBe("2\n");
    expect(await takeQueued()).toEqual([
      { hook: "post-receive", repo: info.gitDir, uuids: [], refs: [{ ref: "refs/heads/synced/main", old: ZERO, new: head }] },
    ]);

    await uninstallHooks(info);
    expect(await snapshotDir(hooksDir)).toEqual(before);
  });
});

describe("install-hooks / uninstall-hooks commands", () => {
  function fakeContext(cwd: string) {
    const out: string[] = [];
    const logs: string[] = [];
    const ctx: CommandContext = {
      log: createLogger({ level: "info", write: (line) => logs.push(line) }),
      cwd,
      env: {},
      out: (text) => out.push(text),
      signal: new AbortController().signal,
      verbose: false,
    };
    return { ctx, out, logs };
  }

  it("prints one line per hook file and warns about core.hooksPath", async () => {
    const repo = await box.makeRepo("cmd");
    await mkdir(path.join(repo, "sub"));
    await box.git(repo, ["config", "core.hooksPath", path.join(repo, ".git", "hooks")]);
    const { ctx, out, logs } = fakeContext(path.join(repo, "sub"));

    await installHooksCommand(ctx, { hook: ["post-receive,post-update"] });
    expect(out).toEqual(["post-receive: updated\n", "post-update: created\n"]);
    expect(logs.join("")).toMatch(/core.hooksPath is set/);
    const installed = await readFile(path.join(repo, ".git", "hooks", "post-update"), "utf8");
    expect(installed).toContain(process.execPath);

    out.length = 0;
    await installHooksCommand(ctx, { repo: "..", hook: ["post-update"] });
    expect(out).toEqual(["post-update: unchanged\n"]);

    out.length = 0;
    await uninstallHooksCommand(ctx, {});
    expect(out).toEqual(["post-receive: removed\n", "post-update: removed\n"]);
    out.length = 0;
    await uninstallHooksCommand(ctx, {});
    expect(out).toEqual([`no git-annex-xmpp hooks in ${path.join(repo, ".git", "hooks")}\n`]);
  });

  it("rejects hooks it does not know", async () => {
    const { ctx } = fakeContext(box.root);
    await expect(installHooksCommand(ctx, { hook: ["pre-commit"] })).rejects.toThrow(UsageError);
  });
});

describe("the client block (install-hooks --client) in a clone's reference-transaction hook", () => {
  const commandContext = (cwd: string): CommandContext => ({
    log: createLogger({ level: "warn", write: () => {} }),
    cwd,
    env: {},
    out: () => {},
    signal: new AbortController().signal,
    verbose: false,
  });

  /** A clone of a hook-less hub whose remote git-annex knows, with the user's own reference-transaction hook that logs its stdin. */
  async function clientClone(name: string) {
    const hub = await box.makeRepo(`${name}.git`, { bare: true });
    const clone = await box.clone(hub, `${name}-clone`);
    await annex(clone, ["init", name]);
    await box.git(clone, ["config", "remote.origin.annex-uuid", "11111111-2222-3333-4444-555555555555"]);
    const seen = path.join(box.root, `${name}-seen`);
    const file = path.join(clone, ".git", "hooks", "reference-transaction");
    const own = `#!/bin/sh\necho "$1" >> '${seen}'\ncat >> '${seen}'\n`;
    await writeFile(file, own);
    await chmod(file, 0o755);
    const state = path.join(box.root, `${name}-state`);
    const queue = path.join(state, "git-annex-xmpp", "queue");
    const entries = async () => {
      const names = await readdir(queue).catch(() => [] as string[]);
      return Promise.all(names.filter((n) => n.startsWith("e.")).sort().map((n) => readFile(path.join(queue, n), "utf8")));
    };
    return { hub, clone, file, own, seen, env: { XDG_STATE_HOME: state }, entries };
  }

  it("queues a push with the remote-side refs, nothing for a commit or a fetch, and hands stdin on", async () => {
    const { clone, file, own, seen, env, entries } = await clientClone("client");
    const ctx = commandContext(clone);
    await installHooksCommand(ctx, { client: true, cliCommand: ["/nonexistent/cli"] });
    await writeFile(path.join(clone, "a"), "a\n");
    await box.git(clone, ["add", "a"], env);
    await box.git(clone, ["commit", "-q", "-m", "a"], env);
    await box.git(clone, ["checkout", "-q", "-b", "topic"], env);
    await box.git(clone, ["checkout", "-q", "main"], env);
    const head = (await box.git(clone, ["rev-parse", "HEAD"])).stdout.trim();
    await box.git(clone, ["fetch", "-q", "origin"], env);
    expect(await entries()).toEqual([]);
    await box.git(clone, ["push", "-q", "origin", "main", "main:synced/main"], env);
    // git updates each remote-tracking ref of a push in a transaction of its own: an entry each (merged when sent).
    const queued = await entries();
    expect(queued).toHaveLength(2);
    for (const entry of queued) {
      expect(entry).toMatch(/^git-annex-xmpp-queue 1\nhook push\nrepo \S+\/client-clone\/\.git\nremote origin\n\n/);
      expect(entry.endsWith("end\n")).toBe(true);
    }
    expect(queued.join("")).toContain(`${ZERO} ${head} refs/heads/main\n`);
    expect(queued.join("")).toContain(`${ZERO} ${head} refs/heads/synced/main\n`);
    // The user's own hook still sees every state and every line.
    expect(await readFile(seen, "utf8")).toContain(`committed\n${ZERO} ${head} refs/remotes/origin/main\n`);

    const second = await box.commitFile(clone, "b", "b\n");
    await box.git(clone, ["push", "-q", "origin", "main"], { ...env, GIT_ANNEX_XMPP: "0" });
    expect(await entries()).toHaveLength(2);
    const third = await box.commitFile(clone, "c", "c\n");
    const traced = await box.git(clone, ["push", "origin", "main"], { ...env, GIT_ANNEX_XMPP_TRACE: "1" });
    expect(traced.stderr).toContain("+ git_annex_xmpp_enqueue");
    const last = (await entries()).find((e) => e.includes(third));
    expect(last).toContain(`${second} ${third} refs/heads/main\n`);

    await uninstallHooksCommand(ctx, {});
    expect(await readFile(file, "latin1")).toBe(own);
  });

  it("gives a tracking ref to the longest remote name it starts with, announced only when that remote is a git-annex one (dash; dots, dashes, slashes)", async () => {
    const { hub, clone, env, entries } = await clientClone("client-names");
    await installHooksCommand(commandContext(clone), { client: true, cliCommand: ["/nonexistent/cli"] });
    await box.commitFile(clone, "a", "a\n");
    // "origin/usb" is a plain git remote whose name starts with the annexed "origin".
    await box.git(clone, ["remote", "add", "origin/usb", hub]);
    await box.git(clone, ["push", "-q", "origin/usb", "main"], env);
    expect(await entries()).toEqual([]);
    await box.git(clone, ["remote", "add", "my.nas-1/hub", hub]);
    await box.git(clone, ["config", "remote.my.nas-1/hub.annex-uuid", "11111111-2222-3333-4444-555555555555"]);
    await box.git(clone, ["push", "-q", "my.nas-1/hub", "main:synced/main"], env);
    const queued = await entries();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatch(/\nremote my\.nas-1\/hub\n\n0{40} [0-9a-f]{40} refs\/heads\/synced\/main\n/);
  });

  it("refuses --client in a bare hub", async () => {
    const hub = await box.makeRepo("client-bare.git", { bare: true });
    await expect(installHooksCommand(commandContext(hub), { client: true })).rejects.toBeInstanceOf(UsageError);
  });
});
