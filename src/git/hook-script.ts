/**
 * The shell text of our hook block, rendered from hooks/notify-block.sh.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

/** The hooks we install into. Both run on the receiving side of a push. */
export const HOOK_NAMES = ["post-receive", "post-update"] as const;
export type HookName = (typeof HOOK_NAMES)[number];

export function isHookName(name: string): name is HookName {
  return (HOOK_NAMES as readonly string[]).includes(name);
}

/**
 * hooks/ sits at the package root, two levels above both src/git/ (tests)
 * and dist/git/ (the built CLI); package.json ships it in "files".
 */
const TEMPLATE_URL = new URL("../../hooks/notify-block.sh", import.meta.url);

export function loadNotifyTemplate(): Promise<string> {
  return readFile(TEMPLATE_URL, "utf8");
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
