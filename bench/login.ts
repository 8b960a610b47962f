/**
 * Login time of the direct path (issue 4, item 3) against a private
 * prosody and a private ejabberd (SCRAM with 10,000 and 4,096 iterations):
 * connect, STARTTLS, SASL, bind, measured around session.start().
 *
 *   fresh     native-crypto SCRAM, PBKDF2 on every login (no cache)
 *   cached    salted key read from the 0600 file cache (password given)
 *   no-pass   the password-less path: only the cached key
 *
 * plus PBKDF2 alone at the server's iteration count: node:crypto, WebCrypto
 * deriveBits, and WebCrypto as sequential HMAC calls (what xmpp.js's
 * @xmpp/sasl-scram-sha-1 does, DESIGN.md §5), for the cost of xmpp.js's
 * own SCRAM. Prints figures; asserts nothing.
 *
 *   npm run bench:login [-- runs [prosody|ejabberd]]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { pbkdf2Sync, webcrypto } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createLogger } from "../src/log.js";
import { createFileScramCache } from "../src/state/scram-cache.js";
import { createXmppSession } from "../src/xmpp/session.js";
import type { SaltedPasswordCache } from "../src/xmpp/scram.js";
import { startEjabberd } from "../test/support/ejabberd.js";
import { startProsody } from "../test/support/prosody.js";
import type { StartXmppServer, XmppTestServer } from "../test/support/xmpp-server.js";

const RUNS = Number(process.argv[2] ?? 15);
const SERVERS: Record<string, StartXmppServer> = { prosody: startProsody, ejabberd: startEjabberd };
const only = process.argv[3];
if (only !== undefined && !(only in SERVERS)) throw new Error(`unknown server ${only}: prosody or ejabberd`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, p95 ${p95(xs).toFixed(1)} ms (n=${xs.length})`;

const PASSWORD = "alice-password";
type ScramParams = { hash: string; salt: string; iterations: number };

for (const [name, start] of Object.entries(SERVERS)) {
  if (only === undefined || only === name) await benchServer(name, start);
}

async function benchServer(name: string, start: StartXmppServer): Promise<void> {
  const server = await start({ accounts: { alice: PASSWORD } });
  const stateDir = await mkdtemp(join(tmpdir(), "gax-bench-login-"));
  try {
    const logins = await measureLogins(server, join(stateDir, "scram-keys.json"));
    const pbkdf2 = await measurePbkdf2(logins.scram);
    const { hash, iterations } = logins.scram;
    console.log(`${name} ${server.host}:${server.port}, SCRAM-${hash.toUpperCase()} with ${iterations} iterations, STARTTLS, loopback`);
    console.log(`login, native SCRAM, fresh PBKDF2:      ${fmt(logins.fresh)}`);
    console.log(`login, cached salted key (file, 0600):  ${fmt(logins.cached)}`);
    console.log(`login, password-less (cached key only): ${fmt(logins.noPass)}`);
    console.log(`PBKDF2 alone, node:crypto:              ${fmt(pbkdf2.native)}`);
    console.log(`PBKDF2 alone, WebCrypto deriveBits:     ${fmt(pbkdf2.derive)}`);
    console.log(`PBKDF2 alone, WebCrypto sequential HMAC (xmpp.js style): ${fmt(pbkdf2.sequential)}`);
    console.log(`estimated xmpp.js login: ${(median(logins.cached) + median(pbkdf2.sequential)).toFixed(0)} ms (cached login + sequential PBKDF2)`);
    console.log("");
  } finally {
    await server.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The three login paths, RUNS times each, and the server's SCRAM parameters seen on the way. */
async function measureLogins(server: XmppTestServer, cacheFile: string) {
  const log = createLogger({ level: "silent" });
  const ca = await readFile(server.caFile, "utf8");
  const endpoint = { host: server.host, port: server.port, tls: "starttls" as const };
  const timeLogin = async (password: string | undefined, cache: SaltedPasswordCache | undefined): Promise<number> => {
    const session = createXmppSession({
      jid: server.jid("alice"), password, resource: "bench", endpoint, ca, log,
      ...(cache ? { saltedPasswordCache: cache } : {}),
    });
    const started = performance.now();
    await session.start();
    const ms = performance.now() - started;
    await session.stop();
    return ms;
  };
  const times = async (password: string | undefined, cache: SaltedPasswordCache | undefined) => {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) ms.push(await timeLogin(password, cache));
    return ms;
  };
  const fileCache = createFileScramCache(cacheFile, { domain: server.domain, jid: server.jid("alice") });
  let seen: ScramParams | undefined;
  // Wrap the cache to learn the server's salt and iteration count.
  const spy: SaltedPasswordCache = {
    get: (key) => ((seen = key), fileCache.get(key)),
    set: (key, salted) => fileCache.set(key, salted),
    has: (hash) => fileCache.has!(hash),
  };
  await timeLogin(PASSWORD, undefined); // warm-up: TLS session, JIT
  const fresh = await times(PASSWORD, undefined);
  await timeLogin(PASSWORD, spy); // fills the cache
  const cached = await times(PASSWORD, spy);
  const noPass = await times(undefined, spy);
  return { fresh, cached, noPass, scram: seen! };
}

/** PBKDF2 alone at the server's parameters: node:crypto, WebCrypto deriveBits, and xmpp.js's sequential HMAC calls. */
async function measurePbkdf2({ hash, salt, iterations }: ScramParams) {
  const digest = hash === "sha1" ? "SHA-1" : "SHA-256";
  const length = hash === "sha1" ? 20 : 32;
  const saltBytes = Buffer.from(salt, "base64");
  const native: number[] = [];
  const derive: number[] = [];
  const sequential: number[] = [];
  const key = await webcrypto.subtle.importKey("raw", Buffer.from(PASSWORD), "PBKDF2", false, ["deriveBits"]);
  const hmacKey = await webcrypto.subtle.importKey("raw", Buffer.from(PASSWORD), { name: "HMAC", hash: digest }, false, ["sign"]);
  for (let i = 0; i < Math.min(RUNS, 7); i++) {
    let t = performance.now();
    pbkdf2Sync(PASSWORD, saltBytes, iterations, length, hash);
    native.push(performance.now() - t);
    t = performance.now();
    await webcrypto.subtle.deriveBits({ name: "PBKDF2", hash: digest, salt: saltBytes, iterations }, key, length * 8);
    derive.push(performance.now() - t);
    // RFC 5802 Hi(): U1 = HMAC(p, salt || 1), Ui = HMAC(p, Ui-1), one awaited call each.
    t = performance.now();
    let u = new Uint8Array(await webcrypto.subtle.sign("HMAC", hmacKey, Buffer.concat([saltBytes, Buffer.from([0, 0, 0, 1])])));
    const acc = Uint8Array.from(u);
    for (let n = 1; n < iterations; n++) {
      u = new Uint8Array(await webcrypto.subtle.sign("HMAC", hmacKey, u));
      for (let b = 0; b < acc.length; b++) acc[b]! ^= u[b]!;
    }
    sequential.push(performance.now() - t);
  }
  return { native, derive, sequential };
}
