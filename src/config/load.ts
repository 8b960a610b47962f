/**
 * Finds and reads the configuration: the repository's own file (searched in
 * the repository's top directory only), then the user's
 * ($XDG_CONFIG_HOME/git-annex-xmpp/), then the environment, then flags.
 * Later layers win. Explicit searchPlaces and stopDir (as np does): nothing
 * is picked up from parent directories by accident.
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { cosmiconfig, defaultLoaders } from "cosmiconfig";
import { ConfigError } from "../errors.js";
import { GIT_DIR_PLACES, MODULE, REPO_PLACES, USER_PLACES, userConfigDir } from "./places.js";
import { hasCachedScramKeys, scramCachePath } from "../state/scram-cache.js";
import { environmentLayers, jidDomain, parseConfigWithSources, type Config, type ConfigLayer, type ConfigSources } from "./schema.js";

export { userConfigDir, userStateDir } from "./places.js";

export interface LoadedConfig {
  config: Config;
  /** Files read, lowest precedence first. */
  files: string[];
  /**
   * Configuration files found in a work tree and not read: a work tree's
   * files arrive with every pull, from anyone who can push to the hub, so
   * none of them decides anything (issue 8: a pulled `jid` redirected the
   * login and sent the password to another server).
   */
  ignored: string[];
  /** Directory the user-level configuration lives in. */
  userDir: string;
  /** Where each value came from: a file, "environment variable GIT_ANNEX_XMPP_…", "command line"; absent: the default. */
  sources: ConfigSources;
}

export interface LoadOptions {
  env: NodeJS.ProcessEnv;
  /** Repository top directory (or bare git dir) to search first. */
  repoDir?: string;
  /** Whether repoDir is a work tree (its configuration files are then ignored). */
  repoHasWorkTree?: boolean;
  /** The git directory of a non-bare repository, searched after its work tree. */
  gitDir?: string;
  /** --config FILE: read only this file (plus environment and flags). */
  explicitFile?: string;
  /** Highest-precedence values (command-line flags). */
  overrides?: Partial<Config>;
  /**
   * Read `values` as the content of `file` (one of the searched places),
   * not what is on disk: the configuration as it will be once configure
   * has written it, so that its login check runs before anything is saved.
   */
  pending?: { file: string; values: Record<string, unknown> };
}

// cosmiconfig's own loaders: a file without extension (`.git-annex-xmpprc`,
// `config`) is read as YAML, which also reads JSON. A JSON file first goes
// through JSON.parse, as parse-json (cosmiconfig's) does itself: loading
// parse-json costs about 15 ms, and the hook's sender reads a config.json
// on every run (issue 11). What JSON.parse refuses still gets parse-json's
// report, as before.
const loaders = {
  ...defaultLoaders,
  ".json": (filepath: string, content: string): unknown => {
    try {
      return JSON.parse(content);
    } catch {
      return defaultLoaders[".json"](filepath, content);
    }
  },
};

/**
 * Why a configuration file could not be read, without quoting it: the
 * parsers' messages show the lines around a syntax error (parse-json's code
 * frame, V8's "while parsing '…'", js-yaml's snippet), and those lines may
 * hold the password. Only the position is kept.
 */
function unreadable(what: string, error: unknown): ConfigError {
  const errno = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message ?? String(error);
  if (typeof errno === "string" && /^E[A-Z]+$/.test(errno)) return new ConfigError(`cannot read ${what}: ${message}`);
  const file = /(?:JSON|YAML) Error in (\S+?):/.exec(message)?.[1];
  const json = /at position (\d+)/.exec(message);
  const yaml = /\((\d+):(\d+)\)/.exec(message);
  const where = json ? ` at character ${json[1]}` : yaml ? ` at line ${yaml[1]}, column ${yaml[2]}` : "";
  const kind = /JSON/.test(message) ? "JSON" : /YAML/.test(message) ? "YAML" : "JSON or YAML";
  return new ConfigError(`cannot read ${what}: ${file ? `${file} is` : "a file is"} not valid ${kind}${where}`);
}

/**
 * One explorer per list of places, made once: cosmiconfig() itself searches
 * the working directory for a meta configuration each time it is called,
 * synchronously, a few ms that the hook's sender paid twice per run.
 * Without a cache, each search still reads the files anew.
 */
const explorers = new Map<readonly string[], ReturnType<typeof cosmiconfig>>();

