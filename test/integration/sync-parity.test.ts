/**
 * The five ways the listener's targeted scan used to end elsewhere than
 * `git annex sync --content` (issue 13), each reproduced in twin worlds
 * (test/support/twins.ts): the listening clone B syncs as the listener does
 * in one world and with `git annex sync --content` in the other, after the
 * same commands in A. The worlds must end the same.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { addInA, buildWorld, differences, inBothA, snapshot, syncClones, twinWorld, type World, type WorldSpec } from "../support/twins.js";

let box: AnnexSandbox;
const savedEnv = { ...process.env };
let serial = 0;
/** Twin worlds take a dozen git-annex runs a step: room for a loaded machine. */
const TIMEOUT = 300_000;

beforeAll(async () => {
  box = await createAnnexSandbox("gax-parity-");
  // The listener runs git through src/git/run.ts, which starts from process.env.
  Object.assign(process.env, box.env);
});

afterAll(async () => {
  process.env = savedEnv;
  await box?.cleanup();
});

/** Both worlds, B's first sync (a full scan for the listener) done. */
async function twins(spec: WorldSpec): Promise<[World, World]> {
  serial++;
  const listener = await buildWorld(box, join(box.root, `w${serial}-listener`), spec);
  const twin = await twinWorld(box, listener, join(box.root, `w${serial}-twin`));
  await syncAll(listener, twin);
  return [listener, twin];
}

async function syncAll(listener: World, twin: World): Promise<void> {
  await Promise.all([syncClones(box, listener, "listener"), syncClones(box, twin, "sync --content")]);
}

/** A's commands in both worlds, then B syncs in both: the worlds must not differ. */
async function step(worlds: [World, World], what: string, commands: string[][]): Promise<void> {
  await inBothA(box.git, worlds, commands);
  await syncAll(...worlds);
  expect(await differences(box, ...worlds, what)).toEqual([]);
}

const present = async (world: World) => (await snapshot(box, world)).get("b: files present");
const SYNC_A = ["annex", "sync", "--quiet", "--content"];
const UNRELATED = ["commit", "--quiet", "--allow-empty", "-m", "unrelated"];

