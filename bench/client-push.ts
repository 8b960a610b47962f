/**
 * `npm run bench:client-push [-- --pushes N --announcer agent|client-hook]`
 * — issue 10: a hub that runs nothing of ours, reached over ssh; the clone
 * that pushes announces.
 *
 * Topology (one box, each "machine" its own HOME/XDG dirs): a bare annex hub
 * behind a private sshd on a loopback port, without any hook of ours; clone
 * A on machine a pushes over ssh (`git push`), and announces either with
 * its agent (`listen --repo A`, watching its remote-tracking reflogs) or,
 * with no agent, with the client hook (`install-hooks --client`, which
 * starts a detached sender per push); clone B on machine b runs its agent.
 * Measured: from the end of A's `git push` to B's branch at A's commit.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createSandboxHome, removeSandbox } from "../test/support/annex.js";
import { waitForQuiet } from "../test/support/loop-fixture.js";
import { startSshd, type Machine } from "../test/support/sshd.js";
import { waitFor } from "../test/support/wait.js";
import { createCleanup } from "../scripts/lib/cleanup.js";
import { runCli, startListener, type Listener } from "../scripts/lib/cli.js";
import { startServer, USER } from "../scripts/lib/loop.js";
import type { ProsodyServer } from "../test/support/prosody.js";
import { commitFile, git, gitOut } from "./ssh-setup.js";
import { ms, summarize, table } from "./stats.js";

const USAGE = `usage: npm run bench:client-push -- [--pushes N] [--announcer agent|client-hook] [--timeout MS]`;
const say = (text = "") => process.stdout.write(`${text}\n`);
const cleanup = createCleanup({ onInterrupt: () => process.stderr.write("\ninterrupted: cleaning up\n") });

function options() {
  const { values } = parseArgs({
    options: {
      pushes: { type: "string", default: process.env.GAX_BENCH_PUSHES ?? "50" },
      announcer: { type: "string", default: "agent" },
      timeout: { type: "string", default: "20000" },
      help: { type: "boolean", short: "h" },
    },
  });
  const pushes = Number(values.pushes);
  const timeoutMs = Number(values.timeout);
  if (values.help || !Number.isInteger(pushes) || pushes < 1 || !["agent", "client-hook"].includes(values.announcer) || !(timeoutMs > 0)) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  return { pushes, timeoutMs, announcer: values.announcer as "agent" | "client-hook" };
}

/** B's checked-out branch, read from its ref file (no git process per poll). */
async function branchOf(repo: string, branch: string): Promise<string> {
  return (await readFile(join(repo, ".git", "refs", "heads", branch), "utf8").catch(() => "")).trim();
}

/** That machine's user config and 0600 credentials, as ssh-setup.ts writes them. */
async function configureAccount(machine: Machine, server: ProsodyServer): Promise<void> {
  const dir = join(machine.env.XDG_CONFIG_HOME!, "git-annex-xmpp");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, "config.json"), JSON.stringify({ jid: server.jid(USER), server: server.host, port: server.port, ca: server.caFile }));
  await writeFile(join(dir, "credentials"), `${server.account(USER).password}\n`, { mode: 0o600 });
  await chmod(join(dir, "credentials"), 0o600);
}

async function cloneOn(url: string, machine: Machine, name: string): Promise<string> {
  const dir = join(machine.home, "annex");
  await git(machine, machine.home, ["clone", "--quiet", url, dir]);
  await git(machine, dir, ["annex", "init", name]);
  await git(machine, dir, ["config", "annex.largefiles", "nothing"]);
  return dir;
}

async function main(): Promise<void> {
  const o = options();
  const { root } = await createSandboxHome("gax-bench-client-");
  cleanup.add(() => removeSandbox(root));
  const server = await startServer();
  cleanup.add(() => server.stop());
  const sshd = await startSshd({ dir: join(root, "sshd") });
  cleanup.add(() => sshd.stop());
  const hub = join(sshd.hub.home, "hub.git");
  await git(sshd.hub, sshd.hub.home, ["init", "--bare", "--quiet", hub]);
  await git(sshd.hub, hub, ["annex", "init", "hub without hooks"]);
  const [a, b] = [await sshd.machine("a"), await sshd.machine("b")];
  const cloneA = await cloneOn(sshd.url(hub), a, "clone A");
  await commitFile(a, cloneA, "first.txt");
  await git(a, cloneA, ["annex", "sync", "--quiet"]);
  const cloneB = await cloneOn(sshd.url(hub), b, "clone B");
  await git(b, cloneB, ["annex", "sync", "--quiet"]);
  const branch = await gitOut(a, cloneA, ["symbolic-ref", "--short", "HEAD"]);
  for (const machine of [a, b]) await configureAccount(machine, server);

  const listeners: Listener[] = [startListener(["--repo", cloneB], b.env)];
  if (o.announcer === "agent") listeners.push(startListener(["--repo", cloneA], a.env));
  else {
    const installed = await runCli(["install-hooks", "--client", "--repo", cloneA], { env: a.env });
    if (installed.exitCode !== 0) throw new Error(`install-hooks --client failed: ${installed.stderr.trim()}`);
  }
  for (const l of listeners) cleanup.add(() => l.stop());
  await Promise.all(listeners.map((l) => l.waitForLine(/ sync (finished|failed)/, { timeoutMs: 60_000 })));
  await waitForQuiet(listeners, { quietMs: 1000, timeoutMs: 60_000 });

  say(`issue 10: ${o.pushes} × git push from A over ssh to a hub without our hook; A announces with ${o.announcer === "agent" ? "its agent" : "the client hook (no agent in A)"}; B's agent merges`);
  const latency: number[] = [];
  const pushCost: number[] = [];
  let lost = 0;
  for (let i = 0; i < o.pushes; i++) {
    const commit = await commitFile(a, cloneA, `push-${i}.txt`);
    const started = performance.now();
    await git(a, cloneA, ["push", "--quiet", "origin", branch]);
    const ended = performance.now();
    pushCost.push(ended - started);
    const merged = await waitFor(async () => ((await branchOf(cloneB, branch)) === commit ? performance.now() : undefined), {
      timeoutMs: o.timeoutMs,
      intervalMs: 5,
      what: `push ${i} merged in B`,
    }).catch(() => undefined);
    if (merged === undefined) {
      lost++;
      // What B saw meanwhile, to tell a lost announcement from a failed sync.
      for (const line of listeners[0]!.lines.slice(-25)) say(`      [B] ${line}`);
    }
    else latency.push(merged - ended);
    say(`  #${String(i + 1).padStart(2)}  push ${ms(ended - started).padStart(7)}   → merged in B ${merged === undefined ? "lost" : ms(merged - ended).padStart(7)}`);
    // B's push-back (and A's agent reacting to it) settle before the next push.
    await waitForQuiet(listeners, { quietMs: 300, timeoutMs: 60_000 });
  }
  const rows = [
    [`end of A's push → merged in B (${o.announcer})`, ...stats(latency), String(lost)],
    ["A's git push itself", ...stats(pushCost), ""],
  ];
  say(table(["over ssh, hub without hooks", "median", "p95", "max", "lost"], rows));
}

function stats(values: number[]): string[] {
  if (values.length === 0) return ["-", "-", "-"];
  const s = summarize(values);
  return [ms(s.median), ms(s.p95), ms(s.max)];
}

main()
  .catch((error: unknown) => {
    process.exitCode = 1;
    console.error(error);
  })
  .finally(() => cleanup.run());
