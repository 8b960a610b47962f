/**
 * Issue 8, items 7-9: a man in the middle that strips `<starttls/>`, a
 * `server` value that is not a host, and a delivery refused for want of a
 * secret. Whatever is wrong, a password never goes out in the clear, the
 * error says what is wrong at once, and an announcement whose account is
 * known is delivered or kept. Real prosody, real git-annex, the built CLI.
 */
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { openQueue } from "../../src/announce/queue.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnnexSandbox } from "../support/annex.js";
import { runCli } from "../support/cli.js";
import { startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import { startStripRelay, type StripRelay } from "../support/strip-relay.js";
import { freePort } from "../support/wait.js";

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let box: AnnexSandbox;
let hub: string;
let cloneB: string;
let queueDir: string;
let strip: StripRelay;

/** Queue entries waiting to be sent (not set aside, not temporary). */
async function queued(): Promise<Array<{ name: string; uuids: string[] }>> {
  const items = await openQueue(queueDir).readAll();
  return items.map((i) => ({ name: i.name, uuids: i.entry.uuids }));
}

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

/** Through the relay that strips STARTTLS: the user config's server, the relay's port. */
const strippedEnv = () => ({ ...box.env, GIT_ANNEX_XMPP_PORT: String(strip.port) });

/** A bound far above "at once": a run that waited for it would report a timeout, not the TLS refusal. */
const LONG_TIMEOUT_MS = 60_000;

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, rosters: [["alice", "bob"]], clones: ["b"], hubUser: "alice" });
  ({ box, hub } = fx);
  [cloneB] = fx.clones as [string];
  await fx.useAccount(cloneB, "bob", { buddies: [fx.server.jid("alice")] });
  queueDir = join(box.home, ".local", "state", "git-annex-xmpp", "queue");
  strip = await startStripRelay({ host: fx.server.host, port: fx.server.port });
}, 120_000);

afterEach(async () => {
  await fx?.stopDaemons();
  await fx?.useAccount(hub, "alice");
  await fx?.useAccount(cloneB, "bob", { buddies: [fx.server.jid("alice")] });
});

afterAll(async () => {
  await strip?.close();
  await fx?.stop();
});

describe("a server (or a man in the middle) that offers no STARTTLS", () => {
  it("notify refuses at once with the TLS error and keeps the announcement", async () => {
    const before = strip.stripped;
    const result = await runCli(["notify", "--repo", hub, "--uuid", uuid(1), "--timeout", String(LONG_TIMEOUT_MS)], {
      env: strippedEnv(),
      timeoutMs: 2 * LONG_TIMEOUT_MS,
    });
    expect(strip.stripped).toBeGreaterThan(before);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/did not offer TLS.*stays queued as/);
    expect(result.stderr).toMatch(/hint: .*TLS/);
    expect(result.stderr).not.toMatch(/did not finish within|did not answer in time|cannot reach/);
    expect((await queued()).map((e) => e.uuids)).toContainEqual([uuid(1)]);
  });

  it("doctor fails the login check with the TLS error, not 'cannot reach'", async () => {
    const result = await runCli(["doctor", "--repo", hub], { env: strippedEnv(), timeoutMs: 2 * LONG_TIMEOUT_MS });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^fail login: .*did not offer TLS/m);
    expect(result.stdout).not.toMatch(/cannot reach|did not answer in time/);
  });

  it("listen logs the TLS refusal once and keeps backing off instead of timing out logins", async () => {
    const daemon = fx.listen(cloneB, strippedEnv());
    await daemon.waitForLine(/cannot connect: .*did not offer TLS/);
    expect(daemon.exited).toBe(false);
    expect(daemon.count(/did not answer in time|did not finish within/)).toBe(0);
  });
});

describe("a server that resets the connection while the stream opens", () => {
  it("notify says so and keeps the announcement (xmpp.js's unawaited promise no longer ends the process)", async () => {
    // What a relay with its server down, or a server going down, does: accept, then reset.
    const resetting: Server = createServer((socket) => {
      socket.on("error", () => undefined);
      socket.once("data", () => socket.resetAndDestroy());
    });
    await new Promise<void>((resolve) => resetting.listen(0, "127.0.0.1", resolve));
    const port = (resetting.address() as { port: number }).port;
    try {
      for (let i = 0; i < 5; i++) {
        const result = await runCli(["notify", "--repo", hub, "--uuid", uuid(20 + i), "--timeout", "5000"], {
          env: { ...box.env, GIT_ANNEX_XMPP_PORT: String(port) },
        });
        expect(result.exitCode, result.stderr).toBe(0);
        expect(result.stderr).toMatch(/connection reset.*stays queued as/);
        expect(result.stderr).not.toMatch(/triggerUncaughtException|internal error/);
        expect((await queued()).map((e) => e.uuids)).toContainEqual([uuid(20 + i)]);
      }
    } finally {
      await new Promise((resolve) => resetting.close(resolve));
    }
  });
});

