/**
 * The hand-off protocol between `notify` and a running `listen` of the same
 * account, over a private unix socket: one JSON line each way.
 *
 *   → {"v":1,"op":"announce","jid":"…","repo":"/abs/dir","refs":[…],"createdAt":…[,"uuids":[…]][,"sealed":true]}
 *   ← {"v":1,"ok":true,"pid":1234}   or   {"v":1,"ok":false,"error":"…"}
 *
 * "ok" means the daemon has the announcement on disk (its spool) and will
 * deliver it; anything else and notify delivers it itself. Without `uuids`
 * the daemon reads the repository's annex UUID (it has git at hand; the
 * hook's fast path does not load it). Pure: no I/O.
 */
import { validateAnnouncement } from "../spool/entry.js";
import type { RefUpdate } from "../notify/refs.js";

export const PROTOCOL_VERSION = 1;
/** Bounds on one line each way (a push of 10,000 refs fits). */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
export const MAX_REPLY_BYTES = 4096;

export interface HandoffRequest {
  v: 1;
  op: "announce";
  /** The account the sender would log in as: the daemon refuses another account's announcement. */
  jid: string;
  /** Absolute path of the repository that received the push. */
  repo: string;
  uuids?: string[];
  refs: RefUpdate[];
  createdAt: number;
  /** The sender's configuration asks for sealed mode: the daemon seals it whatever its own says. */
  sealed?: boolean;
}

export type HandoffReply = { v: 1; ok: true; pid: number } | { v: 1; ok: false; error: string };

export function encodeLine(message: HandoffRequest | HandoffReply): string {
  return `${JSON.stringify(message)}\n`;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseObject(line: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: "not a JSON line" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reason: "not a JSON object" };
  const object = value as Record<string, unknown>;
  if (object.v !== PROTOCOL_VERSION) return { ok: false, reason: `unsupported protocol version ${JSON.stringify(object.v)?.slice(0, 20)}` };
  return { ok: true, value: object };
}

export function parseRequest(line: string): Parsed<HandoffRequest> {
  if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) return { ok: false, reason: "request too large" };
  const parsed = parseObject(line);
  if (!parsed.ok) return parsed;
  const r = parsed.value;
  if (r.op !== "announce") return { ok: false, reason: `unknown op ${JSON.stringify(r.op)?.slice(0, 40)}` };
  if (typeof r.jid !== "string" || r.jid.length > 3071 || !r.jid.includes("@")) return { ok: false, reason: "`jid` is not a JID" };
  if (typeof r.repo !== "string" || !r.repo.startsWith("/") || r.repo.length > 4096 || r.repo.includes("\0")) {
    return { ok: false, reason: "`repo` must be an absolute path" };
  }
  // Reuse the spool's validation; a request without uuids gets a placeholder to pass it.
  const checked = validateAnnouncement({ uuids: r.uuids ?? [""], refs: r.refs, createdAt: r.createdAt, sealed: r.sealed });
  if (!checked.ok) return { ok: false, reason: checked.reason };
  const { refs, createdAt, sealed } = checked.announcement;
  return {
    ok: true,
    value: {
      v: 1, op: "announce", jid: r.jid, repo: r.repo, refs, createdAt,
      ...(r.uuids !== undefined ? { uuids: checked.announcement.uuids } : {}),
      ...(sealed ? { sealed } : {}),
    },
  };
}

export function parseReply(line: string): Parsed<HandoffReply> {
  if (Buffer.byteLength(line) > MAX_REPLY_BYTES) return { ok: false, reason: "reply too large" };
  const parsed = parseObject(line);
  if (!parsed.ok) return parsed;
  const r = parsed.value;
  if (r.ok === true && typeof r.pid === "number") return { ok: true, value: { v: 1, ok: true, pid: r.pid } };
  if (r.ok === false && typeof r.error === "string") return { ok: true, value: { v: 1, ok: false, error: r.error.slice(0, 500) } };
  return { ok: false, reason: "malformed reply" };
}
