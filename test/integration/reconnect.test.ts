/**
 * A listener left running through trouble (issue 4, DESIGN.md §3): the
 * server crashes and comes back, the link goes half-open, a storm of
 * announcements arrives. Real prosody, real git-annex, the built CLI.
 */
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnnexSandbox } from "../support/annex.js";
import { sendPresenceBurst } from "../support/burst.js";
import { pushPresenceXml, startLoopFixture, waitForQuiet, type LoopFixture } from "../support/loop-fixture.js";
import type { ProsodyServer } from "../support/prosody.js";
import { startRelay, type Relay } from "../support/relay.js";
import { waitFor } from "../support/wait.js";

const PASSWORDS = { alice: "alice-pw" };
/** Small reconnect cap so that a test does not sit out a minute of backoff. */
const FAST_RECONNECT = { reconnectMaxMs: 2_000 };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let server: ProsodyServer;
let box: AnnexSandbox;
let hub: string;
let cloneA: string;
let cloneB: string;
let hubUuid: string;
const relays: Relay[] = [];

/** Waits until B's checked-out branch has A's commit. */
const arrived = (commit: string) => fx.merged(cloneB, commit);

/**
 * A commit in A, pushed with `git annex sync` (hooks on the hub as
 * configured), the hub's notify running as on another machine: what reaches
 * B must come over XMPP, not through B's own queue.
 */
async function pushFromA(name: string, syncArgs: string[] = []): Promise<string> {
  await box.addAnnexedFile(cloneA, name, `content of ${name}\n`);
  const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
  await execa("git", ["-C", cloneA, ...syncArgs, "annex", "sync", "--quiet", "--no-content"], { env: fx.hubMachineEnv, extendEnv: false, stdin: "ignore" });
  return commit;
}

const HOOKS_OFF = ["-c", "core.hooksPath=/dev/null"];

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, clones: ["a", "b"], hubUser: "alice", hubConfigFile: ".git-annex-xmpprc.json" });
  ({ server, box, hub, hubUuid } = fx);
  [cloneA, cloneB] = fx.clones as [string, string];
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
}, 120_000);

afterEach(async () => {
  await fx?.stopDaemons();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

afterAll(() => fx?.stop());

describe("listen keeps going", () => {
  it("reconnects by itself after kill -9 and a restart of the server, and catches up with a push made meanwhile", async () => {
    await fx.useAccount(cloneB, "alice", FAST_RECONNECT);
    const b = fx.listen(cloneB);
    await b.waitForLine(/connected as alice@localhost\//);
    await b.waitForLine(/sync finished/);
    let since = b.lines.length;
    await server.kill9();
    await b.waitForLine(/disconnected \(/, { since });
    // The hub's hook cannot reach the server: the announcement is lost or
    // spooled, and the push itself must not suffer.
    const commit = await pushFromA("while-down.txt");
    expect(await box.gitOut(hub, ["rev-parse", "refs/heads/main"])).toBe(commit);
    since = b.lines.length;
    await server.start();
    await b.waitForLine(/connected as alice@localhost\//, { since, timeoutMs: 30_000 });
    await b.waitForLine(/sync started: origin \(catch-up after connect/, { since });
    await arrived(commit);
    expect(b.exited).toBe(false);
  });

  it("notices a half-open link within its probe settings and reconnects", async () => {
    const relay = await startRelay({ host: server.host, port: server.port });
    relays.push(relay);
    await fx.useAccount(cloneB, "alice", { ...FAST_RECONNECT, port: relay.port, idleProbeMs: 1_500, probeTimeoutMs: 1_500 });
    const b = fx.listen(cloneB);
    await b.waitForLine(/connected as alice@localhost\//);
    await b.waitForLine(/sync finished/);
    // A probe on an idle, healthy link is answered and changes nothing.
    await b.waitForLine(/ping answered/);
    expect(b.count(/disconnected/)).toBe(0);

    const since = b.lines.length;
    const frozenAt = Date.now();
    relay.freeze();
    // Announced while B's link is frozen: B cannot hear it, only catch up.
    const commit = await pushFromA("while-frozen.txt");
    await b.waitForLine(/disconnected \(dead link: no answer to a ping/, { since, timeoutMs: 15_000 });
    const detectedMs = Date.now() - frozenAt;
    console.log(`half-open link detected ${detectedMs} ms after the freeze (idleProbeMs 1500, probeTimeoutMs 1500)`);
    // Bound: silence (≤ idle) + probe timeout + slack for a loaded machine.
    expect(detectedMs).toBeLessThan(1_500 + 1_500 + 3_000);
    relay.thaw();
    await b.waitForLine(/connected as alice@localhost\//, { since, timeoutMs: 40_000 });
    await arrived(commit);
    expect(relay.connections).toBeGreaterThanOrEqual(2);
  });

  it("coalesces a burst of 1000 announcements into at most two syncs (plus one per rate report), and a commit pushed during it arrives", async () => {
    // The burst is raw git-annex presences, unsigned: allowed here explicitly.
    await fx.useAccount(cloneB, "alice", { ...FAST_RECONNECT, acceptUnsigned: true });
    await box.git(cloneA, [...HOOKS_OFF, "annex", "sync", "--quiet", "--no-content"]);
    const b = fx.listen(cloneB);
    await b.waitForLine(/connected as alice@localhost\//);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    const push = pushPresenceXml(hubUuid);
    const burstStarted = Date.now();
    const burst = sendPresenceBurst(server.account("alice"), push, { count: 1000, durationMs: 1000, holdLast: true });
    // Once the first sync runs, push a commit that it cannot have seen
    // (hooks off: only the burst announces it).
    await b.waitForLine(/sync started/, { since });
    await box.addAnnexedFile(cloneA, "during-burst.txt", "during the burst\n");
    const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
    await box.git(cloneA, [...HOOKS_OFF, "push", "--quiet", "origin", "main"]);
    await burst.holding;
    const heldAfterMs = Date.now() - burstStarted;
    burst.release();
    const sent = await burst.done;
    console.log(`burst: 999 presences out ${heldAfterMs} ms after the sender started (login included), the last after the push; ${sent.sent} in all`);
    await arrived(commit);
    // Past the sender's rate (intake.ts) the rest is dropped and told once
    // per interval, each report covered by one more sync: wait until every
    // stanza is accounted for, handled or dropped.
    const fromBurst = () => b.count(/announcement from alice@localhost\/(?!git-annex-xmpp-)/, since);
    const reports = () => b.lines.slice(since).flatMap((l) => /dropped (\d+) stanza\(s\) from alice@localhost/.exec(l)?.[1] ?? []);
    const dropped = () => reports().reduce((sum, n) => sum + Number(n), 0);
    await waitFor(() => fromBurst() + dropped() === 1000, { timeoutMs: 60_000, what: "all 1000 announcements handled or dropped" });
    await waitForQuiet([b], { quietMs: 3_000, timeoutMs: 60_000 });
    // Syncs for the burst; B's own push-backs come back as hand-offs and are not the burst's.
    const syncs = b.count(/sync started: .*(push from alice@localhost\/(?!git-annex-xmpp-)|over its rate)/, since);
    const skipped = b.count(/skipped sync/, since);
    console.log(`burst: ${fromBurst()} burst announcements handled, ${dropped()} dropped → ${syncs} syncs (${skipped} announcements of B's own merges skipped)`);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(2 + reports().length);
  }, 120_000);
});
