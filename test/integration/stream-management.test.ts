/**
 * XEP-0198 stream management against the private prosody (mod_smacks):
 * the session wrapper enables it, acks what the server asks for, resumes a
 * dropped session; the built listener resumes after a dead link and syncs
 * from the replayed announcement, and falls back to a fresh session with a
 * catch-up when the server has forgotten the old one.
 */
import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { createXmppSession, type XmppSession } from "../../src/xmpp/session.js";
import type { AnnexSandbox } from "../support/annex.js";
import { startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import type { ProsodyServer } from "../support/prosody.js";
import type { Relay } from "../support/relay.js";
import { collectBodies, range, sendMessages } from "../support/chat.js";
import { fallBackAfterRestart, resumeAfterDeadLink, type ListenScenario } from "../support/sm-scenarios.js";
import { waitFor } from "../support/wait.js";

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let server: ProsodyServer;
let box: AnnexSandbox;
let ca: string;
const sessions: XmppSession[] = [];
const relays: Relay[] = [];

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, clones: ["a", "b"], hubUser: "alice", hubConfigFile: ".git-annex-xmpprc.json" });
  ({ server, box } = fx);
  ca = await readFile(server.caFile, "utf8");
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
}, 120_000);

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.stop().catch(() => undefined)));
  await fx?.stopDaemons();
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

afterAll(() => fx?.stop());

function session(user: keyof typeof PASSWORDS, resource: string): XmppSession {
  const created = createXmppSession({
    jid: server.jid(user),
    password: PASSWORDS[user],
    resource,
    endpoint: { host: server.host, port: server.port, tls: "starttls" },
    ca,
    log: silentLogger,
  });
  sessions.push(created);
  return created;
}


describe("stream management in the session wrapper", () => {
  it("is enabled after binding, resumable, and only when asked for", async () => {
    const plain = session("alice", "plain");
    await plain.start();
    expect(plain.streamManagement).toBeUndefined();
    expect(plain.resumeState()).toBeUndefined();

    const managed = session("alice", "managed");
    await managed.start({ streamManagement: true });
    expect(managed.streamManagement).toEqual({ resumed: false, enabled: true, resumable: true, max: 600, refused: undefined });
    expect(managed.resumeState()).toMatchObject({ fullJid: managed.fullJid });
  });

  it("acks what the server asks for through many stanzas, and a resume proves the count", async () => {
    const listener = session("alice", "listener");
    const jid = await listener.start({ streamManagement: true });
    const received = collectBodies(listener);
    const sender = session("bob", "sender");
    await sender.start();
    // prosody asks for an ack after every stanza it sends us, and ends the
    // session when the answer counts stanzas it never sent.
    await sendMessages(sender, jid, 0, 300);
    await waitFor(() => received.length >= 300, { what: "300 messages at the listener" });
    await listener.ping(5_000);
    expect(received).toEqual(range(0, 300));

    // Resuming sends our count ('h'): too high and prosody refuses, too low
    // and it replays messages we already have.
    listener.drop("test: link cut");
    const state = listener.resumeState();
    expect(state?.inbound).toBeGreaterThanOrEqual(300);
    const resumed = session("alice", "listener");
    expect(await resumed.start({ streamManagement: true, resume: state })).toBe(jid);
    expect(resumed.streamManagement).toMatchObject({ resumed: true });
    const after = collectBodies(resumed);
    await sendMessages(sender, jid, 300, 5);
    await waitFor(() => after.length >= 5, { what: "5 more messages after the resume" });
    await resumed.ping(5_000);
    expect(after).toEqual(range(300, 5));
  });

  it("gets what arrived while the link was down replayed on resume", async () => {
    const listener = session("alice", "listener");
    const jid = await listener.start({ streamManagement: true });
    const sender = session("bob", "sender");
    await sender.start();
    listener.drop("test: link cut");
    const state = listener.resumeState();
    // The server keeps the session (hibernating) and queues these for it.
    await sendMessages(sender, jid, 0, 3);
    const resumed = session("alice", "listener");
    await resumed.start({ streamManagement: true, resume: state });
    expect(resumed.streamManagement).toMatchObject({ resumed: true });
    // Registered after start(): the replay is held for the first handler.
    const replayed = collectBodies(resumed);
    await waitFor(() => replayed.length >= 3, { what: "3 replayed messages" });
    expect(replayed).toEqual(range(0, 3));
  });

  it("binds a new session when the server refuses the resume", async () => {
    const first = session("alice", "listener");
    const firstJid = await first.start({ streamManagement: true });
    const state = first.resumeState()!;
    // A graceful stop ends the session on the server: nothing to resume.
    await first.stop();
    expect(first.resumeState()).toBeUndefined();
    const second = session("alice", "listener");
    const secondJid = await second.start({ streamManagement: true, resume: state });
    expect(second.streamManagement).toMatchObject({ resumed: false, enabled: true, refused: expect.stringMatching(/^item-not-found/) });
    expect(secondJid).not.toBe(firstJid);
    await second.ping(5_000);
  });
});

const scenario = (): ListenScenario => ({ fx, clone: fx.clones[1]!, pushFromA, relays });

/** A commit in A pushed to the hub, whose hook announces it as on another machine. */
async function pushFromA(name: string): Promise<string> {
  const cloneA = fx.clones[0]!;
  await box.addAnnexedFile(cloneA, name, `content of ${name}\n`);
  const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
  await execa("git", ["-C", cloneA, "annex", "sync", "--quiet", "--no-content"], { env: fx.hubMachineEnv, extendEnv: false, stdin: "ignore" });
  return commit;
}

describe("listen with stream management", () => {
  it("resumes after a dead link and syncs once, from the replayed announcement", async () => {
    await resumeAfterDeadLink(scenario());
  });

  it("falls back to a new session and a catch-up when the server has forgotten the old one", async () => {
    await fallBackAfterRestart(scenario());
  });
});
