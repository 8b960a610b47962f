#!/usr/bin/env node
/**
 * Benchmark of issue 3: the listener's reaction to an announcement (pull +
 * targeted transfers + push) against `git annex sync --content` on a twin
 * clone, at 2,000 and 20,000 annexed files, 10 new files arriving (5 wanted,
 * 5 not) with content in a directory special remote. Median of 5, each run
 * on a fresh copy of the same clone and hub. Also times the pull variants.
 * Runs on dist/ (npm run bench:sync builds first). Prints figures; asserts nothing.
 *
 *   node bench/targeted-sync.mjs [sizes…]   e.g. 2000 20000 (the default)
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const SIZES = sizes.length > 0 ? sizes : [2000, 20000];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PULL_RUNS = Number(process.env.BENCH_PULL_RUNS ?? 3);

const root = mkdtempSync(join(tmpdir(), "gax-bench-"));
const home = join(root, "home");
mkdirSync(home);
writeFileSync(join(home, ".gitconfig"), "[user]\n\tname = Bench\n\temail = bench@example.test\n[init]\n\tdefaultBranch = main\n");
for (const key of Object.keys(process.env)) if (key.startsWith("GIT_")) delete process.env[key];
Object.assign(process.env, { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" });
const { createTargetedSync } = await import("../dist/sync/targeted.js");
const { createLogger } = await import("../dist/log.js");

const sh = (cwd, cmd, args, input) => execFileSync(cmd, args, { cwd, input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 30 }).toString().trim();
const git = (cwd, ...args) => sh(cwd, "git", args);
const annex = (cwd, ...args) => sh(cwd, "git", ["annex", ...args]);
const copyTree = (from, to) => {
  rmSync(to, { recursive: true, force: true });
  sh(root, "cp", ["-a", from, to]);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

/**
 * N annexed files without walking `git annex add` over them: their keys are
 * computed here (SHA256E of their would-be content), the symlinks written
 * directly, one `git add`, and A's location log records them (one
 * `setpresentkey --batch`). B cannot reach A and wants only *.wanted.
 */
function populate(repo, n) {
  const keys = [];
  for (let i = 0; i < n; i++) {
    const body = `old file ${i}\n`;
    keys.push(`SHA256E-s${Buffer.byteLength(body)}--${createHash("sha256").update(body).digest("hex")}.dat`);
  }
  const dirs = sh(repo, "git", ["annex", "examinekey", "--batch", "--format=${hashdirmixed}\n"], keys.join("\n") + "\n").split("\n");
  keys.forEach((key, i) => {
    const dir = join(repo, "old", String(i % 100));
    mkdirSync(dir, { recursive: true });
    symlinkSync(`../../.git/annex/objects/${dirs[i]}${key}/${key}`, join(dir, `f${i}.dat`));
  });
  // A has them (as far as the location log says): numcopies is met, as in a real repository.
  const uuid = git(repo, "config", "annex.uuid");
  sh(repo, "git", ["annex", "setpresentkey", "--batch"], keys.map((k) => `${k} ${uuid} 1`).join("\n") + "\n");
  git(repo, "add", "old");
  git(repo, "commit", "-q", "-m", `${n} old files`);
}

function buildFixture(n) {
  const base = join(root, `n${n}`);
  const special = join(base, "special");
  mkdirSync(special, { recursive: true });
  const hub = join(base, "hub.git");
  git(base, "init", "-q", "--bare", hub);
  annex(hub, "init", "hub");
  const a = join(base, "a");
  git(base, "clone", "-q", hub, a);
  annex(a, "init", "a");
  annex(a, "initremote", "dirremote", "type=directory", `directory=${special}`, "encryption=none");
  annex(a, "wanted", "origin", "exclude=*");
  annex(a, "wanted", "dirremote", "present");
  populate(a, n);
  annex(a, "sync", "--quiet", "--no-content", "origin");
  const b0 = join(base, "b0");
  git(base, "clone", "-q", hub, b0);
  annex(b0, "init", "b");
  annex(b0, "enableremote", "dirremote", `directory=${special}`);
  annex(b0, "wanted", "here", "include=*.wanted");
  return { base, hub, a, b0, special };
}

async function listenerSync(repo, pullMethod) {
  const log = createLogger({ level: "info", write: process.env.BENCH_LOG === "1" ? (l) => process.stderr.write(l) : () => undefined });
  return createTargetedSync({ repo: { dir: repo, gitDir: join(repo, ".git") }, log, syncArgs: [], fullScanEveryMs: 86_400_000, pullMethod });
}

/** A plain git commit from A, merged by B's listener: returns how long that first merge took. */
async function warmUp(f) {
  writeFileSync(join(f.a, "warm-up.txt"), "warm-up\n");
  git(f.a, "add", "warm-up.txt");
  git(f.a, "commit", "-q", "-m", "warm-up");
  annex(f.a, "sync", "--quiet", "--no-content", "origin");
  return timed(async () => (await listenerSync(f.b0, "annex"))(["origin"]));
}

