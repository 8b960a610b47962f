import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileScramCache } from "../../src/state/scram-cache.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gax-scram-cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the SCRAM key cache file", () => {
  const key = { hash: "sha256" as const, salt: "c2FsdA==", iterations: 4096 };

  it("is rewritten only when a key changes, not on every login that sets the same key", async () => {
    const path = join(dir, "scram-keys.json");
    const cache = createFileScramCache(path, { domain: "example.org", jid: "a@example.org/res" });
    await cache.set(key, Buffer.from("first key"));
    const written = await stat(path);
    await cache.set(key, Buffer.from("first key"));
    // Written through a new file renamed over the old one: the same inode means no rewrite.
    expect((await stat(path)).ino).toBe(written.ino);
    await cache.set(key, Buffer.from("second key"));
    expect((await stat(path)).ino).not.toBe(written.ino);
    expect((await cache.get(key))?.toString()).toBe("second key");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
