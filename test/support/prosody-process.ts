import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { connect } from "node:net";
import { reapOnExit } from "./reaper.js";
import { waitFor } from "./wait.js";

export interface RunningProsody {
  child: ChildProcess;
  /** Settles when the process is gone, including when it never started. */
  exited: Promise<void>;
  done: boolean;
}

/**
 * Runs `prosody -F --config <file>` as our child. -F (--no-daemonize) keeps
 * it in the foreground whatever the config says, so the pid we hold is the
 * server's. Its stdout/stderr go to a file rather than a pipe: a pipe nobody
 * drains would eventually block the server.
 */
export function spawnProsody(configFile: string, consoleFile: string): RunningProsody {
  return spawnServer("prosody", ["-F", "--config", configFile], consoleFile);
}

/** A test server as our child, its output appended to `consoleFile` (never a pipe nobody drains). */
export function spawnServer(command: string, args: readonly string[], consoleFile: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunningProsody {
  const out = openSync(consoleFile, "a");
  const child = spawn(command, args, { ...options, stdio: ["ignore", out, out] });
  closeSync(out);
  reapOnExit(child);
  const run: RunningProsody = { child, exited: Promise.resolve(), done: false };
  run.exited = new Promise<void>((resolve) => {
    const finish = () => {
      run.done = true;
      resolve();
    };
    child.once("exit", finish);
    // spawn failures (the server not installed) emit "error" and never "exit".
    child.once("error", finish);
  });
  return run;
}

/** Signals the server and waits for it to exit, escalating to SIGKILL. */
export async function terminate(run: RunningProsody, signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
  if (hasExited(run)) return;
  run.child.kill(signal);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), graceMs);
  try {
    await run.exited;
  } finally {
    clearTimeout(timer);
  }
}

export type BindOutcome = "bound" | "port-in-use" | "exited";

/**
 * Reads the log written since `fromOffset` until portmanager reports every
 * listener as bound (service name -> port). prosody 0.12 does not exit when
 * a port is taken: it logs "Failed to open server port" and runs on with
 * "no ports", and another program on that port would then answer our probe.
 * So the log, not the port, tells us whether *our* server bound it.
 */
export async function waitForBind(
  run: RunningProsody,
  logFile: string,
  fromOffset: number,
  listeners: Record<string, number>,
  timeoutMs: number,
): Promise<BindOutcome> {
  const expected = Object.entries(listeners);
  return waitFor(
    async (): Promise<BindOutcome | undefined> => {
      if (hasExited(run)) return "exited";
      const log = (await readFile(logFile).catch(() => Buffer.alloc(0))).subarray(fromOffset).toString("utf8");
      if (expected.some(([, port]) => log.includes(`Failed to open server port ${port} `))) return "port-in-use";
      const bound = expected.every(([service, port]) => log.includes(`Activated service '${service}' on [127.0.0.1]:${port}`));
      return bound ? "bound" : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `prosody to bind ${expected.map(([s, p]) => `${s} on 127.0.0.1:${p}`).join(", ")}` },
  );
}

export function hasExited(run: RunningProsody): boolean {
  return run.done;
}

/**
 * Opens a client stream (RFC 6120 §4.2) and resolves once the server sends
 * its stream features for `domain`: proof that the c2s listener, the
 * VirtualHost and the stream parser all work, not just that a port is open.
 */
export function probeStream(host: string, port: number, domain: string, timeoutMs = 2_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = "";
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no stream features from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once("error", fail);
    socket.once("connect", () => {
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:client' ` +
          `xmlns:stream='http://etherx.jabber.org/streams' to='${domain}' version='1.0'>`,
      );
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
      if (received.includes("</stream:features>")) {
        socket.end("</stream:stream>");
        socket.destroy();
        resolve();
      }
    });
    socket.once("close", () => reject(new Error(`stream closed by ${host}:${port} before features: ${received.slice(0, 300)}`)));
  });
}

/** Current size of the log, so a restart only reads what it wrote itself. */
export async function logOffset(logFile: string): Promise<number> {
  return stat(logFile).then((s) => s.size, () => 0);
}

/** The last lines of a file, for error messages; never throws. */
export async function tail(file: string, lines = 40): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").slice(-lines - 1).join("\n");
}