function explorerFor(places: readonly string[]): ReturnType<typeof cosmiconfig> {
  let explorer = explorers.get(places);
  if (!explorer) {
    // "none": this directory only, never its parents.
    explorer = explorerWithoutMetaConfig({ searchPlaces: [...places], searchStrategy: "none", loaders, cache: false });
    explorers.set(places, explorer);
  }
  return explorer;
}

/**
 * cosmiconfig() first reads a "meta configuration" from the process's
 * working directory (package.json's "cosmiconfig" key, .config/config.json,
 * .yaml, .js, .ts, …: cosmiconfig 9, index.js getUserDefinedOptionsFromMetaConfig):
 * it can add search places, and a .js or .ts one runs. In a work tree that
 * is a file anyone who can push to the hub put there, so every explorer is
 * made with "/" (writable by root only) as the working directory, which is
 * restored at once: the call is synchronous, nothing else runs meanwhile.
 */
function explorerWithoutMetaConfig(options: Parameters<typeof cosmiconfig>[1]): ReturnType<typeof cosmiconfig> {
  let previous: string | undefined;
  try {
    previous = process.cwd();
  } catch {
    // The working directory was deleted: there is nothing to read there, nor to go back to.
  }
  process.chdir("/");
  try {
    return cosmiconfig(MODULE, options);
  } finally {
    if (previous !== undefined) process.chdir(previous);
  }
}

async function searchDir(dir: string, places: readonly string[]): Promise<{ filepath: string; config: unknown } | null> {
  const explorer = explorerFor(places);
  try {
    return await explorer.search(dir);
  } catch (error) {
    throw unreadable(`configuration in ${dir}`, error);
  }
}

async function loadFile(path: string): Promise<{ filepath: string; config: unknown }> {
  const explorer = explorerWithoutMetaConfig({ loaders, cache: false });
  try {
    const result = await explorer.load(path);
    if (!result) throw new Error("empty file");
    return result;
  } catch (error) {
    if ((error as Error).message === "empty file") throw new ConfigError(`cannot read configuration file ${path}: empty file`);
    throw unreadable(`configuration file ${path}`, error);
  }
}

/** Refuse secrets in files that others can read (as ssh does for keys). */
export async function assertPrivateFile(path: string, what: string): Promise<void> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw new ConfigError(`${what} ${path} is readable by others (mode ${(info.mode & 0o777).toString(8).padStart(4, "0")})`, {
      key: what === "credentials file" ? "credentialsFile" : "password",
      hint: `run: chmod 600 ${path}`,
    });
  }
}

function asLayer(found: { filepath: string; config: unknown }): ConfigLayer {
  return { source: found.filepath, values: (found.config ?? {}) as Record<string, unknown> };
}

/** Whether a search place holds a configuration (a package.json only with our key). */
function isConfigFile(path: string): boolean {
  if (!existsSync(path)) return false;
  if (basename(path) !== "package.json") return true;
  try {
    return MODULE in (JSON.parse(readFileSync(path, "utf8")) as object);
  } catch {
    return false;
  }
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const userDir = userConfigDir(options.env);
  const { pending } = options;
  // configure writes only where no other place of the directory holds a file.
  const search = (dir: string, places: readonly string[]) =>
    pending && dirname(pending.file) === resolve(dir) ? Promise.resolve({ filepath: pending.file, config: { ...pending.values } }) : searchDir(dir, places);
  const found: ConfigLayer[] = [];
  const ignored: string[] = [];
  if (options.explicitFile) {
    const path = resolve(options.explicitFile);
    found.push(asLayer(await loadFile(path)));
  } else {
    const user = await search(userDir, USER_PLACES);
    if (user) found.push(asLayer(user));
    if (options.repoDir && (options.repoHasWorkTree ?? true)) {
      // Not even parsed: a malformed pulled file must not stop the agent either.
      ignored.push(...REPO_PLACES.map((place) => join(options.repoDir!, place)).filter(isConfigFile));
    } else if (options.repoDir) {
      const repo = await search(options.repoDir, REPO_PLACES);
      if (repo) found.push(asLayer(repo));
    }
    if (options.gitDir && options.repoHasWorkTree) {
      const private_ = await search(options.gitDir, GIT_DIR_PLACES);
      if (private_) found.push(asLayer(private_));
    }
  }
  for (const layer of found) {
    // A file holding a string or number: parseConfig reports it, naming the file.
    if (typeof layer.values !== "object" || layer.values === null) continue;
    // configure writes a file with a password 0600.
    if ("password" in layer.values && layer.source !== pending?.file) await assertPrivateFile(layer.source, "configuration file with a password");
    // A relative credentials path is relative to the file that names it.
    const creds = layer.values.credentialsFile;
    if (typeof creds === "string" && !isAbsolute(creds)) layer.values.credentialsFile = resolve(dirname(layer.source), creds);
  }
  const layers = [...found, ...environmentLayers(options.env)];
  if (options.overrides) {
    const values = Object.fromEntries(Object.entries(options.overrides).filter(([, v]) => v !== undefined));
    layers.push({ source: "command line", values });
  }
  const { config, sources } = parseConfigWithSources(layers);
  return { config, sources, files: found.map((l) => l.source), ignored, userDir };
}

