/**
 * The targeted transfer scan against real git-annex: a bare hub, clone A
 * that adds files and puts their content in a directory special remote,
 * clone B whose preferred content wants only `*.wanted`, and C, B's twin,
 * which runs `git annex sync --content` for comparison. Most tests drive
 * src/sync directly; the last one goes through the built CLI and prosody.
 */
import { chmod, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { createTargetedSync } from "../../src/sync/targeted.js";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { runCli, startDaemon, type Daemon } from "../support/cli.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";
import { waitFor } from "../support/wait.js";

let box: AnnexSandbox;
let hub: string;
let cloneA: string;
let cloneB: string;
let twin: string;
const savedEnv = { ...process.env };
const WANTED = "include=*.wanted";

/** B's sync as the listener runs it, with its log lines collected. */
function syncOf(repo: string) {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line.trimEnd()) });
  const sync = createTargetedSync({ repo: { dir: repo, gitDir: join(repo, ".git") }, log, syncArgs: [], fullScanEveryMs: 3_600_000 });
  return { lines, run: () => sync(["origin"]) };
}

async function inHere(repo: string): Promise<string[]> {
  const out = await box.gitOut(repo, ["annex", "find", "--in", "here"]);
  return out.split("\n").filter(Boolean).sort();
}

/** A adds files, optionally sends their content to the special remote, and pushes to the hub. */
async function addInA(names: string[], toSpecialRemote = true): Promise<void> {
  for (const name of names) await box.addAnnexedFile(cloneA, name, `content of ${name}\n`);
  if (toSpecialRemote) await box.git(cloneA, ["annex", "copy", "--quiet", "--to", "dirremote", "--", ...names]);
  await box.git(cloneA, ["annex", "sync", "--quiet", "--no-content", "origin"]);
}

beforeAll(async () => {
  box = await createAnnexSandbox("gax-targeted-");
  // The modules under test run git through src/git/run.ts, which starts from process.env.
  Object.assign(process.env, box.env);
  const dir = join(box.root, "special");
  await mkdir(dir);
  hub = await box.makeHub(join(box.root, "hub.git"));
  cloneA = await box.cloneRepo(hub, join(box.root, "a"), "clone-a");
  await box.git(cloneA, ["annex", "initremote", "dirremote", "type=directory", `directory=${dir}`, "encryption=none"]);
  await box.addAnnexedFile(cloneA, "zero.wanted", "zero\n");
  await box.git(cloneA, ["annex", "copy", "--quiet", "--to", "dirremote", "zero.wanted"]);
  await box.git(cloneA, ["annex", "sync", "--quiet", "--no-content", "origin"]);
  for (const [name, path] of [["clone-b", "b"], ["twin", "twin"]] as const) {
    const repo = await box.cloneRepo(hub, join(box.root, path), name);
    await box.git(repo, ["annex", "enableremote", "dirremote", `directory=${dir}`]);
    await box.git(repo, ["annex", "wanted", "here", WANTED]);
    if (name === "clone-b") cloneB = repo;
    else twin = repo;
  }
  // Repositories and special remotes that do not set preferred content want
  // everything: let the hub and the special remote want nothing new from B.
  await box.git(cloneA, ["annex", "wanted", "origin", "exclude=*"]);
  await box.git(cloneA, ["annex", "wanted", "dirremote", "present"]);
  await box.git(cloneA, ["annex", "sync", "--quiet", "--no-content", "origin"]);
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  await box?.cleanup();
});

