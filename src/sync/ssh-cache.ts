/**
 * Warm ssh connections for the fetch that follows an announcement (issue
 * 11): git-annex's assistant keeps one ssh connection per remote open, a
 * plain `git fetch` opens a new one each time and pays the handshake (about
 * 270 ms on loopback). The agent's fetches run ssh with ControlMaster=auto
 * and a ControlPersist, so the first fetch leaves a master behind and the
 * next ones reuse it (ssh_config(5), ControlMaster / ControlPath /
 * ControlPersist).
 *
 * The sockets are not under `.git/annex/ssh/`: every git-annex command ends
 * by stopping the masters there that no git-annex process has locked
 * (Annex/Ssh.hs, sshCleanup), so our push-back (`git annex sync`) would
 * close them again. They live in one per-user directory (statePaths
 * `sshSockets`), named by ssh's %C (a hash of local host, remote host, port
 * and user), so the repositories of one hub share one connection.
 *
 * Only options are added: a user's GIT_SSH_COMMAND or core.sshCommand stays
 * the command (ssh takes the first value of an option, so their own
 * ControlPath wins), and a GIT_SSH program or a command that is not OpenSSH
 * (plink, a wrapper script under another name) is left alone.
 */
import { mkdir, readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { git, tool } from "../git/run.js";
import { statePaths } from "../state/paths.js";

/** How long an idle master stays; the assistant keeps its own for its whole life. */
export const CONTROL_PERSIST_SECONDS = 1800;

/**
 * sun_path is 108 bytes on Linux (104 on the BSDs); while binding, ssh
 * first creates "<ControlPath>.<16 random characters>".
 */
const MAX_CONTROL_PATH = 104 - 1 - 17;
const HASH_LENGTH = 40;

export interface SshCachingFacts {
  env: NodeJS.ProcessEnv;
  /** `git config core.sshCommand` of the repository, if set. */
  coreSshCommand: string | undefined;
  /** Where the sockets go (statePaths(env).sshSockets). */
  socketDir: string;
}

export type SshCaching = { cached: true; command: string } | { cached: false; reason: string };

const shellQuote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** The GIT_SSH_COMMAND that adds connection caching, or why there is none. */
export function sshCaching(facts: SshCachingFacts): SshCaching {
  const { env } = facts;
  if (!env.GIT_SSH_COMMAND && env.GIT_SSH) return { cached: false, reason: "GIT_SSH names the ssh program" };
  const base = (env.GIT_SSH_COMMAND || facts.coreSshCommand || "ssh").trim();
  const program = base.split(/\s+/)[0] ?? "";
  if (!/^ssh(\.exe)?$/.test(basename(program.replace(/^['"]|['"]$/g, "")))) return { cached: false, reason: `${program} is not OpenSSH's ssh` };
  const controlPath = join(facts.socketDir, "%C");
  if (controlPath.length - 2 + HASH_LENGTH > MAX_CONTROL_PATH) return { cached: false, reason: `${facts.socketDir} is too long for a unix socket path` };
  const options = ["-o", "ControlMaster=auto", "-o", `ControlPath=${controlPath}`, "-o", `ControlPersist=${CONTROL_PERSIST_SECONDS}`];
  return { cached: true, command: `${base} ${options.map(shellQuote).join(" ")}` };
}

/**
 * The environment for a fetch in `repo` with connection caching (empty when
 * there is none); the socket directory is made private first. Remotes that
 * do not use ssh never run it, so the variable costs them nothing.
 */
export async function sshCachingEnv(repo: string, env: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  const configured = await git(repo, ["config", "--get", "core.sshCommand"], { reject: false });
  const socketDir = statePaths(env).sshSockets;
  const caching = sshCaching({ env, coreSshCommand: configured.exitCode === 0 ? configured.stdout : undefined, socketDir });
  if (!caching.cached) return {};
  try {
    await mkdir(socketDir, { recursive: true, mode: 0o700 });
  } catch {
    return {};
  }
  return { GIT_SSH_COMMAND: caching.command };
}

/**
 * Stops the masters our fetches left (`ssh -O exit`), as git-annex stops
 * its own when a command ends: the agent calls it when it stops and no
 * other agent of the user runs, so no ssh process outlives it for the
 * ControlPersist time. The destination is a placeholder: with a literal
 * ControlPath, ssh only talks to the master behind it.
 */
export async function stopSshMasters(socketDir: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const sockets = await readdir(socketDir).catch(() => [] as string[]);
  await Promise.all(
    sockets.map((name) =>
      tool("ssh", socketDir, ["-o", `ControlPath=${join(socketDir, name)}`, "-O", "exit", "git-annex-xmpp-master"], {
        reject: false,
        timeoutMs: 5000,
        ...(env ? { env } : {}),
      }).catch(() => undefined),
    ),
  );
}
