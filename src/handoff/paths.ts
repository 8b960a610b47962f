/**
 * Where a daemon's hand-off socket lives: one per account, in a directory
 * only the user can enter (0700). Under the state directory rather than
 * $XDG_RUNTIME_DIR: cron (which starts daemons through `ensure`) does not
 * set XDG_RUNTIME_DIR while an ssh login (which runs a hub's hooks) does,
 * and both sides must agree on the path. A unix socket path is limited to
 * 107 bytes (sun_path), so a long one falls back to /tmp/git-annex-xmpp-<uid>/.
 */
import { lstatSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { userStateDir } from "../config/places.js";
import { accountDirName } from "../spool/paths.js";

const MAX_SOCKET_PATH = 100;

/** FNV-1a, 32 bit: a short stable tag for an over-long name (no need for crypto here). */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

export function socketPathFor(env: NodeJS.ProcessEnv, jid: string): string {
  const name = accountDirName(jid);
  const preferred = join(userStateDir(env), "run", `${name}.sock`);
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH) return preferred;
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return join("/tmp", `git-annex-xmpp-${uid}`, `${name.slice(0, 40)}-${fnv1a(name)}.sock`);
}

/** Whether `dir` is a directory that only we can enter: anything else could be another user's trap. */
export function isPrivateDir(dir: string): boolean {
  const info = lstatSync(dir, { throwIfNoEntry: false });
  if (!info || !info.isDirectory()) return false;
  const uid = typeof process.getuid === "function" ? process.getuid() : info.uid;
  return info.uid === uid && (info.mode & 0o077) === 0;
}

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!isPrivateDir(dir)) {
    throw new Error(`${dir} must be a directory owned by this user with mode 0700`);
  }
}
