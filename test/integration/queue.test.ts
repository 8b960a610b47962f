/**
 * The hook only writes; the agent or one detached sender sends. The hub is
 * another machine (its own state and config directories): nothing reaches
 * the listening clone except through the XMPP server. Nothing lost: the
 * server down, a stalled login, an agent killed with a presence in flight.
 * Real prosody, real git-annex, the built CLI.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnnexSandbox } from "../support/annex.js";
import { runCli, startDaemon, type Daemon } from "../support/cli.js";
import { startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import type { ProsodyServer } from "../support/prosody.js";
import { acquirePidLock } from "../../src/lock/pid-lock.js";
import { startRelay, type Relay } from "../support/relay.js";
import { observePresences } from "../support/slixmpp.js";
import { waitFor } from "../support/wait.js";

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let server: ProsodyServer;
let box: AnnexSandbox;
let hub: string;
let cloneA: string;
let cloneB: string;
/** An annex repository on the hub's machine, unrelated to the hub: its agent sends that machine's queue. */
let hubSideRepo: string;
let hubUuid: string;
/** The hub's machine reaches the server through this relay, which a test can freeze. */
let relay: Relay;
let hubEnv: NodeJS.ProcessEnv;
const daemons: Daemon[] = [];

const queueDir = () => join(hubEnv.XDG_STATE_HOME!, "git-annex-xmpp", "queue");
const senderLog = () => join(hubEnv.XDG_STATE_HOME!, "git-annex-xmpp", "logs", "sender.log");
const queued = async () => (await readdir(queueDir()).catch(() => [] as string[])).filter((n) => n.startsWith("e."));
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

async function pushFromA(name: string): Promise<string> {
  await box.addAnnexedFile(cloneA, name, `content of ${name}\n`);
  const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
  const pushed = await execa("git", ["-C", cloneA, "push", "--quiet", "origin", "main"], { env: hubEnv, extendEnv: false, stdin: "ignore", reject: false });
  expect(pushed.exitCode, pushed.stderr).toBe(0);
  return commit;
}

function agent(repo: string, env: NodeJS.ProcessEnv): Daemon {
  const daemon = startDaemon(["listen", "--verbose", "--repo", repo], { env });
  daemons.push(daemon);
  return daemon;
}

async function listeningB(): Promise<Daemon> {
  const b = fx.listen(cloneB);
  await b.waitForLine(/sync finished/);
  return b;
}

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, rosters: [["alice", "bob"]], clones: ["a", "b"], hubUser: "alice" });
  ({ server, box, hub, hubUuid } = fx);
  [cloneA, cloneB] = fx.clones as [string, string];
  relay = await startRelay({ host: server.host, port: server.port });
  hubEnv = await fx.machineEnv("hub-via-relay", { host: "127.0.0.1", port: relay.port });
  hubSideRepo = join(box.root, "hub-side");
  await mkdir(hubSideRepo);
  await box.git(hubSideRepo, ["init", "--quiet"]);
  await box.git(hubSideRepo, ["annex", "init", "hub-side"]);
  await fx.useAccount(hubSideRepo, "alice");
  // B listens as bob, who accepts alice's announcements.
  await fx.useAccount(cloneB, "bob", { buddies: [server.jid("alice")] });
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
}, 120_000);

afterEach(async () => {
  relay.thaw();
  await Promise.all(daemons.splice(0).map((d) => d.stop("SIGKILL")));
  await fx?.stopDaemons();
  if (server && !server.pid) await server.start();
  await waitFor(async () => (await queued()).length === 0 || (await runCli(["flush"], { env: hubEnv })).exitCode === 0, {
    timeoutMs: 20_000,
    what: "the hub machine's queue to be sent",
  });
});

afterAll(async () => {
  await relay?.close();
  await fx?.stop();
});

