/**
 * Dead-link detection (DESIGN.md §3). A half-open TCP connection (laptop
 * suspended, NAT mapping dropped, a stalled middlebox) looks healthy to the
 * client: writes succeed into the kernel's buffer and nothing ever comes
 * back. So once the link has been silent for `idleMs`, send one XEP-0199
 * ping; no answer within `timeoutMs` means the link is dead. Probing only
 * after silence keeps an active link, and a mobile radio, quiet. A sign
 * that the link may have died meanwhile (a resume, a network change:
 * wake.ts) asks for the same probe at once instead of after the silence.
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

export interface LivenessWatch {
  /** Probe now, whatever the silence (one probe at a time: a request during one is folded into it). */
  probeNow(why: string): void;
  stop(): void;
}

/** Starts watching `target` until stopped or the link is judged dead. */
export function watchLiveness(target: ProbeTarget, options: LivenessOptions): LivenessWatch {
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let probing = false;

  const schedule = () => {
    if (stopped || probing) return;
    const silentFor = now() - target.lastInboundAt;
    timer = setTimeout(check, Math.max(0, options.idleMs - silentFor));
  };

  const check = () => {
    timer = undefined;
    if (stopped) return;
    const silentFor = now() - target.lastInboundAt;
    if (silentFor < options.idleMs) return schedule();
    void probe(`link silent for ${silentFor} ms`, `after ${silentFor} ms of silence`);
  };

  const probe = async (why: string, context: string) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    probing = true;
    const sent = now();
    try {
      options.log.debug(`${why}: probing with a ping`);
      await target.ping(options.timeoutMs);
      options.log.debug(`ping answered in ${now() - sent} ms`);
    } catch (error) {
      if (stopped) return;
      const reason = `dead link: no answer to a ping within ${options.timeoutMs} ms ${context}`;
      options.log.debug(`${reason} (${(error as Error).message})`);
      stopped = true;
      target.drop(reason);
      return;
    } finally {
      probing = false;
    }
    schedule();
  };

  schedule();
  return {
    probeNow(why) {
      if (stopped || probing) return;
      void probe(why, `after ${why}`);
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
