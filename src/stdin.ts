/**
 * All of standard input as text; empty on a terminal (nothing was piped).
 * Only main.ts and notify's fast path read it. A pipe or file (what git
 * hands a post-receive hook) is read with one synchronous read loop:
 * setting up process.stdin's stream costs a hook about 5 ms. A non-blocking
 * descriptor (EAGAIN before anything arrived) falls back to the stream.
 */
import { fstatSync, readFileSync } from "node:fs";
import { isatty } from "node:tty";

export async function readStdin(): Promise<string> {
  if (isatty(0)) return "";
  const info = (() => {
    try {
      return fstatSync(0);
    } catch {
      return undefined;
    }
  })();
  if (info?.isFIFO() || info?.isFile()) {
    try {
      return readFileSync(0, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
