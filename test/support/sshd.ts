/**
 * A private OpenSSH server for hubs reached over ssh, the way real hubs are
 * (DESIGN.md §3 "Measure where users are"): `/usr/sbin/sshd -D -e -f CONFIG`
 * on a free 127.0.0.1 port, with its own host key and authorized_keys,
 * key-only login, no PAM, no system service.
 *
 * Every simulated machine (the hub, clone A, clone B…) is the same unix user
 * here (root), so a machine is a home of its own: HOME, XDG_CONFIG_HOME,
 * XDG_STATE_HOME… The hub machine's environment reaches the commands sshd
 * runs for a login (git-receive-pack and its hooks, git-annex-shell) through
 * `environment="…"` options on each authorized key (sshd(8) AUTHORIZED_KEYS
 * FILE FORMAT; honoured with `PermitUserEnvironment yes`), since sshd gives a
 * login the account's passwd home, not ours.
 *
 * The client side: ssh reads `~/.ssh/config` from the passwd home, never from
 * $HOME, so each client machine gets `bin/ssh`, first on its PATH, which runs
 * `/usr/bin/ssh -F <its home>/.ssh/config "$@"`. git and git-annex both run
 * `ssh` from PATH (git-annex adding its own ControlMaster options), so
 * neither GIT_SSH_COMMAND nor core.sshCommand changes what they do. The
 * config names the hub `hub-ssh` (HostName 127.0.0.1, the port, the
 * machine's key, a pinned known_hosts, StrictHostKeyChecking yes).
 */
import { execFile } from "node:child_process";
import { appendFile, chmod, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { GITCONFIG, testEnv } from "./annex.js";
import { spawnServer, terminate, type RunningProsody } from "./prosody-process.js";
import { freePort, waitFor } from "./wait.js";

export const HOST_ALIAS = "hub-ssh";
const SSHD = "/usr/sbin/sshd";
const run = promisify(execFile);

/** One simulated machine: a home of its own, and the environment its commands run with. */
export interface Machine {
  name: string;
  home: string;
  env: NodeJS.ProcessEnv;
}

export interface Sshd {
  port: number;
  /** The Host alias of the hub in every client machine's ssh config. */
  hostAlias: string;
  /** The machine sshd logs into: its env is what git-receive-pack, its hooks and git-annex-shell see. */
  hub: Machine;
  /** A client machine, made on first use: own home, own key, ssh config naming the hub. */
  machine(name: string): Promise<Machine>;
  /** The environment of a machine made already (the hub's under its name). */
  machineEnv(name: string): NodeJS.ProcessEnv;
  /** `ssh://hub-ssh/<path>`: a repository on the hub machine. */
  url(path: string): string;
  logFile: string;
  /** Ends every session sshd started (git-annex's ssh masters with them), then sshd. */
  stop(): Promise<void>;
}

/** What a hub command sees of its machine: set on each authorized key. */
const HUB_VARIABLES = ["HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "GIT_CONFIG_NOSYSTEM", "LC_ALL", "LANG"];

export async function startSshd(options: { dir: string; hubName?: string }): Promise<Sshd> {
  const { dir } = options;
  await mkdir(dir, { recursive: true });
  // sshd refuses to start without its privilege separation directory.
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKey = join(dir, "ssh_host_ed25519_key");
  await keygen(hostKey);
  const knownHosts = join(dir, "known_hosts");
  await writeFile(knownHosts, `${HOST_ALIAS} ${(await readFile(`${hostKey}.pub`, "utf8")).split(" ").slice(0, 2).join(" ")}\n`);
  const authorizedKeys = join(dir, "authorized_keys");
  await writeFile(authorizedKeys, "", { mode: 0o600 });
  const logFile = join(dir, "sshd.log");
  const hub = await makeHome(dir, options.hubName ?? "hub");
  const machines = new Map<string, Machine>([[hub.name, hub]]);
  const { server, port } = await listen(dir, hostKey, authorizedKeys, logFile);

  const machine = async (name: string): Promise<Machine> => {
    const known = machines.get(name);
    if (known !== undefined) return known;
    const made = await makeClient(dir, name, { port, knownHosts });
    await appendFile(authorizedKeys, authorizedLine(hub, await readFile(join(made.home, ".ssh", "id_ed25519.pub"), "utf8")));
    machines.set(name, made);
    return made;
  };
  return {
    port,
    hostAlias: HOST_ALIAS,
    hub,
    machine,
    machineEnv(name) {
      const found = machines.get(name);
      if (found === undefined) throw new Error(`no machine named ${name}: make it with machine(${JSON.stringify(name)}) first`);
      return found.env;
    },
    url: (path) => `ssh://${HOST_ALIAS}${path.startsWith("/") ? "" : "/"}${path}`,
    logFile,
    async stop() {
      for (const pid of await descendants(server.child.pid)) {
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          // Gone meanwhile.
        }
      }
      await terminate(server, "SIGTERM");
    },
  };
}

async function keygen(file: string): Promise<void> {
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
}

/** A home with the sandbox's .gitconfig; its env as test/support/annex.ts pins it, plus XDG_STATE_HOME. */
async function makeHome(dir: string, name: string): Promise<Machine> {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`machine name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-'`);
  const home = join(dir, "machines", name);
  await mkdir(join(home, ".ssh"), { recursive: true, mode: 0o700 });
  await writeFile(join(home, ".gitconfig"), GITCONFIG);
  return { name, home, env: { ...testEnv(home), XDG_STATE_HOME: join(home, ".local", "state") } };
}