describe("targeted transfer scan", () => {
  it("first sync is a full scan; then B gets exactly what its preferred content wants", async () => {
    const b = syncOf(cloneB);
    await b.run();
    expect(b.lines.join("\n")).toMatch(/full transfer scan: first sync of this repository/);
    expect(await inHere(cloneB)).toEqual(["zero.wanted"]);

    await addInA(["one.wanted", "two.wanted", "one.other", "sub/dir/two.other"]);
    const since = b.lines.length;
    await b.run();
    const log = b.lines.slice(since).join("\n");
    expect(log).not.toMatch(/full transfer scan/);
    expect(log).toMatch(/transfers \(targeted scan of 4 path\(s\)\): got 2, .* failed 0/);
    expect(await inHere(cloneB)).toEqual(["one.wanted", "two.wanted", "zero.wanted"]);
  });

  it("content that reaches the special remote later is fetched through the git-annex branch", async () => {
    const b = syncOf(cloneB);
    await addInA(["late.wanted", "late.other"], false);
    await b.run();
    // Nobody reachable has its content: not a failure retried on every sync, but waiting for the location log to change.
    expect(b.lines.join("\n")).toMatch(/failed 0, waiting for content 1;/);
    expect(b.lines.join("\n")).toMatch(/waiting for content: 1 file\(s\) no reachable remote has \(late\.wanted: not available\)/);
    expect(await inHere(cloneB)).not.toContain("late.wanted");

    // Only the git-annex branch changes: A's copy records dirremote in the location log.
    await box.git(cloneA, ["annex", "copy", "--quiet", "--to", "dirremote", "late.wanted", "late.other"]);
    const annexBefore = await box.gitOut(hub, ["rev-parse", "git-annex"]);
    const mainBefore = await box.gitOut(hub, ["rev-parse", "main"]);
    await box.git(cloneA, ["annex", "sync", "--quiet", "--no-content", "origin"]);
    expect(await box.gitOut(hub, ["rev-parse", "git-annex"])).not.toBe(annexBefore);
    expect(await box.gitOut(hub, ["rev-parse", "main"])).toBe(mainBefore);

    const since = b.lines.length;
    await b.run();
    expect(b.lines.slice(since).join("\n")).toMatch(/targeted scan of 2 path\(s\)\): got 1, .* failed 0/);
    expect(await inHere(cloneB)).toContain("late.wanted");
    expect(await inHere(cloneB)).not.toContain("late.other");
  });

  it("ends where `git annex sync --content` on a twin clone ends", async () => {
    await addInA(["three.wanted", "three.other", "deep/er/four.wanted"]);
    await syncOf(cloneB).run();
    await box.git(twin, ["annex", "sync", "--quiet", "--content", "origin", "dirremote"]);
    const expected = await inHere(twin);
    expect(expected).toContain("deep/er/four.wanted");
    expect(await inHere(cloneB)).toEqual(expected);
  });

  it("falls back to a full scan, and says so, when the hub's history was rewritten", async () => {
    const b = syncOf(cloneB);
    await b.run();
    // Amend the commit the hub already has, so the hub's branch no longer contains it.
    await writeFile(join(cloneA, "five.wanted"), "five\n");
    await box.git(cloneA, ["annex", "add", "--quiet", "five.wanted"]);
    await box.git(cloneA, ["commit", "--quiet", "--amend", "-m", "rewritten"]);
    await box.git(cloneA, ["annex", "copy", "--quiet", "--to", "dirremote", "five.wanted"]);
    await box.git(cloneA, ["push", "--quiet", "--force", "origin", "main", "main:synced/main", "git-annex"]);
    const since = b.lines.length;
    await b.run();
    const log = b.lines.slice(since).join("\n");
    expect(log).toMatch(/full transfer scan: history rewritten on the remote \(origin\/(synced\/)?main/);
    expect(log).toMatch(/transfers \(full scan\)/);
    expect(await inHere(cloneB)).toContain("five.wanted");
  });

  it("pulls a fast-forward with git and commits the journal once, in the push", async () => {
    const b = syncOf(cloneB);
    await b.run();
    await addInA(["seven.wanted", "seven.other"]);
    const since = b.lines.length;
    await b.run();
    expect(b.lines.slice(since).join("\n")).not.toMatch(/pulled with git annex sync/);
    expect(b.lines.slice(since).join("\n")).toMatch(/targeted scan of 2 path\(s\)\): got 1, .* failed 0/);
    expect(await inHere(cloneB)).toContain("seven.wanted");
    // Nothing is left in the journal, and B's location change for seven.wanted reached the hub.
    expect(await readdir(join(cloneB, ".git", "annex", "journal")).catch(() => [])).toEqual([]);
    expect(await box.gitOut(hub, ["rev-parse", "git-annex"])).toBe(await box.gitOut(cloneB, ["rev-parse", "git-annex"]));
    const key = await box.gitOut(cloneB, ["annex", "lookupkey", "seven.wanted"]);
    const logPath = await box.gitOut(cloneB, ["annex", "examinekey", "--format=${hashdirlower}${key}.log", key]);
    expect(await box.gitOut(hub, ["show", `git-annex:${logPath}`])).toContain(await box.gitOut(cloneB, ["config", "annex.uuid"]));
  });

  it("leaves a diverged branch to git annex sync, which merges it", async () => {
    const b = syncOf(cloneB);
    await b.run();
    await writeFile(join(cloneB, "local-note.txt"), "B's own commit\n");
    await box.git(cloneB, ["add", "local-note.txt"]);
    await box.git(cloneB, ["commit", "--quiet", "-m", "B alone"]);
    await addInA(["eight.wanted"]);
    const since = b.lines.length;
    await b.run();
    const log = b.lines.slice(since).join("\n");
    expect(log).toMatch(/pulled with git annex sync: not a fast-forward/);
    expect(log).toMatch(/targeted scan of 1 path\(s\)\): got 1, .* failed 0/);
    expect(await inHere(cloneB)).toContain("eight.wanted");
    // The merge went back to the hub with B's commit in it.
    expect(await box.gitOut(hub, ["log", "--format=%s", "synced/main"])).toMatch(/B alone/);
  });

  it("commits a modified work tree in the push, as git annex sync does", async () => {
    const b = syncOf(cloneB);
    await b.run();
    await writeFile(join(cloneB, "local-note.txt"), "B edited this, uncommitted\n");
    await addInA(["nine.other"]);
    await b.run();
    expect(await box.gitOut(cloneB, ["status", "--porcelain", "--untracked-files=no"])).toBe("");
    expect(await box.gitOut(hub, ["show", "synced/main:local-note.txt"])).toBe("B edited this, uncommitted");
  });
});

