/**
 * The configuration every command shares, and its validation. Pure: takes
 * the raw objects found by the loader plus the environment, returns a
 * typed Config or throws a ConfigError that names the offending key.
 */
import { ConfigError } from "../errors.js";
import { checkServer } from "./server-value.js";

export interface Config {
  /** Bare or full JID (localpart@domain[/resource]). */
  jid: string | undefined;
  /** Plaintext password, only from the environment or a 0600 file outside any work tree. */
  password: string | undefined;
  /** File holding the password (first line), mode 0600 at most. */
  credentialsFile: string | undefined;
  /** Host to connect to instead of SRV / the JID's domain. */
  server: string | undefined;
  port: number | undefined;
  /** "starttls" (RFC 6120 §5) or "direct" TLS (XEP-0368). */
  tls: "starttls" | "direct";
  /** CA certificate file (PEM) trusted in addition to the system's. */
  ca: string | undefined;
  /** Other accounts whose announcements are accepted (besides our own account's other resources). */
  buddies: string[];
  /** Resource prefix; a random suffix keeps several daemons of one account apart. */
  resource: string;
  /** notify: hard bound on the whole delivery, in ms. */
  timeoutMs: number;
  /** listen: extra arguments for `git annex sync`. */
  syncArgs: string[];
  /** listen: run a full transfer scan (what `git annex sync --content` does) at least this often, in ms. */
  fullScanEveryMs: number;
  /** listen: inbound silence after which an XEP-0199 ping probes the link. */
  idleProbeMs: number;
  /** listen: a probe unanswered this long means the link is dead. */
  probeTimeoutMs: number;
  /** listen: cap of the exponential reconnect backoff. */
  reconnectMaxMs: number;
  /**
   * listen: act on announcements without a valid signature (git-annex's own).
   * Unset: yes while the clone has no announcement secret, no once it has.
   */
  acceptUnsigned: boolean | undefined;
  /**
   * notify and a daemon's relay: send announcements sealed (DESIGN.md §2.2),
   * the UUIDs as keyed hashes only holders of the hub's secret can map back.
   * git-annex's own clients cannot read a sealed announcement.
   */
  sealed: boolean;
  /** listen without --repo: the repositories the agent serves (absolute paths). */
  repositories: string[];
}

export const DEFAULTS: Config = {
  jid: undefined,
  password: undefined,
  credentialsFile: undefined,
  server: undefined,
  port: undefined,
  tls: "starttls",
  ca: undefined,
  buddies: [],
  resource: "git-annex-xmpp",
  timeoutMs: 5000,
  syncArgs: [],
  fullScanEveryMs: 24 * 60 * 60 * 1000,
  idleProbeMs: 120_000,
  probeTimeoutMs: 10_000,
  reconnectMaxMs: 60_000,
  acceptUnsigned: undefined,
  sealed: false,
  repositories: [],
};

type Kind = "server" | "string" | "port" | "tls" | "stringList" | "pathList" | "positiveInt" | "jid" | "boolean";

const KEYS: Record<keyof Config, Kind> = {
  jid: "jid",
  password: "string",
  credentialsFile: "string",
  server: "server",
  port: "port",
  tls: "tls",
  ca: "string",
  buddies: "stringList",
  resource: "string",
  timeoutMs: "positiveInt",
  syncArgs: "stringList",
  fullScanEveryMs: "positiveInt",
  idleProbeMs: "positiveInt",
  probeTimeoutMs: "positiveInt",
  reconnectMaxMs: "positiveInt",
  acceptUnsigned: "boolean",
  sealed: "boolean",
  repositories: "pathList",
};

/** Environment variables and the key each overrides. */
export const ENV_KEYS: Record<string, keyof Config> = {
  GIT_ANNEX_XMPP_JID: "jid",
  GIT_ANNEX_XMPP_PASSWORD: "password",
  GIT_ANNEX_XMPP_CREDENTIALS: "credentialsFile",
  GIT_ANNEX_XMPP_SERVER: "server",
  GIT_ANNEX_XMPP_PORT: "port",
  GIT_ANNEX_XMPP_TLS: "tls",
  GIT_ANNEX_XMPP_CA: "ca",
  GIT_ANNEX_XMPP_BUDDIES: "buddies",
  GIT_ANNEX_XMPP_RESOURCE: "resource",
  GIT_ANNEX_XMPP_TIMEOUT: "timeoutMs",
  GIT_ANNEX_XMPP_FULL_SCAN_EVERY_MS: "fullScanEveryMs",
  GIT_ANNEX_XMPP_SEALED: "sealed",
};

