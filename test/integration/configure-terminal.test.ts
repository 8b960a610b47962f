/**
 * The guided `configure`, driven through a real pseudo-terminal as a user
 * would type: the JID and a hidden password are asked for, the server and
 * port offered, the login tried, and only a login that worked is saved.
 * A `--check` that fails keeps nothing, on a terminal or from a script.
 */
import { access, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { CLI, runCli } from "../support/cli.js";
import { spawnInPty } from "../support/pty.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";

const PASSWORD = "t3rminal-pw";
const WRONG = "wr0ng-guess";
let server: ProsodyServer;
let box: AnnexSandbox;
let userDir: string;
let configFile: string;
let credentialsFile: string;

beforeAll(async () => {
  server = await startProsody({ accounts: { alice: PASSWORD } });
  box = await createAnnexSandbox();
  userDir = join(box.home, ".config", "git-annex-xmpp");
  configFile = join(userDir, "config.json");
  credentialsFile = join(userDir, "credentials");
}, 60_000);

afterAll(async () => {
  await box?.cleanup();
  await server?.stop();
});

// Each test starts from a user who only named the private CA of the test server.
beforeEach(async () => {
  await rm(userDir, { recursive: true, force: true });
  const ca = await runCli(["configure", "--ca", server.caFile], { env: box.env, cwd: box.root });
  expect(ca.exitCode, ca.stderr).toBe(0);
});

const exists = (file: string) => access(file).then(() => true, () => false);
const configure = (args: string[] = []) => spawnInPty([process.execPath, CLI, "configure", ...args], { env: box.env, cwd: box.root });

describe("configure on a terminal", () => {
  it("asks for the JID and a hidden password, offers server and port, and saves only after the login worked", async () => {
    const term = configure();
    await term.expect(/XMPP account \(JID\): $/);
    term.type(`${server.jid("alice")}\n`);
    await term.expect(/Password for alice@localhost: $/);
    term.type(`${PASSWORD}\n`);
    await term.expect(/No SRV record _xmpp-client\._tcp\.localhost/);
    await term.expect(/Server \[localhost\]: $/);
    term.type(`${server.host}\n`);
    await term.expect(/Port \[5222\]: $/);
    term.type(`${server.port}\n`);
    await term.expect(/logged in as alice@localhost\/\S+ in \d+ ms/);
    expect(await term.exited).toBe(0);
    expect(term.output).not.toContain(PASSWORD);
    expect(JSON.parse(await readFile(configFile, "utf8"))).toEqual({ ca: server.caFile, jid: server.jid("alice"), server: server.host, port: server.port });
    expect(await readFile(credentialsFile, "utf8")).toBe(`${PASSWORD}\n`);
    expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);

    // Re-running edits: the current values are the defaults, Enter keeps them all.
    const again = configure();
    await again.expect(/XMPP account \(JID\) \[alice@localhost\]: $/);
    again.type("\n");
    await again.expect(/Password for alice@localhost \(Enter keeps the current one\): $/);
    again.type("\n");
    await again.expect(new RegExp(`Server \\[${server.host.replace(/\./g, "\\.")}\\]: $`));
    again.type("\n");
    await again.expect(new RegExp(`Port \\[${server.port}\\]: $`));
    again.type("\n");
    await again.expect(/logged in as alice@localhost\//);
    expect(await again.exited).toBe(0);
    expect(JSON.parse(await readFile(configFile, "utf8"))).toEqual({ ca: server.caFile, jid: server.jid("alice"), server: server.host, port: server.port });
    expect(await readFile(credentialsFile, "utf8")).toBe(`${PASSWORD}\n`);
  });

  it("a refused password saves nothing, says so, and asks again; Ctrl-C then leaves everything as it was", async () => {
    const term = configure();
    await term.expect(/XMPP account \(JID\): $/);
    term.type(`${server.jid("alice")}\n`);
    await term.expect(/Password for alice@localhost: $/);
    term.type(`${WRONG}\n`);
    await term.expect(/Server \[localhost\]: $/);
    term.type(`${server.host}\n`);
    await term.expect(/Port \[5222\]: $/);
    term.type(`${server.port}\n`);
    await term.expect(/refused this password for alice@localhost; nothing was saved/);
    await term.expect(/Password for alice@localhost: $/);
    term.type("\x03");
    await term.expect(/cancelled: nothing was saved/);
    expect(await term.exited).toBe(1);
    expect(term.output).not.toContain(WRONG);
    expect(JSON.parse(await readFile(configFile, "utf8"))).toEqual({ ca: server.caFile });
    expect(await exists(credentialsFile)).toBe(false);
  });

  it("--password-stdin asks (hidden) instead of failing; with --check a refused one is not kept", async () => {
    const base = ["--jid", server.jid("alice"), "--server", server.host, "--port", String(server.port)];
    const wrong = configure([...base, "--password-stdin", "--check"]);
    await wrong.expect(/Password for alice@localhost: $/);
    wrong.type(`${WRONG}\n`);
    await wrong.expect(/refused the login of alice@localhost \(not-authorized\); nothing was saved/);
    expect(await wrong.exited).toBe(78);
    expect(wrong.output).not.toContain(WRONG);
    expect(await exists(credentialsFile)).toBe(false);
    expect(JSON.parse(await readFile(configFile, "utf8"))).toEqual({ ca: server.caFile });

    const right = configure([...base, "--password-stdin", "--check"]);
    await right.expect(/Password for alice@localhost: $/);
    right.type(`${PASSWORD}\n`);
    await right.expect(/logged in as alice@localhost\//);
    expect(await right.exited).toBe(0);
    expect(right.output).not.toContain(PASSWORD);
    expect(await readFile(credentialsFile, "utf8")).toBe(`${PASSWORD}\n`);
  });
});

describe("configure --check from a script", () => {
  it("never keeps a password (or other values) that failed to log in", async () => {
    const args = ["configure", "--jid", server.jid("alice"), "--server", server.host, "--port", String(server.port), "--password-stdin", "--check"];
    const result = await runCli(args, { env: box.env, cwd: box.root, input: `${WRONG}\n` });
    expect(result.exitCode).toBe(78);
    expect(result.stderr).toMatch(/refused the login of alice@localhost \(not-authorized\); nothing was saved/);
    expect(await exists(credentialsFile)).toBe(false);
    expect(JSON.parse(await readFile(configFile, "utf8"))).toEqual({ ca: server.caFile });
  });
});
