/**
 * What the listener does with each received stanza: subscription requests
 * from buddies, git-annex queries, and push announcements — checked for
 * sender, rate, signature and freshness (DESIGN.md §2.1, §2.2), and skipped
 * when this repository already has every announced commit, which is what
 * keeps clones that push merges back from syncing each other in circles.
 * The git look-ups behind an announcement go through the intake's bounded
 * queue, never one process per stanza (intake.ts).
 */
import { silentLogger, type Logger } from "../log.js";
import { decodeGitAnnexPresence, encodeSignaturePresence, type DecodedPresence } from "../xmpp/codec.js";
import { el, type XmlElement } from "../xmpp/element.js";
import {
  decodePushExtension, judgeAuthenticity, signedMembers, type AnnounceKey, type PushExtension,
} from "../xmpp/push-extension.js";
import type { XmppSession } from "../xmpp/session.js";
import { bareJid } from "../config/schema.js";
import { describePresence, judgeSender } from "./accept.js";
import type { Intake } from "./intake.js";
import type { NonceMemory } from "./nonces.js";
import type { Announced } from "../announce/recent.js";

export interface AnnouncementPolicy {
  /** The secrets this repository holds, one per hub that has one (services/secret.ts). */
  keys: readonly AnnounceKey[];
  /** Act on announcements without a valid signature (git-annex interop). */
  acceptUnsigned: boolean;
  /** Accepted distance between a signed announcement's ts and our clock. */
  windowMs: number;
  /** Whether every one of these objects is already in the repository. */
  hasObjects?(shas: string[]): Promise<boolean>;
  now(): number;
}

/** One repository's view of a push: its policy, its replay memory, its syncs. */
export interface PushContext {
  /** Names the repository in work keys (the agent serves several on one session). */
  dir: string;
  log: Logger;
  policy: AnnouncementPolicy;
  nonces: NonceMemory;
  /** `objects`: the announced commits (from a signed or trusted refs element), for a follow-up to look for again. */
  requestSync(uuids: readonly string[] | undefined, reason: string, objects?: readonly string[]): Promise<void>;
  /** An announcement acted on, and one refused with the reason (the agent's status counts them). */
  onReceived?(from: string): void;
  onRefused?(from: string, reason: string): void;
  /** A signed announcement from `account` (bare JID) was accepted: the objects its refs name (session-loop.ts). */
  onHeard?(account: string, announced: Announced): void;
}

/** The session's view: who we are and trust, its intake; a push goes to every repository served on it. */
export interface StanzaContext {
  session: XmppSession;
  fullJid: string;
  trusted: ReadonlySet<string>;
  buddies: readonly string[];
  log: Logger;
  intake: Intake;
  repositories: readonly PushContext[];
}

/** A push we act on: the UUIDs it names (unsealed), and its refs element when that may decide a skip. */
interface AcceptedPush {
  uuids: string[];
  ext: PushExtension | undefined;
  sealed: boolean;
  /** Its MAC verified with one of the secrets: its refs are the hub's own word. */
  signed: boolean;
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
  if (decoded.kind === "not-git-annex" || decoded.kind === "signature") return;
  const verdict = judgeSender(from, { fullJid: ctx.fullJid, trusted: ctx.trusted });
  if (!verdict.accept) {
    ctx.log.debug(`ignored ${describePresence(decoded)}: ${verdict.reason}`);
    return;
  }
  const sender = bareJid(from!);
  // Over its rate a sender's stanzas cost no log line and no answer; its
  // pushes are still judged, silently, so that the accepted ones are covered.
  const admitted = ctx.intake.admit(sender);
  const log = admitted ? ctx.log : silentLogger;
  if (decoded.kind === "invalid") {
    log.debug(`ignored presence from ${from}: ${decoded.reason}`);
    return;
  }
  if (decoded.kind === "query") {
    if (admitted) await ctx.session.send(encodeSignaturePresence());
    return;
  }
  for (const repo of ctx.repositories) {
    await handlePush(decoded, from!, admitted ? repo : { ...repo, log: silentLogger }, ctx.intake, admitted);
  }
}

