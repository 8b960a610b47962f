/**
 * From configuration and credentials to an (unstarted) XMPP session: the
 * single place where config meets the xmpp layer, so that xmpp/ never
 * imports config/ and every command connects the same way.
 */
import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";
import type { Config } from "../config/schema.js";
import { jidDomain } from "../config/schema.js";
import type { Credentials } from "../config/load.js";
import type { Logger } from "../log.js";
import { createFileScramCache } from "../state/scram-cache.js";
import { resolveEndpoint } from "../xmpp/resolve.js";
import { createXmppSession, type XmppSession } from "../xmpp/session.js";

export async function readCa(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    const pem = await readFile(path, "utf8");
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no PEM certificate in it");
    return pem;
  } catch (error) {
    throw new ConfigError(`\`ca\`: cannot use ${path}: ${(error as Error).message}`, { key: "ca", cause: error });
  }
}

export async function createSession(config: Config, credentials: Credentials, log: Logger, role: string): Promise<XmppSession> {
  const endpoint = await resolveEndpoint({ domain: jidDomain(credentials.jid), server: config.server, port: config.port, tls: config.tls });
  return createXmppSession({
    jid: credentials.jid,
    password: credentials.password,
    resource: `${config.resource}-${role}`,
    endpoint,
    ca: await readCa(config.ca),
    log,
    // TCP keepalive as a second line behind the daemon's ping probe.
    keepAliveMs: config.idleProbeMs,
    ...(credentials.scramCache
      ? { saltedPasswordCache: createFileScramCache(credentials.scramCache, { domain: jidDomain(credentials.jid), jid: credentials.jid }) }
      : {}),
  });
}
