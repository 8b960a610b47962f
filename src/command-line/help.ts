/** The text at the end of the top-level `--help`: exit codes and where the configuration lives. */
export const TOP_LEVEL_EPILOGUE = [
  "Configuration files (later wins, then GIT_ANNEX_XMPP_*; see configure --help):",
  "  $XDG_CONFIG_HOME/git-annex-xmpp/config.json   the user's (~/.config/…)",
  "  <hub.git>/git-annex-xmpp.config.json          a bare hub's own",
  "  <clone>/.git/git-annex-xmpp.config.json       a clone's own",
  "  Never a work tree: pulled files configure nothing. `configure` writes",
  "  them; `doctor` shows where each value came from.",
  "",
  "Exit codes:",
  "  0   ok",
  "  1   the operation failed",
  "  2   usage (a wrong command line)",
  "  70  internal error (a bug: please report it)",
  "  78  configuration (missing or invalid settings, a refused login)",
  "",
  "Shell completion: git-annex-xmpp completion >> ~/.bashrc (or ~/.zshrc)",
].join("\n");

/**
 * `completion --help`: yargs answers `completion` before it looks at
 * `--help`, so the script would be printed instead; main.ts prints this.
 */
export const COMPLETION_HELP = [
  "git-annex-xmpp completion",
  "",
  "Print a bash/zsh completion script for git-annex-xmpp (commands and options).",
  "",
  "Examples:",
  "  git-annex-xmpp completion >> ~/.bashrc        complete in every new bash",
  "  source <(git-annex-xmpp completion)           complete in this shell only",
].join("\n");

/** Whether `argv` asks for `completion --help`, global options (main.ts) before the command or not. */
export function isCompletionHelp(argv: readonly string[]): boolean {
  let at = 0;
  while (at < argv.length && /^(-v|-q|--verbose|--quiet|--config=.*|--config)$/.test(argv[at]!)) at += argv[at] === "--config" ? 2 : 1;
  const rest = argv.slice(at + 1);
  const end = rest.indexOf("--");
  return argv[at] === "completion" && (end < 0 ? rest : rest.slice(0, end)).some((a) => a === "--help" || a === "-h");
}
