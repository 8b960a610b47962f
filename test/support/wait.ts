import { createServer } from "node:net";

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs?: number;
  /** Pause between two polls. */
  intervalMs?: number;
  /** Names the awaited condition in the timeout error, e.g. "bob sees alice's push". */
  what: string;
}

export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, lastError: unknown) {
    const cause =
      lastError === undefined
        ? ""
        : `; last attempt failed: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
    super(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    this.name = "WaitTimeoutError";
  }
}

/**
 * Polls `fn` until it returns something other than undefined, null or false,
 * and returns that value. A throwing `fn` counts as "not yet"; its last error
 * is quoted in the timeout message so a failing test says what was wrong,
 * not only that time ran out. Tests wait on conditions with this instead of
 * sleeping for a guessed duration (STYLE.md: never bare sleeps).
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(options.what, timeoutMs, lastError);
    await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** One poll interval; kept private so tests cannot use it as a bare sleep. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the kernel picks it for
 * a listener on port 0, which we close at once. Another process may grab it
 * before our server binds, so callers that bind it must detect a clash and
 * retry (startProsody does).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the port of a listener on 127.0.0.1:0"));
      });
    });
  });
}

/**
 * Whether a listener could bind 127.0.0.1:port right now. Node, like
 * prosody's LuaSocket, sets SO_REUSEADDR, so connections of a killed server
 * lingering in TIME_WAIT do not count as busy; only a live listener does.
 */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