describe("through the listener", () => {
  let server: ProsodyServer;
  let daemon: Daemon | undefined;
  beforeAll(async () => {
    server = await startProsody({ accounts: { alice: "alice-pw" }, rosters: [] });
    const userDir = join(box.home, ".config", "git-annex-xmpp");
    await mkdir(userDir, { recursive: true });
    const creds = join(box.root, "alice.credentials");
    await writeFile(creds, "alice-pw\n", { mode: 0o600 });
    await chmod(creds, 0o600);
    await writeFile(
      join(userDir, "config.json"),
      JSON.stringify({ server: server.host, port: server.port, ca: server.caFile, jid: server.jid("alice"), credentialsFile: creds }),
    );
    const installed = await runCli(["install-hooks", "--repo", hub], { env: box.env });
    expect(installed.exitCode, installed.stderr).toBe(0);
  }, 60_000);
  afterEach(async () => {
    await daemon?.stop();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("an announcement makes B's listener run the targeted scan and fetch the wanted file", async () => {
    daemon = startDaemon(["listen", "--verbose", "--repo", cloneB], { env: box.env });
    await daemon.waitForLine(/sync finished/, { timeoutMs: 60_000 });
    const since = daemon.lines.length;
    await addInA(["six.wanted", "six.other"]);
    await daemon.waitForLine(/transfers \(targeted scan of 2 path\(s\)\): got 1/, { since, timeoutMs: 60_000 });
    await waitFor(async () => (await inHere(cloneB)).includes("six.wanted"), { what: "six.wanted in B", timeoutMs: 10_000 });
    expect(await inHere(cloneB)).not.toContain("six.other");
  }, 120_000);
});

describe("drops from remotes", () => {
  it("drops from a remote what it no longer wants, as sync --content does, and only there", async () => {
    await box.git(cloneA, ["annex", "wanted", "dirremote", "present and exclude=drop-me/*"]);
    await box.git(cloneA, ["annex", "sync", "--quiet", "--no-content", "origin"]);
    const b = syncOf(cloneB);
    await b.run(); // the policy change: a full scan
    await addInA(["drop-me/x.wanted", "keep/y.wanted"]);
    const since = b.lines.length;
    await b.run();
    expect(b.lines.slice(since).join("\n")).toMatch(/targeted scan of 2 path\(s\)\): got 2, .*dropped [1-9]/);
    // B has both now, and dirremote, which no longer wants drop-me/, gave its copy up.
    expect(await inHere(cloneB)).toEqual(expect.arrayContaining(["drop-me/x.wanted", "keep/y.wanted"]));
    const inRemote = (await box.gitOut(cloneB, ["annex", "find", "--in", "dirremote", "drop-me", "keep"])).split("\n").filter(Boolean);
    expect(inRemote).toEqual(["keep/y.wanted"]);
  }, 60_000);
});

describe("a clone without preferred content", () => {
  it("gets every file and drops nothing, as sync --content does there (get --auto/drop --auto would go by numcopies)", async () => {
    const dir = join(box.root, "special");
    const repos: string[] = [];
    for (const name of ["plain", "plain-twin"]) {
      const repo = await box.cloneRepo(hub, join(box.root, name), name);
      await box.git(repo, ["annex", "enableremote", "dirremote", `directory=${dir}`]);
      repos.push(repo);
    }
    const [plain, plainTwin] = repos as [string, string];
    const p = syncOf(plain);
    await p.run(); // first sync: full scan
    await addInA(["ten.wanted", "ten.other"]);
    const since = p.lines.length;
    await p.run();
    expect(p.lines.slice(since).join("\n")).toMatch(/targeted scan of \d+ path\(s\)\): got [2-9],/);
    await box.git(plainTwin, ["annex", "sync", "--quiet", "--content", "origin", "dirremote"]);
    const expected = await inHere(plainTwin);
    expect(expected).toEqual(expect.arrayContaining(["ten.other", "ten.wanted"]));
    expect(await inHere(plain)).toEqual(expected);
  }, 90_000);
});