describe("the targeted scan ends where git annex sync --content ends", () => {
  it("1. numcopies does not make B get or send what its preferred content does not want", async () => {
    const worlds = await twins({ annexInA: [["numcopies", "2"]], clones: [{ name: "b", annex: [["wanted", "here", "include=*.want"]] }] });
    await addInA(box, worlds, "x.skip", "x\n");
    await step(worlds, "after x.skip reached only the store", [["annex", "copy", "--quiet", "--to", "store", "x.skip"], ["annex", "drop", "--quiet", "--force", "x.skip"], SYNC_A]);
    expect(await present(worlds[0])).not.toContain("x.skip");
  }, TIMEOUT);

  it("2. drops from the remotes come before the drop here", async () => {
    const wanted = ["wanted", "here", "include=*.want"];
    const worlds = await twins({ annexInA: [["numcopies", "2"], ["wanted", "store", "include=*.want"]], clones: [{ name: "b", annex: [wanted] }] });
    await addInA(box, worlds, "f.want", "f\n");
    await step(worlds, "after f.want was added", [SYNC_A]);
    await step(worlds, "after A dropped f.want", [["annex", "drop", "--quiet", "f.want"], SYNC_A]);
    await step(worlds, "after f.want became f.txt", [["mv", "f.want", "f.txt"], ["commit", "--quiet", "-m", "mv"], SYNC_A]);
    expect(await present(worlds[0])).toContain("f.txt");
  }, TIMEOUT);

  it("3. a change of a key's metadata re-checks its files", async () => {
    const worlds = await twins({ clones: [{ name: "b", annex: [["wanted", "here", "metadata=tag=keep"]] }] });
    await addInA(box, worlds, "m.txt", "m\n");
    await step(worlds, "after m.txt was added", [SYNC_A]);
    await step(worlds, "after an unrelated change", [UNRELATED, SYNC_A]);
    await step(worlds, "after m.txt was tagged keep", [["annex", "metadata", "--quiet", "-t", "keep", "m.txt"], SYNC_A]);
    expect(await present(worlds[0])).toContain("m.txt");
    await step(worlds, "after m.txt was untagged", [["annex", "metadata", "--quiet", "-u", "keep", "m.txt"], SYNC_A]);
    expect(await present(worlds[0])).not.toContain("m.txt");
  }, TIMEOUT);

  it("4. when one path of a key goes, its other paths are re-checked", async () => {
    const worlds = await twins({ clones: [{ name: "b", annex: [["wanted", "here", "include=sub/*"]] }] });
    await addInA(box, worlds, "sub/a.txt", "same\n");
    await addInA(box, worlds, "a.txt", "same\n");
    await step(worlds, "after sub/a.txt and a.txt were added", [SYNC_A]);
    expect(await present(worlds[0])).toEqual(["a.txt", "sub/a.txt"]);
    await step(worlds, "after an unrelated change", [UNRELATED, SYNC_A]);
    await step(worlds, "after sub/a.txt was removed", [["rm", "--quiet", "sub/a.txt"], ["commit", "--quiet", "-m", "rm"], SYNC_A]);
    expect(await present(worlds[0])).toEqual([]);
  }, TIMEOUT);

  it("5. an export remote with a tracking branch is exported to, not copied to", async () => {
    const worlds = await twins({ exportRemote: true, annexInA: [["wanted", "ex", "include=*.want"]], clones: [{ name: "b", annex: [], tracksExport: true }] });
    await addInA(box, worlds, "e.want", "e\n");
    await addInA(box, worlds, "dir/g.want", "g\n");
    await addInA(box, worlds, "e.other", "o\n");
    // sync --content exports before it gets: the new files go out with the next sync.
    await step(worlds, "after three files were added", [SYNC_A]);
    await step(worlds, "after an unrelated change", [UNRELATED, SYNC_A]);
    expect((await snapshot(box, worlds[0])).get("ex: exported files")).toEqual(["dir/g.want", "e.want"]);
    await step(worlds, "after e.want was removed", [["rm", "--quiet", "e.want"], ["commit", "--quiet", "-m", "rm"], SYNC_A]);
    expect((await snapshot(box, worlds[0])).get("ex: exported files")).toEqual(["dir/g.want"]);
    const log = worlds[0].logs.get("b")!.join("\n");
    expect(log).toMatch(/sent 2 \(ex 2\)/);
    expect(log).not.toMatch(/use git-annex export/);
  }, TIMEOUT);

  it("a full scan's drops from a remote write no 'not present' line for content it never had", async () => {
    const spec: WorldSpec = { annexInA: [["wanted", "store", "include=*.want"]], clones: [{ name: "b", annex: [["wanted", "here", "include=*.want"]] }] };
    serial++;
    const listener = await buildWorld(box, join(box.root, `w${serial}-listener`), spec);
    for (const name of ["n1.txt", "n2.want", "sub/n3.txt"]) await box.addAnnexedFile(listener.a, name, `${name}\n`);
    await box.git(listener.a, ["annex", "sync", "--quiet", "--content"]);
    const twin = await twinWorld(box, listener, join(box.root, `w${serial}-twin`));
    await syncAll(listener, twin);
    const store = await box.gitOut(listener.a, ["config", "remote.store.annex-uuid"]);
    const absentLines = async (world: World) => {
      const found = await box.git(world.clones[0]!.dir, ["grep", "-h", "-e", ` 0 ${store}$`, "git-annex", "--", "*.log"]).catch(() => undefined);
      return String(found?.stdout ?? "").split("\n").filter(Boolean).length;
    };
    expect(await absentLines(twin)).toBe(0);
    expect(await absentLines(listener)).toBe(0);
    expect(listener.logs.get("b")!.join("\n")).toMatch(/full transfer scan/);
    expect(await differences(box, listener, twin, "after the first sync")).toEqual([]);
  }, TIMEOUT);
});
