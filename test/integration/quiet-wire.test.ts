/**
 * Quiet wire (issue 12 item 7): one user push makes at most one presence
 * per announcing machine and one sync per listening clone. The hub is
 * another machine behind a private sshd; A, B and C are machines of their
 * own. `git annex sync` pushes three times (Command/Sync.hs pushBranch);
 * a pre-receive hook on the hub holds every push that moves no synced/
 * branch for 300 ms, so the three are always far apart — further than any
 * coalescing window — as they are over a slow link. A slixmpp observer on
 * the account counts the presences on the wire.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli, startDaemon, type Daemon } from "../support/cli.js";
import { startLoopFixture, waitForQuiet, type LoopFixture } from "../support/loop-fixture.js";
import { observePresences, type ObservedPresence, type PresenceObserver } from "../support/slixmpp.js";
import { sshClones, type SshClones } from "../support/ssh-clones.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { waitFor } from "../support/wait.js";

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw" };
/** Holds the later pushes of a `git annex sync` (those that move no synced/ branch). */
const SLOW_PRE_RECEIVE = `#!/bin/sh
refs=$(cat)
case "$refs" in *refs/heads/synced/*) ;; *) sleep 0.3 ;; esac
exit 0
`;

let fx: LoopFixture<keyof typeof PASSWORDS>;
let sshd: Sshd;
let hubDir: string;
let hubUuid: string;
let cloneA: string;
let cloneB: string;
let cloneC: string;
let observer: PresenceObserver;
const daemons: Daemon[] = [];

let clones: SshClones;
let env: SshClones["env"];
const gitIn: SshClones["gitIn"] = (...args) => clones.gitIn(...args);
const headOf: SshClones["headOf"] = (...args) => clones.headOf(...args);
const commitIn: SshClones["commitIn"] = (...args) => clones.commitIn(...args);

/** `listen` on a machine, synced and quiet; with the full JID its presences come from. */
async function listenOn(machine: string, repo: string): Promise<Daemon & { jid: string }> {
  const daemon = startDaemon(["listen", "--verbose", "--repo", repo], { env: env[machine]! });
  daemons.push(daemon);
  const line = await daemon.waitForLine(/connected as \S+/, { timeoutMs: 60_000 });
  await waitForQuiet([daemon], { quietMs: 1500, timeoutMs: 60_000 });
  return Object.assign(daemon, { jid: /connected as (\S+)/.exec(line)![1]! });
}

const pushesOf = (since: number, from: (p: ObservedPresence) => boolean) =>
  observer.presences.slice(since).filter((p) => p.xml.includes(`push="${hubUuid}"`) && from(p));
const carrying = (sha: string) => (p: ObservedPresence) => p.xml.includes(sha);
const syncsIn = (daemon: Daemon, since: number) => daemon.count(/ sync started: /, since);

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, rosters: [["alice", "bob"]], clones: [], hubUser: "alice" });
  sshd = await startSshd({ dir: join(fx.box.root, "sshd") });
  clones = sshClones(fx, sshd, "alice");
  env = clones.env;
  hubDir = join(sshd.hub.home, "hub.git");
  env.hub = sshd.hub.env;
  const userDir = join(sshd.hub.env.XDG_CONFIG_HOME!, "git-annex-xmpp");
  await mkdir(userDir, { recursive: true });
  await writeFile(join(userDir, "config.json"), JSON.stringify({ server: fx.server.host, port: fx.server.port, ca: fx.server.caFile }));
  await gitIn("hub", sshd.hub.home, ["init", "--bare", "--quiet", hubDir]);
  await gitIn("hub", hubDir, ["annex", "init", "hub"]);
  hubUuid = (await gitIn("hub", hubDir, ["config", "annex.uuid"])).stdout.trim();
  await writeFile(join(hubDir, "hooks", "pre-receive"), SLOW_PRE_RECEIVE);
  await chmod(join(hubDir, "hooks", "pre-receive"), 0o755);
  cloneA = await clones.cloneOn("a", await sshd.machine("a"), hubDir, { first: "zero.txt" });
  cloneB = await clones.cloneOn("b", await sshd.machine("b"), hubDir);
  cloneC = await clones.cloneOn("c", await sshd.machine("c"), hubDir);
  // The hub's secret, made by A: every announcement is signed.
  const secret = await runCli(["secret", "init", "--remote", "origin", "--repo", cloneA], { env: env.a! });
  expect(secret.exitCode, secret.stderr).toBe(0);
  observer = await observePresences(fx.server.account("alice"));
}, 240_000);

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
});
afterAll(async () => {
  await observer?.stop();
  await sshd?.stop();
  await fx?.stop();
});

