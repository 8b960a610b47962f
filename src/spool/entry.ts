/**
 * The spool's on-disk format, pure: one JSON file per announcement, named so
 * that a plain name sort is oldest first, and read back with validation (a
 * spool file is input like any other: a bad one must not stop a flush).
 */
import type { Announcement } from "../notify/announcement.js";
import type { RefUpdate } from "../notify/refs.js";

/** `<createdAt, 15 digits>-<pid>-<random>.json`; writers put temp files under a leading dot. */
const ENTRY = /^(\d{15})-(\d+)-([0-9a-z]+)\.json$/;

/** Bounds on what a spool file may hold (a flush reads them all). */
export const MAX_ENTRY_BYTES = 4 * 1024 * 1024;
const MAX_REFS = 10_000;
const MAX_UUIDS = 1024;
const MAX_FIELD = 4096;

export function entryName(createdAt: number, pid: number, random: string): string {
  return `${String(Math.max(0, Math.floor(createdAt))).padStart(15, "0")}-${pid}-${random}.json`;
}

export function isEntryName(name: string): boolean {
  return ENTRY.test(name);
}

/** When the announcement of an entry was made (its name says), or undefined for another name. */
export function entryCreatedAt(name: string): number | undefined {
  const match = ENTRY.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Entry names oldest first (by creation time, then by name for a stable order). */
export function sortEntryNames(names: readonly string[]): string[] {
  return names.filter(isEntryName).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function serializeAnnouncement(announcement: Announcement): string {
  const refs = announcement.refs.map((r) => ({ ref: r.ref, ...(r.old ? { old: r.old } : {}), ...(r.new ? { new: r.new } : {}) }));
  const repo = announcement.repo ? { repo: announcement.repo } : {};
  const sealed = announcement.sealed ? { sealed: true } : {};
  return `${JSON.stringify({ uuids: announcement.uuids, refs, createdAt: announcement.createdAt, ...repo, ...sealed })}\n`;
}

const isString = (v: unknown, max = MAX_FIELD): v is string => typeof v === "string" && v.length <= max;

/** Validates an announcement read from a spool file or a socket; returns a reason when it is not one. */
export function validateAnnouncement(value: unknown): { ok: true; announcement: Announcement } | { ok: false; reason: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reason: "not an object" };
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v.uuids) || v.uuids.length === 0 || v.uuids.length > MAX_UUIDS || !v.uuids.every((u) => isString(u, 128))) {
    return { ok: false, reason: "`uuids` must be a list of 1 to 1024 strings" };
  }
  if (!Array.isArray(v.refs) || v.refs.length > MAX_REFS) return { ok: false, reason: "`refs` must be a list of at most 10000 refs" };
  const refs: RefUpdate[] = [];
  for (const r of v.refs as unknown[]) {
    const ref = validateRef(r);
    if (!ref) return { ok: false, reason: `bad ref ${JSON.stringify(r)?.slice(0, 80)}` };
    refs.push(ref);
  }
  if (typeof v.createdAt !== "number" || !Number.isFinite(v.createdAt) || v.createdAt < 0) {
    return { ok: false, reason: "`createdAt` must be a time in milliseconds" };
  }
  if (v.repo !== undefined && (!isString(v.repo) || !v.repo.startsWith("/"))) return { ok: false, reason: "`repo` must be an absolute path" };
  const repo = typeof v.repo === "string" ? { repo: v.repo } : {};
  if (v.sealed !== undefined && typeof v.sealed !== "boolean") return { ok: false, reason: "`sealed` must be true or false" };
  const sealed = v.sealed === true ? { sealed: true } : {};
  return { ok: true, announcement: { uuids: v.uuids as string[], refs, createdAt: v.createdAt, ...repo, ...sealed } };
}

function validateRef(value: unknown): RefUpdate | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (!isString(r.ref) || r.ref === "") return undefined;
  if (r.old !== undefined && !isString(r.old, 64)) return undefined;
  if (r.new !== undefined && !isString(r.new, 64)) return undefined;
  return { ref: r.ref, ...(r.old !== undefined ? { old: r.old as string } : {}), ...(r.new !== undefined ? { new: r.new as string } : {}) };
}

export function parseSpooledAnnouncement(text: string): { ok: true; announcement: Announcement } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON (${(error as Error).message})` };
  }
  return validateAnnouncement(value);
}

export interface SpoolItem {
  name: string;
  announcement: Announcement;
}
