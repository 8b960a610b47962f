/** Connection failures are classified by their class, never by a `name` string (issue 8, item 8). */
import SASLError from "@xmpp/sasl/lib/SASLError.js";
import StreamError from "@xmpp/connection/lib/StreamError.js";
import { TimeoutError } from "@xmpp/events";
import { describe, expect, it } from "vitest";
import { ConfigError, XmppAuthError, XmppConnectError, XmppTlsError } from "../../src/errors.js";
import { classifyConnectError, NoCredentialsError, ServerProofError, TlsRequiredError } from "../../src/xmpp/errors.js";

const context = { target: "xmpp.example.org:5222", jid: "alice@example.org" };

describe("classifyConnectError", () => {
  it("reports a server that offers no TLS as a TLS error with its own hint, not 'cannot reach'", () => {
    const error = classifyConnectError(new TlsRequiredError(), context);
    expect(error).toBeInstanceOf(XmppTlsError);
    expect(error.message).toMatch(/^TLS with xmpp\.example\.org:5222 failed: the server did not offer TLS/);
    expect(error.hint).toMatch(/STARTTLS/);
  });

  it("maps xmpp.js's and our own errors by class", () => {
    expect(classifyConnectError(new SASLError("not-authorized"), context)).toBeInstanceOf(XmppAuthError);
    expect(classifyConnectError(new NoCredentialsError(["PLAIN"]), context)).toBeInstanceOf(ConfigError);
    expect(classifyConnectError(new ServerProofError(), context).exitCode).toBe(78);
    expect(classifyConnectError(new StreamError("host-unknown"), context).message).toContain("stream error: host-unknown");
    expect(classifyConnectError(new TimeoutError(), context).message).toContain("did not answer in time");
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(classifyConnectError(refused, context).message).toContain("connection refused");
  });

  it("does not trust a name: an error that only calls itself TlsRequiredError is not one", () => {
    const impostor = Object.assign(new Error("something else"), { name: "TlsRequiredError" });
    const error = classifyConnectError(impostor, context);
    expect(error).toBeInstanceOf(XmppConnectError);
    expect(error).not.toBeInstanceOf(XmppTlsError);
  });
});
