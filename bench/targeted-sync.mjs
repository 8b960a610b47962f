#!/usr/bin/env node
/**
 * Benchmark of issue 3: the listener's reaction to an announcement (pull +
 * targeted transfers + push) against `git annex sync --content` on a twin
 * clone, at 2,000 and 20,000 annexed files, 10 new files arriving (5 wanted,
 * 5 not) with content in a directory special remote. Median of 5, each run
 * on a fresh copy of the same clone and hub, the sizes interleaved. The
 * listener runs as `listen` runs it (default pull method), and once more
 * pulling with `git annex sync`. Also times the pull variants by hand.
 * Runs on dist/ (npm run bench:sync builds first). Prints figures; asserts nothing.
 *
 *   node bench/targeted-sync.mjs [sizes…]   e.g. 2000 20000 (the default)
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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

/** Wall time, and the CPU time of this process and its waited-for children (less disturbed by other load). */
async function timed(fn) {
  const cpu0 = cpuMs();
  const start = performance.now();
  await fn();
  return { wall: performance.now() - start, cpu: cpuMs() - cpu0 };
}

/** utime + stime + cutime + cstime of /proc/self/stat, in ms (clock ticks of 10 ms). */
function cpuMs() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) * 10;
}

/** Restore a fresh (hub, clone) pair from the snapshots, then time `fn(clone)`. */
async function once(f, fn) {
  copyTree(f.hubAfter, f.hub);
  const clone = join(f.base, "run");
  copyTree(f.b0, clone);
  // A copy's index has stale stat data for every file; a long-lived clone's has not. Refresh it untimed.
  sh(clone, "git", ["update-index", "-q", "--refresh"]);
  return timed(() => fn(clone));
}

const PULLS = {
  "git annex sync --no-content origin": (c) => annex(c, "sync", "--quiet", "--no-content", "origin"),
  "git annex sync --no-content --no-push origin": (c) => annex(c, "sync", "--quiet", "--no-content", "--no-push", "origin"),
  "git fetch + git merge --ff-only + git annex merge": (c) => {
    git(c, "fetch", "-q", "origin");
    git(c, "merge", "-q", "--ff-only", "refs/remotes/origin/main", "refs/remotes/origin/synced/main");
    annex(c, "merge", "--quiet");
  },
  "push back: git annex sync --no-content --no-pull origin": (c) => annex(c, "sync", "--quiet", "--no-content", "--no-pull", "origin"),
  "push back, clean tree: ... --no-commit --no-pull origin": (c) => annex(c, "sync", "--quiet", "--no-commit", "--no-content", "--no-pull", "origin"),
};

const VARIANTS = {
  targeted: async (c) => (await listenerSync(c, "git"))(["origin"]),
  targetedAnnex: async (c) => (await listenerSync(c, "annex"))(["origin"]),
  full: async (c) => annex(c, "sync", "--quiet", "--content"),
};

const fixtures = [];
for (const n of SIZES) {
  const t0 = performance.now();
  const f = buildFixture(n);
  // B's listener has synced once (full scan), so it has remembered state.
  await (await listenerSync(f.b0, "annex"))(["origin"]);
  // ...and has merged something before, as a clone that has been syncing
  // has: the first merge into a fresh clone pays a one-time cost that grows
  // with the tree (git-annex's post-merge work, 1.3 s at 20,000 files here),
  // measured on its own below.
  f.firstMerge = (await warmUp(f)).wall;
  arrive(f);
  f.hubAfter = join(f.base, "hub-after.git");
  copyTree(f.hub, f.hubAfter);
  console.log(`fixture ${n}: built in ${secs(performance.now() - t0)}`);
  fixtures.push({ n, f, runs: { targeted: [], targetedAnnex: [], full: [] }, pulls: {} });
}

// Runs interleave the sizes (and variants), so that load from other work
// on the machine falls on all of them alike instead of on one series.
for (let i = 0; i < RUNS; i++) {
  for (const row of fixtures) {
    for (const [name, fn] of Object.entries(VARIANTS)) row.runs[name].push(await once(row.f, fn));
  }
}
for (let i = 0; i < PULL_RUNS; i++) {
  for (const row of fixtures) {
    for (const [name, fn] of Object.entries(PULLS)) (row.pulls[name] ??= []).push(await once(row.f, fn));
  }
}
for (const row of fixtures) {
  // Sanity: the listener ends where sync --content ends.
  const inHere = async (fn) => {
    await once(row.f, fn);
    return annex(join(row.f.base, "run"), "find", "--in", "here").split("\n").filter(Boolean).sort().join("\n");
  };
  const [mine, theirs] = [await inHere(VARIANTS.targeted), await inHere(VARIANTS.full)];
  row.got = mine.split("\n").filter((p) => p.startsWith("new/")).length;
  row.same = mine === theirs;
}

const wall = (xs) => median(xs.map((x) => x.wall));
const cpu = (xs) => median(xs.map((x) => x.cpu));
const list = (xs) => xs.map((x) => (x.wall / 1000).toFixed(2)).join(" ");
console.log("\nmedian of %d runs (pull variants: %d), sizes interleaved, fresh copies of the same clone (synced and merged before) and hub each run", RUNS, PULL_RUNS);
console.log("wall time, then CPU time of all processes (less sensitive to other load on the machine)");
for (const r of fixtures) {
  console.log(`\n${r.n} annexed files, 10 arriving (5 wanted; B got ${r.got} of them; same files here as sync --content: ${r.same ? "yes" : "NO"}):`);
  console.log(`  listener (default pull + targeted + push)  ${secs(wall(r.runs.targeted))}  cpu ${secs(cpu(r.runs.targeted))}   [${list(r.runs.targeted)}]`);
  console.log(`  listener (pull with git annex sync)        ${secs(wall(r.runs.targetedAnnex))}  cpu ${secs(cpu(r.runs.targetedAnnex))}   [${list(r.runs.targetedAnnex)}]`);
  console.log(`  git annex sync --content (twin)            ${secs(wall(r.runs.full))}  cpu ${secs(cpu(r.runs.full))}   [${list(r.runs.full)}]`);
  console.log(`  speed-up                                   ${(wall(r.runs.full) / wall(r.runs.targeted)).toFixed(1)}x`);
  console.log(`  (one-time: the clone's first merge ever, in the fixture   ${secs(r.f.firstMerge)})`);
  for (const [name, times] of Object.entries(r.pulls)) console.log(`  pull variant: ${name.padEnd(58)} ${secs(wall(times))}  cpu ${secs(cpu(times))}`);
}
if (fixtures.length >= 2) {
  const [small, large] = [fixtures[0], fixtures[fixtures.length - 1]];
  const ratio = (name, of) => (of(large.runs[name]) / of(small.runs[name])).toFixed(2);
  console.log(`\nlistener time ${large.n} vs ${small.n} files: ${ratio("targeted", wall)}x wall, ${ratio("targeted", cpu)}x cpu (pull with sync: ${ratio("targetedAnnex", wall)}x wall)`);
}
if (process.env.KEEP_TMP !== "1") {
  sh(root, "chmod", ["-R", "u+w", root]);
  rmSync(root, { recursive: true, force: true });
} else console.log(`kept ${root}`);
