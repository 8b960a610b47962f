/**
 * The file-backed cache of salted SCRAM passwords (RFC 5802 §5.1 lets a
 * client keep SaltedPassword, or ClientKey/ServerKey, instead of the
 * password). It spares every short-lived `notify` the PBKDF2 of a login,
 * and lets a hook host log in with no plaintext password at all once one
 * login has filled it (see resolveCredentials).
 *
 * What it holds is as good as the password *for this account on this
 * server* (not elsewhere: it is salted per server), so it gets the
 * password's treatment: one JSON file in the user state directory, mode
 * 0600, refused when looser, written atomically. An entry is keyed by
 * server, JID, hash, iteration count and salt: when the server's salt or
 * count changes (a password change), the old entry simply stops matching.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";
import type { SaltedPasswordCache, ScramHash } from "../xmpp/scram.js";

export const SCRAM_CACHE_FILE = "scram-keys.json";

interface CacheFile {
  version: 1;
  entries: Record<string, { salted: string; savedAt: number }>;
}

export function scramCachePath(stateDir: string): string {
  return join(stateDir, SCRAM_CACHE_FILE);
}

function entryKey(account: { domain: string; jid: string }, key: { hash: ScramHash; salt: string; iterations: number }): string {
  return [account.domain, account.jid.toLowerCase(), key.hash, key.iterations, key.salt].join(" ");
}

async function readCache(path: string): Promise<CacheFile> {
  let text: string;
  try {
    const info = await stat(path);
    // Like ssh with keys: a readable-by-others cache is not used.
    if ((info.mode & 0o077) !== 0) throw new Error(`${path} is readable by others; run: chmod 600 ${path}`);
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, entries: {} };
    throw error;
  }
  let parsed: CacheFile;
  try {
    parsed = JSON.parse(text) as CacheFile;
  } catch {
    // Not V8's message: it quotes the text, i.e. the keys.
    throw new Error(`${path} is not valid JSON; delete it (the next login fills it again)`);
  }
  if (parsed?.version !== 1 || typeof parsed.entries !== "object") return { version: 1, entries: {} };
  return parsed;
}

async function writeCache(path: string, cache: CacheFile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(cache, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
}

/** A SaltedPasswordCache for one account, backed by `path`. */
export function createFileScramCache(path: string, account: { domain: string; jid: string }): SaltedPasswordCache {
  const jid = account.jid.split("/")[0]!;
  const bound = { domain: account.domain, jid };
  return {
    async get(key) {
      const entry = (await readCache(path)).entries[entryKey(bound, key)];
      return entry ? Buffer.from(entry.salted, "base64") : undefined;
    },
    async set(key, salted) {
      const cache: CacheFile = await readCache(path).catch((): CacheFile => ({ version: 1, entries: {} }));
      const value = salted.toString("base64");
      // Each login with a password sets the key it used: rewriting (and
      // syncing) an unchanged file would put a disk flush in every login,
      // between the hook's sender's login and its presence (issue 11).
      if (cache.entries[entryKey(bound, key)]?.salted === value) return;
      cache.entries[entryKey(bound, key)] = { salted: value, savedAt: Date.now() };
      await writeCache(path, cache);
    },
    async has(hash) {
      const prefix = `${bound.domain} ${jid.toLowerCase()} ${hash} `;
      return Object.keys((await readCache(path)).entries).some((k) => k.startsWith(prefix));
    },
  };
}

/** Whether the cache holds any key for this account (password-less login is possible). */
export async function hasCachedScramKeys(path: string, account: { domain: string; jid: string }): Promise<boolean> {
  const cache = createFileScramCache(path, account);
  return (await cache.has!("sha256").catch(() => false)) || (await cache.has!("sha1").catch(() => false));
}
