/**
 * `npm run bench:agent [-- --repos 50 --idle-seconds 300]` (issue 9): one
 * agent serving many repositories. Topology: one machine, a private
 * prosody on loopback, one bare hub and N clones of it (each `git annex
 * init`), all served by ONE `git-annex-xmpp listen --repo …` process.
 * Prints the XMPP sessions the agent holds (its TCP connections to the
 * server's port, read from /proc), its RSS once every repository is served
 * and after the idle period, and its CPU time over the idle period
 * (/proc/<pid>/stat utime+stime, and what its children used). Targets: one
 * session, RSS <= 120 MB, idle CPU near zero. Figures only.
 */
import { readFile, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createAnnexSandbox } from "../test/support/annex.js";
import { createCleanup } from "../scripts/lib/cleanup.js";
import { startListener } from "../scripts/lib/cli.js";
import { startServer, writeUserConfig } from "../scripts/lib/loop.js";
import { table } from "./stats.js";

const { values } = parseArgs({ options: { repos: { type: "string", default: "50" }, "idle-seconds": { type: "string", default: "300" } } });
const repoCount = Number(values.repos);
const idleSeconds = Number(values["idle-seconds"]);
if (!Number.isInteger(repoCount) || repoCount < 1 || !(idleSeconds > 0)) {
  console.error("usage: npm run bench:agent -- [--repos N (default 50)] [--idle-seconds S (default 300)]");
  process.exit(2);
}
const cleanup = createCleanup({ onInterrupt: () => process.stderr.write("interrupted: cleaning up\n") });
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

/** utime, stime, cutime, cstime of a process, in seconds (proc(5), fields 14-17). */
async function cpuSeconds(pid: number): Promise<{ own: number; children: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  // fields[0] is field 3 (state): utime is field 14.
  return { own: (fields[11]! + fields[12]!) / CLOCK_TICKS, children: (fields[13]! + fields[14]!) / CLOCK_TICKS };
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** The process's TCP connections to 127.0.0.1:port: its sockets' inodes matched in /proc/net/tcp. */
async function connectionsTo(pid: number, port: number): Promise<number> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const rows = (await readFile("/proc/net/tcp", "utf8")).split("\n").slice(1).map((line) => line.trim().split(/\s+/));
  // rem_address is field 3, st (01 = ESTABLISHED) field 4, inode field 10.
  return rows.filter((r) => r[2]?.endsWith(`:${hexPort}`) && r[3] === "01" && inodes.has(r[9] ?? "")).length;
}

async function main(): Promise<void> {
  console.log(`issue 9: one agent serving ${repoCount} repositories; idle period ${idleSeconds} s; load at start ${load()}`);
  console.log("topology: one machine; private prosody on 127.0.0.1; one bare hub; N clones of it, all served by one `listen --repo …`");
  const server = await startServer();
  cleanup.add(() => server.stop());
  const box = await createAnnexSandbox("gax-bench-agent-");
  cleanup.add(() => box.cleanup());
  await writeUserConfig(box, server);
  const hub = await box.makeHub(join(box.root, "hub.git"), "hub");
  const clones: string[] = [];
  for (let i = 0; i < repoCount; i++) clones.push(await box.cloneRepo(hub, join(box.root, `clone-${i}`), `clone ${i}`));
  process.stderr.write(`${repoCount} clones made; starting the agent\n`);
  const started = Date.now();
  const agent = startListener(clones.flatMap((dir) => ["--repo", dir]), box.env);
  cleanup.add(() => agent.stop());
  await agent.waitForLine(/connected as /, { timeoutMs: 120_000 });
  // Every repository's catch-up sync at start must be over before the idle period begins.
  const settled = async () => {
    for (;;) {
      const finished = agent.count(/ sync (finished|failed)/);
      if (finished >= repoCount && agent.count(/ sync started: /) <= finished) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  await Promise.race([settled(), new Promise((r) => setTimeout(r, 180_000))]);
  const readyMs = Date.now() - started;
  const pid = agent.process.pid!;
  const rssReady = await rssMb(pid);
  const before = await cpuSeconds(pid);
  const sessionsReady = await connectionsTo(pid, server.port);
  process.stderr.write(`agent ready after ${readyMs} ms; idle for ${idleSeconds} s\n`);
  const linesBefore = agent.lines.length;
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const after = await cpuSeconds(pid);
  const rows = [
    ["repositories served", String(repoCount), ""],
    ["XMPP sessions (TCP connections to the server)", String(sessionsReady), String(await connectionsTo(pid, server.port))],
    ["RSS (MB)", rssReady.toFixed(1), (await rssMb(pid)).toFixed(1)],
    [`agent CPU over ${idleSeconds} s idle (s)`, "", `${(after.own - before.own).toFixed(2)} (${((100 * (after.own - before.own)) / idleSeconds).toFixed(3)}% of one core)`],
    ["its children's CPU over the idle period (s)", "", (after.children - before.children).toFixed(2)],
    ["log lines during the idle period", "", String(agent.lines.length - linesBefore)],
  ];
  console.log(`agent ready (connected, ${agent.count(/ sync finished/)} catch-up syncs done) after ${readyMs} ms`);
  console.log(table(["measurement", "when ready", "after idle"], rows));
  console.log(`targets: 1 session, RSS <= 120 MB, idle CPU near zero; load at the end ${load()}`);
}

try {
  await main();
} finally {
  await cleanup.run();
}
