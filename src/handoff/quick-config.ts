/**
 * The account a hook's notify would log in as, found without cosmiconfig
 * (which the hand-off fast path must not load): the same search places and
 * precedence as config/load.ts, but only for files that are plain JSON.
 * Whenever it cannot be sure (a YAML or JavaScript file, an unusual
 * repository layout, any error), it answers undefined and the full path,
 * which loads the configuration properly, takes over. Synchronous file
 * system calls on purpose: a hook's short-lived process waits for each
 * one anyway, and a dozen thread-pool round trips cost more than the reads.
 */
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { GIT_DIR_PLACES, MODULE, REPO_PLACES, USER_PLACES, userConfigDir } from "../config/places.js";
import { environmentLayers, parseConfig, type Config, type ConfigLayer } from "../config/schema.js";

class Unsure extends Error {}

export interface QuickConfigOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  repoArg: string | undefined;
  configArg: string | undefined;
  overrides: Partial<Config>;
}

export async function quickConfig(options: QuickConfigOptions): Promise<Config | undefined> {
  try {
    const found: ConfigLayer[] = [];
    if (options.configArg) {
      const path = resolve(options.cwd, options.configArg);
      const values = readJsonPlace(path);
      if (values === undefined) throw new Unsure();
      found.push({ source: path, values });
    } else {
      const user = searchJson(userConfigDir(options.env), USER_PLACES);
      if (user) found.push(user);
      const repo = locateRepo(resolve(options.cwd, options.repoArg ?? "."));
      // A work tree's files arrive by pull: load.ts ignores them (and says so).
      if (!repo.workTree) {
        const inRepo = searchJson(repo.top, REPO_PLACES);
        if (inRepo) found.push(inRepo);
      } else {
        const private_ = searchJson(repo.gitDir, GIT_DIR_PLACES);
        if (private_) found.push(private_);
      }
    }
    for (const layer of found) {
      // load.ts refuses a password in a file others can read: let it say so.
      if (typeof layer.values === "object" && layer.values && "password" in layer.values) {
        if ((statSync(layer.source).mode & 0o077) !== 0) throw new Unsure();
      }
    }
    const overrides = Object.fromEntries(Object.entries(options.overrides).filter(([, v]) => v !== undefined));
    return parseConfig([...found, ...environmentLayers(options.env), { source: "command line", values: overrides }]);
  } catch {
    return undefined;
  }
}

/** cosmiconfig's search in one directory: the first place that exists and is not empty wins. */
function searchJson(dir: string, places: readonly string[]): ConfigLayer | undefined {
  for (const place of places) {
    const path = join(dir, place);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") continue;
      throw new Unsure();
    }
    if (place === "package.json") {
      const pkg = parseJson(text) as Record<string, unknown> | undefined;
      if (!pkg || typeof pkg !== "object") throw new Unsure();
      if (pkg[MODULE] === undefined) continue;
      return { source: path, values: pkg[MODULE] as Record<string, unknown> };
    }
    if (text.trim() === "") continue;
    const ext = extname(place);
    // Extensionless files are YAML to cosmiconfig; JSON is YAML too, so JSON text reads the same.
    if (ext !== ".json" && ext !== "") throw new Unsure();
    const values = parseJson(text);
    if (values === undefined) throw new Unsure();
    return { source: path, values: values as Record<string, unknown> };
  }
  return undefined;
}

function readJsonPlace(path: string): Record<string, unknown> | undefined {
  const ext = extname(path);
  if (ext !== ".json" && ext !== "") return undefined;
  return parseJson(readFileSync(path, "utf8")) as Record<string, unknown> | undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface RepoLayout {
  top: string;
  gitDir: string;
  workTree: boolean;
}

/** What git-annex-xmpp's resolveRepo would find, for the common layouts only. */
function locateRepo(dir: string): RepoLayout {
  const isDir = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  if (isDir(join(dir, ".git"))) return { top: dir, gitDir: join(dir, ".git"), workTree: true };
  const looksLikeGitDir = isDir(join(dir, "objects")) && statSync(join(dir, "HEAD"), { throwIfNoEntry: false }) !== undefined;
  if (!looksLikeGitDir) throw new Unsure();
  if (basename(dir) === ".git") return { top: dirname(dir), gitDir: dir, workTree: true };
  let config = "";
  try {
    config = readFileSync(join(dir, "config"), "utf8");
  } catch {
    // no config file: not a bare repository we know
  }
  if (/^\s*bare\s*=\s*true\s*$/im.test(config)) return { top: dir, gitDir: dir, workTree: false };
  throw new Unsure();
}
