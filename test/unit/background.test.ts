import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rotateLog } from "../../src/services/background.js";

describe("rotateLog (ensure's daemon log)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "gax-rotate-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("leaves a missing or small log alone", async () => {
    const log = join(dir, "listen.log");
    expect(rotateLog(log, 10)).toBe(false);
    await writeFile(log, "short\n");
    expect(rotateLog(log, 10)).toBe(false);
    expect(await readFile(log, "utf8")).toBe("short\n");
  });

  it("moves a full log to .1, replacing the previous one", async () => {
    const log = join(dir, "listen.log");
    await writeFile(`${log}.1`, "oldest\n");
    await writeFile(log, "0123456789 older\n");
    expect(rotateLog(log, 10)).toBe(true);
    expect(await readFile(`${log}.1`, "utf8")).toBe("0123456789 older\n");
    await expect(readFile(log, "utf8")).rejects.toThrow(/ENOENT/);
  });
});

describe("rotateLog in place (a daemon still appends to it)", () => {
  it("copies to .1 and truncates: an O_APPEND writer goes on at the start of the same file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gax-rotate-"));
    try {
      const log = join(dir, "listen.log");
      await writeFile(log, "0123456789 old\n");
      const { open } = await import("node:fs/promises");
      const writer = await open(log, "a");
      expect(rotateLog(log, 10, true)).toBe(true);
      await writer.write("new\n");
      await writer.close();
      expect(await readFile(`${log}.1`, "utf8")).toBe("0123456789 old\n");
      expect(await readFile(log, "utf8")).toBe("new\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
