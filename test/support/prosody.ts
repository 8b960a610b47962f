import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { XmppTestServer } from "./xmpp-server.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { makeTestCertificates } from "./certs.js";
import { renderProsodyConfig, writeMutualRosters } from "./prosody-config.js";
import {
  logOffset, probeStream, spawnProsody, tail, terminate, waitForBind, type RunningProsody,
} from "./prosody-process.js";
import { freePort, isPortFree, waitFor } from "./wait.js";

export interface ProsodyOptions {
  /** user -> password; registered before the server starts. */
  accounts: Record<string, string>;
  /** Pairs of users made mutually subscribed (RFC 6121 "both"). */
  rosters?: Array<[string, string]>;
  /** Default "localhost": the certificate is issued for it. */
  domain?: string;
  /** Also listen for XEP-0368 direct TLS on a second loopback port. */
  directTls?: boolean;
  /** XEP-0198 hibernation of a dropped session; prosody's default is 600 s. */
  smacksHibernationSeconds?: number;
}

/** What a client needs to log in, in the shape the slixmpp helpers take. */
export interface XmppAccount {
  jid: string;
  password: string;
  host: string;
  port: number;
  caFile: string;
}

/** A private prosody: what every test server offers (xmpp-server.ts). */
export type ProsodyServer = XmppTestServer;

const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 15_000;

/**
 * Starts a private prosody for one test file: its own temp dir, config,
 * data, private CA, log and free loopback ports, so tests never touch the
 * machine's prosody, /etc/prosody, or a port another service holds.
 */
export async function startProsody(options: ProsodyOptions): Promise<ProsodyServer> {
  const domain = options.domain ?? "localhost";
  const dir = await mkdtemp(join(tmpdir(), "gax-prosody-"));
  const paths = {
    config: join(dir, "prosody.cfg.lua"),
    data: join(dir, "data"),
    certs: join(dir, "certs"),
    pid: join(dir, "prosody.pid"),
    log: join(dir, "prosody.log"),
    console: join(dir, "console.log"),
  };
  let ports = { c2s: 0, directTls: undefined as number | undefined };
  let run: RunningProsody | undefined;

  const writeConfig = async () => {
    const c2s = await freePort();
    let directTls: number | undefined;
    // The kernel may hand out a just-closed port again: insist on two.
    while (options.directTls && (directTls === undefined || directTls === c2s)) directTls = await freePort();
    ports = { c2s, directTls };
    await writeFile(paths.config, renderProsodyConfig({
      domain, c2sPort: ports.c2s, directTlsPort: ports.directTls, dataDir: paths.data,
      certsDir: paths.certs, certFile: certs.certFile, keyFile: certs.keyFile,
      pidFile: paths.pid, logFile: paths.log,
      smacksHibernationSeconds: options.smacksHibernationSeconds ?? 600,
    }));
  };

  /**
   * One launch. A clash on a port picked by freePort() (another process took
   * it meanwhile) is retried with new ports on the first start; a restart
   * must keep its ports, so it retries the same ones until they are free.
   */
  const launch = async (fresh: boolean): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      if (fresh && attempt > 1) await writeConfig();
      const offset = await logOffset(paths.log);
      const current = spawnProsody(paths.config, paths.console);
      run = current;
      const listeners: Record<string, number> = { c2s: ports.c2s };
      if (ports.directTls !== undefined) listeners.c2s_direct_tls = ports.directTls;
      const outcome = await waitForBind(current, paths.log, offset, listeners, READY_TIMEOUT_MS);
      if (outcome === "bound") {
        await waitFor(() => probeStream(HOST, ports.c2s, domain).then(() => true), {
          timeoutMs: READY_TIMEOUT_MS, what: `prosody on ${HOST}:${ports.c2s} to answer a stream header`,
        });
        return;
      }
      await terminate(current, "SIGKILL");
      if (outcome === "exited" || attempt >= 5) {
        throw new Error(`prosody did not start (${outcome}, attempt ${attempt})`);
      }
      if (!fresh) {
        const wanted = [ports.c2s, ...(ports.directTls === undefined ? [] : [ports.directTls])];
        await waitFor(async () => (await Promise.all(wanted.map(isPortFree))).every(Boolean), {
          timeoutMs: 5_000, what: `ports ${wanted.join(", ")} to be free again`,
        });
      }
    }
  };

  const startupFailure = async (error: unknown): Promise<Error> => {
    if (run) await terminate(run, "SIGKILL");
    const message = error instanceof Error ? error.message : String(error);
    return new Error(
      `${message}\n--- ${paths.log} (tail) ---\n${await tail(paths.log)}\n--- ${paths.console} ---\n${await tail(paths.console, 20)}`,
    );
  };

  const certs = await makeTestCertificates(paths.certs, domain).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  try {
    await mkdir(paths.data, { recursive: true });
    await writeConfig();
    await registerAccounts(paths.config, domain, options.accounts);
    await writeMutualRosters(paths.data, domain, Object.keys(options.accounts), options.rosters ?? []);
    await launch(true);
  } catch (error) {
    const failure = await startupFailure(error);
    if (process.env.KEEP_TMP !== "1") await rm(dir, { recursive: true, force: true });
    throw failure;
  }

  const server: ProsodyServer = {
    domain,
    host: HOST,
    get port() { return ports.c2s; },
    get directTlsPort() { return ports.directTls; },
    get pid() { return run && !run.done ? run.child.pid : undefined; },
    caFile: certs.caFile,
    dir,
    logFile: paths.log,
    jid: (user) => `${user}@${domain}`,
    account(user) {
      const password = options.accounts[user];
      if (password === undefined) throw new Error(`no account ${user} on this test server`);
      return { jid: server.jid(user), password, host: HOST, port: ports.c2s, caFile: certs.caFile };
    },
    async shutdown() { if (run) await terminate(run, "SIGTERM"); },
    async kill9() { if (run) await terminate(run, "SIGKILL"); },
    async start() {
      if (run && !run.done) throw new Error("prosody is already running");
      try {
        await launch(false);
      } catch (error) {
        throw await startupFailure(error);
      }
    },
    async stop() {
      await server.shutdown();
      if (process.env.KEEP_TMP === "1") console.error(`KEEP_TMP=1: prosody files kept in ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * prosodyctl writes SCRAM-hashed accounts straight into the data dir; the
 * server need not run. The password is on prosodyctl's command line, which
 * is acceptable only because these are throwaway test accounts.
 */
async function registerAccounts(config: string, domain: string, accounts: Record<string, string>): Promise<void> {
  for (const [user, password] of Object.entries(accounts)) {
    await execa("prosodyctl", ["--config", config, "register", user, domain, password], { stdin: "ignore" });
  }
}
