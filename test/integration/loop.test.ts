/**
 * The whole loop with real components: a private prosody, a bare hub and
 * two clones made by git-annex, our hooks on the hub, and the built CLI.
 * Clone A pushes; the listener in clone B pulls it by itself.
 */
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnnexSandbox } from "../support/annex.js";
import { runCli } from "../support/cli.js";
import { pushPresenceXml, startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import type { ProsodyServer } from "../support/prosody.js";
import { observePresences, sendRawPresence } from "../support/slixmpp.js";

const PASSWORDS = { alice: "alice-pw", bob: "bob-pw", carol: "carol-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let server: ProsodyServer;
let box: AnnexSandbox;
let hub: string;
let cloneA: string;
let cloneB: string;
let hubUuid: string;

async function headOf(repo: string): Promise<string> {
  return box.gitOut(repo, ["rev-parse", "HEAD"]);
}

/** Waits until B's checked-out branch has A's commit. */
const arrived = (commit: string) => fx.merged(cloneB, commit);

beforeAll(async () => {
  fx = await startLoopFixture({
    accounts: PASSWORDS,
    rosters: [
      ["alice", "bob"],
      ["carol", "bob"],
    ],
    clones: ["a", "b"],
    hubUser: "alice",
  });
  ({ server, box, hub, hubUuid } = fx);
  [cloneA, cloneB] = fx.clones as [string, string];
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
  expect(installed.stdout).toContain("post-receive: created");
}, 120_000);

afterEach(() => fx?.stopDaemons());

afterAll(() => fx?.stop());

/**
 * A commits and pushes to the hub, whose hook runs notify. By default the
 * hub's notify gets a state directory of its own, as on a hub that is
 * another machine: its own queue, which no agent there sends: the hook starts a sender.
 */
async function pushFromA(name: string, sameMachine = false, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  await box.addAnnexedFile(cloneA, name, `content of ${name}\n`);
  const commit = await headOf(cloneA);
  const env = { ...(sameMachine ? box.env : fx.hubMachineEnv), ...extraEnv };
  await execa("git", ["-C", cloneA, "annex", "sync", "--quiet", "--no-content"], { env, extendEnv: false, stdin: "ignore" });
  return commit;
}

describe("hook → XMPP → listener → git annex sync", () => {
  it("a push from A reaches B through the same account's other resource", async () => {
    await fx.useAccount(cloneB, "alice");
    const b = fx.listen(cloneB);
    await b.waitForLine(/connected as alice@localhost\//);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    const commit = await pushFromA("one.txt");
    await b.waitForLine(/announcement from alice@localhost\/.*push of/, { since });
    await arrived(commit);
    // The annexed file is there as git-annex's symlink.
    expect(await box.gitOut(cloneB, ["ls-files", "one.txt"])).toBe("one.txt");
  });

  it("sealed: nobody without the hub's secret sees the UUID; B unseals and syncs", async () => {
    await fx.useAccount(cloneB, "alice");
    const b = fx.listen(cloneB);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    // bob is subscribed to alice: the server fans alice's presence out to him.
    const observer = await observePresences(server.account("bob"));
    try {
      const commit = await pushFromA("sealed.txt", false, { GIT_ANNEX_XMPP_SEALED: "true" });
      await b.waitForLine(new RegExp(`announcement from alice@localhost/.*push of ${hubUuid} \\(sealed\\)`), { since });
      await arrived(commit);
      const seen = await observer.waitFor((p) => p.xml.includes("urn:git-annex-xmpp:push:0"), 10_000);
      expect(seen.xml).not.toContain(hubUuid);
      expect(seen.xml).toMatch(/push="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"/);
    } finally {
      await observer.stop();
    }
  });

  it("on one machine, the hub's hook queues the push; the running agent sends it and also syncs its own clone", async () => {
    await fx.useAccount(cloneB, "alice");
    const b = fx.listen(cloneB);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    const commit = await pushFromA("queued.txt", true);
    await b.waitForLine(new RegExp(`announced ${hubUuid} .*for ${hub} as alice@localhost`), { since });
    await arrived(commit);
    expect(b.count(/sync started: origin \(announced for /, since)).toBeGreaterThan(0);
  });

  it("a buddy account's announcement is accepted; a subscribed stranger's is ignored", async () => {
    await fx.useAccount(cloneB, "bob", { buddies: [server.jid("alice")] });
    const b = fx.listen(cloneB);
    await b.waitForLine(/connected as bob@localhost\//);
    await b.waitForLine(/sync finished/);
    let since = b.lines.length;
    const commit = await pushFromA("two.txt");
    await b.waitForLine(/announcement from alice@localhost/, { since });
    await arrived(commit);

    since = b.lines.length;
    const push = pushPresenceXml(hubUuid);
    await sendRawPresence(server.account("carol"), push);
    await b.waitForLine(/ignored push of .*carol@localhost.* is neither our account nor a buddy/, { since });
    expect(b.count(/announcement from carol/, since)).toBe(0);
    expect(b.count(/sync started.*carol/)).toBe(0);
  });

  it("interoperates with slixmpp: its git-annex presence makes the listener sync, and it sees notify's presence", async () => {
    // git-annex's own clients cannot sign: the user allows unsigned announcements.
    await fx.useAccount(cloneB, "alice", { acceptUnsigned: true });
    const b = fx.listen(cloneB);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    // A pushes with our hook switched off: only slixmpp will announce it.
    await box.addAnnexedFile(cloneA, "three.txt", "three\n");
    const commit = await headOf(cloneA);
    await box.git(cloneA, ["-c", "core.hooksPath=/dev/null", "annex", "sync", "--quiet", "--no-content"]);
    const observer = await observePresences(server.account("bob"));
    try {
      const push = pushPresenceXml(hubUuid);
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
    // git-annex's own clients cannot sign: the user allows unsigned announcements.
    await fx.useAccount(cloneB, "alice", { acceptUnsigned: true });
    const b = fx.listen(cloneB);
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
