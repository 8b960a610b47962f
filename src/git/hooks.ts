/**
 * Installing and removing our block in the repository's hook files.
 *
 * - core.hooksPath is never changed (husky's mechanism would switch off
 *   git-annex's own hooks). We write where git runs hooks: `git rev-parse
 *   --git-path hooks` honours core.hooksPath. It is asked from inside the
 *   git directory because receive-pack runs the push hooks there, so a
 *   relative core.hooksPath means the same to us as to git. When
 *   core.hooksPath is set the result says so: git-annex writes its own hooks
 *   into $GIT_DIR/hooks regardless, where git then does not run them.
 * - Installing refuses a repository without annex.uuid. notify needs the
 *   UUID anyway, and in a non-bare repository a post-receive file created
 *   before `git annex init` would make git-annex skip writing its own (it
 *   never overwrites a hook file).
 * - Existing files are edited as text (hook-block.ts) and replaced
 *   atomically with the same mode and owner; new files get 0755. Files are
 *   read and written as latin1, a 1:1 byte mapping, so bytes that are not
 *   UTF-8 survive untouched. Symlinked hook files and hooks written in
 *   another language than sh are refused, not rewritten.
 */
import { chmod, chown, lstat, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../errors.js";
import { findHookBlock, insertHookBlock, removeHookBlock } from "./hook-block.js";
import { HOOK_NAMES, isShellHook, loadHookTemplate, renderNotifyBlock, type HookName } from "./hook-script.js";
import { requireAnnexUuid, type RepoInfo } from "./repo.js";
import { git } from "./run.js";

/**
 * install: created (new file), updated (block added to or changed in an
 * existing file), unchanged. uninstall: removed (block taken out; the file
 * too when only our block was in it), absent (no block there).
 */
export type HookAction = "created" | "updated" | "unchanged" | "removed" | "absent";

export interface HookFileResult {
  hook: HookName;
  path: string;
  action: HookAction;
  /** git only runs executable hook files; false also when the file is absent. */
  executable: boolean;
}

export interface HooksDirs {
  /** Where git runs push hooks from. */
  hooksDir: string;
  /** $GIT_COMMON_DIR/hooks, where git-annex writes its hooks whatever core.hooksPath says. */
  defaultHooksDir: string;
  /** core.hooksPath as configured, when it is. */
  coreHooksPath: string | undefined;
}

export interface HooksResult extends HooksDirs {
  files: HookFileResult[];
}

export async function resolveHooksDir(repo: RepoInfo): Promise<HooksDirs> {
  const paths = await git(repo.gitDir, ["rev-parse", "--git-path", "hooks", "--git-common-dir"]);
  const [hooks = "hooks", common = "."] = paths.stdout.split("\n");
  const configured = await git(repo.gitDir, ["config", "--path", "--get", "core.hooksPath"], { reject: false });
  return {
    hooksDir: path.resolve(repo.gitDir, hooks),
    defaultHooksDir: path.resolve(repo.gitDir, common, "hooks"),
    coreHooksPath: configured.exitCode === 0 && configured.stdout !== "" ? configured.stdout : undefined,
  };
}

/**
 * Bare hub or non-bare repository alike, pushes arrive through post-receive,
 * which unlike post-update also sees each ref's old and new SHA.
 */
export const DEFAULT_HOOKS: readonly HookName[] = ["post-receive"];

export interface InstallHooksOptions {
  /**
   * argv prefix that runs the CLI. The command passes the absolute node
   * binary and CLI script that are running now: hooks run with the pusher's
   * environment (an ssh login without the user's profile, a service), where
   * `git-annex-xmpp` or the right `node` is often not on PATH. A plain
   * string is one program. The block falls back to `git-annex-xmpp` on PATH
   * when these paths have gone, and to nothing when that is missing too.
   */
  cliCommand: string | readonly string[];
  hooks?: HookName[];
}

export async function installHooks(repo: RepoInfo, opts: InstallHooksOptions): Promise<HooksResult> {
  requireAnnexUuid(repo);
  const command = typeof opts.cliCommand === "string" ? [opts.cliCommand] : [...opts.cliCommand];
  const dirs = await resolveHooksDir(repo);
  await mkdir(dirs.hooksDir, { recursive: true });
  const files: HookFileResult[] = [];
  for (const hook of unique(opts.hooks ?? DEFAULT_HOOKS)) {
    const file = path.join(dirs.hooksDir, hook);
    const body = asLatin1(renderNotifyBlock(await loadHookTemplate(hook), { hook, command }));
    const outcome = await editHookFile(file, (existing) => {
      if (existing !== undefined && !isShellHook(existing)) throw notShellError(file);
      return insertHookBlock(existing, body);
    });
    const action = outcome.before === undefined ? "created" : outcome.before === outcome.after ? "unchanged" : "updated";
    files.push({ hook, path: file, action, executable: outcome.executable });
  }
  return { ...dirs, files };
}

/**
 * Take our block out of the hook files, both where git runs hooks now and in
 * $GIT_DIR/hooks (in case core.hooksPath changed since the install).
 */
export async function uninstallHooks(repo: RepoInfo, opts: { hooks?: HookName[] } = {}): Promise<HooksResult> {
  const dirs = await resolveHooksDir(repo);
  const files: HookFileResult[] = [];
  for (const dir of unique([dirs.hooksDir, dirs.defaultHooksDir])) {
    for (const hook of unique(opts.hooks ?? [...HOOK_NAMES])) {
      const file = path.join(dir, hook);
      const outcome = await editHookFile(file, (existing) => (existing === undefined ? undefined : removeHookBlock(existing)));
      const action = outcome.before === outcome.after ? "absent" : "removed";
      files.push({ hook, path: file, action, executable: outcome.executable });
    }
  }
  return { ...dirs, files };
}

interface EditOutcome {
  before: string | undefined;
  after: string | undefined;
  executable: boolean;
}

/** Apply `edit` to one hook file's text; undefined stands for "no such file". */
async function editHookFile(file: string, edit: (existing: string | undefined) => string | undefined): Promise<EditOutcome> {
  const stats = await lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (stats?.isSymbolicLink()) throw symlinkError(file);
  const before = stats === undefined ? undefined : await readFile(file, "latin1");
  const after = edit(before);
  const mode = stats === undefined ? 0o755 : stats.mode & 0o7777;
  if (after === before) return { before, after, executable: stats !== undefined && isExecutable(mode) };
  if (after === undefined) {
    await unlink(file);
    return { before, after, executable: false };
  }
  await writeAtomically(file, after, mode, stats);
  return { before, after, executable: isExecutable(mode) };
}

/**
 * Write beside the file and rename over it, so that a push running the hook
 * at this moment sees the old or the new file, never half of one. Mode and,
 * when we can, owner are carried over.
 */
async function writeAtomically(file: string, text: string, mode: number, previous: { uid: number; gid: number } | undefined) {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.git-annex-xmpp-${process.pid}`);
  try {
    await writeFile(temp, text, { mode, encoding: "latin1" });
    await chmod(temp, mode);
    if (previous !== undefined && process.getuid?.() === 0) await chown(temp, previous.uid, previous.gid);
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** UTF-8 text (a non-ASCII CLI path) as the latin1 string of its bytes. */
function asLatin1(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

function isExecutable(mode: number): boolean {
  return (mode & 0o111) !== 0;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function symlinkError(file: string): AppError {
  return new AppError("EHOOKSYMLINK", `${file} is a symbolic link; not editing the file it points to, which may serve other repositories`, {
    hint: "add the block from git-annex-xmpp's hooks/notify-block.sh to that hook by hand, or replace the link with a file",
  });
}

function notShellError(file: string): AppError {
  return new AppError("EHOOKNOTSHELL", `${file} is not a shell script; not adding a shell block to it`, {
    hint: "run `git-annex-xmpp notify --hook post-receive` from that hook yourself, passing it the hook's stdin",
  });
}

/** Which hooks carry our block now (for doctor/status). */
export async function installedHooks(repo: RepoInfo): Promise<HookName[]> {
  const { hooksDir } = await resolveHooksDir(repo);
  const found: HookName[] = [];
  for (const hook of HOOK_NAMES) {
    const text = await readFile(path.join(hooksDir, hook), "latin1").catch(() => undefined);
    if (text !== undefined && findHookBlock(text) !== undefined) found.push(hook);
  }
  return found;
}
