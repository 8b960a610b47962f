/**
 * The shell text of our hook block, rendered from hooks/notify-block.sh.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

/**
 * The hooks we install into. post-receive and post-update run on the
 * receiving side of a push (a hub); reference-transaction (git >= 2.28) in
 * the clone that pushes, for hubs that cannot run our hook (`--client`).
 */
export const HOOK_NAMES = ["post-receive", "post-update", "reference-transaction"] as const;
export type HookName = (typeof HOOK_NAMES)[number];
/** The client-side hook. */
export const CLIENT_HOOK: HookName = "reference-transaction";

export function isHookName(name: string): name is HookName {
  return (HOOK_NAMES as readonly string[]).includes(name);
}

/**
 * hooks/ sits at the package root, two levels above both src/git/ (tests)
 * and dist/git/ (the built CLI); package.json ships it in "files". Both
 * blocks write the queue with one shared snippet, queue-write.sh.
 */
const HOOKS_DIR = new URL("../../hooks/", import.meta.url);

async function loadTemplate(file: string): Promise<string> {
  const [template, queueWrite] = await Promise.all([readFile(new URL(file, HOOKS_DIR), "utf8"), readFile(new URL("queue-write.sh", HOOKS_DIR), "utf8")]);
  return template.replace("@QUEUE_WRITE@\n", () => queueWrite);
}

/** The hub's block (post-receive, post-update). */
export function loadNotifyTemplate(): Promise<string> {
  return loadTemplate("notify-block.sh");
}

/** The clone's block (reference-transaction). */
export function loadClientTemplate(): Promise<string> {
  return loadTemplate("client-block.sh");
}

/** The template for one hook. */
export function loadHookTemplate(hook: HookName): Promise<string> {
  return hook === CLIENT_HOOK ? loadClientTemplate() : loadNotifyTemplate();
}

/** Quote one word for a POSIX shell. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A shell condition that holds when `command` can still run: absolute paths
 * must exist (the interpreter executable), bare names must be on PATH.
 * When it fails the block falls back to `git-annex-xmpp` on PATH, and when
 * that is missing too, does nothing (husky-style: an uninstalled tool must
 * not break pushes).
 */
export function commandPresentTest(command: readonly string[]): string {
  const [program, ...args] = command;
  if (program === undefined) return "false";
  const tests = [
    path.isAbsolute(program) ? `[ -x ${shellQuote(program)} ]` : `command -v ${shellQuote(program)} >/dev/null 2>&1`,
    ...args.filter((arg) => path.isAbsolute(arg)).map((arg) => `[ -f ${shellQuote(arg)} ]`),
  ];
  return tests.join(" && ");
}

export interface NotifyBlockOptions {
  hook: HookName;
  /** argv prefix that runs the CLI, e.g. [process.execPath, "/…/dist/cli.js"]. */
  command: readonly string[];
}

/** Fill in the template's @HOOK@, @CLI@ and @CLI_PRESENT@ placeholders. */
export function renderNotifyBlock(template: string, options: NotifyBlockOptions): string {
  const values: Record<string, string> = {
    HOOK: options.hook,
    CLI: options.command.map(shellQuote).join(" "),
    CLI_PRESENT: commandPresentTest(options.command),
  };
  return template.replace(/@([A-Z_]+)@/g, (match, name: string) => values[name] ?? match);
}

const SHELLS = new Set(["sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"]);

/**
 * Whether our POSIX shell block can live in this hook file: no `#!` line
 * (git runs such hooks with sh), or a `#!` naming a shell, directly or
 * through env. A Python or Perl hook is not edited.
 */
export function isShellHook(text: string): boolean {
  if (!text.startsWith("#!")) return true;
  const firstLine = text.slice(2).split("\n", 1)[0]?.replace(/\r$/, "") ?? "";
  const words = firstLine.trim().split(/\s+/);
  let interpreter = path.basename(words[0] ?? "");
  if (interpreter === "env") {
    interpreter = path.basename(words.slice(1).find((word) => !word.startsWith("-")) ?? "");
  }
  return SHELLS.has(interpreter);
}
