import { describe, expect, it } from "vitest";
import { encodeAnnouncement } from "../../src/announce/announcement.js";
import { decodeGitAnnexPresence } from "../../src/xmpp/codec.js";
import { toXml, type XmlElement } from "../../src/xmpp/element.js";
import {
  canonicalText, createUnsealer, decodePushExtension, judgeAuthenticity, PUSH_EXT_NS, sealUuid, signedMembers, type AnnounceKey,
} from "../../src/xmpp/push-extension.js";
import { handleStanza, type StanzaContext } from "../../src/agent/stanzas.js";
import { createIntake } from "../../src/agent/intake.js";
import { createNonceMemory } from "../../src/agent/nonces.js";
import { createLogger } from "../../src/log.js";
import type { XmppSession } from "../../src/xmpp/session.js";

const UUID = "01b66808-6ee2-4a1e-ac8a-163d80525f99";
const SHA1 = "a".repeat(40);
const SHA2 = "b".repeat(40);
const SECRET = "0123456789abcdef".repeat(4);
const NOW = 1_732_000_000_000;
const KEY: AnnounceKey = { secret: SECRET, uuids: [UUID] };
const announcement = {
  uuids: [UUID],
  refs: [
    { ref: "refs/heads/main", old: "0".repeat(40), new: SHA1 },
    { ref: "refs/heads/git-annex", new: SHA2 },
  ],
  createdAt: NOW - 5000,
};

/** As received: the server adds from/to; our codec sees the stanza in jabber:client. */
function received(presence: XmlElement): XmlElement {
  return { ...presence, attrs: { ...presence.attrs, from: "alice@localhost/x", xmlns: "jabber:client" } };
}

function decode(presence: XmlElement) {
  const decoded = decodeGitAnnexPresence(received(presence));
  if (decoded.kind !== "push") throw new Error(`not a push: ${decoded.kind}`);
  return { uuids: decoded.uuids, ext: decodePushExtension(decoded.extensions) };
}

describe("the refs element (DESIGN.md §2.2)", () => {
  it("leaves the git-annex tag as git-annex wrote it, with the refs in a sibling", () => {
    const xml = toXml(encodeAnnouncement(announcement, { secret: SECRET, now: NOW, nonce: "n0nce-n0nce" }));
    expect(xml).toContain(`<git-annex xmlns="git-annex" push="${UUID}"/>`);
    expect(xml).toContain(`<refs xmlns="${PUSH_EXT_NS}" ts="${NOW}" nonce="n0nce-n0nce" mac="`);
    expect(xml).toContain(`<ref name="refs/heads/main" new="${SHA1}"/>`);
  });

  it("is absent without refs and without a secret: byte-compatible with git-annex", () => {
    const xml = toXml(encodeAnnouncement({ uuids: [UUID], refs: [], createdAt: NOW }));
    expect(xml).toBe(
      `<presence><show>xa</show><priority>-1</priority><status>git-annex</status><git-annex xmlns="git-annex" push="${UUID}"/></presence>`,
    );
  });

  it("round-trips and verifies with the secret", () => {
    const { uuids, ext } = decode(encodeAnnouncement(announcement, { secret: SECRET, now: NOW, nonce: "n0nce-n0nce" }));
    expect(ext && "refs" in ext && ext.refs.map((r) => r.new)).toEqual([SHA1, SHA2]);
    expect(judgeAuthenticity(uuids, ext as never, { keys: [KEY], now: NOW + 1000, windowMs: 60_000 })).toEqual({ signed: true, key: KEY });
  });

  it("rejects a wrong secret, a changed UUID list or ref, and a stale timestamp", () => {
    const presence = encodeAnnouncement(announcement, { secret: SECRET, now: NOW, nonce: "n0nce-n0nce" });
    const { uuids, ext } = decode(presence);
    const opts = { keys: [KEY], now: NOW, windowMs: 60_000 };
    expect(judgeAuthenticity(uuids, ext as never, { ...opts, keys: [{ secret: "other", uuids: [UUID] }] })).toEqual({ rejected: "bad MAC" });
    expect(judgeAuthenticity([...uuids, ""], ext as never, opts)).toEqual({ rejected: "bad MAC" });
    const tampered = { ...(ext as object), refs: [{ name: "refs/heads/main", new: SHA2 }] };
    expect(judgeAuthenticity(uuids, tampered as never, opts)).toEqual({ rejected: "bad MAC" });
    expect(judgeAuthenticity(uuids, ext as never, { ...opts, now: NOW + 61_000 })).toHaveProperty("rejected");
  });

  it("reports unsigned announcements as such, for the compat policy to decide", () => {
    const { uuids, ext } = decode(encodeAnnouncement(announcement, { now: NOW, nonce: "n0nce-n0nce" }));
    expect(judgeAuthenticity(uuids, ext as never, { keys: [KEY], now: NOW, windowMs: 60_000 })).toEqual({ signed: false, reason: "no MAC" });
    expect(judgeAuthenticity(uuids, undefined, { keys: [KEY], now: NOW, windowMs: 60_000 })).toMatchObject({ signed: false });
  });

  it("canonical text does not depend on ref order", () => {
    const a = canonicalText([UUID], { ts: 1, nonce: "nnnnnnnn", refs: [{ name: "refs/heads/a", new: SHA1 }, { name: "refs/heads/b", new: SHA2 }] });
    const b = canonicalText([UUID], { ts: 1, nonce: "nnnnnnnn", refs: [{ name: "refs/heads/b", new: SHA2 }, { name: "refs/heads/a", new: SHA1 }] });
    expect(a).toBe(b);
  });

  it("refuses malformed elements", () => {
    const ext = (attrs: Record<string, string>, ...children: XmlElement[]): XmlElement[] => [
      { name: "refs", attrs: { xmlns: PUSH_EXT_NS, ...attrs }, children },
    ];
    expect(decodePushExtension(ext({ ts: "x", nonce: "nnnnnnnn" }))).toHaveProperty("reason");
    expect(decodePushExtension(ext({ ts: "5", nonce: "a b" }))).toHaveProperty("reason");
    const badRef = { name: "ref", attrs: { name: "refs/heads/x y", new: SHA1 }, children: [] };
    expect(decodePushExtension(ext({ ts: "5", nonce: "nnnnnnnn" }, badRef))).toHaveProperty("reason");
    const badSha = { name: "ref", attrs: { name: "refs/heads/x", new: "zz" }, children: [] };
    expect(decodePushExtension(ext({ ts: "5", nonce: "nnnnnnnn" }, badSha))).toHaveProperty("reason");
  });

  it("remembers nonces: a replay within the window is refused", async () => {
    const memory = createNonceMemory(60_000);
    expect(await memory.remember("nonce-1", NOW, NOW)).toBe(true);
    expect(await memory.remember("nonce-1", NOW, NOW + 10)).toBe(false);
    expect(await memory.remember("nonce-2", NOW, NOW + 10)).toBe(true);
  });
});

