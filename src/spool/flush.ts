/**
 * Delivering the spool: oldest first, duplicates merged into one presence,
 * and an entry deleted only after the server acknowledged the presence that
 * carried it (the caller's `deliver` resolves after an IQ round trip that
 * followed the presence on the same stream, RFC 6120 §10.1: a server
 * processes one stream's stanzas in order). A batch whose delivery we
 * refuse (DeliveryRefusedError) stays in the spool, and the rest goes on.
 */
import { DeliveryRefusedError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Announcement } from "../notify/announcement.js";
import { planDelivery } from "./plan.js";
import type { Spool } from "./spool.js";

export interface FlushResult {
  /** Spool entries delivered and deleted. */
  entries: number;
  /** Presences sent for them. */
  presences: number;
  /** Entries whose delivery we refused: kept in the spool, never deleted unsent. */
  kept: number;
  /** Why the last refused batch was refused. */
  refused?: DeliveryRefusedError;
}

export async function flushSpool(
  spool: Spool,
  deliver: (announcement: Announcement) => Promise<void>,
  log: Logger,
): Promise<FlushResult> {
  const items = await spool.readAll((name, reason) => log.warn(`spool: set aside ${name} (${reason}); it will not be sent`));
  const result: FlushResult = { entries: 0, presences: 0, kept: 0 };
  for (const batch of planDelivery(items)) {
    try {
      await deliver(batch.announcement);
    } catch (error) {
      if (!(error instanceof DeliveryRefusedError)) throw error;
      log.warn(`spool: kept ${batch.names.length} entries: ${error.message} (hint: ${error.hint})`);
      result.kept += batch.names.length;
      result.refused = error;
      continue;
    }
    await spool.remove(batch.names);
    result.entries += batch.names.length;
    result.presences += 1;
    log.debug(`spool: delivered ${batch.names.length} entries as one presence (${batch.announcement.uuids.length} repositories)`);
  }
  return result;
}
