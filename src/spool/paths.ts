/**
 * Per-account locations under the user's state directory. An account's
 * directory name is its bare JID, lower-cased, with every byte outside
 * [a-z0-9.@-] written as _XX: readable, injective and safe as a file name.
 */
import { join } from "node:path";

export function accountDirName(jid: string): string {
  const bare = jid.split("/")[0]!.toLowerCase();
  let out = "";
  for (const byte of Buffer.from(bare, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9.@-]/.test(c) ? c : `_${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** Where announcements for `jid` wait until the server acknowledged them. */
export function spoolDirFor(stateDir: string, jid: string): string {
  return join(stateDir, "spool", accountDirName(jid));
}
