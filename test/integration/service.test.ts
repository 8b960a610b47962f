/**
 * Keeping the agent running: `ensure` (for cron) starts one for the
 * repositories no agent serves, waits until it is connected, and is quiet
 * when all is well; a refused login makes it fail with the agent's own
 * error. `service install` writes a systemd user unit that systemd itself
 * accepts, or a crontab line; `service uninstall` removes them.
 */
import { existsSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli, startDaemon } from "../support/cli.js";
import { startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import { waitFor } from "../support/wait.js";

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw" };
let fx: LoopFixture<keyof typeof PASSWORDS>;
let clone: string;
let env: NodeJS.ProcessEnv;
const started: number[] = [];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, clones: ["b"], hubUser: "alice" });
  [clone] = fx.clones as [string];
  await fx.useAccount(clone, "alice");
  env = await fx.machineEnv("clone-machine");
}, 120_000);

afterEach(async () => {
  for (const pid of started.splice(0)) {
    if (!alive(pid)) continue;
    process.kill(pid, "SIGTERM");
    await waitFor(() => !alive(pid), { timeoutMs: 15_000, what: `pid ${pid} to stop` });
  }
});

afterAll(() => fx?.stop());

describe("ensure", () => {
  it("starts the agent, waits until it is connected and prints nothing; a second run leaves it be, quietly", async () => {
    const first = await runCli(["ensure", "--quiet", "--repo", clone], { env });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toBe("");
    expect(first.stderr).toBe("");
    const status = JSON.parse((await runCli(["status", "--json", "--repo", clone], { env })).stdout);
    started.push(status.listen.pid);
    expect(status.agent.session).toMatchObject({ account: fx.server.jid("alice"), state: "connected" });
    expect(status.agent.session.streamManagement.enabled).toBe(true);
    expect(status.agent.repository.dir).toBe(clone);
    const second = await runCli(["ensure", "--quiet", "--repo", clone], { env });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout + second.stderr).toBe("");
    expect(JSON.parse((await runCli(["status", "--json", "--repo", clone], { env })).stdout).listen.pid).toBe(status.listen.pid);
  });

  it("exits non-zero with the agent's own error when the server refuses the login", async () => {
    const result = await runCli(["ensure", "--repo", clone], { env: { ...env, GIT_ANNEX_XMPP_PASSWORD: "wrong" } });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toMatch(/the agent exited at once \(status 78\): the XMPP server refused the login of alice@localhost/);
    expect(result.stderr).toMatch(/^hint: check the password/m);
    expect(result.stdout).toBe("");
  });
});

