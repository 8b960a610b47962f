/**
 * `npm run bench` / `npm run bench:latency [-- --runs N --part latency|overhead|all]`
 *
 * (a) push-to-merge latency through the whole loop, (b) what our hook adds
 * to a `git push`. Real prosody, real git-annex, the built CLI; figures
 * only, nothing asserted (STYLE.md: benchmarks live in bench/).
 *
 * Topology: one box, hubs reached by path. "Hub on another machine" gives
 * the hub's hook an XDG_STATE_HOME of its own (the same account's
 * configuration): its queue is not the one B's agent sends, so the hook
 * starts the detached sender, which logs in over XMPP. "Hub on B's machine"
 * shares B's state: B's agent holds the queue and sends the entry itself.
 * For hubs over ssh on another machine, side by side with git-annex's
 * assistant, see bench/ssh-topology.ts (npm run bench:ssh).
 */
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createAnnexSandbox } from "../test/support/annex.js";
import { createCleanup } from "../scripts/lib/cleanup.js";
import { startListener } from "../scripts/lib/cli.js";
import { installHubHooks, makeRepos, startServer, writeUserConfig } from "../scripts/lib/loop.js";
import { measureOnePush, measurePlainPush, waitUntilQuiet, type LatencySample } from "./latency.js";
import { measureOverhead } from "./overhead.js";
import { ms, summarize, table } from "./stats.js";

const USAGE = `usage: npm run bench -- [--runs N] [--warmup N] [--part latency|overhead|all]
  --runs N     timed runs of each measurement (default 50: the issue asks for median and p95 of 50)
  --warmup N   untimed runs first (default 2)
  --part P     latency: push-to-merge; overhead: hook cost on git push; all (default)
  --verbose    print the listener's log lines as they come`;

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "50" },
      warmup: { type: "string", default: "2" },
      part: { type: "string", default: "all" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0 || !["latency", "overhead", "all"].includes(values.part)) {
    console.error(USAGE);
    process.exit(2);
  }
  return { runs, warmup, part: values.part as "latency" | "overhead" | "all", verbose: Boolean(values.verbose) };
}

const say = (text = "") => process.stdout.write(`${text}\n`);
let listenerLog: string[] = [];
const cleanup = createCleanup({ onInterrupt: () => process.stderr.write("\ninterrupted: cleaning up\n") });

function versions(): string {
  const first = (file: string, args: string[]) => execFileSync(file, args, { encoding: "utf8" }).split("\n")[0]!.trim();
  return [
    `node ${process.version}`,
    first("git", ["--version"]),
    first("git-annex", ["version", "--raw"]).replace(/^/, "git-annex "),
    first("prosodyctl", ["about"]).replace(/^# /, ""),
    `${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
  ].join("; ");
}

async function main(): Promise<void> {
  const { runs, warmup, part, verbose } = options();
  say(`git-annex-xmpp push benchmarks: ${runs} timed runs after ${warmup} warm-up`);
  say(versions());
  const server = await startServer();
  cleanup.add(() => server.stop());
  const box = await createAnnexSandbox("gax-bench-");
  cleanup.add(() => box.cleanup());
  await writeUserConfig(box, server);
  if (part !== "overhead") await latency(box, runs, warmup, verbose);
  if (part !== "latency") await overhead(box, runs, warmup);
  say(`\nload at the end: ${loadavg().map((l) => l.toFixed(2)).join(" ")} (figures are indicative on a shared machine)`);
}

async function latency(box: Awaited<ReturnType<typeof createAnnexSandbox>>, runs: number, warmup: number, verbose: boolean): Promise<void> {
  say("\n(a) push-to-merge latency: A runs `git annex sync --no-content`; B runs `git-annex-xmpp listen`");
  const repos = await makeRepos(box);
  await installHubHooks(box, repos.hub);
  const b = startListener(["--repo", repos.cloneB], box.env, (line) => verbose && say(`    [B listen] ${line}`));
  listenerLog = b.lines;
  cleanup.add(() => b.stop());
  await b.waitForLine(/ sync (finished|failed)/);
  const samples: LatencySample[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const sample = await measureOnePush(box, repos, b, `file-${i}.txt`);
    const label = i < warmup ? `warm-up ${i + 1}` : `run ${i - warmup + 1}`;
    say(`  ${label.padEnd(10)} A's sync ${ms(sample.syncMs).padStart(8)}   end of A's sync -> B merged ${ms(sample.endToMergeMs).padStart(8)}   hub -> B merged ${ms(sample.hubToMergeMs).padStart(8)}`);
    if (i >= warmup) samples.push(sample);
  }
  const elsewhere = "hub on another machine (its hook's detached sender logs in)";
  const here = "hub on B's machine (B's agent sends the queue)";
  const plain: Record<string, number[]> = { [elsewhere]: [], [here]: [] };
  for (const [what, isElsewhere] of [[elsewhere, true], [here, false]] as const) {
    for (let i = 0; i < warmup + runs; i++) {
      const latency = await measurePlainPush(box, repos, b, `plain-${isElsewhere ? "x" : "h"}-${i}.txt`, isElsewhere);
      if (i >= warmup) plain[what]!.push(latency);
    }
  }
  await waitUntilQuiet(b);
  await b.stop();
  const plainRows = Object.entries(plain).map(([what, values]) => {
    const s = summarize(values);
    return [`end of \`git push\` -> merged in B, ${what}`, ms(s.median), ms(s.p95), ms(s.min), ms(s.max)];
  });
  const rows = (
    [
      ["A's git annex sync (hub on B's machine)", samples.map((s) => s.syncMs)],
      ["end of A's sync -> commit merged in B", samples.map((s) => s.endToMergeMs)],
      ["commit on the hub -> commit merged in B", samples.map((s) => s.hubToMergeMs)],
    ] as Array<[string, number[]]>
  ).map(([what, values]) => {
    const s = summarize(values);
    return [what, ms(s.median), ms(s.p95), ms(s.min), ms(s.max)];
  });
  say(`\n${table(["push-to-merge, n=" + runs, "median", "p95", "min", "max"], rows)}`);
  say("  (negative: B had merged the commit before A's `git annex sync` returned)");
  say(`\n${table(["one plain git push, n=" + runs, "median", "p95", "min", "max"], plainRows)}`);
}

async function overhead(box: Awaited<ReturnType<typeof createAnnexSandbox>>, runs: number, warmup: number): Promise<void> {
  say("\n(b) hook overhead on `git push` of one tiny commit to a bare hub");
  const samples = await measureOverhead(box, runs, warmup);
  const medians = new Map([...samples].map(([row, values]) => [row, summarize(values).median]));
  const rows = [...samples].map(([row, values]) => {
    const s = summarize(values);
    return [row, ms(s.median), ms(s.p95), ms(s.min), ms(s.max)];
  });
  const added = medians.get("push, our hook")! - medians.get("push, no hook")!;
  rows.push(["our hook adds (median difference)", ms(added), "", "", ""]);
  say(`\n${table(["git push / process start, n=" + runs, "median", "p95", "min", "max"], rows)}`);
}

try {
  await main();
  await cleanup.run();
} catch (error) {
  if (!cleanup.signal.aborted) {
    process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
    if (listenerLog.length > 0) process.stderr.write(`last lines of B's listener:\n${listenerLog.slice(-20).map((l) => `  ${l}`).join("\n")}\n`);
    await cleanup.run();
    process.exit(1);
  }
}
