import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planDelivery } from "../../src/announce/batches.js";
import { ABANDONED_ENTRY_MS, openQueue } from "../../src/announce/queue.js";
import { formatQueueEntry, isQueueEntryName, parseQueueEntry, type QueueEntry } from "../../src/announce/queue-entry.js";
import { loadNotifyTemplate, renderNotifyBlock } from "../../src/git/hook-script.js";

const U1 = "11111111-1111-1111-1111-111111111111";
const U2 = "22222222-2222-2222-2222-222222222222";
const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);
const SHA_C = "c".repeat(40);

describe("queue entries", () => {
  it("round-trip: post-receive lines, ref names, uuids and the remote", () => {
    const entries: QueueEntry[] = [
      { hook: "post-receive", repo: "/srv/hub.git", uuids: [], refs: [{ ref: "refs/heads/main", old: SHA_A, new: SHA_B }] },
      { hook: "post-update", repo: "/srv/hub.git", uuids: [], refs: [{ ref: "refs/heads/main" }, { ref: "refs/tags/v1" }] },
      { hook: "push", repo: "/home/u/annex", uuids: [U1, U2], remote: "origin", refs: [] },
    ];
    for (const entry of entries) expect(parseQueueEntry(formatQueueEntry(entry))).toEqual({ ok: true, entry });
  });

  it("reads what the shell hook writes (blank lines, no trailing newline on the last ref line before end)", () => {
    const text = `git-annex-xmpp-queue 1\nhook post-receive\nrepo /srv/h.git\n\n${SHA_A} ${SHA_B} refs/heads/main\n\nend\n`;
    expect(parseQueueEntry(text)).toEqual({
      ok: true,
      entry: { hook: "post-receive", repo: "/srv/h.git", uuids: [], refs: [{ ref: "refs/heads/main", old: SHA_A, new: SHA_B }] },
    });
  });

  it("an entry without its final `end` is incomplete, not bad", () => {
    expect(parseQueueEntry("git-annex-xmpp-queue 1\nhook post-receive\nrepo /x\n\n")).toMatchObject({ ok: false, incomplete: true });
    expect(parseQueueEntry("")).toMatchObject({ ok: false, incomplete: true });
  });

  it.each([
    ["wrong magic", "git-annex-xmpp-queue 2\nhook notify\nrepo /x\n\nend\n", /first line/],
    ["unknown hook", "git-annex-xmpp-queue 1\nhook pre-push\nrepo /x\n\nend\n", /unknown hook/],
    ["relative repo", "git-annex-xmpp-queue 1\nhook notify\nrepo x\n\nend\n", /absolute/],
    ["two repos", "git-annex-xmpp-queue 1\nhook notify\nrepo /x\nrepo /y\n\nend\n", /bad header/],
    ["unknown header", "git-annex-xmpp-queue 1\nhook notify\nrepo /x\nserver evil\n\nend\n", /bad header/],
    ["no blank line", "git-annex-xmpp-queue 1\nhook notify\nrepo /x\nend\n", /empty line/],
    ["bad ref line", `git-annex-xmpp-queue 1\nhook post-receive\nrepo /x\n\nzz ${SHA_B} refs/heads/main\nend\n`, /post-receive input/],
  ])("is bad with %s", (_what, text, reason) => {
    const parsed = parseQueueEntry(text);
    expect(parsed).toMatchObject({ ok: false, incomplete: false });
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it("names: what the hook and node write count, temp and set-aside files do not", () => {
    expect(isQueueEntryName("e.4242.0")).toBe(true);
    expect(isQueueEntryName("e.1796054328573-42-ab12cd34")).toBe(true);
    expect(isQueueEntryName(".tmp-e.1-2-3")).toBe(false);
    expect(isQueueEntryName(".bad-e.4242.0")).toBe(false);
    expect(isQueueEntryName("e.../../x")).toBe(false);
  });
});

describe("planDelivery", () => {
  it("merges duplicates oldest first: union of UUIDs, first old and latest new SHA per ref", () => {
    const items = [
      { name: "3", announcement: { uuids: [U2], refs: [{ ref: "refs/heads/main", old: SHA_B, new: SHA_C }], createdAt: 3 } },
      { name: "1", announcement: { uuids: [U1], refs: [{ ref: "refs/heads/main", old: SHA_A, new: SHA_B }], createdAt: 1 } },
      { name: "2", announcement: { uuids: [U1], refs: [], createdAt: 2 } },
    ];
    const plan = planDelivery(items);
    expect(plan).toHaveLength(1);
    expect(plan[0]!.names).toEqual(["3", "1", "2"]);
    expect(plan[0]!.announcement).toEqual({ uuids: [U1, U2], refs: [{ ref: "refs/heads/main", old: SHA_A, new: SHA_C }], createdAt: 3 });
  });

  it("splits when the union would outgrow one presence, and never merges two repositories", () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ name: String(i), announcement: { uuids: [`u${i}`, "shared"], refs: [], createdAt: i } }));
    expect(planDelivery(items, 3).map((b) => b.names)).toEqual([["0", "1"], ["2", "3"], ["4"]]);
    const a = { uuids: ["u1"], refs: [], createdAt: 1, repo: "/srv/a.git" };
    const b = { uuids: ["u2"], refs: [], createdAt: 2, repo: "/srv/b.git" };
    const batches = planDelivery([{ name: "1", announcement: a }, { name: "2", announcement: { ...a, createdAt: 3 } }, { name: "3", announcement: b }]);
    expect(batches.map((x) => [x.names, x.announcement.repo])).toEqual([[["1", "2"], "/srv/a.git"], [["3"], "/srv/b.git"]]);
  });

  it("never merges a clone's pushes to two remotes: each is signed with its own hub's secret", () => {
    const toOrigin = { uuids: [U1], refs: [], createdAt: 1, repo: "/home/u/annex", remote: "origin" };
    const toBackup = { ...toOrigin, uuids: [U2], remote: "backup", createdAt: 2 };
    const batches = planDelivery([
      { name: "1", announcement: toOrigin },
      { name: "2", announcement: { ...toOrigin, createdAt: 3 } },
      { name: "3", announcement: toBackup },
    ]);
    expect(batches.map((x) => [x.names, x.announcement.remote, x.announcement.uuids])).toEqual([
      [["1", "2"], "origin", [U1]],
      [["3"], "backup", [U2]],
    ]);
  });
});

