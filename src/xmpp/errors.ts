/**
 * Map what xmpp.js and Node report while connecting to our typed errors:
 * SASL failures (RFC 6120 §6.5) → XmppAuthError, certificate problems →
 * XmppTlsError, socket errors and stream errors (RFC 6120 §4.9) →
 * XmppConnectError.
 */
import { AppError, ConfigError, XmppAuthError, XmppConnectError, XmppTlsError } from "../errors.js";

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/;

const SOCKET_DETAILS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed",
};

export function classifyConnectError(error: unknown, context: { target: string; jid: string }): AppError {
  if (error instanceof AppError) return error;
  const e = error as { name?: string; code?: string; condition?: string; message?: string };
  const message = e.message ?? String(error);
  if (e.name === "NoCredentialsError") {
    return new ConfigError(`cannot log in as ${context.jid}: ${message}`, {
      key: "password",
      hint: "give the password once (credentials file or GIT_ANNEX_XMPP_PASSWORD); the login caches its salted key",
    });
  }
  if (e.name === "SASLError") return new XmppAuthError(context.jid, e.condition ?? "not-authorized", error);
  if (e.name === "TlsRequiredError") return new XmppTlsError(context.target, message, error);
  if (e.name === "ServerProofError") {
    return new AppError("EXMPPSERVERPROOF", `${context.target} is not the server of ${context.jid}: ${message}`, {
      hint: "something may be intercepting the connection: check `server`, `port` and `ca`",
      exitCode: 78,
      cause: error,
    });
  }
  if ((e.code && TLS_CODES.test(e.code)) || /certificate|self[- ]signed|altnames/i.test(message)) {
    return new XmppTlsError(context.target, `${message}${e.code ? ` (${e.code})` : ""}`, error);
  }
  if (e.code && e.code in SOCKET_DETAILS) return new XmppConnectError(context.target, SOCKET_DETAILS[e.code]!, error);
  if (e.name === "StreamError") return new XmppConnectError(context.target, `stream error: ${e.condition ?? message}`, error);
  if (e.name === "TimeoutError") return new XmppConnectError(context.target, "the server did not answer in time", error);
  return new XmppConnectError(context.target, message, error);
}
