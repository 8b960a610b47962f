/**
 * `npm run bench:sender [-- --runs N]` (issue 11): where the hook's
 * detached sender (`flush --background`, started when no agent runs) spends
 * its time before the presence is out. One machine, real prosody, the built
 * CLI, the SCRAM keys cached by a first login. Each round writes one queue
 * entry for a bare hub (as hooks/notify-block.sh does) and times:
 *
 *   node -e 0                             starting node at all
 *   load the sender's modules             dist/announce/sender.js imported, nothing run (not bundled)
 *   load the hook's sender                dist/hook-sender.js, what cli.js loads for it (bundled by npm run build)
 *   load the full command line            dist/main.js + yargs, as any other command
 *   flush --background, empty queue       start, lock, look, exit
 *   flush --background, one entry         start, log in, presence, ack, log out
 *
 * Then the timeline of the last row, step by step (bench/sender-timeline.ts),
 * from the sender's debug log (GIT_ANNEX_XMPP_TRACE=1, the hook's trace switch).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { createAnnexSandbox } from "../test/support/annex.js";
import { createCleanup } from "../scripts/lib/cleanup.js";
import { CLI } from "../scripts/lib/cli.js";
import { startServer, writeUserConfig } from "../scripts/lib/loop.js";
import { ms, summarize, table } from "./stats.js";
import { EXITED, readSenderTimeline, resetSenderLog, SENDER_STEPS } from "./sender-timeline.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" } } });
const runs = Number(values.runs);
const cleanup = createCleanup({ onInterrupt: () => process.stderr.write("interrupted: cleaning up\n") });
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

async function main(): Promise<void> {
  const server = await startServer();
  cleanup.add(() => server.stop());
  const box = await createAnnexSandbox("gax-bench-sender-");
  cleanup.add(() => box.cleanup());
  await writeUserConfig(box, server);
  const hub = await box.makeHub(join(box.root, "hub.git"), "hub");
  const state = join(box.env.XDG_STATE_HOME ?? join(box.home, ".local", "state"), "git-annex-xmpp");
  const queue = join(state, "queue");
  await mkdir(queue, { recursive: true, mode: 0o700 });
  const entry = async (n: number) => {
    const text = `git-annex-xmpp-queue 1\nhook post-update\nrepo ${hub}\n\nrefs/heads/main\nend\n`;
    await writeFile(join(queue, `e.bench.${n}`), text, { mode: 0o600 });
  };
  const timed = async (args: string[]) => {
    const started = performance.now();
    // In the hub, as its hook runs: cosmiconfig looks for a meta configuration in the working directory.
    const result = await execa(process.execPath, args, { cwd: hub, env: box.env, extendEnv: false, stdin: "ignore", reject: false });
    if (result.exitCode !== 0) throw new Error(`node ${args.join(" ")} failed: ${result.stderr}`);
    return performance.now() - started;
  };
  const dist = join(CLI, "..");
  const rows: Array<[string, () => Promise<number>]> = [
    ["node -e 0", () => timed(["-e", "0"])],
    ["load the sender's modules", () => timed(["--input-type=module", "-e", `await import(${JSON.stringify(join(dist, "announce", "sender.js"))})`])],
    ["load the hook's sender (bundled)", () => timed(["--input-type=module", "-e", `await import(${JSON.stringify(join(dist, "hook-sender.js"))})`])],
    ["load the full command line (yargs)", () => timed(["--input-type=module", "-e", `const m = await import(${JSON.stringify(join(dist, "main.js"))}); await m.buildCli([], new AbortController().signal)`])],
    ["flush --background, empty queue", () => timed([CLI, "flush", "--background"])],
    ["flush --background, one entry", async () => (await entry(0), timed([CLI, "flush", "--background"]))],
  ];
  await entry(0);
  await timed([CLI, "flush", "--background"]); // a first login caches the SCRAM keys
  const samples = new Map<string, number[]>(rows.map(([row]) => [row, []]));
  console.log(`issue 11: the hook's sender, ${runs} rounds; load at the start ${load()}`);
  for (let i = 0; i < runs + 2; i++) {
    for (const [row, measure] of rows) {
      const elapsed = await measure();
      if (i >= 2) samples.get(row)!.push(elapsed);
    }
  }
  const floor = summarize(samples.get("node -e 0")!).median;
  console.log(table(["sender start", "median", "p95", "vs node -e 0"], [...samples].map(([row, list]) => {
    const s = summarize(list);
    return [row, ms(s.median), ms(s.p95), `${(s.median / floor).toFixed(2)}x`];
  })));
  console.log(await timeline(runs, { cwd: hub, env: box.env, log: join(state, "logs", "sender.log"), entry: () => entry(0) }));
  console.log(`load at the end: ${load()}`);
}

/** `flush --background` with one entry and its trace on, `runs` times: the median time of each step. */
async function timeline(count: number, o: { cwd: string; env: NodeJS.ProcessEnv; log: string; entry(): Promise<void> }): Promise<string> {
  const steps = new Map<string, number[]>([...SENDER_STEPS.map(([step]) => step), EXITED].map((step) => [step, []]));
  for (let i = 0; i < count; i++) {
    await o.entry();
    await resetSenderLog(o.log);
    const spawnedAt = Date.now();
    await execa(process.execPath, [CLI, "flush", "--background"], { cwd: o.cwd, env: { ...o.env, GIT_ANNEX_XMPP_TRACE: "1" }, extendEnv: false, stdin: "ignore" });
    const exited = Date.now() - spawnedAt;
    for (const [step, at] of await readSenderTimeline(o.log, spawnedAt)) steps.get(step)!.push(at);
    steps.get(EXITED)!.push(exited);
  }
  let previous = 0;
  const rows = [...steps].filter(([, list]) => list.length > 0).map(([step, list]) => {
    const { median, p95 } = summarize(list);
    const row = [step, ms(median), ms(median - previous), ms(p95)];
    previous = median;
    return row;
  });
  return `\nflush --background, one entry, step by step (from the spawn; ${count} runs, the sender's trace)\n${table(["step", "median", "step took", "p95"], rows)}`;
}

try {
  await main();
} finally {
  await cleanup.run();
}
