/**
 * The `server` key: a host to open a TCP connection to, so a host name or
 * an IPv4 address and nothing else. A URL (`xmpps://…`, `wss://…`) or a
 * `host:port` used to pass as a string and then broke every login (issue 8:
 * "host:port:5222", or a login that never settled and lost the
 * announcement), so it is refused here, naming what to write instead.
 */
import { isIPv4, isIPv6 } from "node:net";

export type ServerCheck = { ok: true; value: string } | { ok: false; expected: string; hint: string };

const LABEL = "[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?";
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`, "u");
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const HOST_PORT = /^([^:/\s]+):(\d+)$/;

export function checkServer(value: unknown): ServerCheck {
  if (typeof value !== "string" || value === "") {
    return { ok: false, expected: "a host name or IPv4 address", hint: "e.g. xmpp.example.org" };
  }
  if (URL_LIKE.test(value)) {
    return {
      ok: false,
      expected: "a host name, not a URL",
      hint: "write the host alone (e.g. xmpp.example.org); the port goes in `port`, and direct TLS (xmpps) is `tls: \"direct\"`; WebSocket is not supported",
    };
  }
  const hostPort = HOST_PORT.exec(value);
  if (hostPort) {
    return {
      ok: false,
      expected: "a host name without a port",
      hint: `set \`server\` to ${hostPort[1]} and \`port\` to ${hostPort[2]} (git-annex-xmpp configure --server ${hostPort[1]} --port ${hostPort[2]})`,
    };
  }
  if (isIPv6(value) || isIPv6(value.replace(/^\[|\]$/g, ""))) {
    return { ok: false, expected: "a host name or IPv4 address (IPv6 literals are not supported)", hint: "use a host name that resolves to the address" };
  }
  if (isIPv4(value) || (value.length <= 254 && HOST_NAME.test(value))) return { ok: true, value };
  return { ok: false, expected: "a host name or IPv4 address", hint: "e.g. xmpp.example.org or 192.0.2.10" };
}
