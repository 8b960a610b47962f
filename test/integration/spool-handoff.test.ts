/**
 * Nothing lost, nothing stalled: notify spools when the server is down, a
 * listener delivers the spool when it is back, hooks hand announcements to a
 * running listener instead of logging in, one listener per repository, and
 * `ensure` for cron. Real prosody, real git-annex, the built CLI.
 */
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnnexSandbox } from "../support/annex.js";
import { HOOK_ENTRY, runCli } from "../support/cli.js";
import { startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import type { ProsodyServer } from "../support/prosody.js";
import { observePresences } from "../support/slixmpp.js";
import { waitFor } from "../support/wait.js";

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let server: ProsodyServer;
let box: AnnexSandbox;
let hub: string;
let cloneA: string;
let cloneB: string;
/** An annex repository unrelated to the hub: its listener relays hand-offs without syncing them itself. */
let relayRepo: string;
let hubUuid: string;
let spoolDir: string;
const detachedPids: number[] = [];

async function spoolEntries(): Promise<string[]> {
  return (await readdir(spoolDir).catch(() => [] as string[])).sort();
}

async function spooledUuids(): Promise<string[]> {
  const names = (await spoolEntries()).filter((n) => n.endsWith(".json") && !n.startsWith("."));
  return (await Promise.all(names.map(async (n) => JSON.parse(await readFile(join(spoolDir, n), "utf8")).uuids as string[]))).flat();
}

async function pushFromA(name: string): Promise<{ commit: string; ms: number }> {
  await box.addAnnexedFile(cloneA, name, `content of ${name}\n`);
  const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
  const started = Date.now();
  await box.git(cloneA, ["annex", "sync", "--quiet", "--no-content"]);
  return { commit, ms: Date.now() - started };
}

const arrived = (commit: string, repo: string) => fx.merged(repo, commit);

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, rosters: [["alice", "bob"]], clones: ["a", "b"], hubUser: "alice" });
  ({ server, box, hub, hubUuid } = fx);
  [cloneA, cloneB] = fx.clones as [string, string];
  spoolDir = join(box.home, ".local", "state", "git-annex-xmpp", "spool", "alice@localhost");
  relayRepo = join(box.root, "relay");
  await mkdir(relayRepo);
  await box.git(relayRepo, ["init", "--quiet"]);
  await box.git(relayRepo, ["annex", "init", "relay"]);
  await fx.useAccount(relayRepo, "alice");
  // B listens as bob, who accepts alice's announcements: B never touches alice's spool or socket.
  await fx.useAccount(cloneB, "bob", { buddies: [server.jid("alice")] });
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
}, 120_000);

afterEach(async () => {
  await fx?.stopDaemons();
  for (const pid of detachedPids.splice(0)) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  if (server && !server.pid) await server.start();
});

afterAll(() => fx?.stop());

