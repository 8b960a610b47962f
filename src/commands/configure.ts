/**
 * `configure`: write the configuration file that git-annex-xmpp reads, so
 * that nobody has to learn where it lives or which keys exist (see
 * configure-target.ts for which file). Values are checked as the loader
 * checks them before anything is written; keys not named are kept; the
 * password goes to a 0600 credentials file, never into the configuration
 * or on a command line. With `--check` the login is tried with the new
 * values first, and nothing is written when it fails. On a terminal with
 * nothing to change it asks (configure-guided.ts); elsewhere it prints the
 * file and the effective configuration.
 */
import path from "node:path";
import { resolveCredentials, userStateDir, type Credentials, type LoadedConfig } from "../config/load.js";
import { parseConfig, type Config } from "../config/schema.js";
import { AppError, UsageError } from "../errors.js";
import { createSession } from "../services/connect.js";
import { writeFileAtomic } from "../state/atomic-write.js";
import { askGuided, askPassword } from "./configure-guided.js";
import { effectiveConfig, readValues, refuseShadowed, targetFor, type Target } from "./configure-target.js";
import type { CommandContext } from "./context.js";

export interface ConfigureArgs {
  repo?: string;
  scope: "user" | "repo";
  /** Keys to set: the values as a file would hold them. */
  set: Record<string, unknown>;
  unset: string[];
  /** The password, read from stdin by the caller. */
  password?: string;
  /** --password-stdin on a terminal: ask for it (hidden) instead. */
  askPassword?: boolean;
  check: boolean;
  /** Print the configuration; never ask. */
  show?: boolean;
}

/** The login check failed; nothing was written. */
export class CheckFailedError extends AppError {
  constructor(cause: AppError) {
    super(cause.code, `${cause.message}; nothing was saved`, { exitCode: cause.exitCode, cause, ...(cause.hint ? { hint: cause.hint } : {}) });
  }
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

const changes = (args: ConfigureArgs) => Object.keys(args.set).length > 0 || args.unset.length > 0 || args.password !== undefined;

export async function run(ctx: CommandContext, args: ConfigureArgs): Promise<void> {
  if ("password" in args.set) {
    throw new UsageError("the password is not set with --set", "pipe it to --password-stdin; it goes to a credentials file (0600)");
  }
  const target = await targetFor(ctx, args.scope, args.repo);
  if (args.askPassword) {
    if (!ctx.prompt) throw new UsageError("--password-stdin: nothing on stdin");
    const jid = typeof args.set.jid === "string" ? args.set.jid : (await effectiveConfig(ctx, args.repo)).config.jid;
    args = { ...args, password: await askPassword(ctx.prompt, jid) };
  }
  if (!changes(args) && ctx.prompt && !args.show && !args.check) {
    await refuseShadowed(target);
    const current = await effectiveConfig(ctx, args.repo);
    return askGuided(ctx, ctx.prompt, { current, target }, (answers) => apply(ctx, { ...args, ...answers, check: true }, target));
  }
  if (changes(args)) return apply(ctx, args, target);
  await showEffective(ctx, args, target);
  if (args.check) await checkLogin(ctx, await effectiveConfig(ctx, args.repo));
}

/** Checks (with --check: logs in), then writes the password and the file. */
async function apply(ctx: CommandContext, args: ConfigureArgs, target: Target): Promise<void> {
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
  if (args.check) {
    const loaded = await effectiveConfig(ctx, args.repo, { file: target.file, values });
    await checkLogin(ctx, loaded, args.password).catch((error: unknown) => {
      throw error instanceof AppError ? new CheckFailedError(error) : error;
    });
  }
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
}

/** A password elsewhere (environment, another file) that still wins over the one just written. */
async function warnIfOverridden(ctx: CommandContext, args: ConfigureArgs, written: string): Promise<void> {
  const loaded = await effectiveConfig(ctx, args.repo);
  const credentials = await resolveCredentials(loaded.config, loaded.userDir, undefined, loaded.sources).catch(() => undefined);
  if (credentials && credentials.source !== written) {
    ctx.log.warn(`the password just written is not the one used: ${credentials.source} takes precedence (files read: ${loaded.files.join(", ") || "none"})`);
  }
}

async function showEffective(ctx: CommandContext, args: ConfigureArgs, target: Target): Promise<void> {
  const loaded = await effectiveConfig(ctx, args.repo);
  ctx.out(`this command writes: ${target.file}`);
  ctx.out(`files read: ${loaded.files.join(", ") || "none"}`);
  for (const [key, value] of Object.entries(loaded.config) as Array<[keyof Config, unknown]>) {
    if (value === undefined) continue;
    ctx.out(`  ${key}: ${key === "password" ? "(set)" : JSON.stringify(value)} (${loaded.sources[key] ? `from ${loaded.sources[key]}` : "default"})`);
  }
}

/**
 * Logs in with `loaded` and pings. A password just given is used unless
 * another layer's wins (then that one is what notify and listen will use).
 */
async function checkLogin(ctx: CommandContext, loaded: LoadedConfig, given?: string): Promise<void> {
  const { config } = loaded;
  const credentials: Credentials =
    given !== undefined && config.password === undefined && config.jid !== undefined
      ? { jid: config.jid, password: given, source: "the password given" }
      : await resolveCredentials(config, loaded.userDir, userStateDir(ctx.env), loaded.sources);
  const started = Date.now();
  const session = await createSession(config, credentials, ctx.log, "configure");
  const jid = await session.start();
  try {
    await session.ping(config.timeoutMs);
  } finally {
    await session.stop();
  }
  ctx.out(`logged in as ${jid} in ${Date.now() - started} ms`);
}
