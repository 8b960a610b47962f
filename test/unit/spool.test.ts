import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeliveryRefusedError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import type { Announcement } from "../../src/notify/announcement.js";
import { entryCreatedAt, entryName, isEntryName, parseSpooledAnnouncement, serializeAnnouncement, sortEntryNames } from "../../src/spool/entry.js";
import { flushSpool } from "../../src/spool/flush.js";
import { accountDirName, spoolDirFor } from "../../src/spool/paths.js";
import { planDelivery } from "../../src/spool/plan.js";
import { openSpool } from "../../src/spool/spool.js";

const U1 = "11111111-1111-1111-1111-111111111111";
const U2 = "22222222-2222-2222-2222-222222222222";
const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);
const SHA_C = "c".repeat(40);

describe("spool entry names", () => {
  it("sort oldest first, whatever the pid, and skip temp and set-aside files", () => {
    const names = [entryName(2000, 9, "x"), entryName(10, 123456, "y"), entryName(1000, 1, "z"), ".tmp-000000000000010-1-q.json", ".bad-foo.json"];
    expect(sortEntryNames(names)).toEqual([entryName(10, 123456, "y"), entryName(1000, 1, "z"), entryName(2000, 9, "x")]);
    expect(entryName(1795544735765, 42, "ab12")).toBe("001795544735765-42-ab12.json");
    expect(isEntryName(".tmp-001795544735765-42-ab12.json")).toBe(false);
    expect(entryCreatedAt(entryName(1795544735765, 42, "ab12"))).toBe(1795544735765);
    expect(entryCreatedAt(".bad-foo.json")).toBeUndefined();
  });

  it("account directories are readable, injective and path-safe", () => {
    expect(accountDirName("Alice@Example.org/res")).toBe("alice@example.org");
    expect(accountDirName("a_b@x")).not.toBe(accountDirName("a/b@x"));
    expect(accountDirName("../../etc@x")).not.toContain("/");
    expect(spoolDirFor("/s", "bob@x")).toBe("/s/spool/bob@x");
  });
});

describe("spooled announcements", () => {
  it("round-trip through JSON", () => {
    const a: Announcement = { uuids: [U1], refs: [{ ref: "refs/heads/main", old: SHA_A, new: SHA_B }, { ref: "refs/heads/x" }], createdAt: 5 };
    expect(parseSpooledAnnouncement(serializeAnnouncement(a))).toEqual({ ok: true, announcement: a });
  });

  it.each([
    ["{", /not JSON/],
    ["[]", /not an object/],
    [JSON.stringify({ uuids: [], refs: [], createdAt: 1 }), /uuids/],
    [JSON.stringify({ uuids: [U1], refs: [{ ref: 3 }], createdAt: 1 }), /bad ref/],
    [JSON.stringify({ uuids: [U1], refs: [], createdAt: "now" }), /createdAt/],
    [JSON.stringify({ uuids: [U1], refs: Array.from({ length: 10_001 }, () => ({ ref: "r" })), createdAt: 1 }), /refs/],
  ])("reject %s", (text, reason) => {
    const parsed = parseSpooledAnnouncement(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
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

  it("splits when the union would outgrow one presence, keeping the order", () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ name: String(i), announcement: { uuids: [`u${i}`, "shared"], refs: [], createdAt: i } }));
    const plan = planDelivery(items, 3);
    expect(plan.map((b) => b.names)).toEqual([["0", "1"], ["2", "3"], ["4"]]);
    expect(plan.every((b) => b.announcement.uuids.length <= 3)).toBe(true);
  });
});

