import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface ProsodyConfigParams {
  domain: string;
  c2sPort: number;
  /** Port for XEP-0368 direct TLS, or undefined for STARTTLS only. */
  directTlsPort: number | undefined;
  dataDir: string;
  certsDir: string;
  certFile: string;
  keyFile: string;
  pidFile: string;
  logFile: string;
  /** XEP-0198 session hibernation (prosody default 600 s). */
  smacksHibernationSeconds: number;
}

/**
 * Modules we load, written out instead of taking Debian's default config,
 * whose mod_limits throttles c2s to 10 kB/s and distorts timing (DESIGN.md §5).
 * prosody 0.12 also autoloads presence, message, iq, offline, c2s and the
 * platform module (posix: pidfile and the SIGTERM handler we rely on for a
 * clean stop). mod_smacks ships in 0.12's core, and real servers run it, so
 * clients get stream management as they would in the field.
 * Not loaded: register (accounts come from prosodyctl), limits, http, s2s.
 */
const MODULES = ["roster", "saslauth", "tls", "disco", "ping", "smacks"];

/**
 * Renders a prosody 0.12 config that listens on 127.0.0.1:c2sPort and
 * nowhere else: every other listening service gets an empty port list
 * (portmanager binds a service's default port when `<service>_ports` is
 * unset), and s2s is disabled so the server never federates.
 */
export function renderProsodyConfig(p: ProsodyConfigParams): string {
  const ssl = `{ key = ${lua(p.keyFile)}; certificate = ${lua(p.certFile)} }`;
  const tlsPorts = p.directTlsPort === undefined ? "{}" : `{ ${p.directTlsPort} }`;
  return `-- Written by test/support/prosody.ts for one test server; delete freely.
-- We run as root in CI: without this prosody would setuid to "prosody".
run_as_root = true
-- Started with -F as a child process, so the test owns its lifetime.
daemonize = false
pidfile = ${lua(p.pidFile)}
data_path = ${lua(p.dataDir)}
plugin_paths = {}
certificates = ${lua(p.certsDir)}
log = { debug = ${lua(p.logFile)} }

modules_enabled = { ${MODULES.map(lua).join("; ")} }
modules_disabled = { "s2s"; "s2s_auth_certs"; "dialback" }

c2s_ports = { ${p.c2sPort} }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = ${tlsPorts}
c2s_direct_tls_interfaces = { "127.0.0.1" }
legacy_ssl_ports = {}
s2s_ports = {}
s2s_direct_tls_ports = {}
component_ports = {}
http_ports = {}
https_ports = {}

-- RFC 6120 §5: STARTTLS is mandatory before SASL; clients must verify our CA.
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"
ssl = ${ssl}
smacks_hibernation_time = ${p.smacksHibernationSeconds}
-- 0.12's default of 256 KiB would cut the sender off before a listener
-- ever sees the oversized stanzas the bad-input tests feed it.
c2s_stanza_size_limit = 4 * 1024 * 1024

VirtualHost ${lua(p.domain)}
  ssl = ${ssl}
`;
}

/**
 * Writes prosody's internal roster store directly, before the server starts,
 * so each pair is mutually subscribed ("both", RFC 6121 §3) without a
 * subscription dance in every test. Layout and format are what
 * util/datamanager and core/rostermanager of 0.12 read:
 * <data>/<encoded host>/roster/<encoded user>.dat, a Lua table keyed by bare
 * JID, with roster metadata under the key `false`.
 */
export async function writeMutualRosters(
  dataDir: string,
  domain: string,
  users: Iterable<string>,
  pairs: ReadonlyArray<readonly [string, string]>,
): Promise<void> {
  const known = new Set(users);
  const contacts = new Map<string, Set<string>>();
  for (const [a, b] of pairs) {
    for (const user of [a, b]) {
      if (!known.has(user)) throw new Error(`roster pair [${a}, ${b}] names ${user}, who has no account`);
    }
    if (a === b) throw new Error(`roster pair [${a}, ${b}] subscribes a user to itself`);
    contacts.set(a, (contacts.get(a) ?? new Set()).add(b));
    contacts.set(b, (contacts.get(b) ?? new Set()).add(a));
  }
  const rosterDir = join(dataDir, encodeStorePart(domain), "roster");
  await mkdir(rosterDir, { recursive: true });
  for (const [user, buddies] of contacts) {
    const items = [...buddies]
      .map((buddy) => `  [${lua(`${buddy}@${domain}`)}] = { subscription = "both"; groups = {} };`)
      .join("\n");
    const body = `return {\n  [false] = { version = 1 };\n${items}\n};\n`;
    await writeFile(join(rosterDir, `${encodeStorePart(user)}.dat`), body);
  }
}

/** util/datamanager's encode(): every byte but [A-Za-z0-9] becomes %xx. */
export function encodeStorePart(name: string): string {
  return mapBytes(name, (byte, char) => (/[A-Za-z0-9]/.test(char) ? char : `%${byte.toString(16).padStart(2, "0")}`));
}

/** A Lua string literal; decimal escapes (\ddd) keep any byte safe in Lua 5.4. */
function lua(value: string): string {
  const printable = (byte: number) => byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
  return `"${mapBytes(value, (byte, char) => (printable(byte) ? char : `\\${String(byte).padStart(3, "0")}`))}"`;
}

function mapBytes(value: string, map: (byte: number, char: string) => string): string {
  return [...Buffer.from(value, "utf8")].map((byte) => map(byte, String.fromCharCode(byte))).join("");
}
