/**
 * Our extension of git-annex's push presence (DESIGN.md §2.2): a sibling
 * element of the `git-annex` tag, in our own namespace, so git-annex's own
 * decoder (which rejects extra attributes on its tag) keeps working:
 *
 *   <refs xmlns='urn:git-annex-xmpp:push:0' ts='1732000000000' nonce='…' mac='…'>
 *     <ref name='refs/heads/main' new='<sha>'/>
 *   </refs>
 *
 * `ts` (ms since the epoch) and `nonce` bound replays; `mac` is
 * HMAC-SHA256, keyed with the repository's shared secret, over a canonical
 * text of the push's UUIDs, ts, nonce and refs (see canonicalText). Pure:
 * time, nonce and secret are passed in.
 *
 * Sealed mode: the `push` value carries keyed hashes of the UUIDs, salted
 * with the announcement's nonce (sealUuid) and shaped like git-annex's
 * version-4 UUIDs, so that the server and buddies cannot tell which
 * repositories sync with what, cannot link two announcements of one
 * repository by its tag, and cannot tell a sealed push from a plain one by
 * its `push` value. Only a listener holding the secret maps them back
 * (createUnsealer). Ref names and commit ids stay readable.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { childElements, el, textAttr, type XmlElement } from "./element.js";

export const PUSH_EXT_NS = "urn:git-annex-xmpp:push:0";
export const PUSH_EXT_TAG = "refs";

export interface AnnouncedRef {
  name: string;
  /** New object id; absent when the hook did not say (post-update). */
  new?: string | undefined;
}

export interface PushExtension {
  ts: number;
  nonce: string;
  refs: AnnouncedRef[];
  mac?: string | undefined;
}

