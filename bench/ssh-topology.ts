/**
 * `npm run bench:ssh [-- --pushes N …]` — issue 11, item 1: the real
 * topology, side by side with git-annex's own push notification.
 *
 * Topology (all on this box, each "machine" its own HOME/XDG dirs): a hub
 * machine behind a private sshd on a loopback port, whose bare annex hub has
 * our post-receive hook and the hub machine's own git-annex-xmpp account
 * configuration; clone A pushes over ssh; clone B1 runs `git annex
 * assistant` (remotedaemon: `git-annex-shell notifychanges` over ssh); clone
 * B2 runs `git-annex-xmpp listen`. Both react to the SAME pushes. The hub's
 * hook only queues the announcement on the hub machine; with no agent there
 * (--hub-agent none) it starts the detached `flush --background` sender,
 * with one (--hub-agent listen: `listen --repo hub.git`, relay only) that
 * agent sends it over its warm session.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createSandboxHome, removeSandbox } from "../test/support/annex.js";
import { createCleanup } from "../scripts/lib/cleanup.js";
import { buildTopology, notifierRunning, type HubAgent } from "./ssh-setup.js";
import { measurePush, measurePushCost, type PushKind, type PushSample } from "./ssh-measure.js";
import { ms, summarize, table } from "./stats.js";
import { waitFor } from "../test/support/wait.js";

const USAGE = `usage: npm run bench:ssh -- [options]
  --pushes N          timed plain pushes (default 30; env GAX_BENCH_PUSHES)
  --old-ref-pushes N  timed pushes that also move refs/heads/side to an old commit (default 10; env GAX_BENCH_OLD_REF_PUSHES)
  --warmup N          untimed pushes first (default 2)
  --pusher P          git-push (default) or annex-sync: what A runs for the plain series
  --hub-agent H       none (default: the hook starts a detached sender that logs in), or
                      listen (an agent on the hub machine, \`listen --repo hub.git\`, sends the queue)
  --timeout MS        a push not merged within MS counts as lost (default 20000; env GAX_BENCH_TIMEOUT_MS)
  --verbose           run the agents with --verbose and print their log lines`;

function options() {
  const env = process.env;
  const { values } = parseArgs({
    options: {
      pushes: { type: "string", default: env.GAX_BENCH_PUSHES ?? "30" },
      "old-ref-pushes": { type: "string", default: env.GAX_BENCH_OLD_REF_PUSHES ?? "10" },
      warmup: { type: "string", default: "2" },
      pusher: { type: "string", default: "git-push" },
      "hub-agent": { type: "string", default: "none" },
      timeout: { type: "string", default: env.GAX_BENCH_TIMEOUT_MS ?? "20000" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const counts = [values.pushes, values["old-ref-pushes"], values.warmup, values.timeout].map(Number);
  const bad = counts.some((n) => !Number.isInteger(n) || n < 0) || !["git-push", "annex-sync"].includes(values.pusher) || !["none", "listen"].includes(values["hub-agent"]);
  if (bad || counts[0]! < 1) {
    console.error(USAGE);
    process.exit(2);
  }
  const [pushes, oldRefPushes, warmup, timeoutMs] = counts as [number, number, number, number];
  const plain: PushKind = values.pusher === "annex-sync" ? "git annex sync" : "git push";
  return { pushes, oldRefPushes, warmup, timeoutMs, plain, hubAgent: values["hub-agent"] as HubAgent, verbose: Boolean(values.verbose) };
}

const say = (text = "") => process.stdout.write(`${text}\n`);
const cleanup = createCleanup({ onInterrupt: () => process.stderr.write("\ninterrupted: cleaning up\n") });
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

function versions(): string {
  const first = (file: string, args: string[]) => execFileSync(file, args, { encoding: "utf8" }).split("\n")[0]!.trim();
  const ssh = spawnSync("ssh", ["-V"], { encoding: "utf8" }).stderr.split(",")[0] ?? "";
  return [`node ${process.version}`, first("git", ["--version"]), `git-annex ${first("git-annex", ["version", "--raw"])}`, ssh.trim() || "OpenSSH", `${cpus().length} CPUs, load ${load()}`].join("; ");
}

async function main(): Promise<void> {
  const o = options();
  say(`issue 11 side by side: ${o.pushes} × ${o.plain}, ${o.oldRefPushes} × git push + old ref, after ${o.warmup} warm-up; lost after ${o.timeoutMs} ms`);
  say(versions());
  say(`topology: hub machine behind a private sshd on 127.0.0.1; A pushes over ssh; B1 \`git annex assistant\`; B2 \`git-annex-xmpp listen\`; hub agent: ${o.hubAgent === "none" ? "none (the hook queues, then starts a detached sender that logs in)" : "an agent on the hub machine (listen --repo hub.git) sends the queue"}`);
  const { root } = await createSandboxHome("gax-bench-ssh-");
  cleanup.add(() => removeSandbox(root));
  const t = await buildTopology(root, cleanup, { hubAgent: o.hubAgent, verbose: o.verbose, onLine: (who, line) => o.verbose && say(`    [${who}] ${line}`) });
  await waitFor(() => notifierRunning(t.hub), { timeoutMs: 60_000, intervalMs: 100, what: "B1's remotedaemon to run git-annex-shell notifychanges on the hub" });
  const samples: PushSample[] = [];
  const series: Array<[PushKind, number]> = [[o.plain, o.pushes], ["git push + old ref", o.oldRefPushes]];
  let index = 0;
  for (const [kind, count] of series) {
    for (let i = 0; i < (kind === o.plain ? o.warmup : 0) + count; i++) {
      const sample = await measurePush(t, index++, kind, o.timeoutMs);
      const warm = kind === o.plain && i < o.warmup;
      say(`  ${(warm ? "warm-up" : kind).padEnd(18)} #${String(index).padStart(2)}  push ${ms(sample.pushMs).padStart(7)}   hub→B1 ${rel(sample.assistantAt, sample.hubAt)}   hub→B2 ${rel(sample.oursAt, sample.hubAt)}`);
      if (!warm) samples.push(sample);
    }
  }
  report(samples, o.plain);
  say(`\npush cost: ${o.pushes} rounds to two more hubs on the hub machine, with and without our hook`);
  const cost = await measurePushCost(t, o.pushes, 1);
  const rows = [...cost].map(([row, values]) => {
    const s = summarize(values);
    return [row, ms(s.median), ms(s.p95), ms(s.max)];
  });
  const ratio = summarize(cost.get("git push over ssh, our hook")!).median / summarize(cost.get("git push over ssh, no hook")!).median;
  say(table(["A's push to a hub over ssh", "median", "p95", "max"], rows));
  say(`our hook: ${ratio.toFixed(2)}× a push without it (target ≤ 1.05×)`);
  say(`\nload at the end: ${load()} (a shared machine: figures are indicative)`);
}

function rel(at: number | undefined, from: number | undefined): string {
  return at === undefined || from === undefined ? "   lost" : ms(at - from).padStart(7);
}

function report(samples: PushSample[], plain: PushKind): void {
  for (const kind of [plain, "git push + old ref"] as const) {
    const of = samples.filter((s) => s.kind === kind);
    if (of.length === 0) continue;
    const rows: string[][] = [];
    const medians: Record<string, number> = {};
    for (const [from, start] of [["hub's ref write", (s: PushSample) => s.hubAt], ["end of A's push", (s: PushSample) => s.pushEnd]] as const) {
      for (const [who, at] of [["git annex assistant (B1)", (s: PushSample) => s.assistantAt], ["git-annex-xmpp listen (B2)", (s: PushSample) => s.oursAt]] as const) {
        const values = of.flatMap((s) => (at(s) !== undefined && start(s) !== undefined ? [at(s)! - start(s)!] : []));
        const lost = of.length - values.length;
        if (values.length === 0) {
          rows.push([`from the ${from}: ${who}`, "-", "-", "-", String(lost)]);
          continue;
        }
        const s = summarize(values);
        medians[`${from}/${who}`] = s.median;
        rows.push([`from the ${from}: ${who}`, ms(s.median), ms(s.p95), ms(s.max), String(lost)]);
      }
      const ours = medians[`${from}/git-annex-xmpp listen (B2)`];
      const theirs = medians[`${from}/git annex assistant (B1)`];
      if (ours !== undefined && theirs !== undefined && ours > 0 && theirs > 0) rows.push([`  ratio of medians, ours / assistant`, `${(ours / theirs).toFixed(2)}×`, "", "", ""]);
    }
    // git-annex's notifier may skip a push that B1 then only fetches because B2's push-back moved synced/main on the hub.
    const rescued = of.filter((s) => s.assistantAt !== undefined && s.pushBackAt !== undefined && s.pushBackAt < s.assistantAt).length;
    if (kind !== "git annex sync") rows.push([`B1 merged only after B2's push-back reached the hub`, "", "", "", `${rescued}/${of.length}`]);
    const push = summarize(of.map((s) => s.pushMs));
    rows.push([`A's ${kind} itself (with our hook on the hub)`, ms(push.median), ms(push.p95), ms(push.max), ""]);
    say(`\n${table([`${kind}, n=${of.length}: to merged`, "median", "p95", "max", "lost"], rows)}`);
  }
}

try {
  await main();
  await cleanup.run();
} catch (error) {
  if (!cleanup.signal.aborted) {
    process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
    await cleanup.run();
    process.exit(1);
  }
}
