/**
 * The whole loop as the integration tests set it up: a private prosody (or
 * ejabberd, through `startServer`), a throwaway home with the user config
 * (server, port, CA), a bare hub and clones made by git-annex with a first
 * annexed commit synced to each, the hub's account, and a `listen` per
 * repository that the test stops after each case. Each test file passes
 * what differs (accounts, rosters, clones) and keeps its own cases and
 * assertions.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createAnnexSandbox, type AnnexSandbox } from "./annex.js";
import { runCli, startDaemon, type CliResult, type Daemon } from "./cli.js";
import { startProsody, type ProsodyServer } from "./prosody.js";
import { waitFor } from "./wait.js";
import type { StartXmppServer, XmppTestServer } from "./xmpp-server.js";

export interface LoopFixtureOptions<User extends string, Server extends XmppTestServer = ProsodyServer> {
  /** Account name → password. */
  accounts: Record<User, string>;
  rosters?: Array<[User, User]>;
  /** Clone directories under the sandbox root; each is `git annex init clone-<name>`. */
  clones: string[];
  /** The account whose credentials the hub's hook uses. */
  hubUser: User;
  /** The hub's repository config file: any name src/config/places.ts REPO_PLACES lists. */
  hubConfigFile?: string;
  /** Starts the XMPP server; startProsody unless told (e.g. startEjabberd). */
  startServer?: StartXmppServer<Server>;
}

export interface LoopFixture<User extends string, Server extends XmppTestServer = ProsodyServer> {
  server: Server;
  box: AnnexSandbox;
  hub: string;
  hubUuid: string;
  /** The clones' directories, in the order of options.clones. */
  clones: string[];
  /**
   * The hub's machine: its own state and config directories, so a push made
   * with it runs the hub's hook as on another machine, whose queue no agent
   * of the clones' machine ever sees.
   */
  hubMachineEnv: NodeJS.ProcessEnv;
  /**
   * Another machine: its own XDG_STATE_HOME and XDG_CONFIG_HOME (with the
   * user config naming the server, or `server` to point it elsewhere, e.g.
   * at a relay); HOME and the git identity stay the sandbox's.
   */
  machineEnv(name: string, server?: { host: string; port: number }): Promise<NodeJS.ProcessEnv>;
  /** A repository's private config for `user` (a bare hub's own directory, a clone's .git: never its work tree). */
  configure(repo: string, user: User, values?: Record<string, unknown>): Promise<void>;
  /** A credentials file (0600) for `user`, and the repository's config naming it. */
  useAccount(repo: string, user: User, extra?: Record<string, unknown>): Promise<void>;
  /** `install-hooks --repo HUB`, for the caller to assert on. */
  installHooks(): Promise<CliResult>;
  /** `listen --verbose --repo REPO`, stopped by stopDaemons. */
  listen(repo: string, env?: NodeJS.ProcessEnv): Daemon;
  /** Waits until `commit` is merged into `repo`'s checked-out branch: asserted through git itself. */
  merged(repo: string, commit: string, timeoutMs?: number): Promise<void>;
  stopDaemons(): Promise<void>;
  stop(): Promise<void>;
}

/** The repository configuration file that git-annex-xmpp reads for `repo`. */
function repoConfigFile(repo: string, hub: string, hubConfigFile: string): string {
  return repo === hub ? join(hub, hubConfigFile) : join(repo, ".git", "git-annex-xmpp.config.json");
}

export async function startLoopFixture<User extends string, Server extends XmppTestServer = ProsodyServer>(
  options: LoopFixtureOptions<User, Server>,
): Promise<LoopFixture<User, Server>> {
  const box = await createAnnexSandbox();
  // The default only fits the default type parameter: a caller naming another Server passes startServer.
  const startServer = options.startServer ?? (startProsody as unknown as StartXmppServer<Server>);
  let server: Server | undefined;
  try {
    server = await startServer({ accounts: options.accounts, rosters: options.rosters });
    return await assembleLoop(box, server, options);
  } catch (error) {
    await server?.stop();
    await box.cleanup();
    throw error;
  }
}

