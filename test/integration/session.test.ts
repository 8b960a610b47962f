/**
 * The session wrapper against a real prosody: TLS verified through a
 * private CA, native SCRAM, and each connection failure mapped to its own
 * typed error.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XmppAuthError, XmppConnectError, XmppTlsError } from "../../src/errors.js";
import { silentLogger } from "../../src/log.js";
import { encodePushPresence } from "../../src/xmpp/codec.js";
import { createXmppSession, type SessionOptions } from "../../src/xmpp/session.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";
import { observePresences } from "../support/slixmpp.js";
import { freePort } from "../support/wait.js";

let server: ProsodyServer;
let ca: string;

beforeAll(async () => {
  server = await startProsody({ accounts: { alice: "alice-pw", bob: "bob-pw" }, rosters: [["alice", "bob"]], directTls: true });
  ca = await readFile(server.caFile, "utf8");
});
afterAll(async () => server?.stop());

function options(overrides: Partial<SessionOptions> = {}): SessionOptions {
  return {
    jid: server.jid("alice"),
    password: "alice-pw",
    resource: "test",
    endpoint: { host: server.host, port: server.port, tls: "starttls" },
    ca,
    log: silentLogger,
    ...overrides,
  };
}

describe("XMPP session", () => {
  it("logs in over STARTTLS with a private CA and answers a ping", async () => {
    const session = createXmppSession(options());
    const jid = await session.start();
    expect(jid).toMatch(/^alice@localhost\/test\./);
    await session.ping(5000);
    await session.stop();
  });

  it("logs in over direct TLS (XEP-0368)", async () => {
    const session = createXmppSession(options({ endpoint: { host: server.host, port: server.directTlsPort!, tls: "direct" } }));
    await session.start();
    await session.stop();
  });

  it("sends the exact git-annex presence that a slixmpp buddy sees", async () => {
    const observer = await observePresences(server.account("bob"));
    try {
      const session = createXmppSession(options());
      await session.start();
      await session.send(encodePushPresence(["11111111-2222-3333-4444-555555555555"]));
      await session.ping(5000);
      const seen = await observer.waitFor((p) => p.xml.includes("git-annex"), 10_000);
      expect(seen.from).toMatch(/^alice@localhost\//);
      expect(seen.xml).toMatch(/<git-annex xmlns="git-annex" push="11111111-2222-3333-4444-555555555555"\s*\/>/);
      expect(seen.xml).toContain("<show>xa</show>");
      expect(seen.xml).toContain("<priority>-1</priority>");
      await session.stop();
    } finally {
      await observer.stop();
    }
  });

  it("reports a wrong password as an authentication error", async () => {
    const error = await createXmppSession(options({ password: "wrong" })).start().catch((e) => e);
    expect(error).toBeInstanceOf(XmppAuthError);
    expect(error.message).toContain("not-authorized");
  });

  it("refuses a certificate it cannot verify", async () => {
    const error = await createXmppSession(options({ ca: undefined })).start().catch((e) => e);
    expect(error).toBeInstanceOf(XmppTlsError);
  });

  it("reports an unreachable server as a connection error", async () => {
    const port = await freePort();
    const error = await createXmppSession(options({ endpoint: { host: "127.0.0.1", port, tls: "starttls" } }))
      .start()
      .catch((e) => e);
    expect(error).toBeInstanceOf(XmppConnectError);
    expect(error.message).toContain("connection refused");
  });
});
