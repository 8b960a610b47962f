import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP relay between a client and a server, on a free loopback port, that
 * a test can freeze: it then stops forwarding in both directions and stops
 * reading, without closing anything — what a suspended laptop, a NAT that
 * dropped its mapping or a stalled middlebox look like to the client (a
 * half-open connection: writes succeed, nothing comes back). Closes are
 * not passed on while frozen either. thaw() resumes everything.
 * strand() is what a machine that slept finds: the connections it had are
 * dead for good (frozen, never thawed, never closed), new ones work.
 */
export interface Relay {
  port: number;
  /** Pairs ever accepted. */
  readonly connections: number;
  /** Pairs currently open. */
  readonly open: number;
  freeze(): void;
  thaw(): void;
  /** Freezes the pairs open now for good, and lets new connections through. */
  strand(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startRelay(target: { host: string; port: number }): Promise<Relay> {
  const pairs = new Set<Pair>();
  /** Stranded pairs: out of `pairs`, so that thaw() never revives them; closed with the relay. */
  const stranded = new Set<Pair>();
  let frozen = false;
  let connections = 0;

  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(target);
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    // A pair accepted while frozen is piped by thaw(), once: piping it here
    // too would forward every chunk twice.
    if (frozen) {
      client.pause();
      upstream.pause();
    } else {
      client.pipe(upstream);
      upstream.pipe(client);
    }
    const closeBoth = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // While frozen nothing is read, so "end"/"close" only arrive after a thaw.
    client.on("close", closeBoth);
    upstream.on("close", closeBoth);
    client.on("error", closeBoth);
    upstream.on("error", closeBoth);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("relay: no address");

  return {
    port: address.port,
    get connections() {
      return connections;
    },
    get open() {
      return pairs.size;
    },
    freeze() {
      frozen = true;
      for (const pair of pairs) pausePair(pair);
    },
    strand() {
      for (const pair of pairs) {
        pausePair(pair);
        stranded.add(pair);
      }
      pairs.clear();
      frozen = false;
    },
    thaw() {
      if (!frozen) return;
      frozen = false;
      for (const { client, upstream } of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        upstream.resume();
      }
    },
    async close() {
      for (const { client, upstream } of [...pairs, ...stranded]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      stranded.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function pausePair({ client, upstream }: Pair): void {
  // pipe() resumes a paused source on "drain"; unpipe first so it stays paused.
  client.unpipe(upstream);
  upstream.unpipe(client);
  client.pause();
  upstream.pause();
}