describe("a `server` that is not a host name", () => {
  const garbage = ["xmpps://localhost:5223", "wss://localhost/xmpp-websocket", "localhost:5222"];

  it("configure refuses URLs and host:port, naming the key (exit 78)", async () => {
    for (const value of garbage) {
      const result = await runCli(["configure", "--repo", hub, "--scope", "repo", "--server", value], { env: box.env });
      expect(result.exitCode, `${value}: ${result.stderr}`).toBe(78);
      expect(result.stderr).toContain("`server`");
    }
    const withPort = await runCli(["configure", "--repo", hub, "--scope", "repo", "--server", "localhost:5222"], { env: box.env });
    expect(withPort.stderr).toMatch(/`port`/);
  });

  it("listen refuses it with exit 78 naming the key; doctor fails its configuration check", async () => {
    for (const value of garbage) {
      await fx.useAccount(cloneB, "bob", { buddies: [fx.server.jid("alice")], server: value });
      // doctor reports rather than refuses: its configuration check fails, naming the key and the remedy.
      const doctor = await runCli(["doctor", "--repo", cloneB], { env: box.env });
      expect(doctor.exitCode, doctor.stderr).toBe(1);
      expect(doctor.stdout).toMatch(/^fail configuration: .*`server` must be/m);
      expect(doctor.stdout).toMatch(/^ {5}hint: /m);
      const listen = await runCli(["listen", "--repo", cloneB], { env: box.env });
      expect(listen.exitCode, listen.stderr).toBe(78);
      expect(listen.stderr).toContain("`server`");
    }
  });

  it("notify keeps the announcement queued with a clear warning; after the fix, flush delivers it to a listener", async () => {
    const listener = fx.listen(cloneB);
    await listener.waitForLine(/connected as bob@localhost/);
    // The hub is another machine: its queue is its own, no agent sends it.
    const hubEnv = await fx.machineEnv("hub-with-garbage");
    const hubQueue = openQueue(join(hubEnv.XDG_STATE_HOME!, "git-annex-xmpp", "queue"));
    for (const [i, value] of garbage.entries()) {
      await fx.useAccount(hub, "alice", { server: value });
      const result = await runCli(["notify", "--repo", hub, "--uuid", uuid(10 + i)], { env: hubEnv });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/`server`.*stays queued as/);
      expect((await hubQueue.readAll()).map((e) => e.entry.uuids)).toContainEqual([uuid(10 + i)]);
    }
    await fx.useAccount(hub, "alice");
    const since = listener.lines.length;
    const flushed = await runCli(["flush"], { env: hubEnv });
    expect(flushed.exitCode, flushed.stderr).toBe(0);
    for (const i of garbage.keys()) await listener.waitForLine(new RegExp(`announcement from alice@localhost/.*${uuid(10 + i)}`), { since });
    expect(await hubQueue.list()).toEqual([]);
  });
});

describe("a refused delivery", () => {
  it("keeps the queued entry when the secret to seal it with is gone", async () => {
    const installed = await fx.installHooks();
    expect(installed.exitCode, installed.stderr).toBe(0);
    await fx.useAccount(hub, "alice", { sealed: true });
    const down = { ...box.env, GIT_ANNEX_XMPP_PORT: String(await freePort()) };
    const result = await runCli(["notify", "--repo", hub, "--uuid", uuid(20)], { env: down });
    expect(result.exitCode, result.stderr).toBe(0);
    const ours = async () => (await queued()).filter((e) => e.uuids.includes(uuid(20)));
    const entries = await ours();
    expect(entries).toHaveLength(1);

    await box.git(hub, ["update-ref", "-d", "refs/annex-xmpp/secret"]);
    const flushed = await runCli(["flush"], { env: box.env });
    expect(flushed.exitCode).not.toBe(0);
    expect(flushed.stderr).toMatch(/no announcement secret/);
    expect(await ours()).toEqual(entries);
  });
});
