/**
 * A laptop that sleeps (issue 8, DESIGN.md §3 "Dead connections must be
 * noticed"): the listening agent is stopped (SIGSTOP) for longer than its
 * resume detector's tolerance, its TCP connection dies meanwhile (the relay
 * strands it: frozen for good, new connections pass), and a commit is
 * pushed to the hub. After SIGCONT the agent must see the jump of the clock,
 * probe at once, reconnect and catch up — long before its idle probe
 * (idleProbeMs 120 s, the default) would have asked. Real prosody, real
 * git-annex, the built CLI.
 */
import { setTimeout as delay } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import { startRelay, type Relay } from "../support/relay.js";

const PASSWORDS = { alice: "alice-pw" };
/** Longer than the resume detector's interval + tolerance (wake.ts DEFAULT_WAKE, 5 s + 5 s). */
const SUSPENDED_MS = 15_000;
/** Generous: the idle probe would ask only after 120 s; detecting the jump takes one tick, the probe 10 s. */
const CAUGHT_UP_WITHIN_MS = 40_000;

let fx: LoopFixture<keyof typeof PASSWORDS>;
let relay: Relay | undefined;

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, clones: ["a", "b"], hubUser: "alice" });
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
}, 120_000);

afterEach(async () => {
  await fx?.stopDaemons();
  await relay?.close();
  relay = undefined;
});

afterAll(() => fx?.stop());

describe("listen after a suspend", () => {
  it("notices the jump of the clock, reconnects and catches up with a push made while it slept, well before the idle probe", async () => {
    const [cloneA, cloneB] = fx.clones as [string, string];
    relay = await startRelay({ host: fx.server.host, port: fx.server.port });
    // Defaults for the probe (idleProbeMs 120 s, probeTimeoutMs 10 s): the old
    // listener would sit on the dead link for two minutes.
    await fx.useAccount(cloneB, "alice", { port: relay.port, reconnectMaxMs: 2_000 });
    const b = fx.listen(cloneB);
    await b.waitForLine(/connected as alice@localhost\//);
    await b.waitForLine(/sync finished/);
    const pid = b.process.pid!;
    const since = b.lines.length;

    process.kill(pid, "SIGSTOP");
    let resumedAt: number;
    try {
      relay.freeze();
      // Pushed while B sleeps; the hub's hook runs as on another machine, so
      // the announcement can reach B only over its (dead) link.
      await fx.box.addAnnexedFile(cloneA, "while-asleep.txt", "pushed while B slept\n");
      const commit = await fx.box.gitOut(cloneA, ["rev-parse", "HEAD"]);
      await execa("git", ["-C", cloneA, "annex", "sync", "--quiet", "--no-content"], { env: fx.hubMachineEnv, extendEnv: false, stdin: "ignore" });
      // The suspend itself lasts a fixed time: that is the scenario, not a wait for an event.
      await delay(SUSPENDED_MS);
      // The machine is back: its old connection is dead for good, the network works.
      relay.strand();
      resumedAt = Date.now();
      process.kill(pid, "SIGCONT");
      await fx.merged(cloneB, commit, CAUGHT_UP_WITHIN_MS);
    } finally {
      // A stopped daemon would never act on the SIGTERM that stops it.
      process.kill(pid, "SIGCONT");
    }
    console.log(`suspended ${SUSPENDED_MS} ms; caught up ${Date.now() - resumedAt} ms after SIGCONT (idleProbeMs 120000, probeTimeoutMs 10000)`);
    // How: the jump seen, the probe unanswered, a new connection.
    expect(b.count(/clock jumped .* checking the link now/, since)).toBe(1);
    expect(b.count(/disconnected \(dead link: no answer to a ping .* after the clock jumped/, since)).toBe(1);
    expect(b.count(/connected as alice@localhost\//, since)).toBe(1);
    expect(relay.connections).toBeGreaterThanOrEqual(2);
    expect(b.exited).toBe(false);
  }, 120_000);
});