describe("a hub without our hook: A's agent announces its pushes", { timeout: 240_000 }, () => {
  it("A's `git annex sync` (three pushes 300 ms apart): one presence from A, one sync in B and in C", async () => {
    const [a, b, c] = [await listenOn("a", cloneA), await listenOn("b", cloneB), await listenOn("c", cloneC)];
    const since = observer.presences.length;
    const marks = [b.lines.length, c.lines.length];
    const commit = await commitIn("a", cloneA, "own-sync.txt");
    await gitIn("a", cloneA, ["annex", "sync", "--quiet", "--no-content"]);
    await fx.merged(cloneB, commit, 60_000);
    await fx.merged(cloneC, commit, 60_000);
    await waitForQuiet([a, b, c], { quietMs: 3000, timeoutMs: 90_000 });
    expect(pushesOf(since, (p) => p.from === a.jid)).toHaveLength(1);
    expect([syncsIn(b, marks[0]!), syncsIn(c, marks[1]!)]).toEqual([1, 1]);
  });

  it("a plain `git push`: B's and C's push-backs of the commit A announced cost no presence and no sync", async () => {
    const [a, b, c] = [await listenOn("a", cloneA), await listenOn("b", cloneB), await listenOn("c", cloneC)];
    const since = observer.presences.length;
    const marks = [a.lines.length, b.lines.length, c.lines.length];
    const commit = await commitIn("a", cloneA, "own-push.txt");
    await gitIn("a", cloneA, ["push", "--quiet", "origin", "HEAD"]);
    await fx.merged(cloneB, commit, 60_000);
    await fx.merged(cloneC, commit, 60_000);
    await waitForQuiet([a, b, c], { quietMs: 3000, timeoutMs: 90_000 });
    expect(pushesOf(since, (p) => p.from === a.jid)).toHaveLength(1);
    // They did push back (synced/<branch> moved to A's commit), and said nothing about it.
    expect(await headOf("hub", hubDir, "refs/heads/synced/main")).toBe(commit);
    expect(pushesOf(since, (p) => p.from === b.jid || p.from === c.jid)).toHaveLength(0);
    expect([syncsIn(a, marks[0]!), syncsIn(b, marks[1]!), syncsIn(c, marks[2]!)]).toEqual([0, 1, 1]);
  });
});

describe("a hub without our hook: A's client hook announces its pushes", { timeout: 240_000 }, () => {
  it("with no agent in A, `install-hooks --client`: A's `git annex sync` makes one presence from A's senders", async () => {
    const installed = await runCli(["install-hooks", "--client", "--repo", cloneA], { env: env.a! });
    expect(installed.exitCode, installed.stderr).toBe(0);
    try {
      const b = await listenOn("b", cloneB);
      const since = observer.presences.length;
      const mark = b.lines.length;
      const commit = await commitIn("a", cloneA, "client-hook.txt");
      await gitIn("a", cloneA, ["annex", "sync", "--quiet", "--no-content"]);
      await fx.merged(cloneB, commit, 60_000);
      await waitForQuiet([b], { quietMs: 4000, timeoutMs: 90_000 });
      // Each push's hook starts a detached sender of its own (no agent holds A's queue).
      expect(pushesOf(since, (p) => /\/git-annex-xmpp-sender\./.test(p.from))).toHaveLength(1);
      expect(syncsIn(b, mark)).toBe(1);
    } finally {
      await runCli(["uninstall-hooks", "--repo", cloneA], { env: env.a! });
    }
  });
});

