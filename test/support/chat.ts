/**
 * Chat messages as a counter of what a stream delivered: the
 * stream-management tests (against prosody and ejabberd) send numbered
 * messages and compare what arrives, in order.
 */
import { el, textOf, type XmlElement } from "../../src/xmpp/element.js";
import type { XmppSession } from "../../src/xmpp/session.js";

/** The bodies of the chat messages a session receives, in order. */
export function collectBodies(s: XmppSession): string[] {
  const bodies: string[] = [];
  s.on("stanza", (stanza: XmlElement) => {
    const body = stanza.name === "message" ? stanza.children.find((c): c is XmlElement => typeof c !== "string" && c.name === "body") : undefined;
    if (body) bodies.push(textOf(body));
  });
  return bodies;
}

/** Messages `first` … `first + count - 1`, then a ping: once it is answered the server has routed them all (RFC 6120 §10.1). */
export async function sendMessages(from: XmppSession, to: string, first: number, count: number): Promise<void> {
  for (let n = first; n < first + count; n++) await from.send(el("message", { to, type: "chat" }, el("body", {}, String(n))));
  await from.ping(5_000);
}

export const range = (first: number, count: number): string[] => Array.from({ length: count }, (_, i) => String(first + i));
