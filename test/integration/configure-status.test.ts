/**
 * `configure` and `status` on a real server and real repositories: a user
 * who starts from nothing gets a working login without learning where the
 * files live, and `status` tells what runs for a repository from local state.
 */
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { runCli, startDaemon, type Daemon } from "../support/cli.js";
import { waitFor } from "../support/wait.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";

const PASSWORD = "c0nfigure-pw";
let server: ProsodyServer;
let box: AnnexSandbox;
let hub: string;
let clone: string;
let userDir: string;

beforeAll(async () => {
  server = await startProsody({ accounts: { alice: PASSWORD } });
  box = await createAnnexSandbox();
  hub = await box.makeHub(join(box.root, "hub.git"));
  clone = await box.cloneRepo(hub, join(box.root, "clone"), "clone");
  await box.addAnnexedFile(clone, "one.txt", "one\n");
  await box.git(clone, ["annex", "sync", "--quiet", "--content"]);
  userDir = join(box.home, ".config", "git-annex-xmpp");
}, 60_000);

afterAll(async () => {
  await box?.cleanup();
  await server?.stop();
});

const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe("configure", () => {
  it("writes the user's file and a 0600 credentials file, then logs in with --check", async () => {
    const set = await runCli(
      ["configure", "--jid", server.jid("alice"), "--server", server.host, "--port", String(server.port), "--ca", server.caFile],
      { env: box.env, cwd: box.root },
    );
    expect(set.exitCode, set.stderr).toBe(0);
    const file = join(userDir, "config.json");
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ jid: server.jid("alice"), server: server.host, port: server.port, ca: server.caFile });

    const login = await runCli(["configure", "--password-stdin", "--check"], { env: box.env, cwd: box.root, input: `${PASSWORD}\n` });
    expect(login.exitCode, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/^logged in as alice@localhost\/\S+ in \d+ ms$/m);
    expect(login.stdout + login.stderr).not.toContain(PASSWORD);
    expect(await readFile(join(userDir, "credentials"), "utf8")).toBe(`${PASSWORD}\n`);
    expect(await mode(join(userDir, "credentials"))).toBe(0o600);
    // No password in it: readable as any config file.
    expect(await mode(file)).toBe(0o644);
  });

  it("a new password replaces one kept in the file (which would win), and is never printed", async () => {
    const file = join(userDir, "config.json");
    const values = JSON.parse(await readFile(file, "utf8"));
    await writeFile(file, JSON.stringify({ ...values, password: "old-secret-pw" }), { mode: 0o600 });
    const result = await runCli(["configure", "--password-stdin", "--check"], { env: box.env, cwd: box.root, input: `${PASSWORD}\n` });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/old-secret-pw|c0nfigure-pw/);
    expect(JSON.parse(await readFile(file, "utf8"))).not.toHaveProperty("password");
    expect(result.stdout).toMatch(/^logged in as alice@localhost\//m);
    // One that still wins from elsewhere is named.
    const env = { ...box.env, GIT_ANNEX_XMPP_PASSWORD: "from-env" };
    const overridden = await runCli(["configure", "--password-stdin"], { env, cwd: box.root, input: `${PASSWORD}\n` });
    expect(overridden.stderr).toMatch(/warn: the password just written is not the one used: environment variable GIT_ANNEX_XMPP_PASSWORD takes precedence/);
  });

  it("refuses to write next to another file of the same directory, which only one of would count", async () => {
    await writeFile(join(userDir, "config.yaml"), "timeoutMs: 4000\n");
    try {
      const result = await runCli(["configure", "--sealed"], { env: box.env, cwd: box.root });
      expect(result.exitCode).toBe(78);
      expect(result.stderr).toContain(`${join(userDir, "config.yaml")} already configures git-annex-xmpp there`);
    } finally {
      await rm(join(userDir, "config.yaml"));
    }
  });

  it("refuses a bad value, naming the key, and changes nothing", async () => {
    const file = join(userDir, "config.json");
    const before = await readFile(file, "utf8");
    const bad = await runCli(["configure", "--set", "port=70000"], { env: box.env, cwd: box.root });
    expect(bad.exitCode).toBe(78);
    expect(bad.stderr).toContain("`port` must be a port number");
    const unknown = await runCli(["configure", "--set", "colour=blue"], { env: box.env, cwd: box.root });
    expect(unknown.exitCode).toBe(78);
    expect(unknown.stderr).toContain("unknown configuration key `colour`");
    const password = await runCli(["configure", "--set", "password=x"], { env: box.env, cwd: box.root });
    expect(password.exitCode).toBe(2);
    expect(await readFile(file, "utf8")).toBe(before);
  });

  it("sealed mode without a secret to seal with: notify keeps the announcement queued rather than announce it in the clear", async () => {
    // A state directory of its own: the kept entry must not wait in the other cases' queue.
    const state = join(box.root, "sealed-state");
    const result = await runCli(["notify", "--repo", clone], { env: { ...box.env, GIT_ANNEX_XMPP_SEALED: "true", XDG_STATE_HOME: state } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`not sent: sealed mode, but ${clone} has no announcement secret`);
    expect(result.stderr).toContain("hint: git-annex-xmpp install-hooks");
    expect(result.stderr).toMatch(/stays queued as e\.\S+ in /);
    expect((await readdir(join(state, "git-annex-xmpp", "queue"))).filter((n) => n.startsWith("e."))).toHaveLength(1);
  });

  it("--scope repo writes a clone's private file (inside .git), never its work tree", async () => {
    const result = await runCli(["configure", "--scope", "repo", "--repo", clone, "--set", "fullScanEveryMs=3600000"], { env: box.env });
    expect(result.exitCode, result.stderr).toBe(0);
    const file = join(clone, ".git", "git-annex-xmpp.config.json");
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ fullScanEveryMs: 3_600_000 });
    const shown = await runCli(["configure", "--repo", clone], { env: box.env });
    expect(shown.stdout).toContain(`files read: ${join(userDir, "config.json")}, ${file}`);
    expect(shown.stdout).toContain(`  fullScanEveryMs: 3600000 (from ${file})`);
    expect(shown.stdout).toMatch(/^ {2}tls: "starttls" \(default\)$/m);
  });
});

