/**
 * Issue 8, item 1: a configuration file committed to the hub by anyone who
 * can push must not decide where, or as whom, a clone that pulls it logs in.
 * The victim's user config (as `configure` writes it) names the account and
 * a credentials file but no server; the attacker commits a work-tree config
 * with a JID on another host. A fake XMPP server on that host (another
 * loopback address, on the port the victim's logins use) records whatever
 * arrives: nothing may. Real prosody for the victim's own logins, real
 * git-annex, the built CLI.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { runCli, startDaemon } from "../support/cli.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";

const EVIL_HOST = "127.0.0.2";
const PULLED_FILES = [".git-annex-xmpprc", ".git-annex-xmpprc.json"];

interface FakeServer {
  /** Connections accepted, and every byte they sent. */
  readonly connections: number;
  readonly received: string;
  close(): Promise<void>;
}

/** A plain TCP listener that records, and answers nothing. */
async function startFakeServer(host: string, port: number): Promise<FakeServer> {
  let connections = 0;
  let received = "";
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, resolve);
  });
  return {
    get connections() {
      return connections;
    },
    get received() {
      return received;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let server: ProsodyServer;
let box: AnnexSandbox;
let fake: FakeServer;
let victim: string;
let victimEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startProsody({ accounts: { alice: "alice-pw", bob: "bob-secret-pw" } });
  // Same port as the real server, on another loopback address: a login
  // redirected by the pulled JID's domain lands here.
  fake = await startFakeServer(EVIL_HOST, server.port);
  box = await createAnnexSandbox();
  const hub = await box.makeHub(join(box.root, "hub.git"));
  const attacker = await box.cloneRepo(hub, join(box.root, "attacker"), "attacker");
  victim = await box.cloneRepo(hub, join(box.root, "victim"), "victim");

  // The victim's own settings, as `configure` writes them: account and credentials, no server.
  const configHome = join(box.root, "victim-config");
  await mkdir(join(configHome, "git-annex-xmpp"), { recursive: true });
  const credentials = join(configHome, "git-annex-xmpp", "credentials");
  await writeFile(credentials, "bob-secret-pw\n", { mode: 0o600 });
  await writeFile(
    join(configHome, "git-annex-xmpp", "config.json"),
    JSON.stringify({ jid: server.jid("bob"), credentialsFile: credentials, ca: server.caFile }),
  );
  victimEnv = { ...box.env, XDG_CONFIG_HOME: configHome, GIT_ANNEX_XMPP_PORT: String(server.port) };

  // Someone who can push to the hub commits a redirect; the victim pulls it.
  for (const file of PULLED_FILES) await writeFile(join(attacker, file), `${JSON.stringify({ jid: `alice@${EVIL_HOST}` })}\n`);
  await box.git(attacker, ["-c", "annex.gitaddtoannex=false", "add", ...PULLED_FILES]);
  await box.git(attacker, ["commit", "--quiet", "-m", "helpful defaults"]);
  await box.git(attacker, ["annex", "sync", "--quiet", "--no-content"]);
  await box.git(victim, ["annex", "sync", "--quiet", "--no-content"]);
  for (const file of PULLED_FILES) expect(await readFile(join(victim, file), "utf8")).toContain(EVIL_HOST);
}, 120_000);

afterAll(async () => {
  await fake?.close();
  await box?.cleanup();
  await server?.stop();
});

function expectNamesIgnoredFiles(output: string) {
  for (const file of PULLED_FILES) expect(output).toContain(`${join(victim, file)} is ignored`);
}

describe("a configuration file pulled into the work tree", () => {
  it("doctor logs in as the victim's own account and names the ignored files; nothing reaches the other host", async () => {
    const result = await runCli(["doctor", "--repo", victim], { env: victimEnv });
    expect(fake.connections).toBe(0);
    expect(result.stdout).toMatch(/^ok {3}login: logged in as bob@localhost\//m);
    expect(result.stdout).toMatch(/^warn configuration: /m);
    expectNamesIgnoredFiles(result.stdout);
    expect(fake.connections).toBe(0);
  });

  it("notify delivers as the victim's account and warns about the files; nothing reaches the other host", async () => {
    const result = await runCli(["notify", "--repo", victim], { env: victimEnv });
    expect(fake.connections).toBe(0);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/stays queued/);
    expectNamesIgnoredFiles(result.stderr);
    expect(fake.connections).toBe(0);
  });

  it("listen connects as the victim's account and warns about the files; nothing reaches the other host", async () => {
    const daemon = startDaemon(["listen", "--repo", victim], { env: victimEnv });
    try {
      await daemon.waitForLine(/connected as bob@localhost|cannot connect/);
      expect(fake.connections).toBe(0);
      await daemon.waitForLine(/connected as bob@localhost/);
      expectNamesIgnoredFiles(daemon.lines.join("\n"));
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
    expect(fake.connections).toBe(0);
    expect(fake.received).not.toContain("bob-secret-pw");
  });
});

describe("a cosmiconfig meta configuration pulled into the work tree", () => {
  // cosmiconfig reads one from the working directory: a .js one runs, and package.json's "cosmiconfig" key adds search places.
  afterAll(async () => {
    await rm(join(victim, ".config"), { recursive: true, force: true });
    await rm(join(victim, "package.json"), { force: true });
  });

  it("a .config/config.js there does not run, whatever command runs in the work tree", async () => {
    const marker = join(box.root, "meta-config-ran");
    await mkdir(join(victim, ".config"), { recursive: true });
    await writeFile(join(victim, ".config", "config.js"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran"); module.exports = {};\n`);
    for (const command of [["status"], ["doctor"], ["notify"]]) {
      await runCli(command, { env: victimEnv, cwd: victim });
      expect(await readFile(marker, "utf8").catch(() => undefined), `${command[0]} ran the work tree's .config/config.js`).toBeUndefined();
    }
    await rm(join(victim, ".config"), { recursive: true });
  });

  it("search places that package.json's cosmiconfig key adds are not searched: nothing reaches the other host", async () => {
    // From the user's config directory (where the search looks first) to a file naming the attacker's host.
    await writeFile(join(box.root, "redirect.json"), `${JSON.stringify({ jid: `alice@${EVIL_HOST}` })}\n`);
    await writeFile(join(victim, "package.json"), `${JSON.stringify({ cosmiconfig: { searchPlaces: ["../../redirect.json"] } })}\n`);
    const doctor = await runCli(["doctor"], { env: victimEnv, cwd: victim });
    expect(fake.connections).toBe(0);
    expect(doctor.stdout).toMatch(/^ok {3}login: logged in as bob@localhost\//m);
  });
});
