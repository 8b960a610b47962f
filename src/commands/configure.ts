/**
 * `configure`: write the configuration file that git-annex-xmpp reads, so
 * that nobody has to learn where it lives or which keys exist: the user's
 * ($XDG_CONFIG_HOME/git-annex-xmpp/config.json), or with `--scope repo`
 * the repository's private one (a bare hub's git-annex-xmpp.config.json,
 * a clone's .git/git-annex-xmpp.config.json; never a work tree). Values
 * are checked as the loader checks them before anything is written; keys
 * not named are kept; the password goes to a 0600 credentials file, never
 * into the configuration or on a command line. `--check` then logs in.
 * Without changes it prints the file and the effective configuration.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadConfig, resolveCredentials, userConfigDir, userStateDir } from "../config/load.js";
import { GIT_DIR_PLACES, MODULE, REPO_PLACES, USER_PLACES } from "../config/places.js";
import { parseConfig, type Config } from "../config/schema.js";
import { ConfigError, NotAnnexRepoError, UsageError } from "../errors.js";
import { resolveRepo } from "../git/repo.js";
import { createSession } from "../services/connect.js";
import { writeFileAtomic } from "../state/atomic-write.js";
import { repoAndConfig } from "./common.js";
import type { CommandContext } from "./context.js";

export interface ConfigureArgs {
  repo?: string;
  scope: "user" | "repo";
  /** Keys to set: the values as a file would hold them. */
  set: Record<string, unknown>;
  unset: string[];
  /** The password, read from stdin by the caller. */
  password?: string;
  check: boolean;
}

/** `--set key=value`: the value as JSON when it parses (numbers, booleans, lists), else the text itself. */
export function parseAssignment(text: string): [string, unknown] {
  const at = text.indexOf("=");
  if (at <= 0) throw new UsageError(`--set needs KEY=VALUE, got ${JSON.stringify(text)}`);
  const raw = text.slice(at + 1);
  try {
    return [text.slice(0, at), JSON.parse(raw)];
  } catch {
    return [text.slice(0, at), raw];
  }
}

interface Target {
  file: string;
  /** The search places of the file's directory, in the loader's order. */
  places: readonly string[];
  /** Where a password given here is kept. */
  credentials: string;
}

export async function run(ctx: CommandContext, args: ConfigureArgs): Promise<void> {
  if ("password" in args.set) {
    throw new UsageError("the password is not set with --set", "pipe it to --password-stdin; it goes to a credentials file (0600)");
  }
  const target = await targetFor(ctx, args);
  const changing = Object.keys(args.set).length > 0 || args.unset.length > 0 || args.password !== undefined;
  if (changing) {
    await refuseShadowed(target);
    const values = await readValues(target.file);
    for (const key of args.unset) delete values[key];
    Object.assign(values, args.set);
    let credentials = target.credentials;
    if (args.password !== undefined) {
      // A password in the file would win over the credentials file (load.ts).
      delete values.password;
      // A credentials file the configuration names is where the password goes;
      // else the default one, named (relatively) unless the loader finds it anyway.
      const named = typeof values.credentialsFile === "string" ? values.credentialsFile : undefined;
      if (named !== undefined) credentials = path.resolve(path.dirname(target.file), named);
      else if (args.scope === "repo") values.credentialsFile = path.basename(target.credentials);
    }
    // Checked as the loader will check it, before anything is written.
    parseConfig([{ source: target.file, values }]);
    if (args.password !== undefined) {
      await writeFileAtomic(credentials, `${args.password}\n`, { mode: 0o600, dirMode: 0o700 });
      ctx.out(`wrote the password to ${credentials} (mode 0600)`);
    }
    // Private when it holds a password (load.ts insists); else readable as the
    // directory allows, e.g. by the other pushers of a group-shared hub.
    await writeFileAtomic(target.file, `${JSON.stringify(values, null, 2)}\n`, { mode: "password" in values ? 0o600 : 0o644, dirMode: 0o700 });
    const shown = Object.entries(values).map(([k, v]) => `${k}=${k === "password" ? "(set)" : JSON.stringify(v)}`);
    ctx.out(`wrote ${target.file}: ${shown.join(", ") || "(empty)"}`);
    if (args.password !== undefined) await warnIfOverridden(ctx, args, credentials);
  } else {
    await showEffective(ctx, args, target);
  }
  if (args.check) await checkLogin(ctx, args);
}

