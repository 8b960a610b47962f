import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A man in the middle that downgrades the stream (RFC 6120 §5.4.1,
 * "STARTTLS stripping"): a TCP relay on a free loopback port in front of a
 * real XMPP server that removes `<starttls/>` from the server's stream
 * features and passes everything else through unchanged. A client that
 * authenticated on such a stream would send its credentials in the clear.
 */
export interface StripRelay {
  port: number;
  /** `<starttls/>` features removed so far. */
  readonly stripped: number;
  close(): Promise<void>;
}

const STARTTLS = /<starttls\b[^>]*?(?:\/>|>[\s\S]*?<\/starttls>)/g;

export async function startStripRelay(target: { host: string; port: number }): Promise<StripRelay> {
  const sockets = new Set<Socket>();
  let stripped = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream);
    // Held back: a chunk that ends inside a <starttls> element waits for the rest.
    let pending = "";
    upstream.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const open = pending.lastIndexOf("<starttls");
      if (open !== -1 && !/(\/>|<\/starttls>)/.test(pending.slice(open))) return;
      const out = pending.replace(STARTTLS, () => {
        stripped++;
        return "";
      });
      pending = "";
      client.write(out);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("strip relay: no address");
  return {
    port: address.port,
    get stripped() {
      return stripped;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