describe("no agent on the hub's machine", () => {
  it("the push returns while the hook's sender is still logging in; the announcement arrives when the login completes", async () => {
    const b = await listeningB();
    const since = b.lines.length;
    relay.freeze();
    const commit = await pushFromA("stalled.txt");
    // The push is done; its announcement waits in the queue, its sender in a login that cannot progress.
    expect(await queued()).toHaveLength(1);
    relay.thaw();
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*${hubUuid}`), { since, timeoutMs: 30_000 });
    await fx.merged(cloneB, commit);
    await waitFor(async () => (await queued()).length === 0, { timeoutMs: 10_000, what: "an empty queue" });
    expect(await readFile(senderLog(), "utf8")).toMatch(new RegExp(`announced ${hubUuid} \\(1 ref\\(s\\)\\) for ${hub} as alice@localhost`));
  });

  it("server down: the push is queued; the server back, an agent starting on the hub's machine sends it", async () => {
    await server.shutdown();
    // Held here while the server is down, the queue gets no sender from the
    // hook (which would otherwise race the agent to it once the server is back).
    const lock = await acquirePidLock(join(hubEnv.XDG_STATE_HOME!, "git-annex-xmpp", "queue.lock"));
    expect(lock.acquired).toBe(true);
    const commit = await pushFromA("down.txt");
    expect(await queued()).toHaveLength(1);
    if (lock.acquired) await lock.release();
    await server.start();
    const b = await listeningB();
    const since = b.lines.length;
    const hubAgent = agent(hubSideRepo, hubEnv);
    await hubAgent.waitForLine(new RegExp(`announced ${hubUuid} .*for ${hub} as alice@localhost \\(1 queued`));
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*${hubUuid}|skipped sync for the push`), { since });
    await fx.merged(cloneB, commit);
    expect(await queued()).toEqual([]);
  }, 180_000);

  it("12 hooks at once start one sender that logs in once and sends them merged", async () => {
    const observer = await observePresences(server.account("bob"));
    try {
      const before = (await readFile(senderLog(), "utf8").catch(() => "")).split("\n").length;
      const zero = "0".repeat(40);
      const head = await box.gitOut(hub, ["rev-parse", "refs/heads/main"]);
      const hook = join(hub, "hooks", "post-receive");
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          execa(hook, [], { cwd: hub, env: { ...hubEnv, GIT_DIR: "." }, extendEnv: false, input: `${zero} ${head} refs/heads/b${i}\n` }),
        ),
      );
      await waitFor(async () => (await queued()).length === 0, { timeoutMs: 30_000, what: "the 12 entries to be sent" });
      const log = (await readFile(senderLog(), "utf8")).split("\n").slice(before - 1);
      expect(log.filter((l) => /logged in as alice@localhost/.test(l)).length).toBe(1);
      const announced = log.flatMap((l) => /\((\d+) queued push\(es\)\)/.exec(l)?.[1] ?? []).map(Number);
      expect(announced.reduce((a, n) => a + n, 0)).toBe(12);
      await observer.waitFor((p) => p.xml.includes("refs/heads/b11"), 10_000);
    } finally {
      await observer.stop();
    }
  });

  it("100 notify runs with the server down: 100 complete entries; flush sends them in one presence", async () => {
    await server.shutdown();
    const runs = await Promise.all(
      Array.from({ length: 100 }, (_, i) => runCli(["notify", "--repo", hub, "--uuid", uuid(i), "--timeout", "3000"], { env: hubEnv, timeoutMs: 240_000 })),
    );
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    expect(await queued()).toHaveLength(100);
    expect((await readdir(queueDir())).filter((n) => n.startsWith("."))).toEqual([]);
    await server.start();
    const observer = await observePresences(server.account("bob"));
    try {
      const flushed = await runCli(["flush"], { env: hubEnv });
      expect(flushed.exitCode, flushed.stderr).toBe(0);
      expect(flushed.stdout).toContain("delivered 100 announcement(s) in 1 presence(s)");
      const seen = await observer.waitFor((p) => p.xml.includes(uuid(99)), 10_000);
      for (let i = 0; i < 100; i++) expect(seen.xml).toContain(uuid(i));
    } finally {
      await observer.stop();
    }
    expect((await runCli(["flush"], { env: hubEnv })).stdout).toContain("the queue is empty");
  }, 300_000);
});

