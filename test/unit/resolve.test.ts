import type { SrvRecord } from "node:dns";
import { describe, expect, it, vi } from "vitest";
import { defaultPort, resolveEndpoint, type SrvLookup } from "../../src/xmpp/resolve.js";

const srv = (name: string, port: number, priority = 0, weight = 0): SrvRecord => ({ name, port, priority, weight });

/** A lookup that answers only for `expectedName`, like DNS would. */
function answering(expectedName: string, records: SrvRecord[]): SrvLookup {
  return vi.fn(async (name: string) => {
    if (name !== expectedName) throw Object.assign(new Error(`queryNs ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return records;
  });
}

function failing(code: string): SrvLookup {
  return vi.fn(async (name: string) => {
    throw Object.assign(new Error(`querySrv ${code} ${name}`), { code });
  });
}

describe("defaultPort", () => {
  it("is 5222 for STARTTLS and 5223 for direct TLS", () => {
    expect(defaultPort("starttls")).toBe(5222);
    expect(defaultPort("direct")).toBe(5223);
  });
});

describe("resolveEndpoint", () => {
  it("uses an explicit server without asking DNS", async () => {
    const lookup = vi.fn<SrvLookup>();
    expect(await resolveEndpoint({ domain: "example.org", server: "xmpp.local", tls: "starttls" }, lookup)).toEqual({
      host: "xmpp.local",
      port: 5222,
      tls: "starttls",
    });
    expect(await resolveEndpoint({ domain: "example.org", server: "xmpp.local", port: 15222, tls: "direct" }, lookup)).toEqual({
      host: "xmpp.local",
      port: 15222,
      tls: "direct",
    });
    expect(await resolveEndpoint({ domain: "example.org", server: "xmpp.local", tls: "direct" }, lookup)).toMatchObject({ port: 5223 });
    expect(lookup).not.toHaveBeenCalled();
  });

  it("asks _xmpp-client._tcp for STARTTLS and uses the SRV target", async () => {
    const lookup = answering("_xmpp-client._tcp.example.org", [srv("xmpp.example.org", 5322)]);
    expect(await resolveEndpoint({ domain: "example.org", tls: "starttls" }, lookup)).toEqual({
      host: "xmpp.example.org",
      port: 5322,
      tls: "starttls",
    });
    expect(lookup).toHaveBeenCalledWith("_xmpp-client._tcp.example.org");
  });

  it("asks _xmpps-client._tcp for direct TLS (XEP-0368)", async () => {
    const lookup = answering("_xmpps-client._tcp.example.org", [srv("tls.example.org", 443)]);
    expect(await resolveEndpoint({ domain: "example.org", tls: "direct" }, lookup)).toEqual({ host: "tls.example.org", port: 443, tls: "direct" });
    expect(lookup).toHaveBeenCalledWith("_xmpps-client._tcp.example.org");
  });

  it("picks the lowest priority, then the heaviest weight, whatever the answer order", async () => {
    const records = [
      srv("backup.example.org", 5222, 20, 100),
      srv("light.example.org", 5222, 10, 5),
      srv("heavy.example.org", 5222, 10, 60),
      srv("zero.example.org", 5222, 10, 0),
    ];
    for (const order of [records, [...records].reverse()]) {
      const lookup = answering("_xmpp-client._tcp.example.org", order);
      expect((await resolveEndpoint({ domain: "example.org", tls: "starttls" }, lookup)).host).toBe("heavy.example.org");
    }
  });

  it("picks by priority even when the best record comes last", async () => {
    const records = [srv("b.example.org", 5222, 5), srv("a.example.org", 5222, 1)];
    const lookup = answering("_xmpp-client._tcp.example.org", records);
    expect((await resolveEndpoint({ domain: "example.org", tls: "starttls" }, lookup)).host).toBe("a.example.org");
  });

  // RFC 2782: a target of "." means "decidedly not available". Node's
  // resolver (c-ares) reports that root name as "" (it strips the trailing
  // dot); a hand-written resolver may report ".". Neither is a host.
  it.each([".", ""])("skips a %j target (no service there) in favour of the next record", async (root) => {
    const lookup = answering("_xmpp-client._tcp.example.org", [srv(root, 0, 0, 0), srv("real.example.org", 5222, 10, 0)]);
    expect(await resolveEndpoint({ domain: "example.org", tls: "starttls" }, lookup)).toEqual({
      host: "real.example.org",
      port: 5222,
      tls: "starttls",
    });
  });

  it.each([".", ""])("never connects to a lone %j target", async (root) => {
    const lookup = answering("_xmpp-client._tcp.example.org", [srv(root, 0, 0, 0)]);
    const endpoint = await resolveEndpoint({ domain: "example.org", tls: "starttls" }, lookup);
    expect(["", "."]).not.toContain(endpoint.host);
    expect(endpoint).toEqual({ host: "example.org", port: 5222, tls: "starttls" });
  });

  it.each(["ENODATA", "ENOTFOUND", "ETIMEOUT", "ESERVFAIL"])("falls back to the domain on %s", async (code) => {
    expect(await resolveEndpoint({ domain: "example.org", tls: "starttls" }, failing(code))).toEqual({
      host: "example.org",
      port: 5222,
      tls: "starttls",
    });
    expect(await resolveEndpoint({ domain: "example.org", tls: "direct" }, failing(code))).toEqual({
      host: "example.org",
      port: 5223,
      tls: "direct",
    });
  });

  it("falls back to the domain on an empty answer", async () => {
    const lookup = answering("_xmpp-client._tcp.example.org", []);
    expect(await resolveEndpoint({ domain: "example.org", tls: "starttls" }, lookup)).toEqual({ host: "example.org", port: 5222, tls: "starttls" });
  });

  it("keeps a configured port with the SRV host and with the fallback", async () => {
    const lookup = answering("_xmpp-client._tcp.example.org", [srv("xmpp.example.org", 5322)]);
    expect(await resolveEndpoint({ domain: "example.org", port: 6000, tls: "starttls" }, lookup)).toEqual({
      host: "xmpp.example.org",
      port: 6000,
      tls: "starttls",
    });
    expect(await resolveEndpoint({ domain: "example.org", port: 6000, tls: "starttls" }, failing("ENODATA"))).toEqual({
      host: "example.org",
      port: 6000,
      tls: "starttls",
    });
  });
});
