/**
 * One agent per user: twelve clones of twelve hubs served by one `listen`
 * on one XMPP session, on an ejabberd that allows ten sessions per account
 * (Debian's default), so one session per repository would have the
 * eleventh login replace the oldest. The hubs are another machine (their
 * own state and config), whose hooks' one sender is the second session.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { runCli, startDaemon, type Daemon } from "../support/cli.js";
import { startEjabberd, type EjabberdServer } from "../support/ejabberd.js";
import { waitFor } from "../support/wait.js";

const COUNT = 12;
let server: EjabberdServer;
let box: AnnexSandbox;
let hubEnv: NodeJS.ProcessEnv;
let agent: Daemon;
const hubs: string[] = [];
const pushers: string[] = [];
const listeners: string[] = [];
let creds: string;
/** The most sessions alice held at once, sampled while the tests ran. */
let peakSessions = 0;
let sampling = true;
let sampler: Promise<void>;

async function sessions(): Promise<number> {
  const out = await server.ctl(["user_sessions_info", "alice", server.domain]).catch(() => "");
  return out.split("\n").filter((l) => /^\s*(c2s|c2s_tls|c2s_compressed)/.test(l) || /^\S+\s+\S+\s+\d+/.test(l)).length;
}

async function configure(repo: string, file: string): Promise<void> {
  await writeFile(file, JSON.stringify({ jid: server.jid("alice"), credentialsFile: creds }));
}

async function pushTo(i: number, name: string): Promise<string> {
  const repo = pushers[i]!;
  await box.addAnnexedFile(repo, name, `content of ${name}\n`);
  const commit = await box.gitOut(repo, ["rev-parse", "HEAD"]);
  await execa("git", ["-C", repo, "push", "--quiet", "origin", "main"], { env: hubEnv, extendEnv: false, stdin: "ignore" });
  return commit;
}

async function merged(repo: string, commit: string): Promise<void> {
  await waitFor(async () => (await box.git(repo, ["merge-base", "--is-ancestor", commit, "HEAD"]).catch(() => undefined))?.exitCode === 0, {
    timeoutMs: 60_000,
    what: `commit ${commit} merged in ${repo}`,
  });
}

beforeAll(async () => {
  server = await startEjabberd({ accounts: { alice: "alice-pw" }, maxUserSessions: 10 });
  box = await createAnnexSandbox();
  creds = join(box.root, "alice.credentials");
  await writeFile(creds, "alice-pw\n", { mode: 0o600 });
  const userConfig = (home: string) => ({ server: server.host, port: server.port, ca: server.caFile, home });
  for (const machine of ["clones", "hub"]) {
    const dir = join(box.root, "machines", machine, "config", "git-annex-xmpp");
    await mkdir(dir, { recursive: true });
    const { home: _home, ...values } = userConfig(dir);
    await writeFile(join(dir, "config.json"), JSON.stringify(values));
  }
  const envOf = (machine: string) => ({
    ...box.env,
    XDG_CONFIG_HOME: join(box.root, "machines", machine, "config"),
    XDG_STATE_HOME: join(box.root, "machines", machine, "state"),
  });
  hubEnv = envOf("hub");
  for (let i = 0; i < COUNT; i++) {
    const hub = await box.makeHub(join(box.root, `hub${i}.git`), `hub${i}`);
    const a = await box.cloneRepo(hub, join(box.root, `a${i}`), `a${i}`);
    await box.addAnnexedFile(a, "zero.txt", `zero ${i}\n`);
    await box.git(a, ["annex", "sync", "--quiet"]);
    const b = await box.cloneRepo(hub, join(box.root, `b${i}`), `b${i}`);
    await box.git(b, ["annex", "sync", "--quiet"]);
    await configure(hub, join(hub, "git-annex-xmpp.config.json"));
    await configure(b, join(b, ".git", "git-annex-xmpp.config.json"));
    const installed = await runCli(["install-hooks", "--repo", hub], { env: hubEnv });
    expect(installed.exitCode, installed.stderr).toBe(0);
    hubs.push(hub);
    pushers.push(a);
    listeners.push(b);
  }
  agent = startDaemon(["listen", "--verbose", ...listeners.flatMap((b) => ["--repo", b])], { env: envOf("clones"), timeoutMs: 120_000 });
  await agent.waitForLine(/connected as alice@localhost/);
  await waitFor(() => agent.count(/sync finished/) >= COUNT, { timeoutMs: 180_000, what: "every clone's catch-up sync" });
  sampler = (async () => {
    while (sampling) {
      peakSessions = Math.max(peakSessions, await sessions());
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
}, 600_000);

afterAll(async () => {
  sampling = false;
  await sampler;
  await agent?.stop();
  await box?.cleanup();
  await server?.stop();
});

describe("one agent, twelve repositories, one session", () => {
  it("logs in once for all twelve", () => {
    expect(agent.count(/connected as alice@localhost/)).toBe(1);
    expect(agent.count(/listening for /)).toBe(COUNT);
  });

  it("a push to one hub syncs that clone only", async () => {
    const since = agent.lines.length;
    const commit = await pushTo(3, "only-three.txt");
    await merged(listeners[3]!, commit);
    await waitFor(() => agent.count(/sync finished/, since) >= 1, { timeoutMs: 30_000, what: "the sync to finish" });
    const started = agent.lines.slice(since).filter((l) => / sync started: /.test(l));
    expect(started.length).toBeGreaterThan(0);
    for (const line of started) expect(line).toContain(`${listeners[3]}: sync started`);
  });

  it("pushes to all twelve hubs at once reach all twelve clones; the account never holds more than 2 sessions", async () => {
    const commits = await Promise.all(Array.from({ length: COUNT }, (_, i) => pushTo(i, `all-${i}.txt`)));
    await Promise.all(commits.map((commit, i) => merged(listeners[i]!, commit)));
    expect(agent.lines.filter((l) => /conflict|Replaced by new connection/i.test(l))).toEqual([]);
    expect(agent.count(/connected as alice@localhost/)).toBe(1);
    expect(peakSessions).toBeGreaterThan(0);
    expect(peakSessions).toBeLessThanOrEqual(2);
  }, 300_000);

  it("a repository deleted while served: one clear line, the others keep working", async () => {
    await rm(listeners[5]!, { recursive: true, force: true });
    const since = agent.lines.length;
    await pushTo(5, "to-deleted.txt");
    await agent.waitForLine(new RegExp(`${listeners[5]}: no longer served`), { since, timeoutMs: 60_000 });
    const commit = await pushTo(6, "still-works.txt");
    await merged(listeners[6]!, commit);
    expect(agent.count(/no longer served/, since)).toBe(1);
    expect(agent.exited).toBe(false);
  }, 120_000);
});
