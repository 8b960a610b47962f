/**
 * Twin worlds for holding the listener's targeted sync against `git annex
 * sync --content`: a bare hub, clone A where changes are made, a directory
 * special remote "store", optionally an export remote "ex", and listening
 * clones. The world is built once and copied (same UUIDs, same keys), then
 * both copies are driven by the same commands; in one the clones sync as
 * the listener does, in the other with `git annex sync --content`. After
 * each step the two are compared: what each clone has, what it would still
 * get or drop, and what the hub, the store and the export really hold.
 */
import { mkdir, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { execa } from "execa";
import { createLogger } from "../../src/log.js";
import { createTargetedSync } from "../../src/sync/targeted.js";
import type { AnnexSandbox } from "./annex.js";

export interface CloneSpec {
  name: string;
  /** git-annex commands run in the clone at set-up, e.g. ["wanted", "here", "include=*.want"]. */
  annex: string[][];
  /** Sets remote.ex.annex-tracking-branch=main here (the world needs an export remote). */
  tracksExport?: boolean;
}

export interface WorldSpec {
  clones: CloneSpec[];
  /** git-annex commands run in A at set-up (numcopies, the store's wanted, …). */
  annexInA?: string[][];
  /** An export remote "ex" (exporttree=yes). */
  exportRemote?: boolean;
}

export interface World {
  root: string;
  hub: string;
  a: string;
  clones: Array<{ name: string; dir: string }>;
  /** Log lines of each clone's listener (listener worlds only). */
  logs: Map<string, string[]>;
}

type Git = AnnexSandbox["git"];

export async function buildWorld(box: AnnexSandbox, root: string, spec: WorldSpec): Promise<World> {
  for (const dir of ["store", "ex"]) await mkdir(join(root, dir), { recursive: true });
  const hub = await box.makeHub(join(root, "hub"));
  const a = await box.cloneRepo(hub, join(root, "a"), "a");
  await box.git(a, ["annex", "initremote", "store", "type=directory", `directory=${join(root, "store")}`, "encryption=none"]);
  if (spec.exportRemote) await box.git(a, ["annex", "initremote", "ex", "type=directory", `directory=${join(root, "ex")}`, "exporttree=yes", "encryption=none"]);
  await box.git(a, ["annex", "wanted", "here", "present"]);
  for (const args of spec.annexInA ?? []) await box.git(a, ["annex", ...args]);
  await box.addAnnexedFile(a, "seed.txt", "seed\n");
  await box.git(a, ["annex", "sync", "--quiet", "--content"]);
  const clones: World["clones"] = [];
  for (const clone of spec.clones) {
    const dir = await box.cloneRepo(hub, join(root, clone.name), clone.name);
    await box.git(dir, ["annex", "enableremote", "store", `directory=${join(root, "store")}`]);
    if (spec.exportRemote) await box.git(dir, ["annex", "enableremote", "ex", `directory=${join(root, "ex")}`]);
    if (clone.tracksExport) await box.git(dir, ["config", "remote.ex.annex-tracking-branch", "main"]);
    for (const args of clone.annex) await box.git(dir, ["annex", ...args]);
    await box.git(dir, ["annex", "sync", "--quiet", "--no-content", "origin"]);
    clones.push({ name: clone.name, dir });
  }
  await box.git(a, ["annex", "sync", "--quiet", "--no-content", "origin"]);
  return { root, hub, a, clones, logs: new Map() };
}

/** A copy of `world` at `root`, its repositories' settings pointed at the copy's hub and remotes. */
export async function twinWorld(box: AnnexSandbox, world: World, root: string): Promise<World> {
  await execa("cp", ["-a", world.root, root]);
  const at = (dir: string) => join(root, relative(world.root, dir));
  const twin: World = { root, hub: at(world.hub), a: at(world.a), clones: world.clones.map((c) => ({ name: c.name, dir: at(c.dir) })), logs: new Map() };
  for (const repo of [twin.a, ...twin.clones.map((c) => c.dir)]) {
    const config = await box.gitOut(repo, ["config", "--local", "--list"]);
    for (const line of config.split("\n")) {
      const eq = line.indexOf("=");
      const value = line.slice(eq + 1);
      if (value.startsWith(world.root)) await box.git(repo, ["config", line.slice(0, eq), root + value.slice(world.root.length)]);
    }
  }
  return twin;
}

/** Every clone of `world` syncs, in order: as the listener does, or with `git annex sync --content`. */
export async function syncClones(box: AnnexSandbox, world: World, how: "listener" | "sync --content"): Promise<void> {
  for (const { name, dir } of world.clones) {
    if (how === "sync --content") {
      // A transfer that fails (an export of content not here yet) fails sync too; what it left is compared.
      await execa("git", ["-C", dir, "annex", "sync", "--quiet", "--content"], { env: box.env, extendEnv: false, stdin: "ignore", reject: false });
      continue;
    }
    const lines = world.logs.get(name) ?? [];
    world.logs.set(name, lines);
    const log = createLogger({ level: "debug", write: (line) => lines.push(line.trimEnd()) });
    const sync = createTargetedSync({ repo: { dir, gitDir: join(dir, ".git") }, log, syncArgs: [], fullScanEveryMs: 3_600_000 });
    await sync(["origin"]);
  }
}

/** The same git commands in A of each world, one world after the other. */
export async function inBothA(git: Git, worlds: readonly World[], commands: string[][]): Promise<void> {
  for (const world of worlds) for (const args of commands) await git(world.a, args);
}

/** `write` then `git annex add`s and commits `path` in A of each world. */
export async function addInA(box: AnnexSandbox, worlds: readonly World[], path: string, content: string): Promise<void> {
  for (const world of worlds) await box.addAnnexedFile(world.a, path, content);
}

/** Keys (file names) of the objects under `dir`, at any depth: `…/KEY/KEY`. */
async function objectKeys(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.parentPath.endsWith(`/${e.name}`)).map((e) => e.name);
}

