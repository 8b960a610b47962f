/**
 * Where one run of the hook's sender spends its time, step by step: the
 * sender started with GIT_ANNEX_XMPP_TRACE=1 writes its debug log, each line
 * timestamped (ms), to logs/sender.log; each step's time is that of the
 * first line that marks it, from the moment the sender was spawned.
 */
import { readFile, writeFile } from "node:fs/promises";

/** Steps in the order they happen, each the first log line that matches. */
export const SENDER_STEPS: ReadonlyArray<[string, RegExp]> = [
  ["modules loaded", /sender: modules loaded/],
  ["queue read, config and credentials resolved", /sender: entries resolved/],
  ["TCP connected", /xmpp: connect$/],
  ["stream open (first features)", /xmpp: in <(stream:)?features>/],
  ["STARTTLS answered (<proceed/>)", /xmpp: in <proceed>/],
  ["TLS established", /xmpp: TLS established/],
  ["SASL done (<success/>)", /xmpp: in <success>/],
  ["bound (online)", /xmpp: online/],
  ["presence sent", /xmpp: out <presence/],
  ["acknowledged (ping answered)", /the server acknowledged the presence/],
];

export const EXITED = "process exited";

/** Empties the log, so that the next run's lines are the only ones in it. */
export async function resetSenderLog(file: string): Promise<void> {
  await writeFile(file, "", { mode: 0o600 });
}

/** Milliseconds from `spawnedAt` (Date.now()) to each step found in the log; missing steps are left out. */
export async function readSenderTimeline(file: string, spawnedAt: number): Promise<Map<string, number>> {
  const lines = (await readFile(file, "utf8")).split("\n");
  const at = new Map<string, number>();
  for (const [step, pattern] of SENDER_STEPS) {
    const line = lines.find((l) => pattern.test(l));
    const stamp = line ? Date.parse(line.split(" ", 1)[0]!) : NaN;
    if (Number.isFinite(stamp)) at.set(step, stamp - spawnedAt);
  }
  return at;
}
