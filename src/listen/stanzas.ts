/**
 * What the listener does with each received stanza: subscription requests
 * from buddies, git-annex queries, and push announcements — checked for
 * sender, signature and freshness (DESIGN.md §2.1, §2.2), and skipped when
 * this repository already has every announced commit, which is what keeps
 * clones that push merges back from syncing each other in circles.
 */
import type { Logger } from "../log.js";
import { decodeGitAnnexPresence, encodeSignaturePresence, type DecodedPresence } from "../xmpp/codec.js";
import { el, type XmlElement } from "../xmpp/element.js";
import { decodePushExtension, judgeAuthenticity, type PushExtension } from "../xmpp/push-extension.js";
import type { XmppSession } from "../xmpp/session.js";
import { bareJid } from "../config/schema.js";
import { describePresence, judgeSender } from "./accept.js";

export interface AnnouncementPolicy {
  /** The repository's shared secret, when it has one. */
  secret: string | undefined;
  /** Act on announcements without a valid signature (git-annex interop). */
  acceptUnsigned: boolean;
  /** Accepted distance between a signed announcement's ts and our clock. */
  windowMs: number;
  /**
   * Maps the members of a signed push back to UUIDs where they are sealed
   * forms of our remotes' UUIDs (push-extension.ts createUnsealer).
   */
  unseal?(members: readonly string[], nonce: string): string[];
  /** Whether every one of these objects is already in the repository. */
  hasObjects?(shas: string[]): Promise<boolean>;
  now(): number;
}

/** One repository's view of a push: its policy, its replay memory, its syncs. */
export interface PushContext {
  log: Logger;
  policy: AnnouncementPolicy;
  nonces: NonceMemory;
  requestSync(uuids: readonly string[] | undefined, reason: string): Promise<void>;
}

/** The session's view: who we are and trust; a push goes to every repository served on it. */
export interface StanzaContext {
  session: XmppSession;
  fullJid: string;
  trusted: ReadonlySet<string>;
  buddies: readonly string[];
  log: Logger;
  repositories: readonly PushContext[];
}

export async function handleStanza(stanza: XmlElement, ctx: StanzaContext): Promise<void> {
  if (stanza.name !== "presence") return;
  const from = stanza.attrs.from;
  // RFC 6121 §3.1: approve subscription requests from configured buddies only.
  if (stanza.attrs.type === "subscribe" && from && ctx.buddies.some((b) => bareJid(b) === bareJid(from))) {
    await ctx.session.send(el("presence", { to: bareJid(from), type: "subscribed" }));
    return;
  }
  const decoded = decodeGitAnnexPresence(stanza);
  if (decoded.kind === "not-git-annex") return;
  const verdict = judgeSender(from, { fullJid: ctx.fullJid, trusted: ctx.trusted });
  if (!verdict.accept) {
    ctx.log.debug(`ignored ${describePresence(decoded)}: ${verdict.reason}`);
    return;
  }
  if (decoded.kind === "invalid") {
    ctx.log.debug(`ignored presence from ${from}: ${decoded.reason}`);
    return;
  }
  if (decoded.kind === "query") {
    await ctx.session.send(encodeSignaturePresence());
    return;
  }
  if (decoded.kind !== "push") return;
  for (const repo of ctx.repositories) await handlePush(decoded, from!, repo);
}

/** A push from an accepted sender, judged by one repository's policy: sync it, skip it, or reject it. */
export async function handlePush(decoded: DecodedPresence & { kind: "push" }, from: string, ctx: PushContext): Promise<void> {
  const ext = checkExtension(decoded.uuids, decoded.extensions, ctx, from);
  if (ext === "rejected") return;
  // Only a signed push is unsealed: its MAC proves the sender holds the secret.
  const signed = ext !== undefined && ext.mac !== undefined && ctx.policy.secret !== undefined;
  const uuids = signed && ctx.policy.unseal ? ctx.policy.unseal(decoded.uuids, ext.nonce) : decoded.uuids;
  const sealed = uuids.some((u, i) => u !== decoded.uuids[i]);
  const described = describePresence({ ...decoded, uuids }) + (sealed ? " (sealed)" : "");
  ctx.log.info(`announcement from ${from}: ${described}${ext ? ` (${ext.refs.length} refs)` : ""}`);
  if (ext && (await alreadyHave(ext, ctx.policy))) {
    ctx.log.info(`skipped sync for the push from ${from}: every announced commit is already here`);
    return;
  }
  await ctx.requestSync(uuids, `push from ${from}`);
}

/** The announcement's refs element when it may be acted on, undefined for a plain one, "rejected" otherwise. */
function checkExtension(uuids: string[], extensions: XmlElement[], ctx: PushContext, from: string): PushExtension | undefined | "rejected" {
  const { policy, log } = ctx;
  const parsed = decodePushExtension(extensions);
  if (parsed && "reason" in parsed) {
    // Unreadable refs element: no signature to trust and no refs to use; what
    // is left is a plain git-annex push, taken only where unsigned ones are.
    if (!policy.acceptUnsigned) {
      log.debug(`ignored push from ${from}: ${parsed.reason}, and unsigned announcements are not accepted`);
      return "rejected";
    }
    log.debug(`push from ${from} taken as a plain one: ${parsed.reason}`);
    return undefined;
  }
  const judged = judgeAuthenticity(uuids, parsed, { secret: policy.secret, now: policy.now(), windowMs: policy.windowMs });
  if ("rejected" in judged) {
    log.debug(`ignored push from ${from}: ${judged.rejected}`);
    return "rejected";
  }
  if (judged.signed) {
    if (!ctx.nonces.remember(parsed!.nonce, parsed!.ts, policy.now())) {
      log.debug(`ignored push from ${from}: replayed (nonce seen before)`);
      return "rejected";
    }
    return parsed;
  }
  if (!policy.acceptUnsigned) {
    log.debug(`ignored push from ${from}: unsigned (${judged.reason}) and acceptUnsigned is off`);
    return "rejected";
  }
  // Accepted as a plain git-annex push: with a secret at hand, unsigned refs
  // must not decide to skip a fetch (forged SHAs could hide a real push).
  return policy.secret === undefined ? parsed : undefined;
}

/** True when every announced ref's new object is already in the repository: nothing to fetch. */
async function alreadyHave(ext: PushExtension, policy: AnnouncementPolicy): Promise<boolean> {
  if (!policy.hasObjects || ext.refs.length === 0) return false;
  const shas = ext.refs.map((r) => r.new);
  if (shas.some((s) => s === undefined)) return false;
  // A deleted ref (all zeros) needs nothing fetched.
  const wanted = (shas as string[]).filter((s) => !/^0+$/.test(s));
  return wanted.length === 0 || policy.hasObjects(wanted);
}

/** Nonces of signed announcements seen within the replay window. */
export interface NonceMemory {
  /** False when the nonce was seen before. */
  remember(nonce: string, ts: number, now: number): boolean;
}

export function createNonceMemory(windowMs: number, limit = 10_000): NonceMemory {
  const seen = new Map<string, number>();
  return {
    remember(nonce, ts, now) {
      if (seen.has(nonce)) return false;
      // Anything older than the window is rejected by its timestamp anyway.
      for (const [n, t] of seen) {
        if (now - t <= windowMs && seen.size < limit) break;
        seen.delete(n);
      }
      seen.set(nonce, ts);
      return true;
    },
  };
}
