/**
 * What a test needs of a private XMPP server, whichever server it is:
 * startProsody (test/support/prosody.ts) and startEjabberd
 * (test/support/ejabberd.ts) both return this shape, so a fixture can take
 * either through a factory and run the same cases against both.
 */
import type { XmppAccount } from "./prosody.js";

export interface XmppServerOptions {
  /** user -> password; registered before the first client can connect. */
  accounts: Record<string, string>;
  /** Pairs of users made mutually subscribed (RFC 6121 "both"). */
  rosters?: Array<[string, string]>;
}

export interface XmppTestServer {
  domain: string;
  host: "127.0.0.1";
  /** c2s port with STARTTLS. */
  readonly port: number;
  readonly directTlsPort: number | undefined;
  caFile: string;
  dir: string;
  logFile: string;
  /** The running server's pid, undefined while it is down. */
  readonly pid: number | undefined;
  jid(user: string): string;
  account(user: string): XmppAccount;
  /** Final: stop the server, then delete the temp dir (kept when KEEP_TMP=1). */
  stop(): Promise<void>;
  /** A clean stop, keeping data so that start() can bring it back. */
  shutdown(): Promise<void>;
  /** SIGKILL and wait: a crash, no goodbye to clients. */
  kill9(): Promise<void>;
  /** Start again on the same ports with the same data. */
  start(): Promise<void>;
}

export type StartXmppServer<Server extends XmppTestServer = XmppTestServer> = (options: XmppServerOptions) => Promise<Server>;
