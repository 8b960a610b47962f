/**
 * `npm run bench:hooks [-- --runs N]`: what our hook adds to a `git push`
 * (issue 9: at most 0.15x a bare `node -e 0`, with and without an agent).
 * The hook only appends an entry to the user's queue in shell; with an
 * agent running (it holds the queue lock) that is all, without one it also
 * starts the detached `flush --background` sender, which the push does not
 * wait for. Hubs reached by path, one machine, the built CLI, real prosody;
 * figures only, nothing asserted.
 *
 *   node -e 0                           the floor: starting node at all
 *   git push, no hook                   a hub without our hook
 *   git push, our hook, agent running   `listen` of the user holds the queue
 *   git push, our hook, no agent        the hook starts the detached sender
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { createAnnexSandbox } from "../test/support/annex.js";
import { createCleanup } from "../scripts/lib/cleanup.js";
import { loadavg } from "node:os";
import { startListener, type Listener } from "../scripts/lib/cli.js";
import { installHubHooks, startServer, writeUserConfig } from "../scripts/lib/loop.js";
import { ms, summarize, table } from "./stats.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" }, warmup: { type: "string", default: "3" } } });
const runs = Number(values.runs);
const warmup = Number(values.warmup);

const cleanup = createCleanup({ onInterrupt: () => process.stderr.write("interrupted: cleaning up\n") });
const samples = new Map<string, number[]>();
const record = (row: string, value: number) => samples.set(row, [...(samples.get(row) ?? []), value]);

async function main(): Promise<void> {
  const server = await startServer();
  cleanup.add(() => server.stop());
  const box = await createAnnexSandbox("gax-bench-hooks-");
  cleanup.add(() => box.cleanup());
  await writeUserConfig(box, server);
  const plain = await box.makeHub(join(box.root, "plain.git"), "plain hub");
  const hooked = await box.makeHub(join(box.root, "hooked.git"), "hooked hub");
  await installHubHooks(box, hooked);
  // The agent's own repository is unrelated to the hub: it sends the user's whole queue all the same.
  const relayRepo = join(box.root, "relay");
  await mkdir(relayRepo);
  await box.git(relayRepo, ["init", "--quiet"]);
  await box.git(relayRepo, ["annex", "init", "relay"]);
  const pusher = join(box.root, "pusher");
  await execa("git", ["init", "--quiet", pusher], { env: box.env, extendEnv: false });

  const timed = async (file: string, args: string[]) => {
    const started = performance.now();
    const result = await execa(file, args, { env: box.env, extendEnv: false, stdin: "ignore", reject: false });
    if (result.exitCode !== 0) throw new Error(`${file} ${args.join(" ")} failed: ${result.stderr}`);
    return performance.now() - started;
  };
  let round = 0;
  const commit = async () => {
    await writeFile(join(pusher, "tiny.txt"), `${round++}\n`);
    await execa("git", ["-C", pusher, "commit", "--quiet", "-am", "tiny"], { env: box.env, extendEnv: false }).catch(async () => {
      await execa("git", ["-C", pusher, "add", "tiny.txt"], { env: box.env, extendEnv: false });
      await execa("git", ["-C", pusher, "commit", "--quiet", "-m", "tiny"], { env: box.env, extendEnv: false });
    });
  };
  const push = (hub: string) => timed("git", ["-C", pusher, "push", "--quiet", hub, "HEAD:refs/heads/main"]);
  const node0 = () => timed(process.execPath, ["-e", "0"]);

  const phase = async (label: string, steps: Array<[string, () => Promise<number>]>) => {
    process.stderr.write(`${label}: ${warmup} + ${runs} rounds\n`);
    for (let i = 0; i < warmup + runs; i++) {
      await commit();
      const order = [...steps.slice(i % steps.length), ...steps.slice(0, i % steps.length)];
      for (const [row, measure] of order) {
        const elapsed = await measure();
        if (i >= warmup) record(row, elapsed);
      }
    }
  };

  const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
  const loads = [load()];
  const listener: Listener = startListener(["--repo", relayRepo], box.env);
  cleanup.add(() => listener.stop());
  await listener.waitForLine(/connected as /, { timeoutMs: 30_000 });
  await phase("with an agent running", [
    ["node -e 0", node0],
    ["git push, no hook", () => push(plain)],
    ["git push, our hook, agent running", () => push(hooked)],
  ]);
  await listener.stop();
  loads.push(load());
  await phase("without an agent", [
    ["node -e 0 ", node0],
    ["git push, no hook ", () => push(plain)],
    ["git push, our hook, no agent", () => push(hooked)],
  ]);
  loads.push(load());
  const floor = summarize([...(samples.get("node -e 0") ?? []), ...(samples.get("node -e 0 ") ?? [])]).median;
  const rows = [...samples.entries()].map(([row, list]) => {
    const s = summarize(list);
    return [row.trim(), ms(s.median), ms(s.p95), `${(s.median / floor).toFixed(2)}x`];
  });
  console.log(table(["measurement", "median", "p95", "vs node -e 0"], rows));
  // Each phase against its own rounds: the machine's load changes between them.
  const median = (row: string) => summarize(samples.get(row)!).median;
  const added = (hooked: string, plain: string, node: string) => {
    const extra = median(hooked) - median(plain);
    return `${ms(extra)} (${(extra / median(node)).toFixed(2)}x node -e 0; target <= 0.15x)`;
  };
  console.log(`\nour hook adds to git push: ${added("git push, our hook, agent running", "git push, no hook", "node -e 0")} with an agent running, ` +
    `${added("git push, our hook, no agent", "git push, no hook ", "node -e 0 ")} without`);
  console.log(`load average (1, 5, 15 min) at the start, between the phases, at the end: ${loads.join(" | ")}`);
}

try {
  await main();
} finally {
  await cleanup.run();
}
