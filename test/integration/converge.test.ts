/**
 * Ref-aware, signed announcements (issue 4 item 4, DESIGN.md §2.2) and the
 * cached login (item 3), with real prosody, git-annex and the built CLI:
 * three listening clones that all sync and push their merges back settle
 * after one push; signed announcements are checked; a host logs in with
 * only the cached SCRAM key.
 */
import { chmod, mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeAnnouncement } from "../../src/notify/announcement.js";
import { toXml } from "../../src/xmpp/element.js";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { runCli, startDaemon, type Daemon } from "../support/cli.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";
import { sendRawPresence } from "../support/slixmpp.js";
import { waitFor } from "../support/wait.js";

let server: ProsodyServer;
let box: AnnexSandbox;
let hub: string;
let cloneA: string;
let listeners: string[];
let hubUuid: string;
const daemons: Daemon[] = [];
const PASSWORDS = { alice: "alice-pw" };

async function configure(repo: string, values: Record<string, unknown>) {
  const file = repo === hub ? join(repo, ".git-annex-xmpprc.json") : join(repo, ".git", "git-annex-xmpp.config.json");
  await writeFile(file, JSON.stringify({ jid: server.jid("alice"), ...values }));
}

async function withPassword(repo: string, extra: Record<string, unknown> = {}) {
  const creds = join(box.root, "alice.credentials");
  await writeFile(creds, `${PASSWORDS.alice}\n`, { mode: 0o600 });
  await chmod(creds, 0o600);
  await configure(repo, { credentialsFile: creds, ...extra });
}

function listen(repo: string): Daemon {
  const daemon = startDaemon(["listen", "--verbose", "--repo", repo], { env: box.env });
  daemons.push(daemon);
  return daemon;
}

async function merged(repo: string, commit: string) {
  await waitFor(async () => (await box.git(repo, ["merge-base", "--is-ancestor", commit, "HEAD"]).catch(() => undefined))?.exitCode === 0, {
    timeoutMs: 60_000,
    what: `commit ${commit} merged in ${repo}`,
  });
}

/** Quiet: no sync running and no new log line for `quietMs`, in every daemon. */
async function allQuiet(list: Daemon[], quietMs = 4_000) {
  const seen = list.map(() => -1);
  let since = Date.now();
  await waitFor(
    () => {
      list.forEach((d, i) => {
        if (d.lines.length !== seen[i]) [seen[i], since] = [d.lines.length, Date.now()];
      });
      const busy = list.some((d) => d.count(/ sync started: /) > d.count(/ sync (finished|failed)/));
      return !busy && Date.now() - since >= quietMs;
    },
    { timeoutMs: 90_000, intervalMs: 100, what: "every listener to go quiet" },
  );
}

beforeAll(async () => {
  server = await startProsody({ accounts: PASSWORDS });
  box = await createAnnexSandbox();
  const userDir = join(box.home, ".config", "git-annex-xmpp");
  await mkdir(userDir, { recursive: true });
  await writeFile(join(userDir, "config.json"), JSON.stringify({ server: server.host, port: server.port, ca: server.caFile }));
  hub = await box.makeHub(join(box.root, "hub.git"));
  cloneA = await box.cloneRepo(hub, join(box.root, "a"), "clone-a");
  listeners = [];
  for (const name of ["b", "c", "d"]) listeners.push(await box.cloneRepo(hub, join(box.root, name), `clone-${name}`));
  hubUuid = await box.annexUuid(hub);
  await box.addAnnexedFile(cloneA, "zero.txt", "zero\n");
  for (const repo of [cloneA, ...listeners]) await box.git(repo, ["annex", "sync", "--quiet"]);
  await withPassword(hub);
  const installed = await runCli(["install-hooks", "--repo", hub], { env: box.env });
  expect(installed.exitCode, installed.stderr).toBe(0);
  expect(installed.stdout).toContain("secret: created refs/annex-xmpp/secret");
}, 180_000);

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
});

afterAll(async () => {
  await box?.cleanup();
  await server?.stop();
});

describe("ref-aware announcements", () => {
  it("one push to a hub with three listening clones that push merges back: all converge, syncs bounded, no ping-pong", async () => {
    for (const repo of listeners) await withPassword(repo);
    const ds = listeners.map(listen);
    for (const d of ds) await d.waitForLine(/fetched the announcement secret from origin/);
    await allQuiet(ds);
    const since = ds.map((d) => d.lines.length);

    await box.addAnnexedFile(cloneA, "one.txt", "one\n");
    const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
    await box.git(cloneA, ["annex", "sync", "--quiet", "--no-content"]);
    for (const repo of listeners) await merged(repo, commit);
    await allQuiet(ds);

    const syncs = ds.map((d, i) => d.count(/ sync started: /, since[i]));
    const skipped = ds.map((d, i) => d.count(/skipped sync for the push/, since[i]));
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
    const d = listen(b);
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
});

describe("one login, cached", () => {
  it("keeps the salted SCRAM key 0600 in the state dir, and logs in with it once the password is gone", async () => {
    const cache = join(box.home, ".local", "state", "git-annex-xmpp", "scram-keys.json");
    const [b] = listeners as [string];
    await withPassword(b);
    let d = listen(b);
    await d.waitForLine(/connected as alice@localhost\//);
    await d.stop();
    expect((await stat(cache)).mode & 0o777).toBe(0o600);

    await configure(b, {});
    await rm(join(box.root, "alice.credentials"));
    d = listen(b);
    await d.waitForLine(/connected as alice@localhost\//);
    expect(d.lines.join("\n")).not.toContain("alice-pw");
  });
});
