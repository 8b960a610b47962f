import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCertificates } from "./certs.js";
import { findErlangRuntime, renderEjabberdConfig, type ErlangNode } from "./ejabberd-config.js";
import { ejabberdPaths, runCtl, spawnEjabberd, waitForListeners, type RunningServer } from "./ejabberd-process.js";
import { logOffset, probeStream, tail, terminate } from "./prosody-process.js";
import { freePort, isPortFree, waitFor } from "./wait.js";
import type { XmppServerOptions, XmppTestServer } from "./xmpp-server.js";

export interface EjabberdOptions extends XmppServerOptions {
  /** Default "localhost": the certificate is issued for it. */
  domain?: string;
  /** Also listen for XEP-0368 direct TLS on a second loopback port. */
  directTls?: boolean;
  /** XEP-0198 resume timeout; 600 s like prosody's hibernation unless told. */
  resumeTimeoutSeconds?: number;
  /** ejabberd's max_user_sessions (Debian's default config: 10). */
  maxUserSessions?: number;
}

export interface EjabberdServer extends XmppTestServer {
  /** The Erlang node, for a test that wants to reach it with ctl(). */
  node: ErlangNode;
  /** Runs ejabberdctl commands (e.g. ["kick_session", ...]) on the running server; throws when one fails. */
  ctl(...commands: string[][]): Promise<string>;
}

const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 20_000;

/**
 * Starts a private ejabberd for one test file: its own temp dir, config,
 * mnesia spool, log, private CA, Erlang node name and cookie, and free
 * loopback ports for c2s and for Erlang distribution. No epmd runs (see
 * distributionArgs), so nothing outlives the VM we spawn, and neither
 * /etc/ejabberd, /var/lib/ejabberd, the system service nor port 5222 is
 * touched. Runs as root, as CI does.
 */
export async function startEjabberd(options: EjabberdOptions): Promise<EjabberdServer> {
  const domain = options.domain ?? "localhost";
  const runtime = await findErlangRuntime();
  const dir = await mkdtemp(join(tmpdir(), "gax-ejabberd-"));
  const paths = ejabberdPaths(dir);
  const id = randomBytes(4).toString("hex");
  // mnesia's schema belongs to the node name: it must stay the same across restarts.
  const node: ErlangNode = { name: `gax-ejabberd-${id}@${HOST}`, distPort: 0 };
  let ports = { c2s: 0, directTls: undefined as number | undefined };
  let run: RunningServer | undefined;
  let ctlCount = 0;

  const writeConfig = async () => {
    const picked = new Set<number>();
    // The kernel may hand out a just-closed port again: insist on distinct ones.
    const pick = async () => {
      let port = await freePort();
      while (picked.has(port)) port = await freePort();
      picked.add(port);
      return port;
    };
    ports = { c2s: await pick(), directTls: options.directTls ? await pick() : undefined };
    node.distPort = await pick();
    await writeFile(paths.config, renderEjabberdConfig({
      domain, c2sPort: ports.c2s, directTlsPort: ports.directTls, certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile,
      resumeTimeoutSeconds: options.resumeTimeoutSeconds ?? 600,
      ...(options.maxUserSessions !== undefined ? { maxUserSessions: options.maxUserSessions } : {}),
    }));
  };
  const wantedPorts = () => [ports.c2s, node.distPort, ...(ports.directTls === undefined ? [] : [ports.directTls])];

  /**
   * One launch. ejabberd exits when it cannot bind a listener or its
   * distribution port, so a port that another process took after
   * freePort() shows up as an early exit: the first start retries with new
   * ports; a restart keeps its ports and waits for them to be free.
   */
  const launch = async (fresh: boolean): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      if (fresh && attempt > 1) await writeConfig();
      const offset = await logOffset(paths.log);
      const current = spawnEjabberd(runtime, node, dir);
      run = current;
      const c2sPorts = wantedPorts().filter((p) => p !== node.distPort);
      const outcome = await waitForListeners(current, paths.log, offset, HOST, c2sPorts, READY_TIMEOUT_MS);
      if (outcome === "bound") {
        await waitFor(() => probeStream(HOST, ports.c2s, domain).then(() => true), {
          timeoutMs: READY_TIMEOUT_MS, what: `ejabberd on ${HOST}:${ports.c2s} to answer a stream header`,
        });
        return;
      }
      await terminate(current, "SIGKILL");
      if (attempt >= 4) throw new Error(`ejabberd did not start (${outcome}, attempt ${attempt})`);
      if (!fresh) {
        await waitFor(async () => (await Promise.all(wantedPorts().map(isPortFree))).every(Boolean), {
          timeoutMs: 5_000, what: `ports ${wantedPorts().join(", ")} to be free again`,
        });
      }
    }
  };

  const ctl = async (...commands: string[][]): Promise<string> => {
    if (!run || run.done) throw new Error("ejabberd is not running");
    return runCtl(runtime, node, dir, `gax-ctl-${id}-${++ctlCount}`, commands);
  };

  const startupFailure = async (error: unknown): Promise<Error> => {
    if (run) await terminate(run, "SIGKILL");
    const message = error instanceof Error ? error.message : String(error);
    return new Error(`${message}\n--- ${paths.console} (tail) ---\n${await tail(paths.console)}`);
  };

  const certs = await makeTestCertificates(paths.certs, domain).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  try {
    await mkdir(paths.spool, { recursive: true });
    await mkdir(paths.logs, { recursive: true });
    // The node's cookie: erl reads $HOME/.erlang.cookie and insists on mode 0400.
    await writeFile(paths.cookie, randomBytes(16).toString("hex"), { mode: 0o400 });
    await chmod(paths.cookie, 0o400);
    await writeConfig();
    await launch(true);
    await registerAccounts(ctl, domain, options.accounts, options.rosters ?? []);
  } catch (error) {
    const failure = await startupFailure(error);
    if (process.env.KEEP_TMP !== "1") await rm(dir, { recursive: true, force: true });
    throw failure;
  }

  const server: EjabberdServer = {
    domain,
    host: HOST,
    node,
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
    ctl,
    // SIGTERM: the VM runs init:stop(), ejabberd closes its streams and mnesia its tables.
    async shutdown() { if (run) await terminate(run, "SIGTERM", 10_000); },
    async kill9() { if (run) await terminate(run, "SIGKILL"); },
    async start() {
      if (run && !run.done) throw new Error("ejabberd is already running");
      try {
        await launch(false);
      } catch (error) {
        throw await startupFailure(error);
      }
    },
    async stop() {
      // The data goes with the temp dir, so skip the clean stop (about 2 s
      // of mnesia and listener teardown) unless the files are being kept.
      if (run) await terminate(run, process.env.KEEP_TMP === "1" ? "SIGTERM" : "SIGKILL");
      if (process.env.KEEP_TMP === "1") console.error(`KEEP_TMP=1: ejabberd files kept in ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** ejabberdctl register and add_rosteritem (both directions: subscription "both"), in one ctl VM. */
async function registerAccounts(
  ctl: (...commands: string[][]) => Promise<string>, domain: string, accounts: Record<string, string>, rosters: Array<[string, string]>,
): Promise<void> {
  const commands = Object.entries(accounts).map(([user, password]) => ["register", user, domain, password]);
  for (const [a, b] of rosters) {
    commands.push(["add_rosteritem", a, domain, b, domain, b, "", "both"], ["add_rosteritem", b, domain, a, domain, a, "", "both"]);
  }
  if (commands.length > 0) await ctl(...commands);
}
