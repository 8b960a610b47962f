import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquirePidLock, formatLockContent, isHeld, parseLockContent } from "../../src/lock/pid-lock.js";

/** A pid that certainly exited: a child we ran to completion. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", "0"]).pid!;
}

describe("lock content and staleness", () => {
  it("parses what it writes and rejects garbage", () => {
    expect(parseLockContent(formatLockContent(42, "h"))).toEqual({ pid: 42, host: "h" });
    expect(parseLockContent("42")).toEqual({ pid: 42, host: undefined });
    expect(parseLockContent("")).toBeUndefined();
    expect(parseLockContent("abc\n")).toBeUndefined();
    expect(parseLockContent("0\n")).toBeUndefined();
  });

  it("a holder is live while its process exists, on this host; another host's cannot be checked", () => {
    const alive = (pid: number) => pid === 7;
    expect(isHeld({ pid: 7, host: "here" }, alive, "here")).toBe(true);
    expect(isHeld({ pid: 8, host: "here" }, alive, "here")).toBe(false);
    expect(isHeld({ pid: 8, host: "there" }, alive, "here")).toBe(true);
    expect(isHeld(undefined, alive, "here")).toBe(false);
  });
});

describe("acquirePidLock", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "gax-lock-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses while the holder lives and names it; frees on release", async () => {
    const path = join(dir, "sub", "listen.lock");
    const first = await acquirePidLock(path);
    expect(first.acquired).toBe(true);
    expect(await readFile(path, "utf8")).toBe(formatLockContent(process.pid, hostname()));
    const second = await acquirePidLock(path, process.pid + 1);
    expect(second).toEqual({ acquired: false, holder: { pid: process.pid, host: hostname() } });
    if (first.acquired) await first.release();
    const third = await acquirePidLock(path);
    expect(third.acquired).toBe(true);
  });

  it("takes over a stale lock (dead pid) and an unreadable one", async () => {
    const path = join(dir, "listen.lock");
    await writeFile(path, formatLockContent(deadPid(), hostname()));
    expect((await acquirePidLock(path)).acquired).toBe(true);
    await writeFile(path, "garbage");
    expect((await acquirePidLock(path)).acquired).toBe(true);
  });

  it("of many concurrent takers of a stale lock, exactly one wins", async () => {
    const path = join(dir, "listen.lock");
    await writeFile(path, formatLockContent(deadPid(), hostname()));
    // Every taker writes a live pid, so once one has linked its lock, no breaker may remove it.
    const attempts = await Promise.all(Array.from({ length: 20 }, () => acquirePidLock(path, process.pid)));
    expect(attempts.filter((a) => a.acquired)).toHaveLength(1);
    expect(parseLockContent(await readFile(path, "utf8"))?.pid).toBe(process.pid);
  });
});