describe("status", () => {
  let listener: Daemon | undefined;
  afterAll(() => listener?.stop());

  it("reports a hub's hooks and secret, and announcements waiting in the queue", async () => {
    expect((await runCli(["install-hooks", "--repo", hub], { env: box.env })).exitCode).toBe(0);
    // Nothing listens on port 1: the announcement stays queued.
    const spooled = await runCli(["notify", "--repo", hub, "--timeout", "2000"], { env: { ...box.env, GIT_ANNEX_XMPP_PORT: "1" } });
    expect(spooled.exitCode, spooled.stderr).toBe(0);
    const result = await runCli(["status", "--repo", hub, "--json"], { env: box.env });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ account: server.jid("alice"), listen: null, hooks: ["post-receive"], signed: true, lastSync: null });
    expect(report.queue.waiting).toBe(1);
    expect(report.queue.sentBy).toBeNull();
    const text = await runCli(["status", "--repo", hub], { env: box.env });
    expect(text.stdout).toMatch(/^agent: +not running/m);
    expect(text.stdout).toMatch(/^queue: +1 announcement\(s\) waiting, oldest from \d{4}-/m);
  });

  it("reports a clone's running agent, which sends the queue, and its last sync", async () => {
    listener = startDaemon(["listen", "--repo", clone], { env: box.env });
    await listener.waitForLine(/sync finished/, { timeoutMs: 30_000 });
    const result = await runCli(["status", "--repo", clone, "--json"], { env: box.env });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.listen.pid).toBe(listener.process.pid);
    expect(report.queue.sentBy).toBe(listener.process.pid);
    expect(report.lastSync.pendingTransfers).toBe(0);
    // The agent sent the hub's queued announcement once it was online.
    await waitFor(async () => JSON.parse((await runCli(["status", "--repo", clone, "--json"], { env: box.env })).stdout).queue.waiting === 0, {
      timeoutMs: 20_000,
      what: "the queue to be sent",
    });
  });

  it("says what is wrong with a directory that is not a repository", async () => {
    const result = await runCli(["status", "--repo", join(box.root, "nowhere")], { env: box.env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("is not a git-annex repository");
  });
});
