/**
 * Map what xmpp.js and Node report while connecting to our typed errors:
 * SASL failures (RFC 6120 §6.5) → XmppAuthError, a stream TLS does not
 * protect or a certificate problem → XmppTlsError, socket errors and stream
 * errors (RFC 6120 §4.9) → XmppConnectError. Classified by class (instanceof)
 * and Node's error codes, never by `name` strings: a class that forgets to
 * set its name must not slip through as "cannot reach" (issue 8).
 */
import SASLError from "@xmpp/sasl/lib/SASLError.js";
import StreamError from "@xmpp/connection/lib/StreamError.js";
import { TimeoutError as XmppTimeoutError } from "@xmpp/events";
import { AppError, ConfigError, EXIT, XmppAuthError, XmppConnectError, XmppTlsError } from "../errors.js";

/** The server offered no STARTTLS (RFC 6120 §5.3.1): a misconfigured server or a man in the middle stripping it. */
export class TlsRequiredError extends Error {
  constructor() {
    super("the server did not offer TLS (no <starttls/> in its stream features); refusing to authenticate in the clear");
    this.name = "TlsRequiredError";
  }
}

/** RFC 5802 §5: the server did not prove that it knows the credentials. */
export class ServerProofError extends Error {
  constructor() {
    super("the server did not prove that it knows the account's credentials (SCRAM server signature)");
    this.name = "ServerProofError";
  }
}

/** Neither a password nor a cached SCRAM key fits what the server offers. */
export class NoCredentialsError extends Error {
  constructor(offered: string[]) {
    super(`no password, and no cached SCRAM key for the mechanisms the server offers (${offered.join(", ")})`);
    this.name = "NoCredentialsError";
  }
}

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
  const ours = classifyOwn(error, context);
  if (ours) return ours;
  const e = error as { code?: unknown; message?: string };
  const code = typeof e.code === "string" ? e.code : undefined;
  const message = e.message ?? String(error);
  if ((code && TLS_CODES.test(code)) || /certificate|self[- ]signed|altnames/i.test(message)) {
    return new XmppTlsError(context.target, `${message}${code ? ` (${code})` : ""}`, error);
  }
  if (code && code in SOCKET_DETAILS) return new XmppConnectError(context.target, SOCKET_DETAILS[code]!, error);
  return new XmppConnectError(context.target, message, error);
}

/** Errors whose class we know: ours, and xmpp.js's own. */
function classifyOwn(error: unknown, context: { target: string; jid: string }): AppError | undefined {
  if (error instanceof NoCredentialsError) {
    return new ConfigError(`cannot log in as ${context.jid}: ${error.message}`, {
      key: "password",
      hint: "give the password once (credentials file or GIT_ANNEX_XMPP_PASSWORD); the login caches its salted key",
    });
  }
  if (error instanceof SASLError) return new XmppAuthError(context.jid, error.condition || "not-authorized", error);
  if (error instanceof TlsRequiredError) {
    return new XmppTlsError(context.target, error.message, error, {
      hint: "the server must offer STARTTLS: check that `server`/`port` name the real XMPP server, and that nothing between intercepts the connection",
    });
  }
  if (error instanceof ServerProofError) {
    return new AppError("EXMPPSERVERPROOF", `${context.target} is not the server of ${context.jid}: ${error.message}`, {
      hint: "something may be intercepting the connection: check `server`, `port` and `ca`",
      exitCode: EXIT.config,
      cause: error,
    });
  }
  if (error instanceof StreamError) return new XmppConnectError(context.target, `stream error: ${error.condition || error.message}`, error);
  if (error instanceof XmppTimeoutError) return new XmppConnectError(context.target, "the server did not answer in time", error);
  return undefined;
}
