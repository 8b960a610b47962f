/**
 * Malformed presences for the fuzz test (issue 8), from a seeded PRNG so a
 * failure replays. Every stanza is well-formed XML (the server would end
 * the sender's stream otherwise, and the listener would never see it) and
 * fits on one line, but none is an announcement a listener may act on:
 * git-annex tags with broken attributes, tags in the wrong place or
 * namespace, pushes naming a real UUID whose refs element is broken or
 * wrongly signed, and junk of random depth, width, attributes, namespaces
 * and size. `uuid` should be one the listener would sync for, so that a
 * leak shows as a sync.
 */
import { PUSH_EXT_NS } from "../../src/xmpp/push-extension.js";

export interface FuzzOptions {
  seed: number;
  count: number;
  /** A UUID the listener has a remote for. */
  uuid: string;
  /** Deepest nesting of junk. */
  maxDepth: number;
  /** Largest text or attribute value, in characters. */
  maxSize: number;
}

/** mulberry32: small, fast, good enough to vary test input. */
export function createPrng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  return { next, int, pick: <T>(items: readonly T[]): T => items[int(items.length)]! };
}

type Prng = ReturnType<typeof createPrng>;

/** Characters for values: plain, markup, entities' worth, whitespace, non-ASCII. */
const CHARS = ["a", "Z", "0", "-", ",", ".", "_", " ", "<", ">", "&", "'", "\"", "\n", "\t", "é", "中", "😀", "/", "=", "@", "{"];
const NAMESPACES = ["git-annex", "git-annex#", "Git-Annex", PUSH_EXT_NS, `${PUSH_EXT_NS}x`, "urn:git-annex-xmpp:push:1", "jabber:client", "urn:junk", "", "http://example.com/ns"];
const NAMES = ["git-annex", "refs", "ref", "x", "push", "presence", "status", "show", "a-b", "q"];