/** A password elsewhere (environment, another file) that still wins over the one just written. */
async function warnIfOverridden(ctx: CommandContext, args: ConfigureArgs, written: string): Promise<void> {
  const loaded = await effectiveConfig(ctx, args);
  const credentials = await resolveCredentials(loaded.config, loaded.userDir).catch(() => undefined);
  if (credentials && credentials.source !== written) {
    const where = credentials.source === "configuration" ? "`password` in the environment (GIT_ANNEX_XMPP_PASSWORD) or another configuration file" : credentials.source;
    ctx.log.warn(`the password just written is not the one used: ${where} takes precedence (files read: ${loaded.files.join(", ") || "none"})`);
  }
}

async function targetFor(ctx: CommandContext, args: ConfigureArgs): Promise<Target> {
  if (args.scope === "user") {
    const dir = userConfigDir(ctx.env);
    return { file: path.join(dir, "config.json"), places: USER_PLACES, credentials: path.join(dir, "credentials") };
  }
  const repo = await resolveRepo(path.resolve(ctx.cwd, args.repo ?? "."));
  const dir = repo.bare ? repo.dir : repo.gitDir;
  return {
    file: path.join(dir, `${MODULE}.config.json`),
    places: repo.bare ? REPO_PLACES : GIT_DIR_PLACES,
    credentials: path.join(dir, `${MODULE}.credentials`),
  };
}

/**
 * The loader reads one file a directory: the first place that exists and is
 * not empty (package.json only with our key). Another file there is either
 * the one that counts (what we write would not) or one our file would
 * silently switch off: either way, refuse and name it.
 */
async function refuseShadowed(target: Target): Promise<void> {
  const dir = path.dirname(target.file);
  for (const place of target.places) {
    const file = path.join(dir, place);
    if (file === target.file) continue;
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text === undefined || text.trim() === "") continue;
    if (place === "package.json" && !text.includes(`"${MODULE}"`)) continue;
    throw new ConfigError(`${file} already configures git-annex-xmpp there, and only one file a directory is read`, {
      hint: `edit ${file} by hand, or move its settings to ${target.file} and remove it`,
    });
  }
}

async function readValues(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (text.trim() === "") return {};
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON (${(error as Error).message}); nothing was changed`, { hint: "fix or remove it" });
  }
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new ConfigError(`${file} must hold an object of keys; nothing was changed`);
  }
  return values as Record<string, unknown>;
}

async function showEffective(ctx: CommandContext, args: ConfigureArgs, target: Target): Promise<void> {
  const loaded = await effectiveConfig(ctx, args);
  ctx.out(`this command writes: ${target.file}`);
  ctx.out(`files read: ${loaded.files.join(", ") || "none"}`);
  for (const [key, value] of Object.entries(loaded.config) as Array<[keyof Config, unknown]>) {
    if (value === undefined) continue;
    ctx.out(`  ${key}: ${key === "password" ? "(set)" : JSON.stringify(value)}`);
  }
}

/** The configuration notify and listen would use here: the repository's when there is one, else the user's alone. */
async function effectiveConfig(ctx: CommandContext, args: ConfigureArgs) {
  // Outside a repository only the user's file (and the environment) apply; a
  // broken repository configuration is an error here as it is for notify.
  const inRepo = await repoAndConfig(ctx, args.repo).catch((error: unknown) => {
    if (error instanceof NotAnnexRepoError && args.repo === undefined) return undefined;
    throw error;
  });
  if (inRepo) return inRepo.loaded;
  return loadConfig({ env: ctx.env, ...(ctx.configPath ? { explicitFile: path.resolve(ctx.cwd, ctx.configPath) } : {}) });
}

async function checkLogin(ctx: CommandContext, args: ConfigureArgs): Promise<void> {
  const loaded = await effectiveConfig(ctx, args);
  const credentials = await resolveCredentials(loaded.config, loaded.userDir, userStateDir(ctx.env));
  const started = Date.now();
  const session = await createSession(loaded.config, credentials, ctx.log, "configure");
  const jid = await session.start();
  try {
    await session.ping(loaded.config.timeoutMs);
  } finally {
    await session.stop();
  }
  ctx.out(`logged in as ${jid} in ${Date.now() - started} ms`);
}
