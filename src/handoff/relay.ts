/**
 * Everything `listen` does for notify: serve the account's hand-off socket,
 * keep what arrives in the spool, and send the spool (batched, merged)
 * whenever a session is online. listen.ts wires it with two calls.
 */
import { userStateDir } from "../config/places.js";
import { readAnnounceSecret } from "../git/secret.js";
import type { Logger } from "../log.js";
import type { DeliveryOptions } from "../services/announce.js";
import { createSpoolCourier } from "../spool/courier.js";
import { spoolDirFor } from "../spool/paths.js";
import { openSpool } from "../spool/spool.js";
import type { XmppSession } from "../xmpp/session.js";
import { socketPathFor } from "./paths.js";
import { createHandoffReceiver } from "./receive.js";
import { startHandoffServer, type HandoffServer } from "./server.js";

export interface RelayOptions {
  env: NodeJS.ProcessEnv;
  jid: string;
  log: Logger;
  /** How each presence from the spool goes out (acknowledgement bound, sealing). */
  delivery: Omit<DeliveryOptions, "log">;
  resolveUuid(repoDir: string): Promise<string>;
  /** Coalescing window for hand-offs (default 50 ms). */
  batchMs?: number;
}

export interface AnnouncementRelay {
  /** For runListener's onOnline: flushes the spool through the new session. */
  onOnline(session: XmppSession): Promise<void>;
  /** For runListener's localAnnouncements: what arrives here concerns this machine's own clone too. */
  onLocal(handler: (uuids: readonly string[], reason: string) => void): void;
  close(): Promise<void>;
}

export async function startAnnouncementRelay(options: RelayOptions): Promise<AnnouncementRelay> {
  const { log } = options;
  const spool = openSpool(spoolDirFor(userStateDir(options.env), options.jid));
  const courier = createSpoolCourier({ spool, log, delivery: options.delivery, batchMs: options.batchMs });
  const localHandlers: Array<(uuids: readonly string[], reason: string) => void> = [];
  const accept = createHandoffReceiver({
    jid: options.jid,
    spool,
    resolveUuid: options.resolveUuid,
    hasSecret: async (dir) => (await readAnnounceSecret(dir)) !== undefined,
    sealed: options.delivery.sealed,
    received: (announcement, request) => {
      log.info(`hand-off from notify: ${announcement.uuids.join(",")} (${announcement.refs.length} refs) for ${request.repo}`);
      courier.request();
      for (const handler of localHandlers) handler(announcement.uuids, `hand-off for ${request.repo}`);
    },
  });
  const path = socketPathFor(options.env, options.jid);
  let server: HandoffServer | undefined;
  try {
    server = await startHandoffServer({ path, log, accept });
    if (server) log.info(`hand-off socket: ${path}`);
    else log.info(`hand-offs for ${options.jid} are served by another listen (${path})`);
  } catch (error) {
    log.warn(`no hand-off socket (${(error as Error).message}); hooks will log in themselves`);
  }
  return {
    onOnline: (session) => courier.online(session),
    onLocal: (handler) => void localHandlers.push(handler),
    async close() {
      await server?.close();
      await courier.close();
    },
  };
}
