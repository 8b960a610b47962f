import { execa } from "execa";
import { fileURLToPath } from "node:url";
import type { XmppAccount } from "./prosody.js";

/**
 * Drives py/send_stanzas.py: one slixmpp login that sends `stanzas` (each
 * on one line, no raw newline inside) over `durationMs`, and resolves once
 * the server has processed them all — and, with `barrierXml` (a git-annex
 * query), once a listener on the account has answered it, i.e. handled
 * everything sent before it. See slixmpp.ts for why the
 * interpreter path is fixed and the password travels in the environment.
 */
const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./py/send_stanzas.py", import.meta.url));

export async function sendStanzas(
  login: XmppAccount,
  stanzas: readonly string[],
  options: { durationMs: number; barrierXml?: string; timeoutMs?: number },
): Promise<{ sent: number; seconds: number }> {
  const bad = stanzas.findIndex((s) => s.includes("\n") || s === "");
  if (bad !== -1) throw new Error(`stanza ${bad} is empty or spans lines`);
  const args = [SCRIPT, "--jid", login.jid, "--host", login.host, "--port", String(login.port), "--ca-file", login.caFile];
  args.push("--duration", String(options.durationMs / 1000));
  if (options.barrierXml !== undefined) args.push("--barrier-xml", options.barrierXml);
  const result = await execa(PYTHON, args, {
    env: { ...process.env, XMPP_PASSWORD: login.password, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" },
    extendEnv: false,
    input: stanzas.join("\n") + "\n",
    reject: false,
    timeout: options.timeoutMs ?? 300_000,
  });
  const done = /^DONE (\d+) ([\d.]+)$/m.exec(String(result.stdout));
  if (result.exitCode !== 0 || !done) {
    throw new Error(`send_stanzas.py as ${login.jid} failed (${result.timedOut ? "timed out" : `exit ${result.exitCode}`}): ${result.stderr}`);
  }
  return { sent: Number(done[1]), seconds: Number(done[2]) };
}