/** A push from an accepted sender, judged by one repository's policy: acted on (bounded by the intake), or refused. */
export async function handlePush(
  decoded: DecodedPresence & { kind: "push" },
  from: string,
  repo: PushContext,
  intake: Intake,
  admitted: boolean,
): Promise<void> {
  const accepted = await acceptPush(decoded.uuids, decoded.extensions, repo, from);
  if ("refused" in accepted) {
    repo.log.debug(`ignored push from ${from}: ${accepted.refused}`);
    if (admitted) repo.onRefused?.(from, accepted.refused);
    return;
  }
  if (accepted.signed && accepted.ext) repo.onHeard?.(bareJid(from), { uuids: accepted.uuids, refs: accepted.ext.refs.map((r) => ({ ref: r.name, new: r.new })), sealed: accepted.sealed });
  if (!admitted) {
    intake.missed(bareJid(from), accepted.uuids);
    return;
  }
  const described = describePresence({ ...decoded, uuids: accepted.uuids }) + (accepted.sealed ? " (sealed)" : "");
  const outcome = intake.submit(`${repo.dir}\n${workKey(accepted)}`, () => actOn(accepted, repo, from));
  const refs = accepted.ext ? ` (${accepted.ext.refs.length} refs)` : "";
  if (outcome === "merged") repo.log.debug(`announcement from ${from}: ${described}${refs}, the same as one waiting`);
  else repo.log.info(`announcement from ${from}: ${described}${refs}`);
  repo.onReceived?.(from);
}

/** Announcements with the same key lead to the same look-ups and the same sync request. */
function workKey(push: AcceptedPush): string {
  const refs = push.ext ? push.ext.refs.map((r) => `${r.name} ${r.new ?? "-"}`).sort() : ["(no refs)"];
  return [[...push.uuids].sort().join(","), ...refs].join("\n");
}

/** The git-touching part: skip when every announced commit is here, or ask for a sync. */
async function actOn(push: AcceptedPush, ctx: PushContext, from: string): Promise<void> {
  if (push.ext && (await alreadyHave(push.ext, ctx.policy))) {
    ctx.log.info(`skipped sync for the push from ${from}: every announced commit is already here`);
    return;
  }
  await ctx.requestSync(push.uuids, `push from ${from}`, push.ext ? announcedObjects(push.ext) : undefined);
}

/** Why a push was refused (logged at debug level, counted by the agent's status). */
interface Refused {
  refused: string;
}

/** The push as we act on it, or why it is refused. */
async function acceptPush(members: string[], extensions: XmlElement[], ctx: PushContext, from: string): Promise<AcceptedPush | Refused> {
  const { policy, log } = ctx;
  const parsed = decodePushExtension(extensions);
  if (parsed && "reason" in parsed) {
    // Unreadable refs element: no signature to trust and no refs to use; what
    // is left is a plain git-annex push, taken only where unsigned ones are.
    if (!policy.acceptUnsigned) return { refused: `${parsed.reason}, and unsigned announcements are not accepted` };
    log.debug(`push from ${from} taken as a plain one: ${parsed.reason}`);
    return { uuids: members, ext: undefined, sealed: false, signed: false };
  }
  const judged = judgeAuthenticity(members, parsed, { keys: policy.keys, now: policy.now(), windowMs: policy.windowMs });
  if ("rejected" in judged) return { refused: judged.rejected };
  if (judged.signed) return acceptSigned(members, parsed!, judged.key, ctx, from);
  if (!policy.acceptUnsigned) return { refused: `unsigned (${judged.reason}) and acceptUnsigned is off` };
  // Accepted as a plain git-annex push: with a secret at hand, unsigned refs
  // must not decide to skip a fetch (forged SHAs could hide a real push).
  // Never unsealed: its members could be replayed by anyone who saw them.
  return { uuids: members, ext: policy.keys.length === 0 ? parsed : undefined, sealed: false, signed: false };
}

/** A push whose MAC `key` verified: fresh nonce, and only the UUIDs that key speaks for. */
async function acceptSigned(members: string[], ext: PushExtension, key: AnnounceKey, ctx: PushContext, from: string): Promise<AcceptedPush | Refused> {
  if (!(await ctx.nonces.remember(ext.nonce, ext.ts, ctx.policy.now()))) return { refused: "replayed (nonce seen before)" };
  const { uuids, foreign, sealed } = signedMembers(members, ext.nonce, key);
  if (foreign.length > 0) {
    ctx.log.debug(`push from ${from}: ${foreign.length} member(s) that the secret which signed it does not speak for, ignored`);
  }
  if (uuids.length === 0) return { refused: "it names none of the remotes the secret that signed it speaks for" };
  return { uuids, ext, sealed, signed: true };
}

/** True when every announced ref's new object is already in the repository: nothing to fetch. */
async function alreadyHave(ext: PushExtension, policy: AnnouncementPolicy): Promise<boolean> {
  if (!policy.hasObjects || ext.refs.length === 0) return false;
  const wanted = announcedObjects(ext);
  return wanted !== undefined && (wanted.length === 0 || policy.hasObjects(wanted));
}

/** The objects the announced refs point to; undefined when one is not given. A deleted ref (all zeros) needs nothing fetched. */
function announcedObjects(ext: PushExtension): string[] | undefined {
  const shas = ext.refs.map((r) => r.new);
  if (shas.some((s) => s === undefined)) return undefined;
  return (shas as string[]).filter((s) => !/^0+$/.test(s));
}