describe("openSpool", () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "gax-spool-")), "spool", "alice@x");
  });
  afterEach(async () => {
    await rm(join(dir, "..", ".."), { recursive: true, force: true });
  });

  it("writes 100 entries at once: all complete, private, no temp files left", async () => {
    const spool = openSpool(dir);
    await Promise.all(Array.from({ length: 100 }, (_, i) => spool.add({ uuids: [`u-${i}`], refs: [], createdAt: 1000 + (i % 7) })));
    const files = await readdir(dir);
    expect(files.filter((f) => f.startsWith("."))).toEqual([]);
    const items = await spool.readAll();
    expect(items).toHaveLength(100);
    expect(new Set(items.map((i) => i.announcement.uuids[0])).size).toBe(100);
    const createdAt = items.map((i) => i.announcement.createdAt);
    expect(createdAt).toEqual([...createdAt].sort((a, b) => a - b));
  });

  it("sets a corrupt entry aside instead of failing or resending it", async () => {
    const spool = openSpool(dir);
    await spool.add({ uuids: [U1], refs: [], createdAt: 1 });
    await writeFile(join(dir, entryName(2, 1, "bad")), "{ truncated");
    const bad: string[] = [];
    const items = await spool.readAll((name) => bad.push(name));
    expect(items).toHaveLength(1);
    expect(bad).toEqual([entryName(2, 1, "bad")]);
    expect(await readFile(join(dir, `.bad-${entryName(2, 1, "bad")}`), "utf8")).toBe("{ truncated");
    expect(await spool.list()).toHaveLength(1);
  });

  it("flushSpool deletes only what was delivered", async () => {
    const spool = openSpool(dir);
    for (let i = 0; i < 3; i++) await spool.add({ uuids: [`u${i}`], refs: [], createdAt: i });
    await expect(flushSpool(spool, async () => Promise.reject(new Error("no ack")), silentLogger)).rejects.toThrow("no ack");
    expect(await spool.list()).toHaveLength(3);
    const sent: Announcement[] = [];
    expect(await flushSpool(spool, async (a) => void sent.push(a), silentLogger)).toEqual({ entries: 3, presences: 1, kept: 0 });
    expect(sent[0]!.uuids).toEqual(["u0", "u1", "u2"]);
    expect(await spool.list()).toEqual([]);
  });

  it("flushSpool keeps what was refused (issue 8: it deleted it as if sent) and goes on with the rest", async () => {
    const spool = openSpool(dir);
    await spool.add({ uuids: [U1], refs: [], createdAt: 1, repo: "/srv/a.git", sealed: true });
    await spool.add({ uuids: ["u-b"], refs: [], createdAt: 2, repo: "/srv/b.git" });
    const names = await spool.list();
    const sent: Announcement[] = [];
    const result = await flushSpool(
      spool,
      async (a) => {
        if (a.sealed) throw new DeliveryRefusedError("sealed mode, but /srv/a.git has no announcement secret", "restore it");
        sent.push(a);
      },
      silentLogger,
    );
    expect(result).toMatchObject({ entries: 1, presences: 1, kept: 1 });
    expect(result.refused).toBeInstanceOf(DeliveryRefusedError);
    expect(sent.map((a) => a.uuids)).toEqual([["u-b"]]);
    expect(await spool.list()).toEqual([names[0]]);
  });
});

describe("spool entries remember their repository", () => {
  it("round-trips the repository and never merges two repositories into one presence", () => {
    const a = { uuids: ["u1"], refs: [], createdAt: 1, repo: "/srv/a.git" };
    const b = { uuids: ["u2"], refs: [], createdAt: 2, repo: "/srv/b.git" };
    expect(parseSpooledAnnouncement(serializeAnnouncement(a))).toEqual({ ok: true, announcement: a });
    expect(parseSpooledAnnouncement(JSON.stringify({ ...a, repo: "relative" }))).toMatchObject({ ok: false });
    const batches = planDelivery([
      { name: "1", announcement: a },
      { name: "2", announcement: { ...a, createdAt: 3 } },
      { name: "3", announcement: b },
    ]);
    expect(batches.map((x) => [x.names, x.announcement.repo])).toEqual([
      [["1", "2"], "/srv/a.git"],
      [["3"], "/srv/b.git"],
    ]);
  });
});