/** Bounds on what we accept: a push updates a handful of refs. */
export const MAX_REFS = 1024;
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** git check-ref-format forbids spaces, control characters and these. */
const REF_NAME = /^refs\/[^\s~^:?*[\\\x00-\x1f\x7f]{1,250}$/;
/** Also forbidden by git check-ref-format: "..", "@{", "//", a trailing "/" or ".", ".lock" at the end. */
const REF_NAME_FORBIDDEN = /\.\.|@\{|\/\/|[/.]$|\.lock$/;
/** Milliseconds since the epoch, written as git-annex-xmpp writes them: plain decimal digits. */
const TIMESTAMP = /^[1-9][0-9]{0,15}$/;
const NONCE = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * The text the MAC covers: one field a line, refs sorted by name, so that
 * element order, attribute order and XML whitespace cannot change it.
 */
export function canonicalText(uuids: readonly string[], ext: Omit<PushExtension, "mac">): string {
  const refs = [...ext.refs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [
    "git-annex-xmpp push 0",
    `push=${uuids.join(",")}`,
    `ts=${ext.ts}`,
    `nonce=${ext.nonce}`,
    ...refs.map((r) => `ref ${r.name} ${r.new ?? "-"}`),
    "",
  ].join("\n");
}

/**
 * A UUID's sealed form in one announcement: HMAC-SHA256 under the
 * repository's secret over the announcement's nonce and the UUID, its first
 * 128 bits written as a version-4 UUID (RFC 4122 version and variant bits
 * set, as git-annex's own UUIDs have them). A listener finds its remotes by
 * sealing their UUIDs with the same nonce.
 */
export function sealUuid(secret: string, nonce: string, uuid: string): string {
  const hex = createHmac("sha256", secret).update(`git-annex-xmpp seal 1\n${nonce}\n${uuid}`, "utf8").digest("hex");
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Maps the members of a signed push back to UUIDs: a member that is the
 * sealed form, under the push's nonce, of one of `uuids` becomes that UUID;
 * any other member is kept as it is (an unsealed push, or a repository we
 * do not know).
 */
export function createUnsealer(secret: string, uuids: Iterable<string>): (members: readonly string[], nonce: string) => string[] {
  const known = [...uuids];
  return (members, nonce) => {
    const sealed = new Map(known.map((uuid) => [sealUuid(secret, nonce, uuid), uuid]));
    return members.map((m) => sealed.get(m) ?? m);
  };
}

export function computeMac(secret: string, uuids: readonly string[], ext: Omit<PushExtension, "mac">): string {
  return createHmac("sha256", secret).update(canonicalText(uuids, ext), "utf8").digest("base64");
}

/** The sibling element; signed when a secret is given. */
export function encodePushExtension(uuids: readonly string[], ext: Omit<PushExtension, "mac">, secret?: string): XmlElement {
  const attrs: Record<string, string> = { xmlns: PUSH_EXT_NS, ts: String(ext.ts), nonce: ext.nonce };
  if (secret !== undefined) attrs.mac = computeMac(secret, uuids, ext);
  const refs = ext.refs.map((r) => el("ref", r.new === undefined ? { name: r.name } : { name: r.name, new: r.new }));
  return el(PUSH_EXT_TAG, attrs, ...refs);
}

/** Find and parse our element among a presence's extensions (undefined when absent). */
export function decodePushExtension(extensions: readonly XmlElement[]): PushExtension | { reason: string } | undefined {
  const found = extensions.filter((e) => e.name === PUSH_EXT_TAG && e.attrs.xmlns === PUSH_EXT_NS);
  if (found.length === 0) return undefined;
  if (found.length > 1) return { reason: `${found.length} ${PUSH_EXT_TAG} elements` };
  const element = found[0]!;
  const tsText = textAttr(element, "ts") ?? "";
  const ts = Number(tsText);
  const nonce = textAttr(element, "nonce") ?? "";
  const mac: unknown = element.attrs.mac;
  if (!TIMESTAMP.test(tsText) || !Number.isSafeInteger(ts)) return { reason: "refs element without a valid ts" };
  if (!NONCE.test(nonce)) return { reason: "refs element without a valid nonce" };
  if (mac !== undefined && typeof mac !== "string") return { reason: "refs element whose mac is not text" };
  const refs = decodeRefs(element);
  return "reason" in refs ? refs : { ts, nonce, refs, mac };
}

/** The `ref` children: each a valid name, at most one object id per name. */
function decodeRefs(element: XmlElement): AnnouncedRef[] | { reason: string } {
  const children = childElements(element).filter((c) => c.name === "ref");
  if (children.length > MAX_REFS) return { reason: `refs element with ${children.length} refs` };
  const refs: AnnouncedRef[] = [];
  const ids = new Map<string, string | undefined>();
  for (const child of children) {
    const name = textAttr(child, "name") ?? "";
    const sha: unknown = child.attrs.new;
    if (!REF_NAME.test(name) || REF_NAME_FORBIDDEN.test(name)) return { reason: `bad ref name ${JSON.stringify(name.slice(0, 60))}` };
    if (sha !== undefined && (typeof sha !== "string" || !SHA.test(sha))) return { reason: `bad object id for ${name}` };
    // The same ref twice is kept as sent (the MAC covers it so); twice with different ids is not a push.
    if (ids.has(name) && ids.get(name) !== sha) return { reason: `ref ${name} announced with two object ids` };
    ids.set(name, sha);
    refs.push({ name, new: sha });
  }
  return refs;
}

/**
 * A secret a listener holds (DESIGN.md §2.2: one per hub), with the
 * repositories it speaks for: an announcement signed with a hub's secret
 * may name that hub, not another hub of the same clone.
 */
export interface AnnounceKey {
  secret: string;
  /** Annex UUIDs of the remotes this secret came from. */
  uuids: readonly string[];
  /** A secret of unknown origin (a clone's single secret of earlier versions): speaks for any UUID. */
  anyUuid?: boolean;
}

export type Authenticity =
  | { signed: true; key: AnnounceKey }
  | { signed: false; reason: string }
  | { rejected: string };

function macMatches(secret: string, uuids: readonly string[], ext: PushExtension, got: Buffer): boolean {
  const expected = Buffer.from(computeMac(secret, uuids, ext), "base64");
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/**
 * Judge a decoded extension against the secrets we hold: a MAC that one of
 * them verifies, within the time window, is "signed" by that key; a MAC
 * none verifies or a stale timestamp is rejected (whoever sent it holds no
 * secret of ours, or replays); an unsigned one, or any when we hold no
 * secret, is "unsigned", for the caller's compat policy. Which members the
 * key speaks for is signedMembers'; nonce freshness is the caller's (it
 * needs memory).
 */
export function judgeAuthenticity(
  uuids: readonly string[],
  ext: PushExtension | undefined,
  options: { keys: readonly AnnounceKey[]; now: number; windowMs: number },
): Authenticity {
  if (!ext) return { signed: false, reason: "no refs element" };
  if (ext.mac === undefined) return { signed: false, reason: "no MAC" };
  if (options.keys.length === 0) return { signed: false, reason: "signed, but we have no secret to check it" };
  const got = Buffer.from(ext.mac, "base64");
  const key = options.keys.find((k) => macMatches(k.secret, uuids, ext, got));
  if (!key) return { rejected: "bad MAC" };
  if (Math.abs(options.now - ext.ts) > options.windowMs) {
    return { rejected: `timestamp ${Math.round((options.now - ext.ts) / 1000)} s away from ours (window ${options.windowMs / 1000} s)` };
  }
  return { signed: true, key };
}

/**
 * The UUIDs a signed push names, as far as the key that signed it speaks
 * for them: sealed members unsealed with the key, plain ones kept when they
 * are the key's; the rest are `foreign` (another hub's UUID, or a sealed
 * form of none of ours).
 */
export function signedMembers(members: readonly string[], nonce: string, key: AnnounceKey): { uuids: string[]; foreign: string[]; sealed: boolean } {
  const opened = createUnsealer(key.secret, key.uuids)(members, nonce);
  const own = new Set(key.uuids);
  const uuids: string[] = [];
  const foreign: string[] = [];
  for (const uuid of opened) (own.has(uuid) || key.anyUuid ? uuids : foreign).push(uuid);
  return { uuids, foreign, sealed: opened.some((u, i) => u !== members[i]) };
}