describe("sealed mode (DESIGN.md §2.2)", () => {
  const OTHER = "5f0e7a36-2b1c-4d8e-9f60-000000000001";
  const NONCE = "n0nce-n0nce";
  const sealed = (nonce = NONCE) => encodeAnnouncement({ ...announcement, uuids: [UUID, OTHER] }, { secret: SECRET, sealed: true, now: NOW, nonce });

  it("sends keyed hashes shaped like version-4 UUIDs, new for every announcement, signed over what is sent", () => {
    const xml = toXml(sealed());
    expect(xml).not.toContain(UUID);
    const { uuids, ext } = decode(sealed());
    expect(uuids).toEqual([sealUuid(SECRET, NONCE, UUID), sealUuid(SECRET, NONCE, OTHER)]);
    for (const member of uuids) expect(member).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sealUuid("another secret", NONCE, UUID)).not.toBe(sealUuid(SECRET, NONCE, UUID));
    // Two announcements of the same repository carry unrelated tags.
    expect(decode(sealed("other-nonce")).uuids[0]).not.toBe(uuids[0]);
    expect(judgeAuthenticity(uuids, ext as never, { keys: [KEY], now: NOW, windowMs: 60_000 })).toEqual({ signed: true, key: KEY });
  });

  it("cannot seal without a secret: the push goes out plain", () => {
    const { uuids } = decode(encodeAnnouncement(announcement, { sealed: true, now: NOW }));
    expect(uuids).toEqual([UUID]);
  });

  it("a holder of the secret maps the members of our remotes back, under the push's nonce; others stay as sent", () => {
    const unseal = createUnsealer(SECRET, [UUID]);
    const members = [sealUuid(SECRET, NONCE, UUID), sealUuid(SECRET, NONCE, OTHER), OTHER];
    expect(unseal(members, NONCE)).toEqual([UUID, sealUuid(SECRET, NONCE, OTHER), OTHER]);
    expect(unseal(members, "another-nonce")).toEqual(members);
  });

  it("a key speaks for its own remotes only: others' members are foreign, a legacy key speaks for any", () => {
    const members = [sealUuid(SECRET, NONCE, UUID), OTHER];
    expect(signedMembers(members, NONCE, KEY)).toEqual({ uuids: [UUID], foreign: [OTHER], sealed: true });
    expect(signedMembers([UUID], NONCE, KEY)).toEqual({ uuids: [UUID], foreign: [], sealed: false });
    expect(signedMembers(members, NONCE, { ...KEY, anyUuid: true })).toEqual({ uuids: [UUID, OTHER], foreign: [], sealed: true });
  });

  const listenerCtx = (requested: Array<readonly string[] | undefined>, acceptUnsigned: boolean, keys = [KEY]): StanzaContext => {
    const log = createLogger({ level: "warn", write: () => undefined });
    const requestSync = async (uuids: readonly string[] | undefined) => void requested.push(uuids);
    return {
      session: { send: async () => undefined } as unknown as XmppSession,
      fullJid: "alice@localhost/listen",
      trusted: new Set(["alice@localhost"]),
      buddies: [],
      log,
      intake: createIntake({ log, requestSync }),
      repositories: [{ dir: "/repo", log, policy: { keys, acceptUnsigned, windowMs: 60_000, now: () => NOW }, nonces: createNonceMemory(60_000), requestSync }],
    };
  };

  it("the listener syncs the remote a signed sealed push names", async () => {
    const requested: Array<readonly string[] | undefined> = [];
    const ctx = listenerCtx(requested, false);
    await handleStanza(received(sealed()), ctx);
    await ctx.intake.idle();
    expect(requested).toEqual([[UUID]]);
  });

  it("with one secret per hub, each hub's push is verified and unsealed with its own", async () => {
    const SECOND = "fedcba9876543210".repeat(4);
    const keys: AnnounceKey[] = [KEY, { secret: SECOND, uuids: [OTHER] }];
    const requested: Array<readonly string[] | undefined> = [];
    const ctx = listenerCtx(requested, false, keys);
    const second = encodeAnnouncement({ ...announcement, uuids: [OTHER] }, { secret: SECOND, sealed: true, now: NOW, nonce: "second-nonce" });
    await handleStanza(received(second), ctx);
    await handleStanza(received(encodeAnnouncement(announcement, { secret: SECRET, now: NOW, nonce: "first-nonce" })), ctx);
    // Signed with the second hub's secret but naming the first hub: not the second's to say.
    const forged = encodeAnnouncement(announcement, { secret: SECOND, now: NOW, nonce: "forged-nonce" });
    await handleStanza(received(forged), ctx);
    await ctx.intake.idle();
    expect(requested).toEqual([[OTHER], [UUID]]);
  });

  it("never unseals an unsigned push (its members could be replayed by anyone who saw them)", async () => {
    const requested: Array<readonly string[] | undefined> = [];
    const presence = sealed();
    const stripped = { ...presence, children: presence.children.filter((c) => typeof c === "string" || c.name !== "refs") };
    const ctx = listenerCtx(requested, true);
    await handleStanza(received(stripped), ctx);
    await ctx.intake.idle();
    expect(requested).toEqual([[sealUuid(SECRET, NONCE, UUID), sealUuid(SECRET, NONCE, OTHER)]]);
  });

  it("what a signed push carried is heard for its account (a push-back of it is no news); an unsigned one's is not", async () => {
    const heard: Array<[string, unknown]> = [];
    const objects: Array<readonly string[] | undefined> = [];
    const log = createLogger({ level: "warn", write: () => undefined });
    const requestSync = async (_uuids: readonly string[] | undefined, _reason: string, announced?: readonly string[]) => void objects.push(announced);
    const ctx = (acceptUnsigned: boolean, keys: AnnounceKey[]): StanzaContext => ({
      ...listenerCtx([], acceptUnsigned, keys),
      intake: createIntake({ log, requestSync }),
      repositories: [{
        dir: "/repo", log, policy: { keys, acceptUnsigned, windowMs: 60_000, now: () => NOW }, nonces: createNonceMemory(60_000), requestSync,
        onHeard: (account, announced) => void heard.push([account, announced]),
      }],
    });
    const signed = ctx(false, [KEY]);
    await handleStanza(received(encodeAnnouncement(announcement, { secret: SECRET, now: NOW, nonce: "heard-nonce" })), signed);
    await signed.intake.idle();
    expect(heard).toEqual([["alice@localhost", { uuids: [UUID], refs: [{ ref: "refs/heads/main", new: SHA1 }, { ref: "refs/heads/git-annex", new: SHA2 }], sealed: false }]]);
    // The sync it asks for names the announced objects, for a follow-up to look for (agent/follow-up.ts).
    expect(objects).toEqual([[SHA1, SHA2]]);

    // A sealed one is heard as sealed: it covers only a sealed entry (announce/recent.ts).
    await handleStanza(received(encodeAnnouncement(announcement, { secret: SECRET, sealed: true, now: NOW, nonce: "sealed-nonce" })), signed);
    await signed.intake.idle();
    expect(heard[1]).toEqual(["alice@localhost", expect.objectContaining({ sealed: true })]);
    heard.splice(1);

    const unsigned = ctx(true, []);
    await handleStanza(received(encodeAnnouncement(announcement, { now: NOW, nonce: "plain-nonce" })), unsigned);
    await unsigned.intake.idle();
    expect(heard).toHaveLength(1);
    expect(objects).toHaveLength(3);
  });
});
