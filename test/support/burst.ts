import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { XmppAccount } from "./prosody.js";
import { reapOnExit } from "./reaper.js";

/**
 * Drives py/send_many.py: one slixmpp login that sends the same raw
 * presence `count` times over `durationMs`. See slixmpp.ts for why the
 * interpreter path is fixed and the password travels in the environment.
 */
const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./py/send_many.py", import.meta.url));

export interface Burst {
  /** Resolves once all but the last stanza are out (only with holdLast). */
  holding: Promise<void>;
  /** Sends the held last stanza. */
  release(): void;
  /** Resolves with how many were sent and how long it took, once the server processed them all. */
  done: Promise<{ sent: number; seconds: number }>;
}

export function sendPresenceBurst(
  login: XmppAccount,
  xml: string,
  options: { count: number; durationMs: number; holdLast?: boolean; timeoutMs?: number },
): Burst {
  const args = [SCRIPT, "--jid", login.jid, "--host", login.host, "--port", String(login.port), "--ca-file", login.caFile];
  args.push("--count", String(options.count), "--duration", String(options.durationMs / 1000));
  if (options.holdLast) args.push("--hold-last");
  // The closing ping waits for the server to work through the whole burst: as long as the run may take.
  args.push("--ping-timeout", String(Math.max(30, (options.timeoutMs ?? 60_000) / 1000 - 5)));
  args.push(xml);
  const child = spawn(PYTHON, args, {
    env: { ...process.env, XMPP_PASSWORD: login.password, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  reapOnExit(child);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let onHolding: () => void = () => undefined;
  const holding = new Promise<void>((resolve) => (onHolding = resolve));
  let result: { sent: number; seconds: number } | undefined;
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line === "HOLDING") onHolding();
    const done = /^DONE (\d+) ([\d.]+)$/.exec(line);
    if (done) result = { sent: Number(done[1]), seconds: Number(done[2]) };
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const done = new Promise<{ sent: number; seconds: number }>((resolve, reject) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && result) resolve(result);
      else reject(new Error(`send_many.py as ${login.jid} failed (${code ?? signal}): ${stderr}`));
    });
  });
  // A failing sender must fail `holding` too, not leave the test waiting.
  const failed = done.then(() => undefined);
  const holdingOrFailed = Promise.race([holding, failed]);
  // Only a caller that uses holdLast awaits it; the failure reaches everyone through `done`.
  holdingOrFailed.catch(() => undefined);
  return {
    holding: holdingOrFailed,
    release: () => child.stdin.end("go\n"),
    done,
  };
}
