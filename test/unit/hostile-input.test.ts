/**
 * What a hostile peer can put in a presence, against every decoder a
 * received stanza meets before anything acts on it (issue 8): the codec
 * (decodeGitAnnexPresence), our refs element (decodePushExtension) and its
 * signature check (judgeAuthenticity). Each input has one expected
 * verdict; none may throw. Stanzas are written as XML and parsed by the
 * session's own parser (ltx via @xmpp/xml) where the wire can carry them,
 * and built by hand for shapes only a bug could produce.
 */
import { Parser } from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { decodeGitAnnexPresence } from "../../src/xmpp/codec.js";
import { toXml, type XmlElement } from "../../src/xmpp/element.js";
import { decodePushExtension, encodePushExtension, judgeAuthenticity, PUSH_EXT_NS, type AnnouncedRef } from "../../src/xmpp/push-extension.js";

const STREAM_OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
const U1 = "2f2a8ff4-7b5a-11e3-bf6e-3f1b1d1c7c2a";
const U2 = "e5c1e4b2-0d4a-4c85-9f3e-6a1f7e0b9d11";
const SHA = "a".repeat(40);
const SECRET = "0123456789abcdef".repeat(4);
const NOW = 1_732_000_000_000;
const WINDOW_MS = 10 * 60_000;
const NONCE = "n0nce-n0nce-n0nce";
const MAIN: AnnouncedRef[] = [{ name: "refs/heads/main", new: SHA }];

type Verdict =
  | "not-git-annex"
  | "invalid"
  | "signature"
  | "query"
  /** A git-annex push without our refs element. */
  | "push:plain"
  /** With a readable refs element but no valid signature: for the compat policy. */
  | "push:unsigned"
  | "push:signed"
  /** The refs element is unreadable: the push is at most a plain one. */
  | "push:bad-refs"
  /** Signed wrongly or stale: dropped. */
  | "push:rejected";

/** Everything the receive path decides from the stanza alone, before the sender or the nonce. */
function judge(stanza: XmlElement): { verdict: Verdict; reason?: string } {
  const decoded = decodeGitAnnexPresence(stanza);
  if (decoded.kind === "invalid") return { verdict: "invalid", reason: decoded.reason };
  if (decoded.kind !== "push") return { verdict: decoded.kind };
  const ext = decodePushExtension(decoded.extensions);
  if (ext === undefined) return { verdict: "push:plain" };
  if ("reason" in ext) return { verdict: "push:bad-refs", reason: ext.reason };
  const judged = judgeAuthenticity(decoded.uuids, ext, { keys: [{ secret: SECRET, uuids: [], anyUuid: true }], now: NOW, windowMs: WINDOW_MS });
  if ("rejected" in judged) return { verdict: "push:rejected", reason: judged.rejected };
  return judged.signed ? { verdict: "push:signed" } : { verdict: "push:unsigned", reason: judged.reason };
}

/** One stanza through a client stream, as the server would send it. */
function parseStanza(xml: string): XmlElement {
  const parser = new Parser();
  const stanzas: XmlElement[] = [];
  let failure: Error | undefined;
  parser.on("element", (element: XmlElement) => stanzas.push(element));
  parser.on("error", (error: Error) => (failure = error));
  parser.write(STREAM_OPEN);
  parser.write(xml);
  if (failure) throw failure;
  if (stanzas.length !== 1) throw new Error(`expected one stanza, got ${stanzas.length}`);
  return stanzas[0]!;
}

const tag = (attrs: string) => `<git-annex xmlns='git-annex' ${attrs}/>`;
const presence = (...children: string[]) => `<presence from='alice@localhost/x'>${children.join("")}</presence>`;
const push = (...extra: string[]) => presence(tag(`push='${U1}'`), ...extra);
/** Our refs element, signed over `signedFor` (the push's UUIDs) unless told otherwise. */
function refs(options: { ts?: number; refs?: AnnouncedRef[]; secret?: string; signedFor?: string[] } = {}): string {
  const ext = { ts: options.ts ?? NOW - 1_000, nonce: NONCE, refs: options.refs ?? MAIN };
  return toXml(encodePushExtension(options.signedFor ?? [U1], ext, options.secret ?? SECRET));
}
/** A refs element written by hand, unsigned. */
const rawRefs = (attrs: string, inner = "") => `<refs xmlns='${PUSH_EXT_NS}' ${attrs}>${inner}</refs>`;
const fresh = `ts='${NOW}' nonce='${NONCE}'`;
const nested = (depth: number, name = "x", ns = "urn:junk") => `<${name} xmlns='${ns}'>`.repeat(depth) + `</${name}>`.repeat(depth);

