/**
 * Which file `configure` writes, and what it holds now: the user's
 * ($XDG_CONFIG_HOME/git-annex-xmpp/config.json), or with `--scope repo`
 * the repository's private one (a bare hub's git-annex-xmpp.config.json,
 * a clone's .git/git-annex-xmpp.config.json; never a work tree).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadConfig, userConfigDir, type LoadedConfig } from "../config/load.js";
import { GIT_DIR_PLACES, MODULE, REPO_PLACES, USER_PLACES } from "../config/places.js";
import { ConfigError, NotAnnexRepoError } from "../errors.js";
import { resolveRepo } from "../git/repo.js";
import { repoAndConfig } from "./common.js";
import type { CommandContext } from "./context.js";

export interface Target {
  file: string;
  /** The search places of the file's directory, in the loader's order. */
  places: readonly string[];
  /** Where a password given here is kept. */
  credentials: string;
}

export async function targetFor(ctx: CommandContext, scope: "user" | "repo", repoArg: string | undefined): Promise<Target> {
  if (scope === "user") {
    const dir = userConfigDir(ctx.env);
    return { file: path.join(dir, "config.json"), places: USER_PLACES, credentials: path.join(dir, "credentials") };
  }
  const repo = await resolveRepo(path.resolve(ctx.cwd, repoArg ?? "."));
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
export async function refuseShadowed(target: Target): Promise<void> {
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

export async function readValues(file: string): Promise<Record<string, unknown>> {
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

/**
 * The configuration notify and listen would use here: the repository's when
 * there is one, else the user's alone; with `pending`, as it will be once
 * that file holds those values.
 */
export async function effectiveConfig(
  ctx: CommandContext,
  repoArg: string | undefined,
  pending?: { file: string; values: Record<string, unknown> },
): Promise<LoadedConfig> {
  // Outside a repository only the user's file (and the environment) apply; a
  // broken repository configuration is an error here as it is for notify.
  const inRepo = await repoAndConfig(ctx, repoArg, {}, pending).catch((error: unknown) => {
    if (error instanceof NotAnnexRepoError && repoArg === undefined) return undefined;
    throw error;
  });
  if (inRepo) return inRepo.loaded;
  return loadConfig({
    env: ctx.env,
    ...(ctx.configPath ? { explicitFile: path.resolve(ctx.cwd, ctx.configPath) } : {}),
    ...(pending ? { pending } : {}),
  });
}
