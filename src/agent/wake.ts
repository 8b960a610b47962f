/**
 * Noticing a resume (DESIGN.md §3, "Dead connections must be noticed"). A
 * laptop that slept for an hour comes back with a TCP connection that the
 * server gave up long ago, yet the idle probe (liveness.ts) would only ask
 * after `idleProbeMs` more of silence. Two cheap signs say "look now":
 *
 * - The clock jumped: a coarse timer fired far later than it was due. A
 *   stopped process (SIGSTOP, a frozen container) sees both clocks advance;
 *   a suspended machine sees only the wall clock advance (Linux's
 *   CLOCK_MONOTONIC, which Node's timers and performance.now() use, stops
 *   during suspend), so both are compared with the interval and with each
 *   other.
 * - The network changed: the set of addresses from os.networkInterfaces()
 *   is not what it was (a new Wi-Fi, a VPN, a cable).
 *
 * Either one makes the caller probe at once. Nothing here sends anything,
 * and the timer costs a clock read and one getifaddrs() per tick.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import { performance } from "node:perf_hooks";
import type { Logger } from "../log.js";

/** One reading of both clocks, in ms. */
export interface ClockSample {
  /** Date.now(): keeps counting through a suspend. */
  wall: number;
  /** performance.now(): stops while the machine sleeps, not while the process is stopped. */
  mono: number;
}

export const DEFAULT_WAKE = { intervalMs: 5_000, toleranceMs: 5_000 };

/**
 * Pure: how the tick at `current` relates to the one at `previous`, `intervalMs`
 * apart as scheduled. A description of the jump when either clock advanced
 * more than `toleranceMs` beyond the interval (the process or the machine
 * was not running), or the two clocks parted by more than `toleranceMs`
 * (a suspend, or the wall clock set); undefined for an ordinary tick.
 */
export function detectClockJump(previous: ClockSample, current: ClockSample, intervalMs: number, toleranceMs: number): string | undefined {
  const wall = current.wall - previous.wall;
  const mono = current.mono - previous.mono;
  const late = Math.max(wall, mono) - intervalMs;
  if (late > toleranceMs) return `the clock jumped ${seconds(late)} s ahead (suspended or stopped)`;
  const parted = wall - mono;
  if (Math.abs(parted) > toleranceMs) return `the wall clock moved ${seconds(parted)} s against the monotonic clock`;
  return undefined;
}

/**
 * Pure: the addresses this host has outside loopback, in a canonical text,
 * so that two readings compare as strings. Interface order and the
 * loopback interface, which never carries our link, do not count.
 */
export function networkFingerprint(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string {
  const addresses: string[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) if (!info.internal) addresses.push(`${name} ${info.family} ${info.address}`);
  }
  return addresses.sort().join("\n");
}

export interface WakeOptions {
  log: Logger;
  /** Called once per sign of a resume, with what was seen. */
  onWake(reason: string): void;
  intervalMs?: number;
  toleranceMs?: number;
  clock?: () => ClockSample;
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** Starts the coarse timer; returns the function that stops it. */
export function watchForWake(options: WakeOptions): () => void {
  const { intervalMs = DEFAULT_WAKE.intervalMs, toleranceMs = DEFAULT_WAKE.toleranceMs } = options;
  const clock = options.clock ?? (() => ({ wall: Date.now(), mono: performance.now() }));
  const interfaces = options.interfaces ?? networkInterfaces;
  let last = clock();
  let network = readNetwork(interfaces, options.log);
  let timer: NodeJS.Timeout | undefined;

  const tick = () => {
    const now = clock();
    const jump = detectClockJump(last, now, intervalMs, toleranceMs);
    last = now;
    const seen = readNetwork(interfaces, options.log);
    const changed = seen !== undefined && network !== undefined && seen !== network;
    if (seen !== undefined) network = seen;
    const reason = jump ?? (changed ? "the network interfaces changed" : undefined);
    if (reason !== undefined) options.onWake(reason);
    schedule();
  };
  const schedule = () => {
    timer = setTimeout(tick, intervalMs);
    // The daemon's link keeps the process alive; this timer must not.
    timer.unref();
  };
  schedule();
  return () => clearTimeout(timer);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * Where a sign of a resume goes: to the connected session's probe,
 * or, between attempts, to the backoff wait, which it cuts short (after a
 * resume the network that failed may well be back).
 */
export function createWakeRouter({ log, options }: { log: Logger; options: { intervalMs: number; toleranceMs: number } | false | undefined }) {
  let handler: (reason: string) => void = () => undefined;
  const stop = options === false ? () => undefined : watchForWake({
    ...options,
    log,
    onWake: (reason) => {
      log.info(`${reason}: checking the link now`);
      handler(reason);
    },
  });
  /** Sends wakes to `next` until the returned function is called. */
  const route = (next: (reason: string) => void): (() => void) => {
    handler = next;
    return () => {
      if (handler === next) handler = () => undefined;
    };
  };
  return {
    stop,
    route,
    /** The backoff wait, ended early by the abort signal or a wake. */
    async sleep(ms: number, signal: AbortSignal): Promise<void> {
      const woken = new AbortController();
      const unroute = route(() => woken.abort());
      try {
        await sleep(ms, AbortSignal.any([signal, woken.signal]));
      } finally {
        unroute();
      }
    },
  };
}

/** A fingerprint, or undefined when the host will not say (then no change is reported). */
function readNetwork(interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>, log: Logger): string | undefined {
  try {
    return networkFingerprint(interfaces());
  } catch (error) {
    log.debug(`cannot list the network interfaces: ${(error as Error).message}`);
    return undefined;
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