const JID = /^[^@/\s"&'<>:]+@[^@/\s]+(\/.+)?$/;

export function isValidJid(value: string): boolean {
  return JID.test(value);
}

export function bareJid(jid: string): string {
  return jid.split("/")[0]!.toLowerCase();
}

function validate(key: keyof Config, kind: Kind, value: unknown, source: string): unknown {
  // A wrong password is still a password: never echoed.
  const shown = key === "password" ? `a ${typeof value}` : JSON.stringify(value)?.slice(0, 60);
  const bad = (expected: string) => new ConfigError(`${source}: \`${key}\` must be ${expected}, got ${shown}`, { key });
  const fromEnv = source.startsWith("environment");
  switch (kind) {
    case "server": {
      const checked = checkServer(value);
      if (!checked.ok) throw new ConfigError(bad(checked.expected).message, { key, hint: checked.hint });
      return checked.value;
    }
    case "string":
      if (typeof value !== "string" || value === "") throw bad("a non-empty string");
      return value;
    case "jid":
      if (typeof value !== "string" || !isValidJid(value)) throw bad("a JID like user@example.org");
      return value;
    case "port": {
      const n = fromEnv && typeof value === "string" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535) throw bad("a port number (1-65535)");
      return n;
    }
    case "positiveInt": {
      const n = fromEnv && typeof value === "string" ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) throw bad("a positive whole number");
      return n;
    }
    case "boolean": {
      const b = fromEnv && typeof value === "string" ? ({ true: true, false: false, 1: true, 0: false } as Record<string, boolean>)[value] : value;
      if (typeof b !== "boolean") throw bad("true or false");
      return b;
    }
    case "tls":
      if (value !== "starttls" && value !== "direct") throw bad('"starttls" or "direct"');
      return value;
    case "pathList": {
      if (!Array.isArray(value) || value.some((s) => typeof s !== "string" || !s.startsWith("/"))) throw bad("a list of absolute paths");
      return value;
    }
    case "stringList": {
      const list = fromEnv && typeof value === "string" ? value.split(",").map((s) => s.trim()).filter(Boolean) : value;
      if (!Array.isArray(list) || list.some((s) => typeof s !== "string" || s === "")) throw bad("a list of strings");
      if (key === "buddies") {
        const wrong = list.find((s: string) => !isValidJid(s));
        if (wrong !== undefined) throw bad(`a list of JIDs (${JSON.stringify(wrong)} is not one)`);
      }
      return list;
    }
  }
}

export interface ConfigLayer {
  /** Where it came from, for messages: a file path or "environment". */
  source: string;
  values: Record<string, unknown>;
}

/** Where each key's value came from (a layer's source); a key not in it has its default. */
export type ConfigSources = Partial<Record<keyof Config, string>>;

/** Merge layers, lowest precedence first, validating every key. */
export function parseConfig(layers: ConfigLayer[]): Config {
  return parseConfigWithSources(layers).config;
}

/** parseConfig, also naming the layer each value came from (for doctor). */
export function parseConfigWithSources(layers: ConfigLayer[]): { config: Config; sources: ConfigSources } {
  const config: Config = { ...DEFAULTS, buddies: [...DEFAULTS.buddies] };
  const sources: ConfigSources = {};
  for (const layer of layers) {
    if (typeof layer.values !== "object" || layer.values === null || Array.isArray(layer.values)) {
      throw new ConfigError(`${layer.source}: the configuration must be an object of keys`);
    }
    for (const [key, value] of Object.entries(layer.values)) {
      if (!(key in KEYS)) {
        throw new ConfigError(`${layer.source}: unknown configuration key \`${key}\``, {
          key,
          hint: `known keys: ${Object.keys(KEYS).join(", ")}`,
        });
      }
      if (value === undefined || value === null) continue;
      const k = key as keyof Config;
      (config as unknown as Record<string, unknown>)[k] = validate(k, KEYS[k], value, layer.source);
      sources[k] = layer.source;
    }
  }
  return { config, sources };
}

/** The environment as layers, one a variable, so an error names the variable. */
export function environmentLayers(env: NodeJS.ProcessEnv): ConfigLayer[] {
  return Object.entries(ENV_KEYS)
    .filter(([name]) => env[name] !== undefined && env[name] !== "")
    .map(([name, key]) => ({ source: `environment variable ${name}`, values: { [key]: env[name] } }));
}

/** The domain part of a JID. */
export function jidDomain(jid: string): string {
  return bareJid(jid).split("@")[1]!;
}