describe("spool", () => {
  it("server down during a push: the hook returns within its bound and spools; when it is back, listen delivers it", async () => {
    await server.shutdown();
    const { commit } = await pushFromA("down.txt");
    // git annex sync pushes in more than one step: one spooled entry per hook run.
    const pushed = await spooledUuids();
    expect(pushed.length).toBeGreaterThan(0);
    expect(new Set(pushed)).toEqual(new Set([hubUuid]));

    // The hook's own bound, measured on notify as the hook runs it.
    const started = Date.now();
    const direct = await runCli(["notify", "--repo", hub, "--timeout", "3000"], { env: box.env });
    expect(Date.now() - started).toBeLessThan(3000 + 2000);
    expect(direct.exitCode, direct.stderr).toBe(0);
    expect(direct.stderr.trim().split("\n")).toHaveLength(1);
    expect(direct.stderr).toMatch(/could not announce the push .*spooled as .* `git-annex-xmpp flush` delivers it/);
    expect(await spooledUuids()).toHaveLength(pushed.length + 1);

    await server.start();
    const b = fx.listen(cloneB);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    const relay = fx.listen(relayRepo);
    await relay.waitForLine(new RegExp(`spool: delivered ${pushed.length + 1} announcement\\(s\\) in 1 presence\\(s\\)`));
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*${hubUuid}`), { since });
    // B syncs on it, or skips because its catch-up sync already fetched every announced commit.
    await b.waitForLine(/sync started|skipped sync for the push/, { since });
    await arrived(commit, cloneB);
    expect(await spoolEntries()).toEqual([]);
  });

  it("100 concurrent notify runs with the server up: each is delivered or spooled, and the spool stays intact", async () => {
    const observer = await observePresences(server.account("bob"));
    try {
      const runs = await Promise.all(
        Array.from({ length: 100 }, (_, i) => runCli(["notify", "--repo", hub, "--uuid", uuid(i), "--timeout", "20000"], { env: box.env })),
      );
      for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
      const seen = new Set<string>(await spooledUuids());
      await waitFor(
        () => {
          for (const p of observer.presences) for (const m of p.xml.matchAll(/push="([^"]*)"/g)) for (const u of m[1]!.split(",")) seen.add(u);
          return Array.from({ length: 100 }, (_, i) => uuid(i)).every((u) => seen.has(u));
        },
        { timeoutMs: 20_000, what: "every announcement observed or spooled" },
      );
      expect((await spoolEntries()).filter((n) => n.startsWith("."))).toEqual([]);
    } finally {
      await observer.stop();
    }
    await runCli(["flush", "--repo", hub], { env: box.env });
  }, 240_000);

  it("100 concurrent notify runs with the server down: 100 complete entries; flush delivers them merged", async () => {
    await server.shutdown();
    const runs = await Promise.all(
      Array.from({ length: 100 }, (_, i) => runCli(["notify", "--repo", hub, "--uuid", uuid(i)], { env: box.env })),
    );
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    expect((await spoolEntries()).filter((n) => n.startsWith("."))).toEqual([]);
    expect((await spooledUuids()).sort()).toEqual(Array.from({ length: 100 }, (_, i) => uuid(i)));

    await server.start();
    const observer = await observePresences(server.account("bob"));
    try {
      const flushed = await runCli(["flush", "--repo", hub], { env: box.env });
      expect(flushed.exitCode, flushed.stderr).toBe(0);
      expect(flushed.stdout).toContain("delivered 100 announcement(s) in 1 presence(s)");
      const seen = await observer.waitFor((p) => p.xml.includes(uuid(99)), 10_000);
      for (let i = 0; i < 100; i++) expect(seen.xml).toContain(uuid(i));
    } finally {
      await observer.stop();
    }
    expect(await spoolEntries()).toEqual([]);
    const again = await runCli(["flush", "--repo", hub], { env: box.env });
    expect(again.stdout).toContain("the spool of alice@localhost is empty");
  }, 240_000);
});

describe("hand-off to a running listen", () => {
  it("notify returns without logging in; the listener relays it and the other clone syncs", async () => {
    const relay = fx.listen(relayRepo);
    await relay.waitForLine(/hand-off socket: /);
    await relay.waitForLine(/connected as alice@localhost/);
    const b = fx.listen(cloneB);
    await b.waitForLine(/sync finished/);
    let since = b.lines.length;

    const notified = await runCli(["notify", "--verbose", "--hook", "post-update", "--repo", hub, "--", "refs/heads/main"], { env: box.env });
    expect(notified.exitCode, notified.stderr).toBe(0);
    expect(notified.stderr).toMatch(new RegExp(`handed off to listen \\(pid ${relay.process.pid}\\)`));
    expect(notified.stderr).not.toMatch(/xmpp: connecting/);
    await relay.waitForLine(new RegExp(`hand-off from notify: ${hubUuid} \\(1 refs\\) for ${hub}`));

    // The same through the entry point the hook runs (one bundled file), as post-receive.
    expect(await readFile(join(hub, "hooks", "post-receive"), "utf8")).toContain(HOOK_ENTRY);
    const zero = "0".repeat(40);
    const head = await box.gitOut(hub, ["rev-parse", "refs/heads/main"]);
    const relayBefore = relay.lines.length;
    const hooked = await runCli(["notify", "-v", "--hook", "post-receive", "--repo", hub], {
      env: box.env, entry: HOOK_ENTRY, input: `${zero} ${head} refs/heads/main\n`,
    });
    expect(hooked.exitCode, hooked.stderr).toBe(0);
    expect(hooked.stderr).toMatch(new RegExp(`handed off to listen \\(pid ${relay.process.pid}\\)`));
    await relay.waitForLine(new RegExp(`hand-off from notify: ${hubUuid} \\(1 refs\\) for ${hub}`), { since: relayBefore });

    since = b.lines.length;
    const relaySince = relay.lines.length;
    const { commit } = await pushFromA("handed-off.txt");
    await relay.waitForLine(/hand-off from notify: /, { since: relaySince });
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*${hubUuid}`), { since });
    await arrived(commit, cloneB);
  });

  it("a burst of hooks becomes fewer presences (batched by the listener)", async () => {
    const relay = fx.listen(relayRepo);
    await relay.waitForLine(/connected as alice@localhost/);
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => runCli(["notify", "--repo", hub, "--", `refs/heads/b${i}`], { env: box.env })));
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    await waitFor(() => relay.count(/hand-off from notify/) === 20 && relay.lines.some((l) => /spool: delivered/.test(l)), {
      timeoutMs: 20_000,
      what: "20 hand-offs delivered",
    });
    await waitFor(async () => (await spoolEntries()).length === 0, { timeoutMs: 10_000, what: "an empty spool" });
    const presences = relay.lines.flatMap((l) => /in (\d+) presence\(s\)/.exec(l)?.[1] ?? []).map(Number).reduce((a, b) => a + b, 0);
    expect(presences).toBeLessThan(20);
  });
});

describe("one listen per repository", () => {
  it("a second listen on the same repository refuses, naming the pid", async () => {
    const first = fx.listen(relayRepo);
    await first.waitForLine(/listening for/);
    const second = await runCli(["listen", "--repo", relayRepo], { env: box.env, timeoutMs: 30_000 });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toContain(`another listen (pid ${first.process.pid}) already runs for ${relayRepo}`);
    expect(first.exited).toBe(false);
  });

  it("ensure starts one in the background; a second ensure leaves it be", async () => {
    const started = await runCli(["ensure", "--repo", relayRepo], { env: box.env });
    expect(started.exitCode, started.stderr).toBe(0);
    const match = /started listen for .* \(pid (\d+)\); log: (\S+)/.exec(started.stdout);
    expect(match, started.stdout).not.toBeNull();
    const pid = Number(match![1]);
    detachedPids.push(pid);
    const again = await runCli(["ensure", "--repo", relayRepo], { env: box.env });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain(`listen already runs for ${relayRepo} (pid ${pid})`);
    await waitFor(async () => /connected as alice@localhost/.test(await readFile(match![2]!, "utf8")), {
      timeoutMs: 20_000,
      what: "the background listen to connect (its log file)",
    });
    // Lock released on a clean stop: ensure starts a fresh one.
    process.kill(pid, "SIGTERM");
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, { timeoutMs: 10_000, what: `pid ${pid} to exit` });
    const lock = join(relayRepo, ".git", "annex-xmpp", "listen.lock");
    expect(await readFile(lock, "utf8").catch(() => "gone")).toBe("gone");
  });
});
