/**
 * Each expected failure, tried for real through the built CLI: its own
 * message, a hint, and the exit code of STYLE.md (1 failed, 2 usage,
 * 78 configuration).
 */
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { runCli, startDaemon } from "../support/cli.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";
import { freePort } from "../support/wait.js";

let server: ProsodyServer;
let box: AnnexSandbox;
let repo: string;
let configDir: string;
let credentials: string;

async function writeConfig(values: Record<string, unknown>) {
  await writeFile(join(configDir, "config.json"), JSON.stringify(values));
}

function account(extra: Record<string, unknown> = {}) {
  return { jid: server.jid("alice"), credentialsFile: credentials, server: server.host, port: server.port, ca: server.caFile, ...extra };
}

beforeAll(async () => {
  server = await startProsody({ accounts: { alice: "alice-pw" } });
  box = await createAnnexSandbox();
  repo = await box.makeHub(join(box.root, "hub.git"));
  configDir = join(box.home, ".config", "git-annex-xmpp");
  await mkdir(configDir, { recursive: true });
  credentials = join(box.root, "alice.credentials");
  await writeFile(credentials, "alice-pw\n", { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await box?.cleanup();
  await server?.stop();
});

/**
 * notify queues the announcement first, then tries to send the queue: a
 * failure leaves it queued and exits 0 with one warning line naming the
 * cause and its remedy; `flush` then reports the same failure the usual
 * way (message, hint, exit code).
 */
function expectQueued(result: { exitCode: number; stderr: string }, message: string) {
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr).toContain(message);
  expect(result.stderr).toMatch(/stays queued as e\.\S+ in .*`git-annex-xmpp flush` sends it/);
}

describe("errors a user can meet", () => {
  it("delivers with a correct configuration (the baseline)", async () => {
    await writeConfig(account());
    const result = await runCli(["notify", "--repo", repo], { env: box.env });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });

  it("wrong password", async () => {
    await writeConfig(account());
    const env = { ...box.env, GIT_ANNEX_XMPP_PASSWORD: "wrong" };
    const result = await runCli(["notify", "--repo", repo], { env });
    expectQueued(result, "the XMPP server refused the login of alice@localhost (not-authorized)");
    expect(result.stderr).toMatch(/\(hint: check the password/);
    const flushed = await runCli(["flush"], { env });
    expect(flushed.stderr).toContain("the XMPP server refused the login of alice@localhost (not-authorized)");
    expect(flushed.stderr).toMatch(/^hint: check the password/m);
    expect(flushed.exitCode).toBe(78);
  });

  it("unreachable server", async () => {
    const port = await freePort();
    await writeConfig(account({ port }));
    const result = await runCli(["notify", "--repo", repo], { env: box.env });
    expectQueued(result, `cannot reach the XMPP server at 127.0.0.1:${port}: connection refused`);
    const flushed = await runCli(["flush"], { env: box.env });
    expect(flushed.stderr).toContain(`cannot reach the XMPP server at 127.0.0.1:${port}: connection refused`);
    expect(flushed.exitCode).toBe(1);
  });

  it("TLS failure: the server's certificate is not trusted without its CA", async () => {
    await writeConfig(account({ ca: undefined }));
    const result = await runCli(["notify", "--repo", repo], { env: box.env });
    expectQueued(result, "");
    expect(result.stderr).toMatch(/TLS with 127\.0\.0\.1:\d+ failed: .*certificate/);
    const flushed = await runCli(["flush"], { env: box.env });
    expect(flushed.stderr).toMatch(/TLS with 127\.0\.0\.1:\d+ failed: .*certificate/);
    expect(flushed.stderr).toMatch(/^hint: .*`ca`/m);
    expect(flushed.exitCode).toBe(1);
  });

  it("not a git-annex repository", async () => {
    await writeConfig(account());
    const plain = join(box.root, "plain");
    await mkdir(plain);
    await box.git(plain, ["init", "--quiet"]);
    const result = await runCli(["notify", "--repo", plain], { env: box.env });
    expect(result.stderr).toContain(`${plain} is not a git-annex repository (no annex.uuid; run git annex init)`);
    expect(result.exitCode).toBe(1);
    const nowhere = await runCli(["listen", "--repo", join(box.root, "missing")], { env: box.env });
    expect(nowhere.stderr).toContain("is not a git-annex repository (no such directory)");
    expect(nowhere.exitCode).toBe(1);
  });

  it("missing git-annex binary", async () => {
    await writeConfig(account());
    const clone = await box.cloneRepo(repo, join(box.root, "clone"), "clone");
    // A PATH with git and node but no git-annex.
    const bin = join(box.root, "bin-without-annex");
    await mkdir(bin);
    for (const tool of ["git", "node"]) {
      const { stdout } = await execa("sh", ["-c", `command -v ${tool}`]);
      await symlink(stdout.trim(), join(bin, tool));
    }
    const result = await runCli(["listen", "--repo", clone], { env: { ...box.env, PATH: bin } });
    expect(result.stderr).toContain("git-annex is not installed or not on PATH");
    expect(result.stderr).toMatch(/^hint: install git-annex/m);
    expect(result.exitCode).toBe(1);
  });

  it("invalid configuration names the key and exits 78; notify keeps the announcement queued all the same", async () => {
    for (const [values, env, message] of [
      [account({ port: "abc" }), box.env, "config.json: `port` must be a port number"],
      [account({ pasword: "typo" }), box.env, "unknown configuration key `pasword`"],
      [account(), { ...box.env, GIT_ANNEX_XMPP_PORT: "99999" }, "environment variable GIT_ANNEX_XMPP_PORT: `port` must be a port number"],
      [account({ jid: "not-a-jid" }), box.env, "`jid` must be a JID"],
    ] as const) {
      await writeConfig(values);
      let result = await runCli(["status", "--repo", repo], { env });
      expect(result.stderr).toContain(message);
      expect(result.exitCode).toBe(78);
      result = await runCli(["notify", "--repo", repo], { env });
      expectQueued(result, message);
      result = await runCli(["flush"], { env });
      expect(result.stderr).toContain(message);
      expect(result.exitCode).toBe(78);
    }
  });

  it("refuses a credentials file others can read", async () => {
    const loose = join(box.root, "loose.credentials");
    await writeFile(loose, "alice-pw\n");
    await chmod(loose, 0o644);
    await writeConfig(account({ credentialsFile: loose }));
    const result = await runCli(["notify", "--repo", repo], { env: box.env });
    expectQueued(result, `credentials file ${loose} is readable by others (mode 0644)`);
    expect(result.stderr).toContain(`(hint: run: chmod 600 ${loose})`);
    const flushed = await runCli(["flush"], { env: box.env });
    expect(flushed.stderr).toContain(`credentials file ${loose} is readable by others (mode 0644)`);
    expect(flushed.stderr).toContain(`hint: run: chmod 600 ${loose}`);
    expect(flushed.exitCode).toBe(78);
  });

  it("usage errors exit 2 without a help screen", async () => {
    const result = await runCli(["frobnicate"], { env: box.env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^git-annex-xmpp: Unknown argument: frobnicate/m);
  });

  it("listen stops cleanly on SIGTERM and SIGINT", async () => {
    await writeConfig(account());
    const clone = await box.cloneRepo(repo, join(box.root, "clone-signals"), "clone-signals");
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const daemon = startDaemon(["listen", "--repo", clone], { env: box.env });
      await daemon.waitForLine(/connected as alice@localhost/);
      expect(await daemon.stop(signal)).toBe(0);
      expect(daemon.lines.some((l) => /stopped$/.test(l))).toBe(true);
    }
  });
});
