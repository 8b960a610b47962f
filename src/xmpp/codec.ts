/**
 * Pure codec for git-annex's XMPP presence, byte-compatible with the final
 * version of git-annex's assistant (Assistant/XMPP.hs, removed in 2016):
 *
 *   <presence>
 *     <show>xa</show><priority>-1</priority><status>git-annex</status>
 *     <git-annex xmlns='git-annex' push='UUID1,UUID2'/>
 *   </presence>
 *
 * The tag's namespace is the bare string "git-annex" (not a URL, on
 * purpose). git-annex's decoder takes exactly one attribute per tag
 * (besides xmlns), so we never add attributes: our own information travels
 * in sibling elements (see DESIGN.md §2.2). No I/O, no clock: pure.
 */
import { childElements, el, isElement, namespaceOf, textAttr, type XmlElement } from "./element.js";

export const GIT_ANNEX_NS = "git-annex";
export const GIT_ANNEX_TAG = "git-annex";
const CLIENT_NS = "jabber:client";

/**
 * Bounds on what we accept from the network. git-annex UUIDs are 36
 * characters; a push lists the repositories that got commits, a handful in
 * practice. Anything far beyond is garbage or an attack, not a push.
 */
export const MAX_PUSH_ATTR_LENGTH = 64 * 1024;
export const MAX_PUSH_UUIDS = 1024;
const UUID_MEMBER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export type GitAnnexTag =
  | { kind: "push"; uuids: string[] }
  | { kind: "query" }
  | { kind: "signature" };

export type DecodedPresence =
  | { kind: "not-git-annex" }
  | { kind: "invalid"; reason: string }
  | ({ from: string | undefined; type: string | undefined; extensions: XmlElement[] } & GitAnnexTag);

/** The presence a git-annex client sends to stay out of the user's way (RFC 6121 §4.7.2). */
function gitAnnexPresence(tag: XmlElement, extensions: XmlElement[] = []): XmlElement {
  return el(
    "presence",
    {},
    el("show", {}, "xa"),
    el("priority", {}, "-1"),
    el("status", {}, "git-annex"),
    tag,
    ...extensions,
  );
}

/** `push='u1,u2'`: these repositories received commits. An empty member is a repository without a UUID. */
export function encodePushPresence(uuids: readonly string[], extensions: XmlElement[] = []): XmlElement {
  return gitAnnexPresence(el(GIT_ANNEX_TAG, { xmlns: GIT_ANNEX_NS, push: uuids.join(",") }), extensions);
}

/** The empty tag: "a git-annex client is here", sent after login and in answer to a query. */
export function encodeSignaturePresence(): XmlElement {
  return gitAnnexPresence(el(GIT_ANNEX_TAG, { xmlns: GIT_ANNEX_NS }));
}

/** `query=''`: asks every git-annex client to resend its presence. */
export function encodeQueryPresence(): XmlElement {
  return gitAnnexPresence(el(GIT_ANNEX_TAG, { xmlns: GIT_ANNEX_NS, query: "" }));
}

/** Decode the value of `push`; members that cannot be a UUID make the whole value invalid. */
export function decodePushValue(value: string): { uuids: string[] } | { reason: string } {
  if (value.length > MAX_PUSH_ATTR_LENGTH) return { reason: `push attribute of ${value.length} characters` };
  const members = value.split(",");
  if (members.length > MAX_PUSH_UUIDS) return { reason: `push lists ${members.length} repositories` };
  const junk = members.find((m) => m !== "" && !UUID_MEMBER.test(m));
  if (junk !== undefined) return { reason: `push member is not a UUID: ${JSON.stringify(junk.slice(0, 40))}` };
  return { uuids: [...new Set(members)] };
}

/** Interpret the git-annex tag itself: exactly one attribute besides xmlns, as git-annex's decoder demands. */
export function decodeGitAnnexTag(tag: XmlElement): GitAnnexTag | { reason: string } {
  const attrs = Object.entries(tag.attrs).filter(([k, v]) => k !== "xmlns" && v !== undefined);
  if (attrs.length === 0) return { kind: "signature" };
  if (attrs.length > 1) return { reason: `git-annex tag with ${attrs.length} attributes` };
  const [name, value] = attrs[0] as [string, unknown];
  if (name === "query") return { kind: "query" };
  if (typeof value !== "string") return { reason: `git-annex attribute ${JSON.stringify(name.slice(0, 40))} is not text` };
  if (name === "push") {
    const push = decodePushValue(value);
    return "uuids" in push ? { kind: "push", uuids: push.uuids } : push;
  }
  return { reason: `unknown git-annex attribute ${JSON.stringify(name.slice(0, 40))}` };
}

/**
 * Classify a received stanza. Anything that is not a presence carrying a
 * git-annex tag is "not-git-annex" (ordinary chat traffic); a git-annex tag
 * we cannot trust is "invalid" with a reason for the debug log.
 */
export function decodeGitAnnexPresence(stanza: XmlElement): DecodedPresence {
  if (!isElement(stanza) || stanza.name !== "presence" || namespaceOf(stanza, CLIENT_NS) !== CLIENT_NS) return { kind: "not-git-annex" };
  const type: unknown = stanza.attrs.type;
  if (type !== undefined && type !== "available") return { kind: "not-git-annex" };
  const tags = childElements(stanza).filter((c) => c.name === GIT_ANNEX_TAG && namespaceOf(c, CLIENT_NS) === GIT_ANNEX_NS);
  if (tags.length === 0) return { kind: "not-git-annex" };
  if (tags.length > 1) return { kind: "invalid", reason: `${tags.length} git-annex tags in one presence` };
  const decoded = decodeGitAnnexTag(tags[0]!);
  if ("reason" in decoded) return { kind: "invalid", reason: decoded.reason };
  const extensions = childElements(stanza).filter((c) => {
    const ns = namespaceOf(c, CLIENT_NS);
    return ns !== CLIENT_NS && ns !== GIT_ANNEX_NS;
  });
  return { ...decoded, from: textAttr(stanza, "from"), type: type as string | undefined, extensions };
}