type Row = [what: string, xml: string, verdict: Verdict, reason?: RegExp];

const rows: Row[] = [
  // Controls: what a real peer sends.
  ["git-annex's own push", push(), "push:plain"],
  ["our signed push", push(refs()), "push:signed"],
  // Empty and foreign.
  ["an empty presence", "<presence/>", "not-git-annex"],
  ["an empty git-annex tag (the signature)", presence(tag("")), "signature"],
  ["an empty push value (a repository without a UUID)", presence(tag("push=''")), "push:plain"],
  ["a message carrying the tag", `<message from='a@b/c'>${tag(`push='${U1}'`)}</message>`, "not-git-annex"],
  ["an iq carrying the tag", `<iq type='set' id='1'>${tag(`push='${U1}'`)}</iq>`, "not-git-annex"],
  ["an unavailable presence with the tag", `<presence type='unavailable'>${tag(`push='${U1}'`)}</presence>`, "not-git-annex"],
  ["an error presence with the tag", `<presence type='error'>${tag(`push='${U1}'`)}</presence>`, "not-git-annex"],
  ["a presence in another namespace", `<presence xmlns='urn:evil'>${tag(`push='${U1}'`)}</presence>`, "not-git-annex"],
  // The tag itself.
  ["the tag in an unknown namespace", presence(`<git-annex xmlns='git-annex:evil' push='${U1}'/>`), "not-git-annex"],
  ["the tag without a namespace", presence(`<git-annex push='${U1}'/>`), "not-git-annex"],
  ["two attributes (push and query)", presence(tag(`push='${U1}' query=''`)), "invalid", /2 attributes/],
  ["a namespace declaration besides push", presence(`<git-annex xmlns='git-annex' xmlns:x='urn:x' push='${U1}'/>`), "invalid", /2 attributes/],
  ["an unknown attribute", presence(tag("pull='x'")), "invalid", /unknown git-annex attribute "pull"/],
  ["a prototype-ish attribute", presence(tag("constructor='x'")), "invalid", /unknown git-annex attribute/],
  ["two git-annex tags", presence(tag(`push='${U1}'`), tag(`push='${U2}'`)), "invalid", /2 git-annex tags/],
  ["a push and a query tag", presence(tag(`push='${U1}'`), tag("query=''")), "invalid", /2 git-annex tags/],
  // Push values.
  ["a path as a UUID", presence(tag("push='../../etc/passwd'")), "invalid", /not a UUID/],
  ["spaces in a member", presence(tag("push='a b'")), "invalid", /not a UUID/],
  ["markup in a member (entities)", presence(tag("push='&lt;script&gt;'")), "invalid", /not a UUID/],
  ["a newline in a member", presence(tag(`push='${U1}&#10;forged log line'`)), "invalid", /not a UUID/],
  ["non-ASCII in a member", presence(tag("push='ü-uuid'")), "invalid", /not a UUID/],
  ["a member of 200 characters", presence(tag(`push='${"a".repeat(200)}'`)), "invalid", /not a UUID/],
  ["a huge attribute (1 MB)", presence(tag(`push='${"a,".repeat(512 * 1024)}'`)), "invalid", /push attribute of \d+ characters/],
  ["2000 members", presence(tag(`push='${Array.from({ length: 2000 }, (_, i) => `u${i}`).join(",")}'`)), "invalid", /lists 2000 repositories/],
  ["the same UUID 500 times", presence(tag(`push='${Array(500).fill(U1).join(",")}'`)), "push:plain"],
  // Nested junk: ignored wherever it is, never recursed into.
  ["junk nested 10,000 deep beside the tag", push(nested(10_000)), "push:plain"],
  ["junk nested 10,000 deep inside the tag", presence(`<git-annex xmlns='git-annex' push='${U1}'>${nested(10_000)}</git-annex>`), "push:plain"],
  ["junk nested 10,000 deep, no tag", presence(nested(10_000)), "not-git-annex"],
  ["the tag buried in junk (not a direct child)", presence(`<x xmlns='urn:junk'>${tag(`push='${U1}'`)}</x>`), "not-git-annex"],
  ["1 MB of text beside the tag", push("z".repeat(1024 * 1024)), "push:plain"],
  ["5000 unknown siblings", push(`<y xmlns='urn:junk' a='1'/>`.repeat(5000)), "push:plain"],
  // Our refs element: namespace and multiplicity.
  ["refs in an unknown namespace", push(`<refs xmlns='urn:git-annex-xmpp:push:999' ${fresh}/>`), "push:plain"],
  ["refs without a namespace (jabber:client)", push(`<refs ${fresh}/>`), "push:plain"],
  ["two refs elements", push(refs(), refs()), "push:bad-refs", /2 refs elements/],
  ["junk nested 10,000 deep inside refs", push(rawRefs(fresh, nested(10_000))), "push:unsigned"],
  ["a ref nested inside junk inside refs (not counted)", push(rawRefs(fresh, `<x xmlns='urn:junk'><ref name='refs/heads/x y'/></x>`)), "push:unsigned"],
  // Timestamps.
  ["no ts", push(rawRefs(`nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["an empty ts", push(rawRefs(`ts='' nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["a ts that is a word", push(rawRefs(`ts='now' nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["a negative ts", push(rawRefs(`ts='-5' nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["a zero ts", push(rawRefs(`ts='0' nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["a fractional ts", push(rawRefs(`ts='1.5' nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["a ts in exponent form", push(rawRefs(`ts='1e12' nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["a ts in hex", push(rawRefs(`ts='0x10' nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["a ts with spaces", push(rawRefs(`ts=' ${NOW} ' nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["a ts beyond 2^53", push(rawRefs(`ts='99999999999999999' nonce='${NONCE}'`)), "push:bad-refs", /valid ts/],
  ["a signed ts an hour old", push(refs({ ts: NOW - 3_600_000 })), "push:rejected", /timestamp -?3600 s away/],
  ["a signed ts an hour ahead", push(refs({ ts: NOW + 3_600_000 })), "push:rejected", /timestamp -?3600 s away/],
  // Nonces.
  ["no nonce", push(rawRefs(`ts='${NOW}'`)), "push:bad-refs", /valid nonce/],
  ["a short nonce", push(rawRefs(`ts='${NOW}' nonce='abc'`)), "push:bad-refs", /valid nonce/],
  ["a nonce with a newline", push(rawRefs(`ts='${NOW}' nonce='abcdefgh&#10;ijk'`)), "push:bad-refs", /valid nonce/],
  ["a 100 KB nonce", push(rawRefs(`ts='${NOW}' nonce='${"n".repeat(100_000)}'`)), "push:bad-refs", /valid nonce/],
  // MACs.
  ["a MAC made with another secret", push(refs({ secret: "another secret entirely" })), "push:rejected", /bad MAC/],
  ["a MAC for other UUIDs", push(refs({ signedFor: [U2] })), "push:rejected", /bad MAC/],
  ["an empty MAC", push(rawRefs(`${fresh} mac=''`)), "push:rejected", /bad MAC/],
  ["a MAC that is not base64", push(rawRefs(`${fresh} mac='!!!!****'`)), "push:rejected", /bad MAC/],
  ["a MAC of the right length, all zeros", push(rawRefs(`${fresh} mac='${"A".repeat(43)}='`)), "push:rejected", /bad MAC/],
  ["a 1 MB MAC", push(rawRefs(`${fresh} mac='${"QUFB".repeat(256 * 1024)}'`)), "push:rejected", /bad MAC/],
  ["no MAC", push(rawRefs(fresh)), "push:unsigned", /no MAC/],
  // Refs.
  ["a ref name outside refs/", push(rawRefs(fresh, "<ref name='HEAD'/>")), "push:bad-refs", /bad ref name "HEAD"/],
  ["a ref name with a space", push(rawRefs(fresh, "<ref name='refs/heads/a b'/>")), "push:bad-refs", /bad ref name/],
  ["a ref name with ..", push(rawRefs(fresh, "<ref name='refs/heads/../../x'/>")), "push:bad-refs", /bad ref name/],
  ["a ref name with @{", push(rawRefs(fresh, "<ref name='refs/heads/x@{1}'/>")), "push:bad-refs", /bad ref name/],
  ["a ref name ending in .lock", push(rawRefs(fresh, "<ref name='refs/heads/main.lock'/>")), "push:bad-refs", /bad ref name/],
  ["a ref name with a control character", push(rawRefs(fresh, "<ref name='refs/heads/a&#9;b'/>")), "push:bad-refs", /bad ref name/],
  ["a ref name of 10 KB", push(rawRefs(fresh, `<ref name='refs/heads/${"x".repeat(10_000)}'/>`)), "push:bad-refs", /bad ref name/],
  ["a ref without a name", push(rawRefs(fresh, "<ref/>")), "push:bad-refs", /bad ref name ""/],
  ["an object id that is not hex", push(rawRefs(fresh, `<ref name='refs/heads/main' new='${"z".repeat(40)}'/>`)), "push:bad-refs", /bad object id/],
  ["an object id in upper case", push(rawRefs(fresh, `<ref name='refs/heads/main' new='${"A".repeat(40)}'/>`)), "push:bad-refs", /bad object id/],
  ["an object id of 39 digits", push(rawRefs(fresh, `<ref name='refs/heads/main' new='${"a".repeat(39)}'/>`)), "push:bad-refs", /bad object id/],
  ["2000 refs", push(rawRefs(fresh, "<ref name='refs/heads/main'/>".repeat(2000))), "push:bad-refs", /2000 refs/],
  ["one ref twice with two ids", push(rawRefs(fresh, `<ref name='refs/heads/main' new='${SHA}'/><ref name='refs/heads/main' new='${"b".repeat(40)}'/>`)), "push:bad-refs", /two object ids/],
  ["one ref twice with one id, signed", push(refs({ refs: [...MAIN, ...MAIN] })), "push:signed"],
  ["junk children beside the refs", push(rawRefs(fresh, `<ref name='refs/heads/main'/><junk/>text<other xmlns='urn:x'/>`)), "push:unsigned"],
];

describe("hostile input: every decoder on the receive path gives a verdict, never a throw", () => {
  it.each(rows)("%s → %s", (_what, xml, verdict, reason) => {
    const stanza = parseStanza(xml);
    let result: ReturnType<typeof judge> | undefined;
    expect(() => (result = judge(stanza))).not.toThrow();
    expect(result!.verdict).toBe(verdict);
    if (reason !== undefined) expect(result!.reason).toMatch(reason);
    // A reason is for a debug log line: short, one line, whatever the input.
    if (result!.reason !== undefined) {
      expect(result!.reason.length).toBeLessThan(200);
      expect(result!.reason).not.toMatch(/[\r\n]/);
    }
  });
});

/** Shapes the parser never emits: wrong types where strings, arrays or elements belong. */
const element = (name: string, attrs: Record<string, unknown>, ...children: unknown[]) => ({ name, attrs, children }) as unknown as XmlElement;
const gitAnnexTag = (attrs: Record<string, unknown>) => element("git-annex", { xmlns: "git-annex", ...attrs });
const handRows: Array<[what: string, stanza: XmlElement, verdict: Verdict]> = [
  ["no attrs at all", { name: "presence", children: [] } as unknown as XmlElement, "not-git-annex"],
  ["children that are not a list", { name: "presence", attrs: {}, children: null } as unknown as XmlElement, "not-git-annex"],
  ["null, numbers and arrays among the children", element("presence", {}, null, 42, [], { name: 5 }, gitAnnexTag({ push: U1 })), "push:plain"],
  ["a numeric push value", element("presence", {}, gitAnnexTag({ push: 42 })), "invalid"],
  ["a null push value", element("presence", {}, gitAnnexTag({ push: null })), "invalid"],
  ["an object as push value", element("presence", {}, gitAnnexTag({ push: { toString: () => U1 } })), "invalid"],
  ["a numeric xmlns on the tag", element("presence", {}, element("git-annex", { xmlns: 7, push: U1 })), "not-git-annex"],
  ["a numeric type", element("presence", { type: 1 }, gitAnnexTag({ push: U1 })), "not-git-annex"],
  ["a numeric ts", element("presence", {}, gitAnnexTag({ push: U1 }), element("refs", { xmlns: PUSH_EXT_NS, ts: NOW, nonce: NONCE })), "push:bad-refs"],
  ["a numeric mac", element("presence", {}, gitAnnexTag({ push: U1 }), element("refs", { xmlns: PUSH_EXT_NS, ts: String(NOW), nonce: NONCE, mac: 5 })), "push:bad-refs"],
  ["a numeric ref name", element("presence", {}, gitAnnexTag({ push: U1 }), element("refs", { xmlns: PUSH_EXT_NS, ts: String(NOW), nonce: NONCE }, element("ref", { name: 5 }))), "push:bad-refs"],
  ["an array as object id", element("presence", {}, gitAnnexTag({ push: U1 }), element("refs", { xmlns: PUSH_EXT_NS, ts: String(NOW), nonce: NONCE }, element("ref", { name: "refs/heads/main", new: [SHA] }))), "push:bad-refs"],
  ["refs whose children are not a list: not an element, skipped", element("presence", {}, gitAnnexTag({ push: U1 }), { name: "refs", attrs: { xmlns: PUSH_EXT_NS, ts: String(NOW), nonce: NONCE }, children: "x" } as unknown as XmlElement), "push:plain"],
];

describe("hostile input: wrong types in hand-built stanzas", () => {
  it.each(handRows)("%s", (_what, stanza, verdict) => {
    let result: ReturnType<typeof judge> | undefined;
    expect(() => (result = judge(stanza))).not.toThrow();
    expect(result!.verdict).toBe(verdict);
  });
});
