/**
 * The real topology of issue 11, on one box: a private sshd (test/support/
 * sshd.ts) in front of the hub machine, whose bare annex hub carries our
 * post-receive hook and the hub machine's own git-annex-xmpp configuration;
 * clone A pushes; clone B1 runs `git annex assistant` (its remotedaemon holds
 * `git-annex-shell notifychanges` open over ssh); clone B2 runs our
 * `listen`. Each machine has its own HOME and XDG dirs, so the hook on the
 * hub queues its announcement in the hub machine's queue, and it travels to
 * B2 over XMPP: sent by the hub machine's agent (`listen --repo hub.git`,
 * relay only) when one runs, else by the sender the hook starts detached.
 */
import { createWriteStream } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { reapOnExit } from "../test/support/reaper.js";
import { startSshd, type Machine, type Sshd } from "../test/support/sshd.js";
import type { ProsodyServer } from "../test/support/prosody.js";
import type { Cleanup } from "../scripts/lib/cleanup.js";
import { runCli, startListener, type Listener } from "../scripts/lib/cli.js";
import { startServer, USER } from "../scripts/lib/loop.js";

export type HubAgent = "none" | "listen";

export interface Topology {
  sshd: Sshd;
  server: ProsodyServer;
  /** The bare hub, a path on the hub machine. */
  hub: string;
  a: Machine;
  b1: Machine;
  b2: Machine;
  cloneA: string;
  cloneB1: string;
  cloneB2: string;
  /** Two commits every clone has: what the old-ref pushes move `refs/heads/side` to. */
  oldCommits: [string, string];
  /** B2's agent (the clone that syncs). */
  listeners: Listener[];
  /** With --hub-agent listen: the agent on the hub machine serving the bare hub. */
  hubAgent: Listener | undefined;
}

export const git = (machine: Machine, cwd: string, args: string[]) =>
  execa("git", ["-C", cwd, ...args], { env: machine.env, extendEnv: false, stdin: "ignore" });
export const gitOut = async (machine: Machine, cwd: string, args: string[]) => (await git(machine, cwd, args)).stdout.trim();

/** A plain (non-annexed) file committed in `repo`: git-annex only annexes what annex.largefiles names. */
export async function commitFile(machine: Machine, repo: string, name: string): Promise<string> {
  await writeFile(join(repo, name), `${name}\n`);
  await git(machine, repo, ["add", "--", name]);
  await git(machine, repo, ["commit", "--quiet", "--no-verify", "-m", `add ${name}`]);
  return gitOut(machine, repo, ["rev-parse", "HEAD"]);
}

/** config.json and the 0600 credentials file, where that machine's git-annex-xmpp reads them. */
async function configureAccount(machine: Machine, server: ProsodyServer): Promise<void> {
  const dir = join(machine.env.XDG_CONFIG_HOME!, "git-annex-xmpp");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const values = { jid: server.jid(USER), server: server.host, port: server.port, ca: server.caFile };
  await writeFile(join(dir, "config.json"), `${JSON.stringify(values, null, 2)}\n`);
  await writeFile(join(dir, "credentials"), `${server.account(USER).password}\n`, { mode: 0o600 });
  await chmod(join(dir, "credentials"), 0o600);
}

async function cloneOverSsh(sshd: Sshd, machine: Machine, hub: string, name: string): Promise<string> {
  const dir = join(machine.home, "annex");
  await execa("git", ["clone", "--quiet", sshd.url(hub), dir], { env: machine.env, extendEnv: false, stdin: "ignore" });
  await git(machine, dir, ["annex", "init", name]);
  return dir;
}

