/**
 * `npm run bench:client-hook [-- --rounds N]` — issue 10: what the client
 * hook (install-hooks --client, git's reference-transaction hook) adds to
 * ordinary git commands in the clone, next to starting node at all.
 *
 * Topology: one machine, a bare hub by local path (no hook of ours), two
 * identical clones: one with the client block, one without. Each round runs
 * the same command in both, alternating which goes first. `git push`: the
 * queue lock names a live process (as when an agent runs), so the hook
 * writes its entry and starts no sender: what the push itself waits for.
 * Target (issue 10): ≤ 0.1× `node -e 0` for commit and fetch.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createSandboxHome, removeSandbox, testEnv } from "../test/support/annex.js";
import { createCleanup } from "../scripts/lib/cleanup.js";
import { runCli } from "../scripts/lib/cli.js";
import { ms, summarize, table } from "./stats.js";

const say = (text = "") => process.stdout.write(`${text}\n`);
const cleanup = createCleanup({ onInterrupt: () => process.stderr.write("\ninterrupted: cleaning up\n") });

function timed(file: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): number {
  const started = performance.now();
  execFileSync(file, args, { env, cwd, stdio: "ignore" });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "30" } } });
  const rounds = Number(values.rounds);
  const { root, home } = await createSandboxHome("gax-bench-client-hook-");
  cleanup.add(() => removeSandbox(root));
  const env = { ...testEnv(home), XDG_STATE_HOME: join(root, "state") };
  // As when an agent holds the queue: the hook starts no sender (this process is alive).
  await mkdir(join(root, "state", "git-annex-xmpp"), { recursive: true });
  await writeFile(join(root, "state", "git-annex-xmpp", "queue.lock"), `${process.pid}\n`);
  const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, ...args], { env, stdio: "ignore" });
  const hub = join(root, "hub.git");
  git(root, "init", "--bare", "--quiet", hub);
  git(hub, "annex", "init", "hub");
  const upstream = join(root, "upstream");
  git(root, "clone", "--quiet", hub, upstream);
  git(upstream, "commit", "--quiet", "--allow-empty", "-m", "first");
  git(upstream, "push", "--quiet", "origin", "HEAD");
  const clones = { with: join(root, "with-hook"), without: join(root, "without-hook") };
  for (const [name, dir] of Object.entries(clones)) {
    git(root, "clone", "--quiet", hub, dir);
    git(dir, "annex", "init", name);
    git(dir, "annex", "sync", "--quiet");
    // Each pushes to a branch of its own, so that both always fast-forward.
    git(dir, "checkout", "--quiet", "-b", name);
  }
  const installed = await runCli(["install-hooks", "--client", "--repo", clones.with], { env });
  if (installed.exitCode !== 0) throw new Error(installed.stderr);

  const samples = new Map<string, number[]>();
  const add = (key: string, value: number) => samples.set(key, [...(samples.get(key) ?? []), value]);
  for (let i = 0; i < rounds; i++) {
    add("node -e 0", timed(process.execPath, ["-e", "0"], env));
    git(upstream, "commit", "--quiet", "--allow-empty", "-m", `upstream ${i}`);
    git(upstream, "push", "--quiet", "origin", "HEAD");
    const order = i % 2 === 0 ? (["with", "without"] as const) : (["without", "with"] as const);
    for (const which of order) {
      const dir = clones[which];
      add(`git commit/${which}`, timed("git", ["-C", dir, "commit", "--quiet", "--allow-empty", "-m", `c${i}`], env));
      add(`git fetch/${which}`, timed("git", ["-C", dir, "fetch", "--quiet", "origin"], env));
      add(`git push/${which}`, timed("git", ["-C", dir, "push", "--quiet", "origin", `HEAD:refs/heads/${which}`], env));
    }
  }
  const node = summarize(samples.get("node -e 0")!).median;
  const rows = [["node -e 0", ms(node), "", "", ""]];
  for (const command of ["git commit", "git fetch", "git push"]) {
    const withHook = summarize(samples.get(`${command}/with`)!).median;
    const without = summarize(samples.get(`${command}/without`)!).median;
    rows.push([command, ms(without), ms(withHook), ms(withHook - without), `${((withHook - without) / node).toFixed(3)}×`]);
  }
  say(`issue 10: the client hook's cost, medians of ${rounds} rounds (hub by local path; push: an agent holds the queue)`);
  say(table(["command", "without hook", "with hook", "added", "added / node -e 0"], rows));
  say("target: ≤ 0.1× node -e 0 for commit and fetch");
}

main()
  .catch((error: unknown) => {
    process.exitCode = 1;
    console.error(error);
  })
  .finally(() => cleanup.run());