describe("service", () => {
  it("install writes a systemd user unit that systemd-analyze accepts; uninstall removes it", async () => {
    const installed = await runCli(["service", "install", "--systemd"], { env });
    expect(installed.exitCode, installed.stderr).toBe(0);
    const unit = join(env.XDG_CONFIG_HOME!, "systemd", "user", "git-annex-xmpp.service");
    const text = await readFile(unit, "utf8");
    expect(text).toMatch(/^ExecStart=".*node" ".*cli\.js" "listen"$/m);
    expect(text).toContain("RestartPreventExitStatus=78");
    expect(installed.stdout).toContain("loginctl enable-linger");
    const analyze = await execa("systemd-analyze", ["verify", unit], { reject: false });
    if (analyze.exitCode === undefined || (analyze.failed && analyze.code === "ENOENT")) {
      console.log("systemd-analyze is not installed: the unit was not verified by systemd");
    } else {
      expect(analyze.exitCode, analyze.stderr).toBe(0);
    }
    const removed = await runCli(["service", "uninstall", "--systemd"], { env });
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(existsSync(unit)).toBe(false);
  });

  it("install --cron adds one line calling ensure, keeping the user's own lines; uninstall takes only ours out", async () => {
    const crontab = await execa("sh", ["-c", "command -v crontab"], { reject: false });
    if (crontab.exitCode !== 0) {
      console.log("crontab is not installed (package cron): the cron variant was not tried");
      return;
    }
    // root's real crontab: keep whatever is there and restore it.
    const before = await execa("crontab", ["-l"], { reject: false });
    const own = "17 3 * * * true # someone else's line\n";
    await execa("crontab", ["-"], { input: own });
    try {
      for (let i = 0; i < 2; i++) {
        const installed = await runCli(["service", "install", "--cron"], { env });
        expect(installed.exitCode, installed.stderr).toBe(0);
      }
      const lines = (await execa("crontab", ["-l"])).stdout.split("\n");
      expect(lines).toContain(own.trim());
      const ours = lines.filter((l) => l.includes("git-annex-xmpp agent"));
      expect(ours).toHaveLength(1);
      expect(ours[0]).toMatch(/^\*\/5 \* \* \* \* \S+node \S+cli\.js ensure --quiet # /);
      const removed = await runCli(["service", "uninstall", "--cron"], { env });
      expect(removed.exitCode, removed.stderr).toBe(0);
      expect((await execa("crontab", ["-l"])).stdout.trim()).toBe(own.trim());
    } finally {
      if (before.exitCode === 0) await execa("crontab", ["-"], { input: `${before.stdout}\n` });
      else await execa("crontab", ["-r"], { reject: false });
    }
  });
});

describe("two accounts, one refused", () => {
  it("the other account's repository is served; ensure fails naming the refused one; a reload after the fix serves it too", async () => {
    const other = await fx.box.cloneRepo(fx.hub, join(fx.box.root, "d"), "clone-d");
    await fx.box.git(other, ["annex", "sync", "--quiet"]);
    const creds = join(fx.box.root, "bob-wrong.credentials");
    await writeFile(creds, "not-bobs-password\n");
    await chmod(creds, 0o600);
    await fx.configure(other, "bob", { credentialsFile: creds });
    const ensured = await runCli(["ensure", "--repo", clone, "--repo", other], { env });
    const status = JSON.parse((await runCli(["status", "--json", "--repo", clone], { env })).stdout);
    if (status.listen) started.push(status.listen.pid);
    expect(ensured.exitCode, ensured.stderr).toBe(78);
    expect(ensured.stderr).toMatch(/runs, but the session of bob@localhost stopped: .*(not-authorized|password|authenticat)/i);
    expect(status.agent.session).toMatchObject({ account: fx.server.jid("alice"), state: "connected" });
    const pid: number = status.listen.pid;
    expect(alive(pid)).toBe(true);
    // The clone of the refused account is not held: its lock was released.
    expect(JSON.parse((await runCli(["status", "--json", "--repo", other], { env })).stdout).listen).toBeNull();

    // alice's clone keeps working.
    const pusher = await fx.box.cloneRepo(fx.hub, join(fx.box.root, "pusher-d"), "pusher-d");
    await fx.box.addAnnexedFile(pusher, "served.txt", "served\n");
    const commit = await fx.box.gitOut(pusher, ["rev-parse", "HEAD"]);
    await fx.box.git(pusher, ["annex", "sync", "--quiet", "--no-content"]);
    await runCli(["notify", "--repo", fx.hub], { env: fx.hubMachineEnv });
    await fx.merged(clone, commit);

    // The password fixed, a reload serves bob's clone too, in the same process.
    await writeFile(creds, `${PASSWORDS.bob}\n`);
    process.kill(pid, "SIGHUP");
    await waitFor(
      async () => JSON.parse((await runCli(["status", "--json", "--repo", other], { env })).stdout).agent?.session?.state === "connected",
      { timeoutMs: 30_000, what: "bob's session connected after the reload" },
    );
    expect(JSON.parse((await runCli(["status", "--json", "--repo", other], { env })).stdout).listen.pid).toBe(pid);
  }, 180_000);
});

describe("reload and stop", () => {
  it("SIGHUP serves a repository added to the configuration without a new login; stop ends the agent", async () => {
    const extra = await fx.box.cloneRepo(fx.hub, join(fx.box.root, "c"), "clone-c");
    await fx.box.git(extra, ["annex", "sync", "--quiet"]);
    await fx.useAccount(extra, "alice");
    expect((await runCli(["repos", "add", clone], { env })).exitCode).toBe(0);
    const agent = startDaemon(["listen", "--verbose"], { env });
    try {
      await agent.waitForLine(/connected as alice@localhost/);
      await agent.waitForLine(/sync finished/);
      const added = await runCli(["repos", "add", extra], { env });
      expect(added.exitCode, added.stderr).toBe(0);
      expect((await runCli(["repos", "list"], { env })).stdout.trim().split("\n")).toEqual([clone, extra]);
      const since = agent.lines.length;
      process.kill(agent.process.pid!, "SIGHUP");
      await agent.waitForLine(/reload: serving 2 repositories/, { since });
      await agent.waitForLine(new RegExp(`listening for ${extra}`), { since });
      await agent.waitForLine(new RegExp(`${extra}: sync finished`), { since, timeoutMs: 30_000 });
      // A push to the hub (from a clone no agent serves) now reaches the added clone through the same session.
      const pusher = await fx.box.cloneRepo(fx.hub, join(fx.box.root, "pusher"), "pusher");
      await fx.box.addAnnexedFile(pusher, "after-reload.txt", "after reload\n");
      const commit = await fx.box.gitOut(pusher, ["rev-parse", "HEAD"]);
      await fx.box.git(pusher, ["annex", "sync", "--quiet", "--no-content"]);
      await runCli(["notify", "--repo", fx.hub], { env: fx.hubMachineEnv });
      await fx.merged(extra, commit);
      expect(agent.count(/connected as alice@localhost/)).toBe(1);
      expect(agent.exited).toBe(false);
      const stopped = await runCli(["stop"], { env });
      expect(stopped.exitCode, stopped.stderr).toBe(0);
      expect(stopped.stdout).toContain(`stopped the agent (pid ${agent.process.pid})`);
      await waitFor(() => agent.exited, { timeoutMs: 10_000, what: "the agent to exit" });
      expect(agent.lines.some((l) => /stopped$/.test(l))).toBe(true);
    } finally {
      if (!agent.exited) await agent.stop();
      await runCli(["repos", "remove", clone, extra], { env });
    }
  }, 180_000);
});
