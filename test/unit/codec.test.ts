import { describe, expect, it } from "vitest";
// The parser the session's transport uses (ltx via @xmpp/xml): stanzas are
// decoded exactly as they arrive on a client stream, not as built by hand.
import { Parser } from "@xmpp/xml";
import {
  decodeGitAnnexPresence,
  decodeGitAnnexTag,
  decodePushValue,
  encodePushPresence,
  encodeQueryPresence,
  encodeSignaturePresence,
  MAX_PUSH_ATTR_LENGTH,
  MAX_PUSH_UUIDS,
  type DecodedPresence,
} from "../../src/xmpp/codec.js";
import { el, findChild, textOf, toXml, type XmlElement } from "../../src/xmpp/element.js";

const STREAM_OPEN = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

/** Feed one stanza through a client stream, as the server would send it, and return the element the parser emits. */
function parseStanza(xml: string): XmlElement {
  const parser = new Parser();
  const stanzas: XmlElement[] = [];
  const errors: Error[] = [];
  parser.on("element", (element: XmlElement) => stanzas.push(element));
  parser.on("error", (error: Error) => errors.push(error));
  parser.write(STREAM_OPEN);
  parser.write(xml);
  if (errors.length > 0) throw errors[0];
  if (stanzas.length !== 1) throw new Error(`expected one stanza, got ${stanzas.length}`);
  return stanzas[0]!;
}

const decode = (xml: string): DecodedPresence => decodeGitAnnexPresence(parseStanza(xml));

const U1 = "2f2a8ff4-7b5a-11e3-bf6e-3f1b1d1c7c2a";
const U2 = "e5c1e4b2-0d4a-4c85-9f3e-6a1f7e0b9d11";
const U3 = "0b9a3c84-5f16-4a52-a4d5-2b2c1d9e8f70";
const SHOW = "<show>xa</show><priority>-1</priority><status>git-annex</status>";
const EXT_NS = "urn:example:git-annex-xmpp:0";

