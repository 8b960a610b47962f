/**
 * The two stream-management scenarios of a listening clone, run the same
 * way against prosody (stream-management.test.ts) and ejabberd
 * (ejabberd.test.ts): a dead link the server still believes in, and a
 * server restart that forgets every session.
 */
import { expect } from "vitest";
import type { Daemon } from "./cli.js";
import type { LoopFixture } from "./loop-fixture.js";
import { startRelay, type Relay } from "./relay.js";
import type { XmppTestServer } from "./xmpp-server.js";

export interface ListenScenario {
  fx: Pick<LoopFixture<"alice", XmppTestServer>, "useAccount" | "listen" | "merged" | "server">;
  /** The listening clone. */
  clone: string;
  /** Commits in the other clone and pushes to the hub, whose hook announces it; resolves with the commit. */
  pushFromA(name: string): Promise<string>;
  /** Relays the scenario opens, for the test file to close. */
  relays: Relay[];
}

const FAST_RECONNECT = { reconnectMaxMs: 2_000 };

/**
 * Freeze the link (a relay that stops forwarding), push meanwhile, thaw:
 * the listener notices the dead link, resumes, and syncs exactly once, from
 * the announcement the server replays — no catch-up. Resolves with the
 * daemon and where its lines for the scenario start.
 */
export async function resumeAfterDeadLink(s: ListenScenario): Promise<{ b: Daemon; since: number }> {
  const { server } = s.fx;
  const relay = await startRelay({ host: server.host, port: server.port });
  s.relays.push(relay);
  await s.fx.useAccount(s.clone, "alice", { ...FAST_RECONNECT, port: relay.port, idleProbeMs: 1_500, probeTimeoutMs: 1_500 });
  const b = s.fx.listen(s.clone);
  await b.waitForLine(/stream management on, resumable for 600 s/);
  await b.waitForLine(/connected as alice@localhost\//);
  await b.waitForLine(/sync finished/);

  const since = b.lines.length;
  relay.freeze();
  // The server still thinks B is there: it sends the announcement into the
  // frozen link and keeps it unacknowledged in its XEP-0198 queue.
  const commit = await s.pushFromA("while-frozen.txt");
  await b.waitForLine(/disconnected \(dead link: no answer to a ping/, { since, timeoutMs: 15_000 });
  relay.thaw();
  await b.waitForLine(/stream resumed, \d+ stanza\(s\) replayed/, { since, timeoutMs: 40_000 });
  await b.waitForLine(/connected as alice@localhost\/.* \(resumed\)/, { since });
  await b.waitForLine(/no catch-up sync: the resumed stream lost nothing/, { since });
  await s.fx.merged(s.clone, commit);
  await b.waitForLine(/sync finished/, { since });
  expect(b.count(/announcement from alice@localhost\//, since)).toBeGreaterThanOrEqual(1);
  expect(b.count(/sync started: origin \(push from alice@localhost\//, since)).toBe(1);
  expect(b.count(/sync started/, since)).toBe(1);
  expect(b.count(/sync started: .*catch-up/, since)).toBe(0);
  expect(b.count(/resume refused/, since)).toBe(0);
  return { b, since };
}

/** A restart loses every session: the resume is refused, the listener binds anew, catches up, and the commit arrives. */
export async function fallBackAfterRestart(s: ListenScenario): Promise<void> {
  const { server } = s.fx;
  await s.fx.useAccount(s.clone, "alice", FAST_RECONNECT);
  const b = s.fx.listen(s.clone);
  await b.waitForLine(/stream management on, resumable/);
  await b.waitForLine(/sync finished/);
  let since = b.lines.length;
  await server.shutdown();
  await b.waitForLine(/disconnected \(/, { since });
  const commit = await s.pushFromA("while-restarting.txt");
  since = b.lines.length;
  await server.start();
  await b.waitForLine(/resume refused: item-not-found.*, new session/, { since, timeoutMs: 30_000 });
  await b.waitForLine(/connected as alice@localhost\//, { since });
  await b.waitForLine(/sync started: origin \(catch-up after connect/, { since });
  await s.fx.merged(s.clone, commit);
  expect(b.count(/stream resumed/, since)).toBe(0);
}
