/**
 * Ref-aware, signed announcements (issue 4 item 4, DESIGN.md §2.2) and the
 * cached login (item 3), with real prosody, git-annex and the built CLI:
 * three listening clones that all sync and push their merges back settle
 * after one push; signed announcements are checked; a host logs in with
 * only the cached SCRAM key.
 */
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeAnnouncement } from "../../src/announce/announcement.js";
import { toXml } from "../../src/xmpp/element.js";
import type { AnnexSandbox } from "../support/annex.js";
import type { Daemon } from "../support/cli.js";
import { startLoopFixture, waitForQuiet, type LoopFixture } from "../support/loop-fixture.js";
import type { ProsodyServer } from "../support/prosody.js";
import { sendRawPresence } from "../support/slixmpp.js";

const PASSWORDS = { alice: "alice-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let server: ProsodyServer;
let box: AnnexSandbox;
let hub: string;
let cloneA: string;
let listeners: string[];
let hubUuid: string;

const withPassword = (repo: string, extra?: Record<string, unknown>) => fx.useAccount(repo, "alice", extra);
const merged = (repo: string, commit: string) => fx.merged(repo, commit, 60_000);
/** Quiet: no sync running and no new log line for 4 s, in every daemon. */
const allQuiet = (list: Daemon[]) => waitForQuiet(list, { quietMs: 4_000, timeoutMs: 90_000 });

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, clones: ["a", "b", "c", "d"], hubUser: "alice", hubConfigFile: ".git-annex-xmpprc.json" });
  ({ server, box, hub, hubUuid } = fx);
  [cloneA, ...listeners] = fx.clones as [string, ...string[]];
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
  expect(installed.stdout).toContain("secret: created refs/annex-xmpp/secret");
}, 180_000);

afterEach(() => fx?.stopDaemons());

afterAll(() => fx?.stop());

describe("ref-aware announcements", () => {
  it("one push to a hub with three listening clones that push merges back: all converge, syncs bounded, no ping-pong", async () => {
    for (const repo of listeners) await withPassword(repo);
    const ds = listeners.map((repo) => fx.listen(repo));
    for (const d of ds) await d.waitForLine(/fetched the announcement secret from origin/);
    await allQuiet(ds);
    const since = ds.map((d) => d.lines.length);

    await box.addAnnexedFile(cloneA, "one.txt", "one\n");
    const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
    await box.git(cloneA, ["annex", "sync", "--quiet", "--no-content"]);
    for (const repo of listeners) await merged(repo, commit);
    await allQuiet(ds);

    const syncs = ds.map((d, i) => d.count(/ sync started: /, since[i]));
    // Received, or announced by this agent itself (it sends the queue of the machine these clones share),
    // or a push-back of what was announced, which is not announced again.
    const skipped = ds.map((d, i) => d.count(/skipped sync for the push|every announced commit is already here|nothing new in a queued push/, since[i]));
    const announcements = ds.map((d, i) => d.count(/announcement from/, since[i]));
    console.log(`convergence: syncs per clone ${syncs.join("/")}, skipped ${skipped.join("/")}, announcements ${announcements.join("/")}`);
    const heads = await Promise.all([cloneA, ...listeners].map((r) => box.gitOut(r, ["rev-parse", "HEAD"])));
    expect(new Set(heads).size).toBe(1);
    const annexBranches = await Promise.all([hub, ...listeners].map((r) => box.gitOut(r, ["rev-parse", "refs/heads/git-annex"])));
    console.log(`convergence: git-annex branches ${new Set(annexBranches).size === 1 ? "identical" : "differ"} on hub and clones`);
    // Each clone syncs for A's push and at most for its peers' merges, never in circles.
    for (const n of syncs) expect(n).toBeLessThanOrEqual(3);
    expect(skipped.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 180_000);

  it("checks signatures: a forged MAC is ignored, a signed announcement of known commits skips the fetch, unsigned ones only in compat mode", async () => {
    const [b] = listeners as [string];
    await withPassword(b, { acceptUnsigned: false });
    const d = fx.listen(b);
    await d.waitForLine(/sync finished/);
    const secret = (await box.gitOut(b, ["cat-file", "blob", "refs/annex-xmpp/secret"])).trim();
    const head = await box.gitOut(b, ["rev-parse", "refs/heads/main"]);
    const refs = [{ ref: "refs/heads/main", new: head }];
    const alice = server.account("alice");
    const send = (options: Parameters<typeof encodeAnnouncement>[1]) =>
      sendRawPresence(alice, toXml(encodeAnnouncement({ uuids: [hubUuid], refs, createdAt: Date.now() }, options)));

    let since = d.lines.length;
    await send({ secret: "not the secret" });
    await d.waitForLine(/ignored push from .*: bad MAC/, { since });
    since = d.lines.length;
    await send({});
    await d.waitForLine(/ignored push from .*: unsigned .* acceptUnsigned is off/, { since });
    since = d.lines.length;
    await send({ secret, now: Date.now() - 3_600_000 });
    await d.waitForLine(/ignored push from .*: timestamp/, { since });
    since = d.lines.length;
    await send({ secret, nonce: "replayed-nonce-1" });
    await d.waitForLine(/skipped sync for the push .*every announced commit is already here/, { since });
    since = d.lines.length;
    await send({ secret, nonce: "replayed-nonce-1" });
    await d.waitForLine(/ignored push from .*: replayed/, { since });
    expect(d.count(/sync started/, since)).toBe(0);
  });

  it("by default, a clone that has the secret ignores unsigned announcements: leaving the MAC out forges nothing", async () => {
    const [b] = listeners as [string];
    await withPassword(b);
    const d = fx.listen(b);
    await d.waitForLine(/sync finished/);
    const head = await box.gitOut(b, ["rev-parse", "refs/heads/main"]);
    const since = d.lines.length;
    const unsigned = encodeAnnouncement({ uuids: [hubUuid], refs: [{ ref: "refs/heads/main", new: head }], createdAt: Date.now() });
    await sendRawPresence(server.account("alice"), toXml(unsigned));
    await d.waitForLine(/ignored push from .*: unsigned .* acceptUnsigned is off/, { since });
    expect(d.count(/sync started/, since)).toBe(0);
  });
});

describe("one login, cached", () => {
  it("keeps the salted SCRAM key 0600 in the state dir, and logs in with it once the password is gone", async () => {
    const cache = join(box.home, ".local", "state", "git-annex-xmpp", "scram-keys.json");
    const [b] = listeners as [string];
    await withPassword(b);
    let d = fx.listen(b);
    await d.waitForLine(/connected as alice@localhost\//);
    await d.stop();
    expect((await stat(cache)).mode & 0o777).toBe(0o600);

    await fx.configure(b, "alice");
    await rm(join(box.root, "alice.credentials"));
    d = fx.listen(b);
    await d.waitForLine(/connected as alice@localhost\//);
    expect(d.lines.join("\n")).not.toContain("alice-pw");
  });
});
