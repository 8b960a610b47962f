/**
 * The command line. With its entry point (cli.ts) the only place that maps
 * errors to exit codes and touches process.exit / argv / signals; commands
 * are registered from src/command-line/ (one block each) and their modules
 * loaded lazily, so that each pays only for what it runs. Hooks run no node
 * at all (hooks/notify-block.sh only writes to the queue).
 */
import type { Argv } from "yargs";
import { flushCommand, notifyCommand } from "./command-line/announce.js";
import { ensureCommand, listenCommand, reposCommand, serviceCommand, stopCommand } from "./command-line/agent.js";
import { contextFrom, reloaders, type GlobalArgs, type Register } from "./command-line/register.js";
import { statePaths } from "./state/paths.js";
import { TOP_LEVEL_EPILOGUE } from "./command-line/help.js";
import { installHooksCommand, secretCommand, uninstallHooksCommand } from "./command-line/hooks.js";
import { configureCommand, doctorCommand, statusCommand } from "./command-line/setup.js";
import { AppError, EXIT, UsageError } from "./errors.js";

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

/**
 * `flush --background`, exactly as the hook runs it when no agent holds the
 * queue (hooks/notify-block.sh): the same command, without loading yargs
 * first — its parsing costs about as much as the login that follows, and
 * this start is in the path from a push to its announcement (issue 11).
 */
function isHookSender(argv: string[]): boolean {
  return argv.length === 2 && argv[0] === "flush" && argv[1] === "--background";
}

async function runHookSender(signal: AbortSignal): Promise<void> {
  const { run } = await import("./commands/flush.js");
  // The hook's trace switch traces the sender too: its debug log, each line timed.
  const ctx = contextFrom({ verbose: process.env.GIT_ANNEX_XMPP_TRACE === "1" }, signal, false, statePaths(process.env).senderLog);
  ctx.log.debug(`sender: modules loaded ${Math.round(performance.now())} ms after node started`);
  await run(ctx, { background: true });
}

/** Runs one command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  // `on`, not `once`: execa's signal-exit, listening while a child runs,
  // re-raises a signal when it finds itself the only listener, and a `once`
  // listener is already gone when it looks. A second signal ends a stuck stop.
  const stop = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 143);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // SIGHUP reloads a command that can (the agent); any other stops.
  process.on("SIGHUP", () => (reloaders.length > 0 ? reloaders.forEach((reload) => reload()) : stop("SIGHUP")));
  try {
    if (isHookSender(argv)) await runHookSender(controller.signal);
    else await (await buildCli(argv, controller.signal)).parseAsync();
    return EXIT.ok;
  } catch (error) {
    const verbose = argv.includes("--verbose") || argv.includes("-v");
    if (error instanceof AppError) {
      process.stderr.write(`git-annex-xmpp: ${error.message}\n`);
      if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
      if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`git-annex-xmpp: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.software;
  }
}
