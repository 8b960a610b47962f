/**
 * SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677) on node:crypto.
 *
 * xmpp.js's own SCRAM runs PBKDF2 as thousands of sequential WebCrypto HMAC
 * calls (≈0.95 s for prosody's 10,000 iterations, DESIGN.md §5); native
 * PBKDF2 does the same in milliseconds. The salted password is also
 * cached per (salt, iterations), as RFC 5802 §5.1 allows, so that a host
 * can log in without keeping the plaintext password after a first login.
 *
 * The object follows the `saslmechanisms` interface that @xmpp/sasl drives:
 * response(credentials) → initial message; challenge(data) → state;
 * response(credentials) → final message. Messages are "binary strings"
 * (one char per byte) because @xmpp/sasl base64-encodes them with btoa.
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

export type ScramHash = "sha1" | "sha256";

export interface SaltedPasswordCache {
  get(key: { hash: ScramHash; salt: string; iterations: number }): Promise<Buffer | undefined>;
  set(key: { hash: ScramHash; salt: string; iterations: number }, salted: Buffer): Promise<void>;
  /** Whether any key for this hash is cached: picks the mechanism for a password-less login. */
  has?(hash: ScramHash): Promise<boolean>;
}

export interface ScramCredentials {
  username: string;
  password?: string;
}

const toBinary = (text: string) => Buffer.from(text, "utf8").toString("latin1");
const fromBinary = (binary: string) => Buffer.from(binary, "latin1").toString("utf8");

/** RFC 5802 §5.1: "=" and "," in the username are escaped. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

export function parseScramAttributes(message: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq === 1) attrs.set(part[0]!, part.slice(2));
  }
  return attrs;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export async function saltPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  // SASLprep (RFC 4013) is approximated by NFKC: exact for ASCII passwords.
  return pbkdf2Async(password.normalize("NFKC"), salt, iterations, hash === "sha1" ? 20 : 32, hash);
}

/** What the session sees of one exchange. */
export interface ScramExchange {
  verifyServerFinal(message: string): boolean;
  remember(): Promise<void>;
}

export interface ScramOptions {
  cache?: SaltedPasswordCache;
  /** Fixed client nonce, for tests against RFC test vectors. */
  nonce?: string;
  /** Told of each exchange, so the session can check the server's proof on <success/>. */
  onCreate?: (mechanism: ScramExchange) => void;
}

export function createScramMechanism(hash: ScramHash, options: ScramOptions = {}) {
  const name = hash === "sha1" ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
  class Scram {
    // saslmechanisms reads these from the prototype, hence getters.
    get name(): string {
      return name;
    }
    get clientFirst(): boolean {
      return true;
    }
    #stage = 0;
    #nonce = options.nonce ?? randomBytes(18).toString("base64");
    #clientFirstBare = "";
    #serverFirst = "";
    expectedServerSignature: Buffer | undefined;
    #derived: { key: { hash: ScramHash; salt: string; iterations: number }; salted: Buffer } | undefined;

    /** After a successful, server-verified login: keep the key derived from the password. */
    async remember(): Promise<void> {
      if (this.#derived) await options.cache?.set(this.#derived.key, this.#derived.salted);
    }

    constructor() {
      options.onCreate?.(this);
    }

    async response(credentials: ScramCredentials): Promise<string> {
      if (this.#stage === 0) {
        this.#stage = 1;
        this.#clientFirstBare = `n=${escapeSaslName(credentials.username)},r=${this.#nonce}`;
        return toBinary(`n,,${this.#clientFirstBare}`);
      }
      return toBinary(await this.#finalMessage(credentials));
    }

    challenge(data: string): this {
      this.#serverFirst = fromBinary(data);
      return this;
    }

    async #finalMessage(credentials: ScramCredentials): Promise<string> {
      const attrs = parseScramAttributes(this.#serverFirst);
      const nonce = attrs.get("r");
      const saltB64 = attrs.get("s");
      const iterations = Number(attrs.get("i"));
      if (!nonce || !nonce.startsWith(this.#nonce) || !saltB64 || !Number.isInteger(iterations) || iterations < 1) {
        throw new Error(`${name}: malformed server-first-message`);
      }
      const key = { hash, salt: saltB64, iterations };
      // With a password, always derive (2 ms natively) and refresh the cache:
      // a cached key must never stand in for a password that was given, or
      // a wrong or changed password would go unnoticed. Without one, the
      // cached key is the credential.
      let salted: Buffer | undefined;
      if (credentials.password !== undefined) {
        salted = await saltPassword(hash, credentials.password, Buffer.from(saltB64, "base64"), iterations);
        // Cached only once the server accepted it (see remember()).
        this.#derived = { key, salted };
      } else {
        salted = await options.cache?.get(key);
        if (!salted) throw new Error(`${name}: no password and no cached salted password`);
      }
      const hmac = (k: Buffer, text: string) => createHmac(hash, k).update(text, "utf8").digest();
      const clientKey = hmac(salted, "Client Key");
      const storedKey = createHash(hash).update(clientKey).digest();
      const withoutProof = `c=biws,r=${nonce}`;
      const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
      const proof = xor(clientKey, hmac(storedKey, authMessage));
      this.expectedServerSignature = hmac(hmac(salted, "Server Key"), authMessage);
      return `${withoutProof},p=${proof.toString("base64")}`;
    }

    /** RFC 5802 §3: check the server's `v=` (mutual authentication). */
    verifyServerFinal(message: string): boolean {
      const v = parseScramAttributes(message).get("v");
      if (!v || !this.expectedServerSignature) return false;
      const got = Buffer.from(v, "base64");
      return got.length === this.expectedServerSignature.length && timingSafeEqual(got, this.expectedServerSignature);
    }
  }
  return Scram;
}
