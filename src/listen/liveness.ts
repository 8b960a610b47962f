/**
 * Dead-link detection (DESIGN.md §3). A half-open TCP connection (laptop
 * suspended, NAT mapping dropped, a stalled middlebox) looks healthy to the
 * client: writes succeed into the kernel's buffer and nothing ever comes
 * back. So once the link has been silent for `idleMs`, send one XEP-0199
 * ping; no answer within `timeoutMs` means the link is dead. Probing only
 * after silence keeps an active link, and a mobile radio, quiet.
 */
import type { Logger } from "../log.js";

export interface ProbeTarget {
  /** Date.now() of the last inbound traffic. */
  readonly lastInboundAt: number;
  ping(timeoutMs: number): Promise<void>;
  drop(reason: string): void;
}

export interface LivenessOptions {
  idleMs: number;
  timeoutMs: number;
  log: Logger;
  now?: () => number;
}

/** Starts watching `target`; returns the function that stops watching. */
export function watchLiveness(target: ProbeTarget, options: LivenessOptions): () => void {
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    const silentFor = now() - target.lastInboundAt;
    timer = setTimeout(check, Math.max(0, options.idleMs - silentFor));
  };

  const check = async () => {
    timer = undefined;
    if (stopped) return;
    const silentFor = now() - target.lastInboundAt;
    if (silentFor < options.idleMs) return schedule();
    const sent = now();
    try {
      options.log.debug(`link silent for ${silentFor} ms: probing with a ping`);
      await target.ping(options.timeoutMs);
      options.log.debug(`ping answered in ${now() - sent} ms`);
    } catch (error) {
      if (stopped) return;
      const reason = `dead link: no answer to a ping within ${options.timeoutMs} ms after ${silentFor} ms of silence`;
      options.log.debug(`${reason} (${(error as Error).message})`);
      stopped = true;
      target.drop(reason);
      return;
    }
    schedule();
  };

  schedule();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
