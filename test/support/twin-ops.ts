/**
 * Seeded random changes made in clone A of twin worlds (twins.ts): the
 * same seed gives the same commands, so both worlds receive the same
 * changes. Files are added (some unlocked, some with the content of another
 * file: two paths, one key), modified, renamed, deleted and tagged; their
 * content reaches the store or the hub now, later or never, and A drops some.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { AnnexSandbox } from "./annex.js";

/** mulberry32: a small deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FileModel {
  content: string;
  unlocked: boolean;
}

/** One round's changes: file writes, then git commands, in this order. */
export interface Round {
  writes: Array<{ path: string; content: string; replace: boolean }>;
  commands: string[][];
}

const DIRS = ["", "sub/", "deep/er/"];
const EXTS = [".want", ".txt", ".skip"];

export class ChangeModel {
  private readonly files = new Map<string, FileModel>();
  private serial = 0;
  constructor(private readonly random: () => number) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private some(paths: readonly string[], share: number): string[] {
    return paths.filter(() => this.random() < share);
  }

  private newName(dir: string): string {
    return `${dir}f${++this.serial}${this.pick(EXTS)}`;
  }

  /** The next round: `policy` (git-annex commands) is applied in A midway. */
  next(round: number, policy: string[][] = []): Round {
    const writes: Round["writes"] = [];
    const locked: string[] = [];
    const unlocked: string[] = [];
    const existing = [...this.files.keys()];
    for (let i = 0; i < 4; i++) {
      const path = this.newName(this.pick(DIRS));
      const twin = existing.length > 0 && this.random() < 0.25 ? this.files.get(this.pick(existing))!.content : undefined;
      const file = { content: twin ?? `content ${path} round ${round}\n`, unlocked: this.random() < 0.3 };
      this.files.set(path, file);
      writes.push({ path, content: file.content, replace: false });
      (file.unlocked ? unlocked : locked).push(path);
    }
    const commands: string[][] = [];
    if (existing.length >= 3) {
      const [changed, moved, removed] = [this.pick(existing), this.pick(existing), this.pick(existing)];
      const file = this.files.get(changed)!;
      file.content = `modified ${changed} round ${round}\n`;
      writes.push({ path: changed, content: file.content, replace: true });
      (file.unlocked ? unlocked : locked).push(changed);
      if (moved !== changed) {
        const to = `${moved.slice(0, moved.lastIndexOf("/") + 1)}r${++this.serial}${this.pick(EXTS)}`;
        this.files.set(to, this.files.get(moved)!);
        this.files.delete(moved);
        commands.push(["mv", moved, to]);
      }
      if (removed !== changed && removed !== moved) {
        this.files.delete(removed);
        commands.push(["rm", "--quiet", removed]);
      }
    }
    if (locked.length > 0) commands.unshift(["annex", "add", "--quiet", ...locked]);
    if (unlocked.length > 0) commands.unshift(["-c", "annex.addunlocked=true", "annex", "add", "--quiet", ...unlocked]);
    commands.push(["commit", "--quiet", "-m", `round ${round}`]);
    const all = [...this.files.keys()];
    commands.push(["annex", "metadata", "--quiet", this.random() < 0.7 ? "-t" : "-u", "keep", this.pick(all)]);
    const toStore = this.some(all, 0.4);
    const toHub = this.some(all, 0.25);
    const dropped = this.some(all, 0.2);
    if (toStore.length > 0) commands.push(["annex", "copy", "--quiet", "--to", "store", ...toStore]);
    if (toHub.length > 0) commands.push(["annex", "copy", "--quiet", "--to", "origin", ...toHub]);
    if (dropped.length > 0) commands.push(["annex", "drop", "--quiet", "--force", ...dropped]);
    for (const args of policy) commands.push(["annex", ...args]);
    commands.push(["annex", "sync", "--quiet", "--no-content", "origin"]);
    return { writes, commands };
  }
}

/** Applies a round in A of a world (git commands that fail, e.g. a copy of content A dropped, fail the test). */
export async function applyRound(box: AnnexSandbox, a: string, round: Round): Promise<void> {
  for (const { path, content, replace } of round.writes) {
    const file = join(a, path);
    await mkdir(dirname(file), { recursive: true });
    // A locked file is a symlink to read-only content: replace the link, never write through it.
    if (replace) await rm(file, { force: true });
    await writeFile(file, content);
  }
  for (const args of round.commands) await box.git(a, args);
}
