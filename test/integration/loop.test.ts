/**
 * The whole loop with real components: a private prosody, a bare hub and
 * two clones made by git-annex, our hooks on the hub, and the built CLI.
 * Clone A pushes; the listener in clone B pulls it by itself.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { runCli, startDaemon, type Daemon } from "../support/cli.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";
import { observePresences, sendRawPresence } from "../support/slixmpp.js";
import { waitFor } from "../support/wait.js";

let server: ProsodyServer;
let box: AnnexSandbox;
let hub: string;
let cloneA: string;
let cloneB: string;
let hubUuid: string;
const daemons: Daemon[] = [];

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw", carol: "carol-pw" };

/**
 * A per-account credentials file (0600) and the repository's private config
 * naming it: in a bare hub's own directory, in a clone's .git directory
 * (never its work tree, which anyone who pushes can change).
 */
async function useAccount(repo: string, user: keyof typeof PASSWORDS, extra: Record<string, unknown> = {}) {
  const creds = join(box.root, `${user}.credentials`);
  await writeFile(creds, `${PASSWORDS[user]}\n`, { mode: 0o600 });
  await chmod(creds, 0o600);
  const configDir = repo === hub ? hub : join(repo, ".git");
  await writeFile(join(configDir, "git-annex-xmpp.config.json"), JSON.stringify({ jid: server.jid(user), credentialsFile: creds, ...extra }));
}

function listen(repo: string, env = box.env): Daemon {
  const daemon = startDaemon(["listen", "--verbose", "--repo", repo], { env });
  daemons.push(daemon);
  return daemon;
}

async function headOf(repo: string): Promise<string> {
  return box.gitOut(repo, ["rev-parse", "HEAD"]);
}

/** Waits until B's checked-out branch has A's commit: asserted through git itself. */
async function arrived(commit: string, repo = cloneB) {
  await waitFor(async () => (await box.git(repo, ["merge-base", "--is-ancestor", commit, "HEAD"]).catch(() => undefined))?.exitCode === 0, {
    timeoutMs: 30_000,
    what: `commit ${commit} merged in ${repo}`,
  });
}

beforeAll(async () => {
  server = await startProsody({
    accounts: PASSWORDS,
    rosters: [
      ["alice", "bob"],
      ["carol", "bob"],
    ],
  });
  box = await createAnnexSandbox();
  // User-wide settings: where the server is, and the CA that signs its certificate.
  const userDir = join(box.home, ".config", "git-annex-xmpp");
  await mkdir(userDir, { recursive: true });
  await writeFile(join(userDir, "config.json"), JSON.stringify({ server: server.host, port: server.port, ca: server.caFile }));

  hub = await box.makeHub(join(box.root, "hub.git"));
  cloneA = await box.cloneRepo(hub, join(box.root, "a"), "clone-a");
  cloneB = await box.cloneRepo(hub, join(box.root, "b"), "clone-b");
  hubUuid = await box.annexUuid(hub);
  // A first commit, so that every clone has a branch to sync.
  await box.addAnnexedFile(cloneA, "zero.txt", "zero\n");
  for (const repo of [cloneA, cloneB]) await box.git(repo, ["annex", "sync", "--quiet"]);
  await useAccount(hub, "alice");
  const installed = await runCli(["install-hooks", "--repo", hub], { env: box.env });
  expect(installed.exitCode, installed.stderr).toBe(0);
  expect(installed.stdout).toContain("post-receive: created");
}, 120_000);

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
});

afterAll(async () => {
  await box?.cleanup();
  await server?.stop();
});

/**
 * A commits and pushes to the hub, whose hook runs notify. By default the
 * hub's notify gets a state directory of its own, as on a hub that is
 * another machine: it finds no listener's hand-off socket and logs in.
 */
async function pushFromA(name: string, sameMachine = false): Promise<string> {
  await box.addAnnexedFile(cloneA, name, `content of ${name}\n`);
  const commit = await headOf(cloneA);
  const env = sameMachine ? box.env : { ...box.env, XDG_STATE_HOME: join(box.root, "hub-machine-state") };
  await execa("git", ["-C", cloneA, "annex", "sync", "--quiet", "--no-content"], { env, extendEnv: false, stdin: "ignore" });
  return commit;
}

