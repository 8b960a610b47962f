/**
 * The whole loop against ejabberd 23.01 instead of prosody: a private
 * ejabberd (test/support/ejabberd.ts), a bare hub and two clones made by
 * git-annex, our hooks on the hub, and the built CLI. ejabberd differs from
 * prosody where it matters to us (DESIGN.md §5): it addresses presence
 * broadcasts to the full JID, orders children differently, asks for
 * XEP-0198 acks on its own schedule and stores SCRAM keys with 4,096
 * iterations.
 */
import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { createXmppSession, type XmppSession } from "../../src/xmpp/session.js";
import type { AnnexSandbox } from "../support/annex.js";
import { runCli } from "../support/cli.js";
import { startEjabberd, type EjabberdServer } from "../support/ejabberd.js";
import { startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import type { Relay } from "../support/relay.js";
import { collectBodies, range, sendMessages } from "../support/chat.js";
import { fallBackAfterRestart, resumeAfterDeadLink, type ListenScenario } from "../support/sm-scenarios.js";
import { waitFor } from "../support/wait.js";

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS, EjabberdServer>;
let server: EjabberdServer;
let box: AnnexSandbox;
let hub: string;
let cloneA: string;
let cloneB: string;
let hubUuid: string;
const relays: Relay[] = [];
const sessions: XmppSession[] = [];
let epmdsBefore: string[];

/** Pids of running epmd daemons (erl starts one detached, unless told not to). */
async function epmdPids(): Promise<string[]> {
  const { stdout } = await execa("pgrep", ["-x", "epmd"], { reject: false });
  return stdout.split("\n").filter(Boolean).sort();
}

beforeAll(async () => {
  epmdsBefore = await epmdPids();
  fx = await startLoopFixture({
    accounts: PASSWORDS,
    rosters: [["alice", "bob"]],
    clones: ["a", "b"],
    hubUser: "alice",
    startServer: startEjabberd,
  });
  ({ server, box, hub, hubUuid } = fx);
  [cloneA, cloneB] = fx.clones as [string, string];
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
}, 120_000);

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.stop().catch(() => undefined)));
  await fx?.stopDaemons();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

afterAll(() => fx?.stop());

const scenario = (): ListenScenario => ({ fx, clone: cloneB, pushFromA: (name) => pushFromA(name), relays });

/** A commit in A pushed to the hub, whose hook announces it as on another machine. */
async function pushFromA(name: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  await box.addAnnexedFile(cloneA, name, `content of ${name}\n`);
  const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
  await execa("git", ["-C", cloneA, "annex", "sync", "--quiet", "--no-content"], {
    env: { ...fx.hubMachineEnv, ...extraEnv }, extendEnv: false, stdin: "ignore",
  });
  return commit;
}

async function session(user: keyof typeof PASSWORDS, resource: string): Promise<XmppSession> {
  const created = createXmppSession({
    jid: server.jid(user), password: PASSWORDS[user], resource, log: silentLogger,
    endpoint: { host: server.host, port: server.port, tls: "starttls" }, ca: await readFile(server.caFile, "utf8"),
  });
  sessions.push(created);
  return created;
}


describe("against ejabberd", () => {
  it("listens on 127.0.0.1 only (c2s and Erlang distribution), with no epmd", async () => {
    const { stdout } = await execa("ss", ["-Hltunp"]);
    const ours = stdout.split("\n").filter((line) => line.includes(`pid=${server.pid},`));
    expect(ours.map((line) => line.split(/\s+/)[4]).sort()).toEqual([`127.0.0.1:${server.port}`, `127.0.0.1:${server.node.distPort}`].sort());
    // The machine may run an epmd of its own: only that we started none.
    expect(await epmdPids()).toEqual(epmdsBefore);
  });

  it("doctor's login check passes (SCRAM with ejabberd's salt and iterations)", async () => {
    const result = await runCli(["doctor", "--repo", hub], { env: box.env });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok   login: logged in as alice@localhost\/.* in \d+ ms$/m);
  });

  it("a signed push from A reaches B's listener through the same account, and B syncs", async () => {
    await fx.useAccount(cloneB, "alice");
    const b = fx.listen(cloneB);
    await b.waitForLine(/stream management on, resumable for 600 s/);
    await b.waitForLine(/connected as alice@localhost\//);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    // Sealed: only a listener that verified the MAC can map the tag back to the hub's UUID.
    const commit = await pushFromA("one.txt", { GIT_ANNEX_XMPP_SEALED: "true" });
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid} \\(sealed\\) \\(\\d+ refs\\)`), { since });
    await fx.merged(cloneB, commit);
    expect(await box.gitOut(cloneB, ["ls-files", "one.txt"])).toBe("one.txt");
  });

  it("a subscribed buddy account's announcement is accepted (roster, presence fan-out)", async () => {
    await fx.useAccount(cloneB, "bob", { buddies: [server.jid("alice")] });
    const b = fx.listen(cloneB);
    await b.waitForLine(/connected as bob@localhost\//);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    const commit = await pushFromA("two.txt");
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid} \\(\\d+ refs\\)`), { since });
    await fx.merged(cloneB, commit);
  });

  it("counts XEP-0198 acks as ejabberd does: many stanzas, then a resume with neither loss nor replay", async () => {
    const listener = await session("alice", "listener");
    const jid = await listener.start({ streamManagement: true });
    expect(listener.streamManagement).toMatchObject({ enabled: true, resumable: true });
    const received = collectBodies(listener);
    const sender = await session("bob", "sender");
    await sender.start();
    await sendMessages(sender, jid, 0, 300);
    await waitFor(() => received.length >= 300, { what: "300 messages at the listener" });
    await listener.ping(5_000);
    expect(received).toEqual(range(0, 300));

    // Our count ('h') on resume: too low and ejabberd replays what we have.
    listener.drop("test: link cut");
    const resumed = await session("alice", "listener");
    expect(await resumed.start({ streamManagement: true, resume: listener.resumeState() })).toBe(jid);
    expect(resumed.streamManagement).toMatchObject({ resumed: true });
    const after = collectBodies(resumed);
    await sendMessages(sender, jid, 300, 5);
    await waitFor(() => after.length >= 5, { what: "5 more messages after the resume" });
    await resumed.ping(5_000);
    expect(after).toEqual(range(300, 5));
  });

  it("resumes the stream after a dead link and syncs once, from the replayed announcement", async () => {
    await resumeAfterDeadLink(scenario());
  });

  it("after an ejabberd restart, which forgets every session, binds anew and catches up", async () => {
    await fallBackAfterRestart(scenario());
  });
});
