/**
 * Which received announcements a listener acts on (DESIGN.md §2.1):
 * presence from our own account's other resources, or from a configured
 * buddy. Our own full JID is ignored (servers echo our presence back);
 * everyone else is ignored too, with a reason for the debug log.
 */
import { bareJid } from "../config/schema.js";
import type { DecodedPresence } from "../xmpp/codec.js";

export interface Identity {
  fullJid: string;
  /** Bare JIDs, lower-cased: our own account and the buddies. */
  trusted: ReadonlySet<string>;
}

export type Verdict = { accept: true } | { accept: false; reason: string };


export function judgeSender(from: string | undefined, identity: Identity): Verdict {
  if (!from) return { accept: false, reason: "no sender" };
  if (from === identity.fullJid) return { accept: false, reason: "our own presence" };
  if (!identity.trusted.has(bareJid(from))) return { accept: false, reason: `${from} is neither our account nor a buddy` };
  return { accept: true };
}

export function describePresence(decoded: DecodedPresence): string {
  switch (decoded.kind) {
    case "push":
      return `push of ${decoded.uuids.map((u) => u || "(no uuid)").join(",")}`;
    case "invalid":
      return `invalid git-annex presence (${decoded.reason})`;
    default:
      return decoded.kind;
  }
}