async function exportedFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** What is compared: label → sorted items. */
export async function snapshot(box: AnnexSandbox, world: World): Promise<Map<string, string[]>> {
  const lines = async (repo: string, args: string[]) => (await box.gitOut(repo, ["annex", "find", ...args])).split("\n").filter(Boolean);
  const shot = new Map<string, string[]>();
  for (const { name, dir } of world.clones) {
    shot.set(`${name}: files present`, await lines(dir, ["--in", "here"]));
    shot.set(`${name}: left to get`, await lines(dir, ["--want-get", "--not", "--in", "here"]));
    shot.set(`${name}: left to drop`, await lines(dir, ["--want-drop", "--in", "here"]));
  }
  shot.set("hub: content (keys)", await objectKeys(join(world.hub, "annex", "objects")));
  shot.set("store: content (keys)", await objectKeys(join(world.root, "store")));
  shot.set("ex: exported files", await exportedFiles(join(world.root, "ex")));
  for (const [label, items] of shot) shot.set(label, [...items].sort());
  return shot;
}

/** Human-readable differences between the listener's world and the twin's, one a line, each naming `where`. */
export async function differences(box: AnnexSandbox, listener: World, twin: World, where: string): Promise<string[]> {
  const [mine, theirs] = await Promise.all([snapshot(box, listener), snapshot(box, twin)]);
  const out: string[] = [];
  for (const [label, items] of theirs) {
    const ours = mine.get(label) ?? [];
    const onlyOurs = ours.filter((x) => !items.includes(x));
    const onlyTheirs = items.filter((x) => !ours.includes(x));
    for (const file of onlyOurs) out.push(`${where}: ${label}: ${file} only with the listener`);
    for (const file of onlyTheirs) out.push(`${where}: ${label}: ${file} only with sync --content`);
  }
  return out;
}
