/**
 * listen's side of the hand-off: a unix socket in a 0700 directory, itself
 * 0600. One JSON line in, one out, then the connection closes; bounded in
 * size and time so that a stuck or hostile client cannot hold the daemon.
 * If another live daemon of the same account already serves the socket,
 * this one leaves it alone (it still listens and syncs).
 */
import { chmod, unlink } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Logger } from "../log.js";
import { encodeLine, MAX_REQUEST_BYTES, parseRequest, type HandoffRequest } from "./protocol.js";
import { ensurePrivateDir } from "./paths.js";

export interface HandoffServerOptions {
  path: string;
  log: Logger;
  /** Takes responsibility for the announcement (spools it); a throw is reported to the sender, who then delivers itself. */
  accept(request: HandoffRequest): Promise<void>;
  /** Per-connection bound on reading the request. */
  readTimeoutMs?: number;
}

export interface HandoffServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Starts serving, or resolves undefined when another live daemon serves this path. */
export async function startHandoffServer(options: HandoffServerOptions): Promise<HandoffServer | undefined> {
  await ensurePrivateDir(dirname(options.path));
  const server = createServer((socket) => serve(socket, options));
  if (!(await listen(server, options.path))) {
    if (await answers(options.path)) return undefined;
    // A socket file left by a daemon that died: nobody accepts on it.
    await unlink(options.path).catch(() => undefined);
    if (!(await listen(server, options.path))) return undefined;
  }
  await chmod(options.path, 0o600);
  return {
    path: options.path,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(options.path).catch(() => undefined);
    },
  };
}

function listen(server: Server, path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE") resolve(false);
      else reject(error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve(true);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(path);
  });
}

/** Whether a daemon accepts connections on `path`. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

function serve(socket: Socket, options: HandoffServerOptions): void {
  let buffered = "";
  let handled = false;
  socket.setEncoding("utf8");
  socket.setTimeout(options.readTimeoutMs ?? 5_000, () => socket.destroy());
  socket.on("error", () => undefined);
  const reply = (text: string) => {
    socket.end(text);
  };
  socket.on("data", (chunk: string) => {
    if (handled) return;
    buffered += chunk;
    const end = buffered.indexOf("\n");
    if (end < 0) {
      if (buffered.length > MAX_REQUEST_BYTES) {
        handled = true;
        reply(encodeLine({ v: 1, ok: false, error: "request too large" }));
      }
      return;
    }
    handled = true;
    const parsed = parseRequest(buffered.slice(0, end));
    if (!parsed.ok) {
      options.log.debug(`hand-off: refused a request: ${parsed.reason}`);
      reply(encodeLine({ v: 1, ok: false, error: parsed.reason }));
      return;
    }
    options.accept(parsed.value).then(
      () => reply(encodeLine({ v: 1, ok: true, pid: process.pid })),
      (error: Error) => {
        options.log.warn(`hand-off: could not take an announcement for ${parsed.value.repo}: ${error.message}`);
        reply(encodeLine({ v: 1, ok: false, error: error.message }));
      },
    );
  });
}
