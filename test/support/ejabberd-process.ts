import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { ctlArgs, erlangString, serverArgs, type ErlangNode, type ErlangRuntime } from "./ejabberd-config.js";
import { spawnServer, type RunningProsody } from "./prosody-process.js";
import { waitFor } from "./wait.js";

/** A server process as prosody-process.ts tracks it; terminate() works on both. */
export type RunningServer = RunningProsody;

/** Where one test server keeps its files, all under its temp dir. */
export function ejabberdPaths(dir: string) {
  return {
    config: join(dir, "ejabberd.yml"),
    spool: join(dir, "spool"),
    logs: join(dir, "logs"),
    log: join(dir, "logs", "ejabberd.log"),
    console: join(dir, "console.log"),
    certs: join(dir, "certs"),
    cookie: join(dir, ".erlang.cookie"),
  };
}

/**
 * The environment of our VMs: what ejabberdctl exports, pointed at the temp
 * dir. HOME holds the cookie (and keeps erl from creating ~/.erlang.cookie
 * in root's home); ERL_*FLAGS from the caller's environment are dropped so
 * they cannot add options behind our back.
 */
function erlangEnv(runtime: ErlangRuntime, dir: string): NodeJS.ProcessEnv {
  const paths = ejabberdPaths(dir);
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    LANG: "C.UTF-8",
    ERL_LIBS: runtime.erlLibs,
    ERL_CRASH_DUMP: join(paths.logs, "erl_crash.dump"),
    ERL_CRASH_DUMP_BYTES: "0",
    EJABBERD_CONFIG_PATH: paths.config,
    EJABBERD_LOG_PATH: paths.log,
  };
}

/**
 * Runs the VM as our child in the foreground (`erl` execs erlexec, which
 * execs beam.smp: the pid we hold is the VM's). Output goes to a file, not
 * a pipe nobody drains.
 */
export function spawnEjabberd(runtime: ErlangRuntime, node: ErlangNode, dir: string): RunningServer {
  const paths = ejabberdPaths(dir);
  return spawnServer(runtime.erl, serverArgs(node, paths.spool), paths.console, { cwd: dir, env: erlangEnv(runtime, dir) });
}

/**
 * Until ejabberd_listener logs each c2s port as accepting, or the VM exits:
 * unlike prosody, ejabberd stops when it cannot bind a listener or its
 * distribution port, so an exit is how a port clash shows.
 */
export async function waitForListeners(
  run: RunningServer, logFile: string, fromOffset: number, host: string, c2sPorts: number[], timeoutMs: number,
): Promise<"bound" | "exited"> {
  // "TCP" for a STARTTLS listener, "TLS" for a direct TLS one.
  const accepting = c2sPorts.map((port) => new RegExp(`Start accepting T[CL][PS] connections at ${host.replaceAll(".", "\\.")}:${port} for ejabberd_c2s`));
  return waitFor(
    async (): Promise<"bound" | "exited" | undefined> => {
      if (run.done) return "exited";
      const log = (await readFile(logFile).catch(() => Buffer.alloc(0))).subarray(fromOffset).toString("utf8");
      return accepting.every((line) => line.test(log)) ? "bound" : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `ejabberd to accept c2s on ${c2sPorts.map((p) => `${host}:${p}`).join(", ")}` },
  );
}

/**
 * `ejabberdctl COMMAND ARGS…` for each command, in one short-lived hidden
 * VM named `clientName` (see ctlArgs). A file, not the command line, carries
 * the commands and with them the test passwords. Throws when one fails.
 */
export async function runCtl(runtime: ErlangRuntime, node: ErlangNode, dir: string, clientName: string, commands: string[][]): Promise<string> {
  const file = join(dir, `${clientName}.eterm`);
  await writeFile(file, commands.map((c) => `[${c.map(erlangString).join(", ")}].\n`).join(""), { mode: 0o600 });
  try {
    const result = await execa(runtime.erl, ctlArgs(node, `${clientName}@127.0.0.1`, file), {
      env: erlangEnv(runtime, dir), extendEnv: false, cwd: dir, stdin: "ignore", reject: false, timeout: 60_000,
    });
    if (result.exitCode !== 0) throw new Error(`ejabberdctl failed (exit ${result.exitCode}): ${result.stderr || result.stdout}`);
    return result.stdout;
  } finally {
    await rm(file, { force: true });
  }
}