export async function buildTopology(root: string, cleanup: Cleanup, options: { hubAgent: HubAgent; verbose?: boolean; onLine(who: string, line: string): void }): Promise<Topology> {
  const server = await startServer();
  cleanup.add(() => server.stop());
  const sshd = await startSshd({ dir: join(root, "sshd") });
  cleanup.add(() => sshd.stop());
  const hubMachine = sshd.hub;
  const hub = join(hubMachine.home, "hub.git");
  await mkdir(hub);
  await git(hubMachine, hub, ["init", "--bare", "--quiet"]);
  await git(hubMachine, hub, ["annex", "init", "hub"]);
  await configureAccount(hubMachine, server);
  const installed = await runCli(["install-hooks", "--repo", hub], { env: hubMachine.env });
  if (installed.exitCode !== 0) throw new Error(`install-hooks on the hub failed: ${installed.stderr.trim()}`);

  const [a, b1, b2] = [await sshd.machine("a"), await sshd.machine("b1"), await sshd.machine("b2")];
  const cloneA = await cloneOverSsh(sshd, a, hub, "clone A");
  const first = await commitFile(a, cloneA, "first.txt");
  const second = await commitFile(a, cloneA, "second.txt");
  await git(a, cloneA, ["annex", "sync", "--quiet"]);
  const cloneB1 = await cloneOverSsh(sshd, b1, hub, "clone B1 (git annex assistant)");
  const cloneB2 = await cloneOverSsh(sshd, b2, hub, "clone B2 (git-annex-xmpp listen)");
  for (const [machine, clone] of [[b1, cloneB1], [b2, cloneB2]] as const) {
    // The pushes commit small files to git; without this the assistant would annex them anew and push that.
    await git(machine, clone, ["config", "annex.largefiles", "nothing"]);
    await git(machine, clone, ["annex", "sync", "--quiet"]);
  }

  await configureAccount(b2, server);
  // A short XDG_RUNTIME_DIR, as a login session has (/run/user/UID): where B2's agent keeps its ssh ControlMaster sockets.
  b2.env.XDG_RUNTIME_DIR = await mkdtemp("/tmp/gax-rt-");
  cleanup.add(() => rm(b2.env.XDG_RUNTIME_DIR!, { recursive: true, force: true }));
  let hubAgent: Listener | undefined;
  const listeners = [startListener(["--repo", cloneB2, ...(options.verbose ? ["--verbose"] : [])], b2.env, (line) => options.onLine("B2 listen", line))];
  cleanup.add(() => listeners[0]!.stop());
  if (options.hubAgent === "listen") {
    // The hub machine's own agent serves the bare hub (relay only): it holds the queue lock and sends what the hook queues.
    const agent = startListener(["--repo", hub, ...(options.verbose ? ["--verbose"] : [])], hubMachine.env, (line) => options.onLine("hub agent", line));
    cleanup.add(() => agent.stop());
    await agent.waitForLine(/connected as /, { timeoutMs: 60_000 });
    hubAgent = agent;
  }
  startAssistant(b1, cloneB1, join(root, "b1-assistant.log"), cleanup);
  await listeners[0]!.waitForLine(/ sync (finished|failed)/, { timeoutMs: 60_000 });
  return { sshd, server, hub, a, b1, b2, cloneA, cloneB1, cloneB2, oldCommits: [first, second], listeners, hubAgent };
}

/** `git annex assistant --foreground` in B1, its output in a file; stopped with SIGTERM, then `--stop`. */
function startAssistant(machine: Machine, clone: string, logFile: string, cleanup: Cleanup): ResultPromise {
  const out = createWriteStream(logFile);
  const child = execa("git", ["annex", "assistant", "--foreground"], { cwd: clone, env: machine.env, extendEnv: false, stdin: "ignore", reject: false, buffer: false });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  reapOnExit(child);
  cleanup.add(async () => {
    child.kill("SIGTERM");
    await child;
    await execa("git", ["annex", "assistant", "--stop"], { cwd: clone, env: machine.env, extendEnv: false, stdin: "ignore", reject: false });
  });
  return child;
}

/** Whether B1's remotedaemon has its `git-annex-shell notifychanges` running on the hub (read from /proc). */
export async function notifierRunning(hub: string): Promise<boolean> {
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (cmdline.some((arg) => arg.includes("notifychanges")) && cmdline.some((arg) => arg.includes(hub))) return true;
  }
  return false;
}
