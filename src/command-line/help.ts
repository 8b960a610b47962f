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