describe("openQueue", () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "gax-queue-"));
    dir = join(root, "queue");
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("writes 100 entries at once: all complete, private, no temp files left, read back oldest first", async () => {
    const queue = openQueue(dir);
    await Promise.all(Array.from({ length: 100 }, (_, i) => queue.add({ hook: "notify", repo: "/r", uuids: [`u-${i}`], refs: [] })));
    expect((await readdir(dir)).filter((f) => f.startsWith("."))).toEqual([]);
    const items = await queue.readAll();
    expect(new Set(items.map((i) => i.entry.uuids[0])).size).toBe(100);
    expect(items.map((i) => i.at)).toEqual(items.map((i) => i.at).sort((a, b) => a - b));
  });

  it("sets a bad entry aside, skips one still being written, salvages one whose writer died", async () => {
    const queue = openQueue(dir);
    await queue.add({ hook: "notify", repo: "/r", uuids: [U1], refs: [] });
    await writeFile(join(dir, "e.1.0"), "garbage\nend\n");
    await writeFile(join(dir, "e.2.0"), `git-annex-xmpp-queue 1\nhook post-receive\nrepo /hub\n\n${SHA_A} ${SHA_B}`);
    await writeFile(join(dir, "e.3.0"), `git-annex-xmpp-queue 1\nhook post-receive\nrepo /old\n\n${SHA_A} ${SHA_B}`);
    const old = (Date.now() - ABANDONED_ENTRY_MS - 60_000) / 1000;
    await utimes(join(dir, "e.3.0"), old, old);
    const bad: string[] = [];
    const items = await queue.readAll((name) => bad.push(name));
    expect(bad).toEqual(["e.1.0"]);
    expect(await readFile(join(dir, ".bad-e.1.0"), "utf8")).toBe("garbage\nend\n");
    expect(items.map((i) => [i.name.startsWith("e.3") ? "salvaged" : "added", i.entry.repo, i.entry.refs])).toEqual([
      ["salvaged", "/old", []],
      ["added", "/r", []],
    ]);
    expect(await queue.list()).toContain("e.2.0");
  });
});

