/**
 * Pure helpers for git-annex keys as they appear in git objects: the
 * symlink target of a locked file, the pointer file of an unlocked one, and
 * the location-log paths of the `git-annex` branch, the hash directories
 * git-annex files a key under. No I/O.
 */
import { createHash } from "node:crypto";

/**
 * git-annex's keyFile escaping (Annex/Locations.hs): a key becomes a file
 * name by `&` → `&a`, `%` → `&s`, `:` → `&c`, `/` → `%`.
 */
export function encodeKeyFile(key: string): string {
  return key.replace(/&/g, "&a").replace(/%/g, "&s").replace(/:/g, "&c").replace(/\//g, "%");
}

/** The inverse of encodeKeyFile (fileKey in git-annex). */
export function decodeKeyFile(file: string): string {
  return file.replace(/%|&[asc]/g, (m) => ({ "%": "/", "&a": "&", "&s": "%", "&c": ":" })[m] ?? m);
}

/** BACKEND[-sSIZE][-mMTIME][-Sn-Cn]--NAME: the shape every key has. */
const KEY_SHAPE = /^[A-Z0-9]+(-[a-zA-Z][^-]*)*--/;

export function isAnnexKey(text: string): boolean {
  return KEY_SHAPE.test(text) && !/[\n\0]/.test(text);
}

/** The size field (`-s1234`) of a key, or undefined when the backend did not record one (URL keys). */
export function keySize(key: string): number | undefined {
  const fields = key.slice(0, key.indexOf("--"));
  const match = /-s(\d+)(-|$)/.exec(fields);
  return match ? Number(match[1]) : undefined;
}

/**
 * The key a locked file's symlink points at:
 * `[../…].git/annex/objects/Xx/Yy/KEYFILE/KEYFILE`.
 */
export function keyFromLinkTarget(target: string): string | undefined {
  const match = /(?:^|\/)annex\/objects\/(?:[^/]+\/){2}([^/]+)\/([^/]+)$/.exec(target);
  if (!match || match[1] !== match[2]) return undefined;
  const key = decodeKeyFile(match[1]!);
  return isAnnexKey(key) ? key : undefined;
}

/** Largest pointer file git-annex writes for an unlocked file is one short line. */
export const MAX_POINTER_SIZE = 32 * 1024;

/** The key an unlocked file's pointer names (`/annex/objects/KEYFILE`, optionally newline-terminated). */
export function keyFromPointer(content: string): string | undefined {
  const match = /^\/annex\/objects\/([^/\n]+)\n?$/.exec(content);
  if (!match) return undefined;
  const key = decodeKeyFile(match[1]!);
  return isAnnexKey(key) ? key : undefined;
}

/**
 * A location log on the `git-annex` branch is `XXX/YYY/KEYFILE.log` (hashed
 * directories, lower-case in this branch). Other per-key logs end in
 * `.log.met`, `.log.web`, `.log.rmt`, … and say nothing about where content is.
 */
export function keyFromLocationLogPath(path: string): string | undefined {
  const match = /^[0-9a-f]{3}\/[0-9a-f]{3}\/([^/]+)\.log$/.exec(path);
  if (!match) return undefined;
  const key = decodeKeyFile(match[1]!);
  return isAnnexKey(key) ? key : undefined;
}

/**
 * Top-level logs of the `git-annex` branch that change which repository
 * wants or must keep what (preferred/required content, groups, trust,
 * numcopies/mincopies, `git annex config`). When one of them changes, the
 * answer may change for every file, so only a full scan is correct.
 */
/**
 * The per-key logs whose change can change what a repository wants of the
 * key: where its content is (`.log`) and its metadata (`.log.met`), which
 * `metadata=` preferred content expressions match on. The others (`.log.web`,
 * `.log.rmt`, `.log.cnk`, …) say how to reach content, not whether to move it.
 */
export function keyFromWantednessLogPath(path: string): string | undefined {
  const match = /^([0-9a-f]{3}\/[0-9a-f]{3}\/[^/]+)\.met$/.exec(path);
  return keyFromLocationLogPath(match ? match[1]! : path);
}

const POLICY_LOGS = new Set([
  "preferred-content.log",
  "required-content.log",
  "group-preferred-content.log",
  "group.log",
  "trust.log",
  "numcopies.log",
  "mincopies.log",
  "config.log",
]);

export function isPolicyLogPath(path: string): boolean {
  return POLICY_LOGS.has(path);
}

/**
 * The candidate symlink targets of `key` for a file at `depth` directories
 * below the top: git-annex writes the mixed-case hash directory, or the
 * lower-case one under annex.tune.objecthashlower.
 */
export function linkTargetsFor(keyFile: string, hashDirs: readonly string[], depth: number): string[] {
  const up = "../".repeat(depth);
  return hashDirs.map((dir) => `${up}.git/annex/objects/${dir}${keyFile}/${keyFile}`);
}

/** The 32 characters of git-annex's display_32bits_as_dir (Utility/MD5.hs). */
const DIR_CHARS = "0123456789zqjxkmvwgpfZQJXKMVWGPF";

/** display_32bits_as_dir: eight 5-bit digits (6 bits apart), swapped in pairs, the last two dropped. */
function display32BitsAsDir(word: number): string {
  const digits: string[] = [];
  // Haskell's shiftR of a Word32 by 32 or more is 0; JavaScript's >>> would wrap the shift.
  for (let i = 0; i < 8; i++) digits.push(DIR_CHARS[6 * i >= 32 ? 0 : (word >>> (6 * i)) & 31]!);
  let swapped = "";
  for (let i = 0; i < 8; i += 2) swapped += digits[i + 1]! + digits[i]!;
  return swapped.slice(0, 6);
}

/**
 * `${hashdirmixed}` of `git annex examinekey` (Annex/DirHashes.hs): from
 * the first little-endian 32-bit word of the key's MD5, `Xx/Yy/`. The
 * objects directory of a non-bare repository uses it.
 */
export function hashDirMixed(key: string): string {
  const word = createHash("md5").update(key, "utf8").digest().readUInt32LE(0);
  const dir = display32BitsAsDir(word).slice(0, 4);
  return `${dir.slice(0, 2)}/${dir.slice(2)}/`;
}

/** `${hashdirlower}`: the first six hex digits of the key's MD5, `xxx/yyy/` (bare repositories, annex.tune.objecthashlower). */
export function hashDirLower(key: string): string {
  const hex = createHash("md5").update(key, "utf8").digest("hex");
  return `${hex.slice(0, 3)}/${hex.slice(3, 6)}/`;
}
