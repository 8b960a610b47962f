import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createNonceMemory, loadNonceMemory } from "../../src/agent/nonces.js";
import { createLogger } from "../../src/log.js";
import { nonceJournalFile, openNonceJournal, readNonceJournal } from "../../src/state/nonce-journal.js";

const WINDOW = 10 * 60_000;
const NOW = 1_732_000_000_000;
const quiet = createLogger({ level: "silent" });

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gax-nonces-"));
  file = nonceJournalFile(join(dir, ".git"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A memory as a restarted listener opens it, at time `now`. */
async function reopen(now: number) {
  return createNonceMemory(WINDOW, { journal: openNonceJournal(file), known: { entries: await readNonceJournal(file), now } });
}

describe("replay protection across restarts (DESIGN.md §2.2)", () => {
  it("a nonce accepted before a restart is refused after it, within the window", async () => {
    const first = await reopen(NOW);
    expect(await first.remember("nonce-one", NOW, NOW)).toBe(true);
    const second = await reopen(NOW + 60_000);
    expect(await second.remember("nonce-one", NOW, NOW + 60_000)).toBe(false);
    expect(await second.remember("nonce-two", NOW + 60_000, NOW + 60_000)).toBe(true);
  });

  it("forgets nonces whose announcements the window refuses anyway", async () => {
    const first = await reopen(NOW);
    await first.remember("nonce-old", NOW, NOW);
    const later = await reopen(NOW + WINDOW + 1);
    // Only because the memory let it go: the timestamp check refuses it before.
    expect(await later.remember("nonce-old", NOW, NOW + WINDOW + 1)).toBe(true);
  });

  it("keeps the journal bounded by what is live: dead lines are rewritten away", async () => {
    const memory = await reopen(NOW);
    for (let i = 0; i < 2000; i++) {
      const at = NOW + i * 60_000;
      await memory.remember(`nonce-${String(i).padStart(6, "0")}`, at, at);
    }
    const lines = (await readFile(file, "utf8")).split("\n").filter(Boolean);
    // Ten minutes of one a minute are live; the slack allows a few hundred dead.
    expect(lines.length).toBeLessThan(300);
    const last = await reopen(NOW + 1999 * 60_000);
    expect(await last.remember("nonce-001999", NOW + 1999 * 60_000, NOW + 1999 * 60_000)).toBe(false);
  });

  it("skips torn and foreign lines instead of failing, and appends after a torn one on a line of its own", async () => {
    await openNonceJournal(file).append({ nonce: "nonce-good", ts: NOW });
    await writeFile(file, `${await readFile(file, "utf8")}garbage line\n${NOW} bad nonce with spaces\n${NOW} nonce-to`);
    expect(await readNonceJournal(file)).toEqual([{ nonce: "nonce-good", ts: NOW }]);
    await openNonceJournal(file).append({ nonce: "nonce-next", ts: NOW });
    const after = (await readNonceJournal(file)).map((e) => e.nonce);
    expect(after[0]).toBe("nonce-good");
    expect(after.at(-1)).toBe("nonce-next");
  });

  it("an unwritable journal still leaves protection within this run, and says so once", async () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warn", write: (l) => void lines.push(l) });
    // A directory where the file should be: every write fails.
    const memory = await loadNonceMemory(dir, WINDOW, log);
    expect(await memory.remember("nonce-aaa", Date.now(), Date.now())).toBe(true);
    expect(await memory.remember("nonce-bbb", Date.now(), Date.now())).toBe(true);
    expect(await memory.remember("nonce-aaa", Date.now(), Date.now())).toBe(false);
    expect(lines.filter((l) => l.includes("cannot record"))).toHaveLength(1);
    expect(await loadNonceMemory(join(dir, "missing", "seen-nonces"), WINDOW, quiet)).toBeDefined();
  });
});