describe("the hook block writes the queue in plain shell", () => {
  let root: string;
  let hook: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "gax-hook-"));
    await mkdir(join(root, "hub.git"));
    hook = join(root, "post-receive");
    // A CLI that does not exist: the block must then start nothing and still queue.
    const block = renderNotifyBlock(await loadNotifyTemplate(), { hook: "post-receive", command: [join(root, "no-such-cli")] });
    await writeFile(hook, `#!/bin/sh\n${block}\ncat >"${join(root, "after.txt")}"\n`);
    await chmod(hook, 0o755);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const runHook = (input: string, env: NodeJS.ProcessEnv = {}) =>
    promisify(execFile)("sh", ["-c", `printf '%s' "$INPUT" | "${hook}"`], {
      cwd: join(root, "hub.git"),
      env: { PATH: process.env.PATH, HOME: join(root, "home"), XDG_STATE_HOME: join(root, "state"), GIT_DIR: ".", INPUT: input, ...env },
    });

  it("queues each push as a complete entry, 50 hooks at once, and hands stdin on byte for byte", async () => {
    const input = `${SHA_A} ${SHA_B} refs/heads/main\n${SHA_B} ${SHA_C} refs/heads/synced/main\n`;
    await Promise.all(Array.from({ length: 50 }, () => runHook(input)));
    const queue = openQueue(join(root, "state", "git-annex-xmpp", "queue"));
    const items = await queue.readAll();
    expect(items).toHaveLength(50);
    for (const item of items) {
      expect(item.entry).toEqual({
        hook: "post-receive",
        repo: join(root, "hub.git"),
        uuids: [],
        refs: [{ ref: "refs/heads/main", old: SHA_A, new: SHA_B }, { ref: "refs/heads/synced/main", old: SHA_B, new: SHA_C }],
      });
    }
    expect(await readFile(join(root, "after.txt"), "utf8")).toBe(input);
  });

  it("GIT_ANNEX_XMPP=0 queues nothing; a relative XDG_STATE_HOME is ignored for ~/.local/state", async () => {
    await runHook(`${SHA_A} ${SHA_B} refs/heads/main\n`, { GIT_ANNEX_XMPP: "0" });
    expect(await readdir(join(root, "state")).catch(() => [])).toEqual([]);
    await runHook(`${SHA_A} ${SHA_B} refs/heads/main\n`, { XDG_STATE_HOME: "relative" });
    expect(await readdir(join(root, "home", ".local", "state", "git-annex-xmpp", "queue"))).toHaveLength(1);
  });
});

describe("an earlier version's spool file as a queue entry", () => {
  const sha = (c: string) => c.repeat(40);
  it("keeps the repository, UUIDs and refs; names what makes a file unusable", async () => {
    const { oldEntry } = await import("../../src/announce/spool-migration.js");
    const old = { uuids: ["u-1"], refs: [{ ref: "refs/heads/main", old: sha("a"), new: sha("b") }], createdAt: 1, repo: "/srv/hub.git", sealed: true };
    expect(oldEntry(JSON.stringify(old))).toEqual({ hook: "notify", repo: "/srv/hub.git", uuids: ["u-1"], refs: [{ ref: "refs/heads/main", old: sha("a"), new: sha("b") }] });
    // Refs without both ids make every line a ref name (an entry's lines are all of one kind).
    const mixed = { ...old, refs: [...old.refs, { ref: "refs/heads/x" }, { ref: "bad ref" }] };
    expect(oldEntry(JSON.stringify(mixed))).toMatchObject({ refs: [{ ref: "refs/heads/main" }, { ref: "refs/heads/x" }] });
    expect(oldEntry("{")).toBe("not JSON");
    expect(oldEntry(JSON.stringify({ ...old, repo: undefined }))).toBe("it names no repository");
    expect(oldEntry(JSON.stringify({ ...old, uuids: [] }))).toBe("it names no UUID");
    expect(oldEntry("null")).toBe("not an announcement");
  });
});

describe("moving an earlier version's spool into the queue", () => {
  it("leaves a file another running process claimed to it, and takes one whose claimer died", async () => {
    const { migrateOldSpool } = await import("../../src/announce/spool-migration.js");
    const { createLogger } = await import("../../src/log.js");
    const state = await mkdtemp(join(tmpdir(), "gax-spool-"));
    try {
      const dir = join(state, "spool", "alice@example.org");
      await mkdir(dir, { recursive: true });
      const old = (uuid: string) => JSON.stringify({ uuids: [uuid], refs: [{ ref: "refs/heads/main", old: "a".repeat(40), new: "b".repeat(40) }], createdAt: 1, repo: "/srv/hub.git" });
      const name = (n: number) => `20260101000000${n}-1-x.json`;
      // Claimed by a process that runs (our parent) and by one that cannot (beyond any pid_max).
      const live = `.migrating-${process.ppid}-${name(1)}`;
      await writeFile(join(dir, live), old("live"));
      await writeFile(join(dir, `.migrating-99999999-${name(2)}`), old("dead"));
      await writeFile(join(dir, name(3)), old("plain"));
      const warnings: string[] = [];
      const queue = openQueue(join(state, "queue"));
      const moved = await migrateOldSpool(state, queue, createLogger({ level: "warn", write: (line) => void warnings.push(line) }));
      expect(moved).toBe(2);
      expect((await queue.readAll()).flatMap((item) => item.entry.uuids).sort()).toEqual(["dead", "plain"]);
      expect(await readdir(dir)).toEqual([live]);
      expect(warnings).toEqual([]);
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });
});