async function assembleLoop<User extends string, Server extends XmppTestServer>(
  box: AnnexSandbox, server: Server, options: LoopFixtureOptions<User, Server>,
): Promise<LoopFixture<User, Server>> {
  const { accounts, hubConfigFile = "git-annex-xmpp.config.json" } = options;
  // User-wide settings: where the server is, and the CA that signs its certificate.
  const writeUserConfig = async (configHome: string, to: { host: string; port: number }) => {
    const userDir = join(configHome, "git-annex-xmpp");
    await mkdir(userDir, { recursive: true });
    await writeFile(join(userDir, "config.json"), JSON.stringify({ server: to.host, port: to.port, ca: server.caFile }));
  };
  await writeUserConfig(join(box.home, ".config"), server);
  const machineEnv = async (name: string, to: { host: string; port: number } = server) => {
    const dir = join(box.root, "machines", name);
    await writeUserConfig(join(dir, "config"), to);
    return { ...box.env, XDG_STATE_HOME: join(dir, "state"), XDG_CONFIG_HOME: join(dir, "config") };
  };

  const hub = await box.makeHub(join(box.root, "hub.git"));
  const clones: string[] = [];
  for (const name of options.clones) clones.push(await box.cloneRepo(hub, join(box.root, name), `clone-${name}`));
  const hubUuid = await box.annexUuid(hub);
  // A first commit, so that every clone has a branch to sync.
  const [first] = clones;
  if (first !== undefined) await box.addAnnexedFile(first, "zero.txt", "zero\n");
  for (const repo of clones) await box.git(repo, ["annex", "sync", "--quiet"]);

  const daemons: Daemon[] = [];
  const configure = async (repo: string, user: User, values: Record<string, unknown> = {}) => {
    await writeFile(repoConfigFile(repo, hub, hubConfigFile), JSON.stringify({ jid: server.jid(user), ...values }));
  };
  const useAccount = async (repo: string, user: User, extra: Record<string, unknown> = {}) => {
    const creds = join(box.root, `${user}.credentials`);
    await writeFile(creds, `${accounts[user]}\n`, { mode: 0o600 });
    // writeFile's mode only applies to a new file, and through the umask.
    await chmod(creds, 0o600);
    await configure(repo, user, { credentialsFile: creds, ...extra });
  };
  await useAccount(hub, options.hubUser);

  return {
    server,
    box,
    hub,
    hubUuid,
    clones,
    hubMachineEnv: await machineEnv("hub"),
    machineEnv,
    configure,
    useAccount,
    installHooks: () => runCli(["install-hooks", "--repo", hub], { env: box.env }),
    listen(repo, env = box.env) {
      const daemon = startDaemon(["listen", "--verbose", "--repo", repo], { env });
      daemons.push(daemon);
      return daemon;
    },
    async merged(repo, commit, timeoutMs = 30_000) {
      await waitFor(async () => (await box.git(repo, ["merge-base", "--is-ancestor", commit, "HEAD"]).catch(() => undefined))?.exitCode === 0, {
        timeoutMs,
        what: `commit ${commit} merged in ${repo}`,
      });
    },
    async stopDaemons() {
      await Promise.all(daemons.splice(0).map((d) => d.stop()));
    },
    async stop() {
      await box.cleanup();
      await server.stop();
    },
  };
}

/** A git-annex push announcement as git-annex's own XMPP support sent it. */
export function pushPresenceXml(uuid: string): string {
  return `<presence><show>xa</show><priority>-1</priority><status>git-annex</status><git-annex xmlns='git-annex' push='${uuid}'/></presence>`;
}

/**
 * No sync running or pending in any of `daemons`: nothing logged for
 * `quietMs` (longer than the scheduler's settle time) and every started
 * sync ended.
 */
export async function waitForQuiet(daemons: Daemon[], { quietMs, timeoutMs }: { quietMs: number; timeoutMs: number }): Promise<void> {
  const seen = daemons.map(() => -1);
  let since = Date.now();
  await waitFor(
    () => {
      daemons.forEach((d, i) => {
        if (d.lines.length !== seen[i]) [seen[i], since] = [d.lines.length, Date.now()];
      });
      const busy = daemons.some((d) => d.count(/ sync started: /) > d.count(/ sync (finished|failed)/));
      return !busy && Date.now() - since >= quietMs;
    },
    { timeoutMs, intervalMs: 100, what: daemons.length === 1 ? "the listener to go quiet" : "every listener to go quiet" },
  );
}
