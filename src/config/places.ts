/**
 * Where configuration and per-user state live. Kept apart from load.ts
 * (which pulls in cosmiconfig) so that notify's hand-off fast path can find
 * the configuration and the daemon's socket without loading it.
 */
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

export const MODULE = "git-annex-xmpp";

/**
 * In a repository: data formats only. A JavaScript config in a work tree
 * would be code that anyone who can push to the hub gets run on every clone.
 */
export const REPO_PLACES = [
  "package.json",
  `.${MODULE}rc`,
  `.${MODULE}rc.json`,
  `.${MODULE}rc.yaml`,
  `.${MODULE}rc.yml`,
  `${MODULE}.config.json`,
  `${MODULE}.config.yaml`,
  `${MODULE}.config.yml`,
];

/** Inside a non-bare repository's .git directory: private to this clone, never pulled. */
export const GIT_DIR_PLACES = [`${MODULE}.config.json`, `${MODULE}.config.yaml`, `${MODULE}.config.yml`];

export const USER_PLACES = ["config", "config.json", "config.yaml", "config.yml", "config.js", "config.mjs", "config.cjs"];

export function userConfigDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), ".config");
  return join(base, MODULE);
}

/** Per-user state (spool, caches, sockets): $XDG_STATE_HOME/git-annex-xmpp. */
export function userStateDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(env.HOME ?? homedir(), ".local", "state");
  return join(base, MODULE);
}
