/**
 * The command line. Commands are registered from src/command-line/ (one
 * block each) and their modules loaded lazily, so that each pays only for
 * what it runs; errors become exit codes in command-line/top-level.ts, the
 * one place besides cli.ts that touches process.exit / argv / signals.
 * Hooks run no node at all (hooks/notify-block.sh only writes to the
 * queue); the sender they may start takes hook-sender.ts instead.
 */
import type { Argv } from "yargs";
import { flushCommand, notifyCommand } from "./command-line/announce.js";
import { ensureCommand, listenCommand, reposCommand, serviceCommand, stopCommand } from "./command-line/agent.js";
import type { GlobalArgs, Register } from "./command-line/register.js";
import { runTopLevel } from "./command-line/top-level.js";
import { COMPLETION_HELP, isCompletionHelp, TOP_LEVEL_EPILOGUE } from "./command-line/help.js";
import { installHooksCommand, secretCommand, uninstallHooksCommand } from "./command-line/hooks.js";
import { configureCommand, doctorCommand, statusCommand } from "./command-line/setup.js";
import { UsageError } from "./errors.js";

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly Register[] = [
  notifyCommand,
  listenCommand,
  flushCommand,
  reposCommand,
  ensureCommand,
  serviceCommand,
  stopCommand,
  installHooksCommand,
  uninstallHooksCommand,
  secretCommand,
  configureCommand,
  statusCommand,
  doctorCommand,
];

export async function buildCli(argv: string[], signal: AbortSignal): Promise<Argv<GlobalArgs>> {
  const { default: yargs } = await import("yargs");
  const cli = yargs(argv)
    .scriptName("git-annex-xmpp")
    .usage("$0 <command>\n\nTell git-annex repositories over XMPP that a shared repository got new commits.")
    .option("config", { type: "string", describe: "read only this configuration file" })
    .option("verbose", { alias: "v", type: "boolean", describe: "debug logs (stanzas, git commands), stack traces" })
    .option("quiet", { alias: "q", type: "boolean", describe: "only warnings and errors" });
  return COMMANDS.reduce((y, register) => register(y, signal), cli as Argv<GlobalArgs>)
    .completion("completion", "print a bash/zsh completion script (source it from ~/.bashrc or ~/.zshrc)")
    .example("$0 configure", "set up the account (asks on a terminal)")
    .example("$0 listen --repo ~/annex", "run the agent for a clone")
    .epilogue(TOP_LEVEL_EPILOGUE)
    .demandCommand(1, "name a command")
    .strict()
    .help()
    .version()
    .fail((message, error) => {
      // yargs would print a help screen for any failure; ours are typed.
      if (error) throw error;
      throw new UsageError(message, "see git-annex-xmpp --help");
    });
}

/** Runs one command line; resolves with the exit code. */
export function main(argv: string[]): Promise<number> {
  return runTopLevel(argv, async (signal) => {
    if (isCompletionHelp(argv)) process.stdout.write(`${COMPLETION_HELP}\n`);
    else await (await buildCli(argv, signal)).parseAsync();
  });
}
