/**
 * A daemon's spool delivery: whenever it is online, flush the spool through
 * the live session. New entries are batched for a short window (so a burst
 * of hooks becomes one presence), flushes never overlap, and one requested
 * while a flush runs makes exactly one more run afterwards.
 */
import type { Logger } from "../log.js";
import { deliverAnnouncement, type DeliveryOptions } from "../services/announce.js";
import type { XmppSession } from "../xmpp/session.js";
import { flushSpool } from "./flush.js";
import type { Spool } from "./spool.js";

export interface CourierOptions {
  spool: Spool;
  log: Logger;
  /** How long to wait for more hand-offs before sending (coalescing window). */
  batchMs?: number;
  /** How each presence goes out (acknowledgement bound, sealing). */
  delivery: Omit<DeliveryOptions, "log">;
}

export interface SpoolCourier {
  /** A session is online: flush now and whenever asked, until it disconnects. */
  online(session: XmppSession): Promise<void>;
  /** Something new is in the spool. */
  request(): void;
  close(): Promise<void>;
}

export function createSpoolCourier(options: CourierOptions): SpoolCourier {
  const { spool, log } = options;
  let session: XmppSession | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const flushOnce = async (via: XmppSession) => {
    const result = await flushSpool(
      spool,
      (announcement) => deliverAnnouncement(via, announcement, { ...options.delivery, log }),
      log,
    );
    if (result.entries > 0) log.info(`spool: delivered ${result.entries} announcement(s) in ${result.presences} presence(s)`);
  };

  const flush = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        const via = session;
        if (!via || closed) return;
        try {
          await flushOnce(via);
        } catch (error) {
          log.warn(`spool: delivery failed, kept for the next connection: ${(error as Error).message}`);
          return;
        }
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    async online(live) {
      session = live;
      live.on("disconnect", () => {
        if (session === live) session = undefined;
      });
      await flush();
    },
    request() {
      if (timer || closed) return;
      timer = setTimeout(() => {
        timer = undefined;
        void flush();
      }, options.batchMs ?? 50);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