describe("hook → XMPP → listener → git annex sync", () => {
  it("a push from A reaches B through the same account's other resource", async () => {
    await useAccount(cloneB, "alice");
    const b = listen(cloneB);
    await b.waitForLine(/connected as alice@localhost\//);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    const commit = await pushFromA("one.txt");
    await b.waitForLine(/announcement from alice@localhost\/.*push of/, { since });
    await arrived(commit);
    // The annexed file is there as git-annex's symlink.
    expect(await box.gitOut(cloneB, ["ls-files", "one.txt"])).toBe("one.txt");
  });

  it("on one machine, the hub's notify hands off to the running listener, which also syncs its own clone", async () => {
    await useAccount(cloneB, "alice");
    const b = listen(cloneB);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    const commit = await pushFromA("handed-off.txt", true);
    await b.waitForLine(/hand-off from notify: /, { since });
    await arrived(commit);
    expect(b.count(/sync started: origin \(hand-off for /, since)).toBeGreaterThan(0);
  });

  it("a buddy account's announcement is accepted; a subscribed stranger's is ignored", async () => {
    await useAccount(cloneB, "bob", { buddies: [server.jid("alice")] });
    const b = listen(cloneB);
    await b.waitForLine(/connected as bob@localhost\//);
    await b.waitForLine(/sync finished/);
    let since = b.lines.length;
    const commit = await pushFromA("two.txt");
    await b.waitForLine(/announcement from alice@localhost/, { since });
    await arrived(commit);

    since = b.lines.length;
    const push = `<presence><show>xa</show><priority>-1</priority><status>git-annex</status><git-annex xmlns='git-annex' push='${hubUuid}'/></presence>`;
    await sendRawPresence(server.account("carol"), push);
    await b.waitForLine(/ignored push of .*carol@localhost.* is neither our account nor a buddy/, { since });
    expect(b.count(/announcement from carol/, since)).toBe(0);
    expect(b.count(/sync started.*carol/)).toBe(0);
  });

  it("interoperates with slixmpp: its git-annex presence makes the listener sync, and it sees notify's presence", async () => {
    await useAccount(cloneB, "alice");
    const b = listen(cloneB);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    // A pushes with our hook switched off: only slixmpp will announce it.
    await box.addAnnexedFile(cloneA, "three.txt", "three\n");
    const commit = await headOf(cloneA);
    await box.git(cloneA, ["-c", "core.hooksPath=/dev/null", "annex", "sync", "--quiet", "--no-content"]);
    const observer = await observePresences(server.account("bob"));
    try {
      const push = `<presence><show>xa</show><priority>-1</priority><status>git-annex</status><git-annex xmlns='git-annex' push='${hubUuid}'/></presence>`;
      await sendRawPresence({ ...server.account("alice") }, push);
      await b.waitForLine(/announcement from alice@localhost/, { since });
      await arrived(commit);

      const notified = await runCli(["notify", "--repo", hub], { env: box.env });
      expect(notified.exitCode, notified.stderr).toBe(0);
      const seen = await observer.waitFor((p) => p.xml.includes(`push="${hubUuid}"`) && !p.from.includes("slixmpp"), 10_000);
      expect(seen.xml).toMatch(new RegExp(`<git-annex xmlns="git-annex" push="${hubUuid}"\\s*/>`));
    } finally {
      await observer.stop();
    }
  });

  it("survives bad input: no crash, no sync, a debug line each", async () => {
    await useAccount(cloneB, "alice");
    const b = listen(cloneB);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    const presence = (tag: string) => `<presence><show>xa</show><priority>-1</priority><status>git-annex</status>${tag}</presence>`;
    const alice = server.account("alice");
    const many = Array.from({ length: 300 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`).join(",");
    const cases: Array<[string, RegExp]> = [
      [presence(`<git-annex xmlns='git-annex' push='${hubUuid}' query=''/>`), /ignored presence .*2 attributes/],
      [presence(`<git-annex xmlns='git-annex' push='11111111-1111-1111-1111-111111111111'/>`), /nothing to sync for push/],
      [presence(`<git-annex xmlns='git-annex' push='${many}'/>`), /nothing to sync for push/],
      [presence(`<git-annex xmlns='git-annex' push='not a uuid; rm -rf'/>`), /ignored presence .*not a UUID/],
      [presence(`<git-annex xmlns='git-annex' push='${"x".repeat(1024 * 1024)}'/>`), /ignored presence .*push attribute of 1048576 characters/],
      [presence(`<git-annex xmlns='git-annex' frobnicate='1'/>`), /ignored presence .*unknown git-annex attribute/],
    ];
    for (const [xml, expected] of cases) {
      const before = b.lines.length;
      await sendRawPresence(alice, xml);
      await b.waitForLine(expected, { since: before });
    }
    expect(b.count(/sync started/, since)).toBe(0);
    expect(b.exited).toBe(false);
    // Still alive and listening: a valid announcement still works.
    const commit = await pushFromA("four.txt");
    await arrived(commit);
  });
});