function escapeXml(text: string): string {
  return text.replace(/[&<>'"\n\t]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", "\"": "&quot;", "\n": "&#10;", "\t": "&#9;" })[c]!);
}

function randomText(r: Prng, max: number): string {
  const length = r.next() < 0.9 ? r.int(40) : r.int(max);
  let text = "";
  for (let i = 0; i < length; i++) text += r.pick(CHARS);
  return text;
}

/** Distinct attribute names (a repeated one would not be well-formed XML). */
function attributes(r: Prng, max: number, fixed: Record<string, string> = {}): string {
  const attrs = new Map(Object.entries(fixed));
  const extra = r.int(4);
  for (let i = 0; i < extra; i++) attrs.set(r.pick(["push", "query", "ts", "nonce", "mac", "name", "new", "id", "a", "b-c"]), randomText(r, max));
  return [...attrs].map(([k, v]) => ` ${k}='${escapeXml(v)}'`).join("");
}

/**
 * Random elements: a chain (one child a level, exactly `depth` deep: the
 * deep nesting case) or a bush (a few children a level, stopping early).
 */
function junk(r: Prng, options: FuzzOptions, depth: number, chain = false): string {
  // A chain's levels stay small (its size is its depth); a bush's values may be large.
  const max = chain ? 16 : options.maxSize;
  const name = r.pick(NAMES);
  const ns = r.next() < (chain ? 0.2 : 0.7) ? ` xmlns='${escapeXml(r.pick(NAMESPACES))}'` : "";
  const open = `<${name}${ns}${chain && r.next() < 0.8 ? "" : attributes(r, max)}`;
  if (depth <= 1 || (!chain && r.next() < 0.3)) return r.next() < 0.5 ? `${open}/>` : `${open}>${escapeXml(randomText(r, max))}</${name}>`;
  const width = chain || r.next() < 0.7 ? 1 : 2 + r.int(3);
  let inner = "";
  for (let i = 0; i < width; i++) inner += junk(r, options, depth - 1, chain);
  return `${open}>${inner}</${name}>`;
}

/** A git-annex tag that the codec must refuse. */
function brokenTag(r: Prng, options: FuzzOptions): string {
  const cases = [
    () => `<git-annex xmlns='git-annex' push='${options.uuid}' query=''/>`,
    () => `<git-annex xmlns='git-annex'${attributes(r, 64, { push: options.uuid, a: "1" })}/>`,
    () => `<git-annex xmlns='git-annex' ${r.pick(["pull", "pushed", "Push", "q"])}='${options.uuid}'/>`,
    () => `<git-annex xmlns='git-annex' push='${escapeXml(`${options.uuid},${randomText(r, 64)} <x>`)}'/>`,
    () => `<git-annex xmlns='git-annex' push='${"u,".repeat(1100)}'/>`,
    () => `<git-annex xmlns='git-annex' push='${options.uuid}'/><git-annex xmlns='git-annex' push='${options.uuid}'/>`,
  ];
  // Over the codec's 64 KiB bound on the attribute, now and then (it is large on the wire).
  if (r.next() < 0.05) return `<git-annex xmlns='git-annex' push='${"a".repeat(66_000 + r.int(options.maxSize))}'/>`;
  return r.pick(cases)();
}

/** A push naming the real UUID, with a refs element that is broken or wrongly signed. */
function badRefs(r: Prng, options: FuzzOptions, now: number): string {
  const tag = `<git-annex xmlns='git-annex' push='${options.uuid}'/>`;
  const nonce = `n${r.int(1e9)}-fuzz`;
  const mac = (length: number) => Array.from({ length }, () => r.pick([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"])).join("");
  const ref = `<ref name='refs/heads/main' new='${"0123456789abcdef"[r.int(16)]!.repeat(40)}'/>`;
  const cases = [
    () => `<refs xmlns='${PUSH_EXT_NS}' ts='${now}' nonce='${nonce}' mac='${mac(43)}='>${ref}</refs>`,
    () => `<refs xmlns='${PUSH_EXT_NS}' ts='${now}' nonce='${nonce}' mac='${mac(r.int(200))}'>${ref}</refs>`,
    () => `<refs xmlns='${PUSH_EXT_NS}' ts='${r.pick(["", "-1", "1e12", "0x1", "now", " 1"])}' nonce='${nonce}' mac='${mac(43)}='>${ref}</refs>`,
    () => `<refs xmlns='${PUSH_EXT_NS}' ts='${now - 86_400_000}' nonce='${nonce}' mac='${mac(43)}='>${ref}</refs>`,
    () => `<refs xmlns='${PUSH_EXT_NS}' ts='${now}' nonce='${escapeXml(randomText(r, 200))}x'>${ref}</refs>`,
    () => `<refs xmlns='${PUSH_EXT_NS}' ts='${now}' nonce='${nonce}'><ref name='${escapeXml(`refs/${randomText(r, 300)} ..`)}'/></refs>`,
    () => `<refs xmlns='${PUSH_EXT_NS}' ts='${now}' nonce='${nonce}'>${"<ref name='refs/heads/x'/>".repeat(1100)}</refs>`,
    () => `<refs xmlns='${PUSH_EXT_NS}' ts='${now}' nonce='${nonce}'>${junk(r, options, 1 + r.int(options.maxDepth), true)}</refs>`,
    () => `<refs xmlns='${PUSH_EXT_NS}' ts='${now}' nonce='${nonce}'/><refs xmlns='${PUSH_EXT_NS}' ts='${now}' nonce='${nonce}'/>`,
  ];
  return tag + r.pick(cases)();
}

/** `options.count` stanzas, one a line; `now` is the clock the signed-looking ones claim. */
export function generateMalformedPresences(options: FuzzOptions, now: number): string[] {
  const r = createPrng(options.seed);
  const stanzas: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const roll = r.next();
    let body: string;
    if (roll < 0.3) body = brokenTag(r, options);
    else if (roll < 0.6) body = badRefs(r, options, now);
    // The tag where it does not count: in junk, or in the wrong namespace.
    else if (roll < 0.7) body = `<x xmlns='urn:junk'><git-annex xmlns='git-annex' push='${options.uuid}'/></x>`;
    else if (roll < 0.75) body = `<git-annex xmlns='${escapeXml(r.pick(NAMESPACES.filter((n) => n !== "git-annex")))}' push='${options.uuid}'/>`;
    else if (roll < 0.8) body = junk(r, options, 1 + r.int(options.maxDepth), true);
    else body = junk(r, options, 1 + r.int(6));
    // Junk around the body too, sometimes.
    const before = r.next() < 0.3 ? junk(r, options, 1 + r.int(6)) : "";
    const after = r.next() < 0.3 ? junk(r, options, 1 + r.int(6)) : "";
    const show = r.next() < 0.5 ? "<show>xa</show><priority>-1</priority><status>git-annex</status>" : "";
    stanzas.push(`<presence>${show}${before}${body}${after}</presence>`);
  }
  return stanzas;
}