/** One line for each work-tree configuration file that was not read. */
export function ignoredFileWarnings(loaded: LoadedConfig, gitDir: string | undefined): string[] {
  const target = gitDir ? join(gitDir, `${MODULE}.config.json`) : join(loaded.userDir, "config.json");
  return loaded.ignored.map(
    (file) => `${file} is ignored: a work tree's files arrive with every pull, so they configure nothing; put this clone's settings in ${target}`,
  );
}

export interface Credentials {
  jid: string;
  /**
   * Undefined on the password-less path: no password anywhere, but the
   * SCRAM key cache (`scramCache`) holds a salted key for this account.
   */
  password: string | undefined;
  /** Where the password came from, for doctor/status (never the password). */
  source: string;
  /** File of cached salted SCRAM keys, when the caller gave a state directory. */
  scramCache?: string;
}

/**
 * The password for the configured JID: from the configuration (environment
 * or a private file), else the credentials file, else
 * <userDir>/credentials if it exists.
 */
export async function resolveCredentials(config: Config, userDir: string, stateDir?: string, sources: ConfigSources = {}): Promise<Credentials> {
  const found = await findPassword(config, userDir, stateDir, sources.password ?? "configuration");
  return stateDir === undefined ? found : { ...found, scramCache: scramCachePath(stateDir) };
}

/**
 * The password-less path (issue 4): with no password configured but a
 * salted SCRAM key cached by an earlier login (in <stateDir>/scram-keys.json,
 * mode 0600), the account logs in with that key. A host can then drop its
 * plaintext password after the first login; the key stops working when the
 * server's salt or iteration count changes, i.e. on a password change.
 */
async function passwordless(jid: string, stateDir: string | undefined): Promise<Credentials | undefined> {
  if (stateDir === undefined) return undefined;
  const path = scramCachePath(stateDir);
  if (!(await hasCachedScramKeys(path, { domain: jidDomain(jid), jid }))) return undefined;
  return { jid, password: undefined, source: `cached SCRAM key in ${path}` };
}

async function findPassword(config: Config, userDir: string, stateDir: string | undefined, passwordSource: string): Promise<Credentials> {
  if (!config.jid) {
    throw new ConfigError("no XMPP account configured (`jid`)", {
      key: "jid",
      hint: "set `jid` in ~/.config/git-annex-xmpp/config.json or GIT_ANNEX_XMPP_JID (git-annex-xmpp configure writes it)",
    });
  }
  if (config.password) return { jid: config.jid, password: config.password, source: passwordSource };
  const candidates = config.credentialsFile ? [config.credentialsFile] : [join(userDir, "credentials")];
  for (const path of candidates) {
    let text: string;
    try {
      await assertPrivateFile(path, "credentials file");
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        const cached = await passwordless(config.jid, stateDir);
        if (cached) return cached;
        if (config.credentialsFile) throw new ConfigError(`credentials file ${path} does not exist`, { key: "credentialsFile" });
        continue;
      }
      throw error;
    }
    const password = text.split(/\r?\n/)[0] ?? "";
    if (password === "") throw new ConfigError(`credentials file ${path} is empty`, { key: "credentialsFile" });
    return { jid: config.jid, password, source: path };
  }
  const cached = await passwordless(config.jid, stateDir);
  if (cached) return cached;
  throw new ConfigError(`no password for ${config.jid}`, {
    key: "password",
    hint: `write it to ${candidates[0]} (mode 0600), or set GIT_ANNEX_XMPP_PASSWORD`,
  });
}