/** The 10 arriving files: 5 wanted, 5 not, content in the special remote, pushed to the hub by A. */
function arrive(f) {
  const names = [];
  for (let i = 0; i < 10; i++) {
    const name = i < 5 ? `new/n${i}.wanted` : `new/n${i}.other`;
    mkdirSync(join(f.a, "new"), { recursive: true });
    writeFileSync(join(f.a, name), `new content ${i} ${"x".repeat(1000)}\n`);
    names.push(name);
  }
  annex(f.a, "add", "--quiet", "new");
  git(f.a, "commit", "-q", "-m", "10 new files");
  annex(f.a, "copy", "--quiet", "--to", "dirremote", "new");
  annex(f.a, "sync", "--quiet", "--no-content", "origin");
}

async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** One fresh (hub, clone) pair per run: restore both from snapshots, then time `fn(clone)`. */
async function series(f, runs, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    copyTree(f.hubAfter, f.hub);
    const clone = join(f.base, "run");
    copyTree(f.b0, clone);
    // A copy's index has stale stat data for every file; a long-lived clone's has not. Refresh it untimed.
    sh(clone, "git", ["update-index", "-q", "--refresh"]);
    times.push(await timed(() => fn(clone)));
  }
  return times;
}

const PULLS = {
  "git annex sync --no-content origin": (c) => annex(c, "sync", "--quiet", "--no-content", "origin"),
  "git annex sync --no-content --no-push origin": (c) => annex(c, "sync", "--quiet", "--no-content", "--no-push", "origin"),
  "git fetch + git merge + git annex merge": (c) => {
    git(c, "fetch", "-q", "origin");
    git(c, "merge", "-q", "--no-edit", "origin/main", "origin/synced/main");
    annex(c, "merge", "--quiet");
  },
  "push back: git annex sync --no-content --no-pull origin": (c) => annex(c, "sync", "--quiet", "--no-content", "--no-pull", "origin"),
};

const results = [];
for (const n of SIZES) {
  const t0 = performance.now();
  const f = buildFixture(n);
  // B's listener has synced once (full scan), so it has remembered state.
  await (await listenerSync(f.b0, "annex"))(["origin"]);
  // ...and has merged something before, as a clone that has been syncing
  // has: the first merge into a fresh clone pays a one-time cost that grows
  // with the tree (git-annex's post-merge work, 1.3 s at 20,000 files here),
  // measured on its own below.
  const firstMerge = await warmUp(f);
  arrive(f);
  f.hubAfter = join(f.base, "hub-after.git");
  copyTree(f.hub, f.hubAfter);
  console.log(`fixture ${n}: built in ${secs(performance.now() - t0)}`);
  const row = { n, firstMerge };
  row.targeted = await series(f, RUNS, async (c) => (await listenerSync(c, "annex"))(["origin"]));
  row.targetedGit = await series(f, RUNS, async (c) => (await listenerSync(c, "git"))(["origin"]));
  row.full = await series(f, RUNS, async (c) => annex(c, "sync", "--quiet", "--content"));
  row.pulls = {};
  for (const [name, fn] of Object.entries(PULLS)) row.pulls[name] = await series(f, PULL_RUNS, fn);
  // Sanity: the same end state.
  const check = join(f.base, "run");
  copyTree(f.hubAfter, f.hub);
  copyTree(f.b0, check);
  await (await listenerSync(check, "annex"))(["origin"]);
  row.got = annex(check, "find", "--in", "here", "new").split("\n").filter(Boolean).length;
  results.push(row);
  console.log(`${n} files: targeted ${secs(median(row.targeted))}, full ${secs(median(row.full))}`);
}

console.log("\nmedian of %d runs (pull variants: %d), fresh copies of the same clone (synced and merged before) and hub each run", RUNS, PULL_RUNS);
for (const r of results) {
  console.log(`\n${r.n} annexed files, 10 arriving (5 wanted; B got ${r.got} of them):`);
  console.log(`  listener (annex pull + targeted + push)  ${secs(median(r.targeted))}   [${r.targeted.map((t) => (t / 1000).toFixed(2)).join(" ")}]`);
  console.log(`  listener (git pull + targeted + push)    ${secs(median(r.targetedGit))}   [${r.targetedGit.map((t) => (t / 1000).toFixed(2)).join(" ")}]`);
  console.log(`  git annex sync --content (twin)          ${secs(median(r.full))}   [${r.full.map((t) => (t / 1000).toFixed(2)).join(" ")}]`);
  console.log(`  speed-up                                 ${(median(r.full) / median(r.targeted)).toFixed(1)}x`);
  console.log(`  (one-time: the clone's first merge ever, in the fixture   ${secs(r.firstMerge)})`);
  for (const [name, times] of Object.entries(r.pulls)) console.log(`  pull variant: ${name.padEnd(58)} ${secs(median(times))}`);
}
if (results.length >= 2) {
  const [small, large] = [results[0], results[results.length - 1]];
  console.log(`\nlistener time ${large.n} vs ${small.n} files: ${(median(large.targeted) / median(small.targeted)).toFixed(2)}x`);
}
if (process.env.KEEP_TMP !== "1") {
  sh(root, "chmod", ["-R", "u+w", root]);
  rmSync(root, { recursive: true, force: true });
} else console.log(`kept ${root}`);
