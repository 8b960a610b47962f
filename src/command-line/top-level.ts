/**
 * What every run of the command shares, whichever entry it takes (main.ts
 * for the command line, hook-sender.ts for the hook's sender): signals
 * stop it, and one catch maps errors to the message, hint and exit code.
 */
import { reloaders } from "./register.js";
import { AppError, EXIT } from "../errors.js";

/** Runs `body` until it ends or a signal stops it; resolves with the exit code. */
export async function runTopLevel(argv: readonly string[], body: (signal: AbortSignal) => Promise<void>): Promise<number> {
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
    await body(controller.signal);
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
