/**
 * `npm run bench:hooks [-- --runs N]`: what a hook costs with and without a
 * running `listen` to hand announcements to (issue 4, items 1-2).
 *
 *   node -e 0                        the floor: starting node at all
 *   notify, hand-off                 a listen of the account runs: one line over its socket
 *                                    (dist/notify-hook.cjs, what the hook runs; and dist/cli.js)
 *   notify, direct                   no listen: log in, presence, ping, log out
 *   git push, no hook / hook + listen / hook, no listen
 *
 * The target: with a listen running the hook adds no more than 1.3x a bare
 * `node -e 0`. Real prosody, the built CLI; figures only, nothing asserted.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { createAnnexSandbox } from "../test/support/annex.js";
import { createCleanup } from "../scripts/lib/cleanup.js";
import { CLI, startListener, type Listener } from "../scripts/lib/cli.js";
import { installHubHooks, startServer, writeUserConfig } from "../scripts/lib/loop.js";
import { ms, summarize, table } from "./stats.js";

const HOOK_ENTRY = join(dirname(CLI), "notify-hook.cjs");
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
  // The daemon's own repository is unrelated to the hub, so it relays hand-offs for it.
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
  const notifyWith = (entry: string) => () => timed(process.execPath, [entry, "notify", "--hook", "post-update", "--repo", hooked, "--", "refs/heads/main"]);
  // What the hook runs (the bundled fast path), and the general command.
  const notify = notifyWith(HOOK_ENTRY);
  const notifyCli = notifyWith(CLI);
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

  const listener: Listener = startListener(["--repo", relayRepo], box.env);
  cleanup.add(() => listener.stop());
  await listener.waitForLine(/hand-off socket: /, { timeoutMs: 30_000 });
  await listener.waitForLine(/connected as /, { timeoutMs: 30_000 });
  await phase("with listen running", [
    ["node -e 0", node0],
    ["notify, hand-off (listen running)", notify],
    ["notify via cli.js, hand-off", notifyCli],
    ["git push, no hook", () => push(plain)],
    ["git push, our hook, listen running", () => push(hooked)],
  ]);
  const handOffs = listener.count(/hand-off from notify/);
  await listener.stop();
  await phase("without listen", [
    ["node -e 0 ", node0],
    ["notify, direct (no listen)", notify],
    ["git push, no hook ", () => push(plain)],
    ["git push, our hook, no listen", () => push(hooked)],
  ]);

  const floor = summarize([...(samples.get("node -e 0") ?? []), ...(samples.get("node -e 0 ") ?? [])]).median;
  const rows = [...samples.entries()].map(([row, list]) => {
    const s = summarize(list);
    return [row.trim(), ms(s.median), ms(s.p95), `${(s.median / floor).toFixed(2)}x`];
  });
  console.log(table(["measurement", "median", "p95", "vs node -e 0"], rows));
  const noHook = summarize([...(samples.get("git push, no hook") ?? []), ...(samples.get("git push, no hook ") ?? [])]).median;
  const hookWith = summarize(samples.get("git push, our hook, listen running")!).median;
  const hookWithout = summarize(samples.get("git push, our hook, no listen")!).median;
  console.log(`\nhook adds to git push: ${ms(hookWith - noHook)} with listen running (${((hookWith - noHook) / floor).toFixed(2)}x node -e 0), ` +
    `${ms(hookWithout - noHook)} without`);
  console.log(`hand-offs the listener logged: ${handOffs}`);
}

try {
  await main();
} finally {
  await cleanup.run();
}