describe("the hub's hook", { timeout: 240_000 }, () => {
  beforeAll(async () => {
    const installed = await runCli(["install-hooks", "--repo", hubDir], { env: env.hub! });
    expect(installed.exitCode, installed.stderr).toBe(0);
    await writeFile(join(hubDir, "git-annex-xmpp.config.json"), JSON.stringify({ jid: fx.server.jid("alice"), credentialsFile: join(fx.box.root, "alice.credentials") }));
  });

  it("no agent on the hub: A's `git annex sync` makes one presence from the hub's senders, one sync in B", async () => {
    const b = await listenOn("b", cloneB);
    const since = observer.presences.length;
    const mark = b.lines.length;
    const commit = await commitIn("a", cloneA, "hub-sender.txt");
    await gitIn("a", cloneA, ["annex", "sync", "--quiet", "--no-content"]);
    await fx.merged(cloneB, commit, 60_000);
    await waitForQuiet([b], { quietMs: 4000, timeoutMs: 90_000 });
    // Each of the hub's pushes starts a detached sender of its own (no agent holds the queue there).
    expect(pushesOf(since, (p) => /\/git-annex-xmpp-sender\./.test(p.from))).toHaveLength(1);
    expect(syncsIn(b, mark)).toBe(1);
  });

  it("an agent on the hub: A's `git annex sync --content` makes one presence for A's push, one sync in B, whose own push-back costs it no second sync", async () => {
    const [h, b] = [await listenOn("hub", hubDir), await listenOn("b", cloneB)];
    const since = observer.presences.length;
    const mark = b.lines.length;
    const commit = await commitIn("a", cloneA, "hub-agent.txt");
    await gitIn("a", cloneA, ["annex", "sync", "--quiet", "--content"]);
    const annexOfA = await headOf("a", cloneA, "refs/heads/git-annex");
    await fx.merged(cloneB, commit, 60_000);
    // B gets the content from the hub (after the merge) and pushes back where it is now (its git-annex branch).
    const hasContent = async () => (await gitIn("b", cloneB, ["annex", "find", "--in", "here", "--", "hub-agent.txt"])).stdout === "hub-agent.txt";
    await waitFor(hasContent, { timeoutMs: 60_000, what: "B to get the content" });
    await waitForQuiet([h, b], { quietMs: 4000, timeoutMs: 90_000 });
    expect(pushesOf(since, (p) => p.from === h.jid && carrying(commit)(p))).toHaveLength(1);
    expect(pushesOf(since, (p) => p.from === h.jid && carrying(annexOfA)(p))).toHaveLength(1);
    // The hub announced B's push-back (where the content is now is news for other clones).
    expect(pushesOf(since, (p) => p.from === h.jid && !carrying(commit)(p)).length).toBeGreaterThanOrEqual(1);
    // B's own push-back, announced by the hub, cost B no second sync.
    expect(syncsIn(b, mark)).toBe(1);
  });

  it("the hub and A's agent (another account, a buddy) both announce A's push: B, whose fetch is slow, syncs once", async () => {
    // Two audiences, so both announce: A's agent as bob, whom B accepts as a buddy.
    await fx.useAccount(cloneA, "bob", { buddies: [fx.server.jid("alice")] });
    await fx.useAccount(cloneB, "alice", { buddies: [fx.server.jid("bob")] });
    const [h, a, b] = [await listenOn("hub", hubDir), await listenOn("a", cloneA), await listenOn("b", cloneB)];
    // Every fetch that brings objects takes a second (uploadpack.packObjectsHook, read from the hub's global config only):
    // the second announcement always arrives while B's sync still fetches.
    const gitconfig = join(sshd.hub.home, ".gitconfig");
    const original = await readFile(gitconfig, "utf8");
    const slowPack = join(sshd.hub.home, "slow-pack-objects");
    await writeFile(slowPack, '#!/bin/sh\nsleep 1\nexec "$@"\n', { mode: 0o755 });
    await writeFile(gitconfig, `${original}[uploadpack]\n\tpackObjectsHook = ${slowPack}\n`);
    try {
      const since = observer.presences.length;
      const mark = b.lines.length;
      const commit = await commitIn("a", cloneA, "two-announcers.txt");
      await gitIn("a", cloneA, ["push", "--quiet", "origin", "HEAD"]);
      await fx.merged(cloneB, commit, 60_000);
      await waitForQuiet([h, a, b], { quietMs: 4000, timeoutMs: 90_000 });
      expect(syncsIn(b, mark)).toBe(1);
      // One from each machine (the hub's agent does not announce B's push-back of that commit).
      expect(pushesOf(since, (p) => (p.from === h.jid || p.from === a.jid) && carrying(commit)(p))).toHaveLength(2);
    } finally {
      await writeFile(gitconfig, original);
      await fx.useAccount(cloneA, "alice");
      await fx.useAccount(cloneB, "alice");
    }
  });

  it("a ref moved to an old commit is still announced, alone or beside a new commit, and merged; so is a new branch at a commit just announced", async () => {
    const [h, b] = [await listenOn("hub", hubDir), await listenOn("b", cloneB)];
    const older = await commitIn("a", cloneA, "old-1.txt");
    const old = await commitIn("a", cloneA, "old-2.txt");
    await gitIn("a", cloneA, ["push", "--quiet", "origin", "HEAD"]);
    await fx.merged(cloneB, old, 60_000);
    await waitForQuiet([h, b], { quietMs: 2000, timeoutMs: 60_000 });
    const sideAt = (sha: string) => (p: ObservedPresence) =>
      p.from === h.jid && new RegExp(`<ref [^>]*refs/heads/side[^>]*${sha}|<ref [^>]*${sha}[^>]*refs/heads/side`).test(p.xml);

    // side, never announced, at the commit main was announced at moments ago.
    let since = observer.presences.length;
    await gitIn("a", cloneA, ["push", "--quiet", "origin", `+${old}:refs/heads/side`]);
    await observer.waitFor(sideAt(old), 30_000, { since, what: "the announcement of side at an old commit" });

    // A new commit, and side forced back to an older one, in one push (git-annex's notifier loses these).
    since = observer.presences.length;
    const commit = await commitIn("a", cloneA, "with-old-ref.txt");
    await gitIn("a", cloneA, ["push", "--quiet", "origin", "HEAD", `+${older}:refs/heads/side`]);
    await fx.merged(cloneB, commit, 60_000);
    const seen = await observer.waitFor((p) => p.from === h.jid && carrying(commit)(p), 30_000, { since, what: "the announcement of the push" });
    expect(sideAt(older)(seen)).toBe(true);

    // A new branch at the commit main was just announced at is a new ref: announced too.
    since = observer.presences.length;
    await gitIn("a", cloneA, ["push", "--quiet", "origin", `${commit}:refs/heads/feature`]);
    await observer.waitFor((p) => p.from === h.jid && p.xml.includes("refs/heads/feature"), 30_000, { since, what: "the announcement of a new branch" });
  });
});