async function makeClient(dir: string, name: string, hub: { port: number; knownHosts: string }): Promise<Machine> {
  const machine = await makeHome(dir, name);
  const key = join(machine.home, ".ssh", "id_ed25519");
  await keygen(key);
  const config = join(machine.home, ".ssh", "config");
  await writeFile(
    config,
    [
      `Host ${HOST_ALIAS}`,
      "  HostName 127.0.0.1",
      `  Port ${hub.port}`,
      "  User root",
      `  IdentityFile ${key}`,
      "  IdentitiesOnly yes",
      `  HostKeyAlias ${HOST_ALIAS}`,
      `  UserKnownHostsFile ${hub.knownHosts}`,
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "  LogLevel ERROR",
      "",
    ].join("\n"),
  );
  const bin = join(machine.home, "bin");
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, "ssh"), `#!/bin/sh\nexec /usr/bin/ssh -F '${config}' "$@"\n`);
  await chmod(join(bin, "ssh"), 0o755);
  machine.env.PATH = `${bin}:${machine.env.PATH ?? "/usr/bin:/bin"}`;
  return machine;
}

/** One authorized_keys line: the client's key, with the hub machine's environment for what it runs. */
function authorizedLine(hub: Machine, publicKey: string): string {
  const options = HUB_VARIABLES.filter((name) => hub.env[name] !== undefined).map((name) => {
    const value = hub.env[name]!;
    if (/["\\\n]/.test(value)) throw new Error(`${name}=${value}: a quote, backslash or newline cannot go into authorized_keys`);
    return `environment="${name}=${value}"`;
  });
  return `${[...options, "no-pty", "no-port-forwarding", "no-agent-forwarding", "no-X11-forwarding"].join(",")} ${publicKey.trim()}\n`;
}

function sshdConfig(port: number, hostKey: string, authorizedKeys: string): string {
  return [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${hostKey}`,
    "PidFile none",
    `AuthorizedKeysFile ${authorizedKeys}`,
    "AuthenticationMethods publickey",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    // The files live in a temp dir whose parents sshd would otherwise vet.
    "StrictModes no",
    // Needed for environment="…" in authorized_keys.
    "PermitUserEnvironment yes",
    "UseDNS no",
    "PrintMotd no",
    "X11Forwarding no",
    "AllowTcpForwarding no",
    // git-annex and the benchmarks open many sessions at once.
    "MaxStartups 100:30:200",
    "MaxSessions 100",
    "",
  ].join("\n");
}

/** Starts sshd on a free port, retrying on a port another process took meanwhile. */
async function listen(dir: string, hostKey: string, authorizedKeys: string, logFile: string): Promise<{ server: RunningProsody; port: number }> {
  const configFile = join(dir, "sshd_config");
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await writeFile(configFile, sshdConfig(port, hostKey, authorizedKeys));
    const from = await stat(logFile).then((s) => s.size, () => 0);
    const server = spawnServer(SSHD, ["-D", "-e", "-f", configFile], logFile);
    const outcome = await waitFor(
      async () => {
        const log = (await readFile(logFile).catch(() => Buffer.alloc(0))).subarray(from).toString("utf8");
        if (log.includes(`Server listening on 127.0.0.1 port ${port}.`)) return "bound";
        if (/Bind to port \d+ .* failed|Cannot bind any address/.test(log)) return "port-in-use";
        return server.done ? "exited" : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 20, what: `sshd to listen on 127.0.0.1:${port} (log: ${logFile})` },
    );
    if (outcome === "bound") return { server, port };
    await terminate(server, "SIGTERM");
    if (outcome === "exited" || attempt >= 5) {
      throw new Error(`sshd did not start (${outcome}); its log:\n${(await readFile(logFile, "utf8").catch(() => "")).slice(from)}`);
    }
  }
}

/** Every process below `pid` (sshd's per-login children and what they run), read from /proc. */
async function descendants(pid: number | undefined): Promise<number[]> {
  if (pid === undefined) return [];
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // The command name (field 2) may hold spaces: the ppid is the second field after its ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (Number.isInteger(ppid)) parents.set(Number(entry), ppid);
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}