function uuid(i: number): string {
  return `${i.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;
}

function expectInvalid(decoded: DecodedPresence, reason: RegExp): void {
  expect(decoded.kind).toBe("invalid");
  if (decoded.kind === "invalid") expect(decoded.reason).toMatch(reason);
}

describe("decodeGitAnnexPresence: what git-annex sends", () => {
  it("decodes git-annex's exact push presence", () => {
    const decoded = decode(
      `<presence from='a@b/c'><show>xa</show><priority>-1</priority><status>git-annex</status><git-annex xmlns='git-annex' push='u1,u2'/></presence>`,
    );
    expect(decoded).toEqual({ kind: "push", uuids: ["u1", "u2"], from: "a@b/c", type: undefined, extensions: [] });
  });

  it("decodes real UUIDs in the order sent", () => {
    const decoded = decode(`<presence from='a@b/c'>${SHOW}<git-annex xmlns='git-annex' push='${U2},${U1}'/></presence>`);
    expect(decoded).toMatchObject({ kind: "push", uuids: [U2, U1] });
  });

  it("decodes the empty tag as the signature", () => {
    const decoded = decode(`<presence from='a@b/c'>${SHOW}<git-annex xmlns='git-annex'/></presence>`);
    expect(decoded).toEqual({ kind: "signature", from: "a@b/c", type: undefined, extensions: [] });
  });

  it("decodes query='' as a query", () => {
    const decoded = decode(`<presence from='a@b/c'>${SHOW}<git-annex xmlns='git-annex' query=''/></presence>`);
    expect(decoded).toEqual({ kind: "query", from: "a@b/c", type: undefined, extensions: [] });
  });

  it("does not care about the children's order or whitespace (prosody keeps it, ejabberd reorders and adds caps/delay)", () => {
    const prosody = decode(
      `<presence from='a@b/c'>\n  <show>xa</show>\n  <priority>-1</priority>\n  <status>git-annex</status>\n  <git-annex xmlns='git-annex' push='${U1}'/>\n</presence>`,
    );
    const ejabberd = decode(
      `<presence xmlns='jabber:client' from='a@b/c' to='a@b/d'><git-annex xmlns='git-annex' push='${U1}'/>` +
        `<priority>-1</priority><status>git-annex</status><show>xa</show>` +
        `<delay xmlns='urn:xmpp:delay' from='b' stamp='2016-01-01T00:00:00Z'/></presence>`,
    );
    expect(prosody).toMatchObject({ kind: "push", uuids: [U1], extensions: [] });
    expect(ejabberd).toMatchObject({ kind: "push", uuids: [U1], from: "a@b/c" });
  });

  it("accepts the presence without show/priority/status: only the tag matters", () => {
    expect(decode(`<presence from='a@b/c'><git-annex xmlns='git-annex' push='${U1}'/></presence>`)).toMatchObject({
      kind: "push",
      uuids: [U1],
    });
  });

  it("accepts an explicit type='available'", () => {
    expect(decode(`<presence type='available'><git-annex xmlns='git-annex'/></presence>`)).toMatchObject({
      kind: "signature",
      type: "available",
    });
  });

  it("unescapes entities in the attribute before judging it", () => {
    expect(decode(`<presence><git-annex xmlns='git-annex' push='u1&#44;u2'/></presence>`)).toMatchObject({
      kind: "push",
      uuids: ["u1", "u2"],
    });
  });
});

describe("decodeGitAnnexPresence: extensions", () => {
  it("keeps our sibling element in another namespace, and not the core children", () => {
    const decoded = decode(
      `<presence from='a@b/c'>${SHOW}<git-annex xmlns='git-annex' push='${U1}'/>` +
        `<announce xmlns='${EXT_NS}' ts='1700000000000'><ref name='refs/heads/main' new='abc'/></announce></presence>`,
    );
    expect(decoded.kind).toBe("push");
    if (decoded.kind !== "push") return;
    expect(decoded.extensions).toHaveLength(1);
    const [ext] = decoded.extensions;
    expect(ext).toMatchObject({ name: "announce", attrs: { xmlns: EXT_NS, ts: "1700000000000" } });
    expect(findChild(ext!, "ref", EXT_NS)?.attrs).toEqual({ name: "refs/heads/main", new: "abc" });
  });

  it("passes every foreign-namespace child on (the consumer picks its own namespace)", () => {
    const decoded = decode(
      `<presence>${SHOW}<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/>` +
        `<git-annex xmlns='git-annex'/><announce xmlns='${EXT_NS}'/></presence>`,
    );
    expect(decoded.kind).toBe("signature");
    if (decoded.kind === "signature") expect(decoded.extensions.map((e) => e.attrs.xmlns)).toEqual(["http://jabber.org/protocol/caps", EXT_NS]);
  });

  it("does not treat the core children or text as extensions", () => {
    const decoded = decode(`<presence>${SHOW}<git-annex xmlns='git-annex' query=''/></presence>`);
    expect(decoded).toMatchObject({ kind: "query", extensions: [] });
  });
});

describe("decodeGitAnnexPresence: foreign stanzas are not git-annex", () => {
  it.each([
    ["a chat message", `<message from='a@b/c' type='chat'><body>hello</body></message>`],
    ["a message carrying the tag", `<message from='a@b/c'><git-annex xmlns='git-annex' push='u1'/></message>`],
    ["an iq carrying the tag", `<iq type='set' id='1'><git-annex xmlns='git-annex' push='u1'/></iq>`],
    ["an ordinary presence", `<presence from='a@b/c'><show>away</show><status>lunch</status></presence>`],
    ["an empty presence", `<presence from='a@b/c'/>`],
    ["a tag in a URL namespace", `<presence><git-annex xmlns='urn:x:git-annex' push='u1'/></presence>`],
    ["a tag without xmlns (jabber:client)", `<presence><git-annex push='u1'/></presence>`],
    ["a tag in jabber:client", `<presence><git-annex xmlns='jabber:client' push='u1'/></presence>`],
    ["a tag nested below a child", `<presence><x xmlns='urn:x'><git-annex xmlns='git-annex' push='u1'/></x></presence>`],
    ["a presence in another stanza namespace", `<presence xmlns='jabber:server'><git-annex xmlns='git-annex'/></presence>`],
  ])("%s", (_what, xml) => {
    expect(decode(xml)).toEqual({ kind: "not-git-annex" });
  });

  it.each(["unavailable", "subscribe", "subscribed", "unsubscribe", "probe", "error"])("ignores presence type='%s'", (type) => {
    expect(decode(`<presence type='${type}' from='a@b/c'><git-annex xmlns='git-annex' push='${U1}'/></presence>`)).toEqual({
      kind: "not-git-annex",
    });
  });
});

describe("decodeGitAnnexPresence: tags that must not be trusted", () => {
  it("refuses two tags", () => {
    expectInvalid(decode(`<presence><git-annex xmlns='git-annex' push='${U1}'/><git-annex xmlns='git-annex' push='${U2}'/></presence>`), /2 git-annex tags/);
  });

  it("refuses a tag with two attributes, as git-annex's decoder does", () => {
    expectInvalid(decode(`<presence><git-annex xmlns='git-annex' push='${U1}' query=''/></presence>`), /2 attributes/);
    expectInvalid(decode(`<presence><git-annex xmlns='git-annex' push='${U1}' ts='1'/></presence>`), /2 attributes/);
  });

  it("refuses an unknown attribute, naming it", () => {
    expectInvalid(decode(`<presence><git-annex xmlns='git-annex' pull='${U1}'/></presence>`), /unknown git-annex attribute "pull"/);
  });

  it.each([
    ["a space", `${U1}, ${U2}`],
    ["a '<'", "u1,&lt;script&gt;"],
    ["unicode", "u1,ünïcödé"],
    ["a member starting with '-'", "-rf"],
    ["a member starting with '.'", ".."],
    ["a slash", "../../etc"],
    ["a member of 129 characters", "a".repeat(129)],
  ])("refuses a push member with %s", (_what, value) => {
    expectInvalid(decode(`<presence><git-annex xmlns='git-annex' push='${value}'/></presence>`), /not a UUID/);
  });

  it("keeps the reason short whatever the junk", () => {
    const decoded = decode(`<presence><git-annex xmlns='git-annex' push='${"é".repeat(5000)}'/></presence>`);
    expectInvalid(decoded, /not a UUID/);
    if (decoded.kind === "invalid") expect(decoded.reason.length).toBeLessThan(100);
  });
});

describe("push members", () => {
  it.each([
    ["push=''", "", [""]],
    ["push=','", ",", [""]],
    ["push=',,,'", ",,,", [""]],
    ["an empty member among UUIDs", `${U1},,${U2}`, [U1, "", U2]],
  ])("reads %s as a repository without a UUID", (_what, value, uuids) => {
    expect(decode(`<presence><git-annex xmlns='git-annex' push='${value}'/></presence>`)).toMatchObject({ kind: "push", uuids });
  });

  it("collapses duplicates, keeping first-seen order", () => {
    expect(decodePushValue(`${U2},${U1},${U2},${U1},${U3}`)).toEqual({ uuids: [U2, U1, U3] });
  });

  it("accepts hundreds of UUIDs, and exactly MAX_PUSH_UUIDS", () => {
    const many = Array.from({ length: 500 }, (_, i) => uuid(i));
    expect(decode(`<presence><git-annex xmlns='git-annex' push='${many.join(",")}'/></presence>`)).toMatchObject({ kind: "push", uuids: many });
    const max = Array.from({ length: MAX_PUSH_UUIDS }, (_, i) => uuid(i));
    expect(decodePushValue(max.join(","))).toEqual({ uuids: max });
  });

  it("refuses more than MAX_PUSH_UUIDS members, duplicates included", () => {
    const over = Array.from({ length: MAX_PUSH_UUIDS + 1 }, (_, i) => uuid(i));
    expectInvalid(decode(`<presence><git-annex xmlns='git-annex' push='${over.join(",")}'/></presence>`), /1025 repositories/);
    expect(decodePushValue(Array(MAX_PUSH_UUIDS + 1).fill(U1).join(","))).toEqual({ reason: expect.stringMatching(/repositories/) });
  });

  it("accepts exactly MAX_PUSH_ATTR_LENGTH characters and refuses one more", () => {
    const members = Array.from({ length: 511 }, () => "a".repeat(127));
    const exact = [...members, "b".repeat(128)].join(",");
    expect(exact).toHaveLength(MAX_PUSH_ATTR_LENGTH);
    expect(decodePushValue(exact)).toMatchObject({ uuids: expect.any(Array) });
    expect(decodePushValue(`${exact}c`)).toEqual({ reason: `push attribute of ${MAX_PUSH_ATTR_LENGTH + 1} characters` });
  });

  it("refuses a 1 MB attribute on its length, before splitting it", { timeout: 10_000 }, () => {
    const value = `${U1},`.repeat(Math.ceil((1 << 20) / 37)).slice(0, 1 << 20);
    const decoded = decode(`<presence><git-annex xmlns='git-annex' push='${value}'/></presence>`);
    expect(decoded).toEqual({ kind: "invalid", reason: `push attribute of ${1 << 20} characters` });
  });
});

describe("decodeGitAnnexTag on hand-built elements", () => {
  it("ignores attributes whose value is undefined", () => {
    expect(decodeGitAnnexTag({ name: "git-annex", attrs: { xmlns: "git-annex", push: undefined }, children: [] })).toEqual({ kind: "signature" });
  });
  it("treats any query value as a query", () => {
    expect(decodeGitAnnexTag(el("git-annex", { xmlns: "git-annex", query: "x" }))).toEqual({ kind: "query" });
  });
});

describe("encoding", () => {
  const PUSH = `<presence><show>xa</show><priority>-1</priority><status>git-annex</status><git-annex xmlns="git-annex" push="${U1},${U2}"/></presence>`;

  it("encodes a push exactly as git-annex did", () => {
    expect(toXml(encodePushPresence([U1, U2]))).toBe(PUSH);
  });

  it("encodes the signature and the query", () => {
    expect(toXml(encodeSignaturePresence())).toBe(
      `<presence><show>xa</show><priority>-1</priority><status>git-annex</status><git-annex xmlns="git-annex"/></presence>`,
    );
    expect(toXml(encodeQueryPresence())).toBe(
      `<presence><show>xa</show><priority>-1</priority><status>git-annex</status><git-annex xmlns="git-annex" query=""/></presence>`,
    );
  });

  it("encodes a repository without a UUID as an empty member", () => {
    expect(toXml(encodePushPresence([""]))).toContain(`<git-annex xmlns="git-annex" push=""/>`);
    expect(toXml(encodePushPresence([U1, ""]))).toContain(`push="${U1},"`);
  });

  it("puts extensions after the tag, never on it", () => {
    const ext = el("announce", { xmlns: EXT_NS, ts: "1" }, el("ref", { name: "refs/heads/main" }));
    const xml = toXml(encodePushPresence([U1], [ext]));
    expect(xml).toBe(
      `<presence><show>xa</show><priority>-1</priority><status>git-annex</status>` +
        `<git-annex xmlns="git-annex" push="${U1}"/><announce xmlns="${EXT_NS}" ts="1"><ref name="refs/heads/main"/></announce></presence>`,
    );
  });

  it("keeps show/priority/status so the account looks away to chat clients", () => {
    const presence = encodeSignaturePresence();
    expect(textOf(findChild(presence, "show", "jabber:client")!)).toBe("xa");
    expect(textOf(findChild(presence, "priority", "jabber:client")!)).toBe("-1");
    expect(textOf(findChild(presence, "status", "jabber:client")!)).toBe("git-annex");
  });

  it.each([
    ["push", () => encodePushPresence([U1, U2, U3]), { kind: "push", uuids: [U1, U2, U3] }],
    ["push without UUID", () => encodePushPresence([""]), { kind: "push", uuids: [""] }],
    ["signature", () => encodeSignaturePresence(), { kind: "signature" }],
    ["query", () => encodeQueryPresence(), { kind: "query" }],
  ] as const)("round-trips a %s through the parser", (_what, encode, expected) => {
    const xml = toXml(encode()).replace("<presence>", "<presence from='me@example.org/git-annex-xmpp-1'>");
    expect(decode(xml)).toEqual({ ...expected, from: "me@example.org/git-annex-xmpp-1", type: undefined, extensions: [] });
  });

  it("round-trips extensions through the parser", () => {
    const ext = el("announce", { xmlns: EXT_NS, nonce: "a&b<c>" }, "text & more");
    const decoded = decode(toXml(encodePushPresence([U1], [ext])));
    expect(decoded.kind).toBe("push");
    if (decoded.kind !== "push") return;
    expect(decoded.extensions).toHaveLength(1);
    expect(decoded.extensions[0]!.attrs).toEqual({ xmlns: EXT_NS, nonce: "a&b<c>" });
    expect(textOf(decoded.extensions[0]!)).toBe("text & more");
  });

  it("escapes attribute and text content", () => {
    expect(toXml(el("a", { v: `<&"'>` }, "<&>"))).toBe(`<a v="&lt;&amp;&quot;&apos;&gt;">&lt;&amp;&gt;</a>`);
  });
});
