import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { XmppAccount } from "./prosody.js";
import { reapOnExit } from "./reaper.js";
import { WaitTimeoutError } from "./wait.js";

/**
 * A second, independent XMPP client (slixmpp) to check what our CLI puts on
 * the wire and to feed it stanzas exactly as git-annex's assistant sent them.
 * Debian's /usr/bin/python3 is the one with python3-slixmpp; a python3 that
 * comes first on PATH (pyenv, venv) may lack it, so the path is fixed.
 */
const PYTHON = "/usr/bin/python3";

function script(name: string): string {
  return fileURLToPath(new URL(`./py/${name}`, import.meta.url));
}

function loginArgs(login: XmppAccount): string[] {
  return ["--jid", login.jid, "--host", login.host, "--port", String(login.port), "--ca-file", login.caFile];
}

/** The password travels in the environment, not argv (see py/xmpp_client.py). */
function loginEnv(login: XmppAccount): NodeJS.ProcessEnv {
  return { ...process.env, XMPP_PASSWORD: login.password, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" };
}

/**
 * Logs in as `login`, sends `xml` (an undirected <presence/>) byte for byte,
 * and resolves once the server has processed it (a ping round trip follows).
 */
export async function sendRawPresence(login: XmppAccount, xml: string, timeoutMs = 20_000): Promise<void> {
  // The stanza goes through stdin: a large one would not fit in argv (E2BIG).
  const result = await execa(PYTHON, [script("send_presence.py"), ...loginArgs(login), "-"], {
    env: loginEnv(login), extendEnv: false, input: xml, reject: false, timeout: timeoutMs,
  });
  if (result.exitCode !== 0 || result.timedOut) {
    throw new Error(
      `send_presence.py as ${login.jid} failed (${result.timedOut ? "timed out" : `exit ${result.exitCode}`}): ${result.stderr}`,
    );
  }
}

/** One presence stanza as the observer received it. */
export interface ObservedPresence {
  from: string;
  to: string;
  /** slixmpp's reading: "available", "unavailable", "xa", "subscribe"… */
  type: string;
  /** The stanza re-serialised by slixmpp (attribute quotes may differ from the wire). */
  xml: string;
}

export interface ObserveOptions {
  priority?: number;
  /** Raw initial presence to send instead of a plain available one. */
  initialXml?: string;
  readyTimeoutMs?: number;
}

export interface PresenceObserver {
  /** Every stdout line, including READY. */
  lines: string[];
  presences: ObservedPresence[];
  /**
   * Resolves with the first presence at index >= `since` that matches;
   * rejects on timeout or when the observer dies, quoting its stderr.
   */
  waitFor(
    predicate: (presence: ObservedPresence) => boolean,
    timeoutMs?: number,
    options?: { since?: number; what?: string },
  ): Promise<ObservedPresence>;
  /** Logs out cleanly (SIGTERM → </stream:stream>) and waits for exit. */
  stop(): Promise<void>;
}

/**
 * Starts py/observe.py as `login` and resolves once it is online, its
 * initial presence processed by the server (the READY line).
 */
export async function observePresences(login: XmppAccount, options: ObserveOptions = {}): Promise<PresenceObserver> {
  const args = [script("observe.py"), ...loginArgs(login), "--priority", String(options.priority ?? 0)];
  if (options.initialXml !== undefined) args.push("--initial-xml", options.initialXml);
  const child = spawn(PYTHON, args, { env: loginEnv(login), stdio: ["ignore", "pipe", "pipe"] });
  reapOnExit(child);

  const lines: string[] = [];
  const presences: ObservedPresence[] = [];
  let stderr = "";
  let exit: string | undefined;
  const listeners = new Set<() => void>();
  const notify = () => { for (const listener of listeners) listener(); };

  child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString("utf8"); });
  createInterface({ input: child.stdout }).on("line", (line) => {
    lines.push(line);
    if (line.startsWith("{")) presences.push(JSON.parse(line) as ObservedPresence);
    notify();
  });
  const exited = new Promise<void>((resolve) => {
    child.once("error", (error) => { exit = error.message; notify(); resolve(); });
    child.once("close", (code, signal) => { exit ??= `exit ${code ?? signal}`; notify(); resolve(); });
  });

  /** Waits until `found` returns something, the child dies, or time runs out. */
  const until = <T>(found: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value !== undefined) settle(() => resolve(value));
        else if (exit !== undefined) settle(() => reject(new Error(`observer ${login.jid} ended (${exit}) before ${what}; stderr:\n${stderr}`)));
      };
      const timer = setTimeout(() => settle(() => reject(new WaitTimeoutError(what, timeoutMs, stderr || undefined))), timeoutMs);
      const settle = (action: () => void) => { clearTimeout(timer); listeners.delete(check); action(); };
      listeners.add(check);
      check();
    });

  const stop = async () => {
    if (exit === undefined) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 8_000);
      await exited;
      clearTimeout(timer);
    }
  };

  try {
    await until(() => (lines.includes("READY") ? true : undefined), options.readyTimeoutMs ?? 20_000, `${login.jid} observer to be READY`);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    lines,
    presences,
    waitFor: (predicate, timeoutMs = 10_000, { since = 0, what = "a matching presence" } = {}) =>
      until(() => presences.slice(since).find(predicate), timeoutMs, `${what} at ${login.jid}`),
    stop,
  };
}