describe("upgrading from the spool", () => {
  it("announcements an earlier version left in its spool are sent by flush; a file naming no repository stays, named", async () => {
    await listeningB();
    // As the previous version wrote them: spool/<account>/<time>-<pid>-<random>.json.
    const spool = join(hubEnv.XDG_STATE_HOME!, "git-annex-xmpp", "spool", "alice@localhost");
    await mkdir(spool, { recursive: true });
    // A push the old version spooled: made here with our hook switched off, so the spool is its only announcement.
    await box.addAnnexedFile(cloneA, "spooled.txt", "spooled\n");
    const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
    const pushed = await execa("git", ["-C", cloneA, "push", "--quiet", "origin", "main"], { env: { ...hubEnv, GIT_ANNEX_XMPP: "0" }, extendEnv: false, stdin: "ignore" });
    expect(pushed.exitCode).toBe(0);
    const old = { uuids: [hubUuid], refs: [{ ref: "refs/heads/main", old: "0".repeat(40), new: commit }], createdAt: Date.now(), repo: hub };
    await writeFile(join(spool, `${String(Date.now()).padStart(15, "0")}-123-abc.json`), JSON.stringify(old));
    await writeFile(join(spool, `${String(Date.now()).padStart(15, "0")}-124-def.json`), JSON.stringify({ ...old, repo: undefined }));
    const observer = await observePresences(server.account("bob"));
    try {
      const flushed = await runCli(["flush"], { env: hubEnv });
      expect(flushed.exitCode, flushed.stderr).toBe(0);
      expect(flushed.stderr).toMatch(/old spool: moved 1 announcement\(s\) into the queue/);
      expect(flushed.stderr).toMatch(/old spool: .*124-def\.json stays \(it names no repository\)/);
      expect(flushed.stdout).toContain("delivered 1 announcement(s) in 1 presence(s)");
      await observer.waitFor((p) => p.xml.includes(hubUuid), 10_000);
    } finally {
      await observer.stop();
    }
    await fx.merged(cloneB, commit);
    expect(await readdir(spool)).toEqual([expect.stringMatching(/-124-def\.json$/)]);
  }, 120_000);
});

describe("an agent on the hub's machine", () => {
  it("sends what the hook queued through its own session; no sender starts", async () => {
    const hubAgent = agent(hubSideRepo, hubEnv);
    await hubAgent.waitForLine(/connected as alice@localhost/);
    const b = await listeningB();
    const since = b.lines.length;
    const logBefore = await readFile(senderLog(), "utf8").catch(() => "");
    const commit = await pushFromA("agent.txt");
    await hubAgent.waitForLine(new RegExp(`announced ${hubUuid} \\(1 ref\\(s\\)\\) for ${hub} as alice@localhost`));
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*${hubUuid}`), { since });
    await fx.merged(cloneB, commit);
    expect(await readFile(senderLog(), "utf8").catch(() => "")).toBe(logBefore);
  });

  it("killed (-9) with entries queued and a presence in flight: after a restart nothing is lost", async () => {
    const b = await listeningB();
    let hubAgent = agent(hubSideRepo, hubEnv);
    await hubAgent.waitForLine(/connected as alice@localhost/);
    const since = b.lines.length;
    relay.freeze();
    const agentSince = hubAgent.lines.length;
    const first = await pushFromA("in-flight-1.txt");
    // Sent into the frozen link: no acknowledgement can come back.
    await hubAgent.waitForLine(/xmpp: out <presence>.*push="/, { since: agentSince });
    const second = await pushFromA("in-flight-2.txt");
    await hubAgent.stop("SIGKILL");
    expect((await queued()).length).toBeGreaterThan(0);
    relay.thaw();
    hubAgent = agent(hubSideRepo, hubEnv);
    await waitFor(async () => (await queued()).length === 0, { timeoutMs: 30_000, what: "the restarted agent to send the queue" });
    await fx.merged(cloneB, first);
    await fx.merged(cloneB, second);
    const syncs = b.count(/sync started/, since);
    // At most one sync for the announcement that may have gone out before the kill, one for the resent one.
    expect(syncs).toBeLessThanOrEqual(2);
  });
});

describe("one agent per repository", () => {
  it("a second listen on the same repository refuses, naming the pid", async () => {
    const first = agent(hubSideRepo, hubEnv);
    await first.waitForLine(/listening for/);
    const second = await runCli(["listen", "--repo", hubSideRepo], { env: hubEnv, timeoutMs: 30_000 });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`another listen (pid ${first.process.pid}) already runs for ${hubSideRepo}`);
    expect(first.exited).toBe(false);
  });
});
