/**
 * notify's side of the hand-off: connect, send one line, read one line.
 * Never throws: any failure (no daemon, another account, a timeout) is a
 * reason to deliver directly instead.
 */
import { createConnection } from "node:net";
import { dirname } from "node:path";
import { encodeLine, MAX_REPLY_BYTES, parseReply, type HandoffRequest } from "./protocol.js";
import { isPrivateDir } from "./paths.js";

export type HandoffOutcome = { accepted: true; pid: number } | { accepted: false; reason: string };

export async function handOff(socketPath: string, request: HandoffRequest, timeoutMs: number): Promise<HandoffOutcome> {
  if (!isPrivateDir(dirname(socketPath))) return { accepted: false, reason: "no daemon (no private socket directory)" };
  return new Promise<HandoffOutcome>((resolve) => {
    let settled = false;
    let received = "";
    const socket = createConnection(socketPath);
    const finish = (outcome: HandoffOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ accepted: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(encodeLine(request)));
    socket.on("data", (chunk: string) => {
      received += chunk;
      const end = received.indexOf("\n");
      if (end < 0) {
        if (received.length > MAX_REPLY_BYTES) finish({ accepted: false, reason: "reply too large" });
        return;
      }
      const reply = parseReply(received.slice(0, end));
      if (!reply.ok) finish({ accepted: false, reason: reply.reason });
      else if (reply.value.ok) finish({ accepted: true, pid: reply.value.pid });
      else finish({ accepted: false, reason: `the daemon declined: ${reply.value.error}` });
    });
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish({ accepted: false, reason: error.code === "ENOENT" || error.code === "ECONNREFUSED" ? "no daemon" : error.message }),
    );
    socket.on("close", () => finish({ accepted: false, reason: "the daemon closed the connection" }));
  });
}
