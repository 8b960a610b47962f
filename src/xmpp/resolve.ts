/**
 * Where to connect (RFC 6120 §3.2): an explicit server/port from the
 * configuration; else the SRV record `_xmpp-client._tcp.<domain>` (or
 * `_xmpps-client._tcp` for direct TLS, XEP-0368), best priority, then
 * heaviest weight; else the domain itself on the default port.
 */
import { promises as dns, type SrvRecord } from "node:dns";
import type { Endpoint } from "./session.js";

export interface EndpointSettings {
  domain: string;
  server?: string | undefined;
  port?: number | undefined;
  tls: "starttls" | "direct";
}

export type SrvLookup = (name: string) => Promise<SrvRecord[]>;

export function defaultPort(tls: "starttls" | "direct"): number {
  return tls === "direct" ? 5223 : 5222;
}

export async function resolveEndpoint(settings: EndpointSettings, lookup: SrvLookup = dns.resolveSrv): Promise<Endpoint> {
  const { tls } = settings;
  if (settings.server) return { host: settings.server, port: settings.port ?? defaultPort(tls), tls };
  const service = tls === "direct" ? "_xmpps-client._tcp" : "_xmpp-client._tcp";
  try {
    // Target "." is "no service here" (RFC 2782); Node's resolver reports it as "".
    const records = (await lookup(`${service}.${settings.domain}`)).filter((r) => r.name !== "." && r.name !== "");
    records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    const best = records[0];
    if (best) return { host: best.name, port: settings.port ?? best.port, tls };
  } catch {
    // No SRV record (ENODATA/ENOTFOUND) is the common case: fall through.
  }
  return { host: settings.domain, port: settings.port ?? defaultPort(tls), tls };
}
