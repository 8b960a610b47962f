/**
 * The command line. With its entry point (cli.ts) the only place that maps
 * errors to exit codes and touches process.exit / argv / signals; commands
 * are loaded lazily so that each pays only for what it runs. Hooks run no
 * node at all (hooks/notify-block.sh only writes to the queue).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import type { Argv } from "yargs";
import type { CommandContext } from "./commands/context.js";
import { AppError, EXIT, UsageError } from "./errors.js";
import { statePaths } from "./state/paths.js";
import { createLogger, setCommandLogger, type LogLevel } from "./log.js";
import { readStdin } from "./stdin.js";
import path from "node:path";

interface GlobalArgs {
  config?: string;
  verbose?: boolean;
  quiet?: boolean;
}

/** A detached process (the hook's sender) logs to this file, with timestamps. */
function fileWriter(file: string): (line: string) => void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  return (line) => appendFileSync(file, line, { mode: 0o600 });
}

function contextFrom(argv: GlobalArgs, signal: AbortSignal, daemon = false, logFile?: string): CommandContext {
  const level: LogLevel = argv.verbose ? "debug" : argv.quiet ? "warn" : "info";
  const log = createLogger({ level, timestamps: daemon || logFile !== undefined, ...(logFile ? { write: fileWriter(logFile) } : {}) });
  // The git adapter's command log (--verbose: every git and git-annex run).
  setCommandLogger(log);
  return {
    log,
    cwd: process.cwd(),
    env: process.env,
    out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    signal,
    verbose: Boolean(argv.verbose),
    ...(argv.config ? { configPath: argv.config } : {}),
  };
}

const repoOption = { type: "string", describe: "the repository (default: the current directory)" } as const;

export async function buildCli(argv: string[], signal: AbortSignal): Promise<Argv<GlobalArgs>> {
  const { default: yargs } = await import("yargs");
  return yargs(argv)
    .scriptName("git-annex-xmpp")
    .usage("$0 <command>\n\nTell git-annex repositories over XMPP that a shared repository got new commits.")
    .option("config", { type: "string", describe: "read only this configuration file" })
    .option("verbose", { alias: "v", type: "boolean", describe: "debug logs (stanzas, git commands), stack traces" })
    .option("quiet", { alias: "q", type: "boolean", describe: "only warnings and errors" })
    .command(
      "notify [refs..]",
      "announce that this repository received commits (run from git hooks)",
      (y) =>
        y
          .option("repo", repoOption)
          .option("uuid", { type: "string", array: true, describe: "announce these annex UUIDs instead of the repository's own" })
          .option("hook", { choices: ["post-receive", "post-update"] as const, describe: "read the input of this git hook" })
          .option("timeout", { type: "number", describe: "give up after this many milliseconds (default 5000)" })
          .positional("refs", { type: "string", array: true, describe: "updated refs (post-update's arguments)" }),
      async (a) => {
        const { run } = await import("./commands/notify.js");
        await run(contextFrom(a, signal), {
          ...(a.repo ? { repo: a.repo } : {}),
          ...(a.uuid ? { uuid: a.uuid.map(String) } : {}),
          ...(a.hook ? { hook: a.hook } : {}),
          ...(a.timeout !== undefined ? { timeout: positive(a.timeout, "--timeout") } : {}),
          refs: (a.refs ?? []).map(String),
          readStdin,
        });
      },
    )
    .command(
      "listen",
      "the agent: one XMPP session per account for all your repositories; syncs a clone whenever one of its remotes announces a push, and sends the announcement queue",
      (y) =>
        y.option("repo", {
          type: "string",
          array: true,
          describe: "a repository to serve (repeat for more; default: the `repositories` setting, else the current directory)",
        }),
      async (a) => {
        const { run } = await import("./commands/listen.js");
        await run(contextFrom(a, signal, true), { repo: (a.repo ?? []).map(String) });
      },
    )
    .command(
      "flush",
      "send the announcement queue now, unless an agent or another sender does",
      (y) => y.option("background", { type: "boolean", describe: "log to the sender's log file (how hooks start it)" }),
      async (a) => {
        const { run } = await import("./commands/flush.js");
        const logFile = a.background ? statePaths(process.env).senderLog : undefined;
        await run(contextFrom(a, signal, false, logFile), { background: Boolean(a.background) });
      },
    )
    .command(
      "repos [action] [dirs..]",
      "list, add or remove the repositories the agent serves (the `repositories` setting)",
      (y) =>
        y
          .positional("action", { choices: ["list", "add", "remove"] as const, default: "list" as const })
          .positional("dirs", { type: "string", array: true, describe: "repository directories" }),
      async (a) => {
        const { run } = await import("./commands/repos.js");
        await run(contextFrom(a, signal), { action: a.action, dirs: (a.dirs ?? []).map(String) });
      },
    )
    .command(
      "ensure",
      "start listen in the background unless one runs for this repository (for cron)",
      (y) => y.option("repo", repoOption),
      async (a) => {
        const { run } = await import("./commands/ensure.js");
        await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}) });
      },
    )
    .command(
      "install-hooks",
      "add the notify block to this repository's git hooks",
      (y) =>
        y.option("repo", repoOption).option("hook", {
          choices: ["post-receive", "post-update"] as const,
          array: true,
          describe: "which hooks (default: post-receive)",
        }),
      async (a) => {
        const { run } = await import("./commands/install-hooks.js");
        await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}), ...(a.hook ? { hook: a.hook } : {}) });
      },
    )
    .command(
      "uninstall-hooks",
      "remove the notify block from this repository's git hooks",
      (y) => y.option("repo", repoOption),
      async (a) => {
        const { run } = await import("./commands/uninstall-hooks.js");
        await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}) });
      },
    )
    .command(
      "configure",
      "write the configuration file (the user's; --scope repo: the repository's private one), --check to log in",
      (y) =>
        y
          .option("repo", repoOption)
          .option("scope", { choices: ["user", "repo"] as const, default: "user" as const, describe: "which file to write" })
          .option("jid", { type: "string", describe: "the account, e.g. alice@example.org" })
          .option("server", { type: "string", describe: "host to connect to (default: SRV record of the JID's domain)" })
          .option("port", { type: "number", describe: "port to connect to" })
          .option("tls", { choices: ["starttls", "direct"] as const, describe: "how TLS starts" })
          .option("ca", { type: "string", describe: "PEM file of an extra CA to trust" })
          .option("buddy", { type: "string", array: true, describe: "another account whose announcements listen acts on (replaces the list)" })
          .option("sealed", { type: "boolean", describe: "send announcements sealed" })
          .option("set", { type: "string", array: true, describe: "KEY=VALUE for any key (VALUE read as JSON when it parses)" })
          .option("unset", { type: "string", array: true, describe: "remove KEY from the file" })
          .option("password-stdin", { type: "boolean", describe: "read the password from stdin into a 0600 credentials file" })
          .option("check", { type: "boolean", describe: "log in with the result" }),
      async (a) => {
        const { run, parseAssignment } = await import("./commands/configure.js");
        const set: Record<string, unknown> = Object.fromEntries((a.set ?? []).map((text) => parseAssignment(String(text))));
        if (a.jid !== undefined) set.jid = a.jid;
        if (a.server !== undefined) set.server = a.server;
        if (a.port !== undefined && !Number.isInteger(a.port)) throw new UsageError("--port must be a port number (1-65535)");
        if (a.port !== undefined) set.port = a.port;
        if (a.tls !== undefined) set.tls = a.tls;
        if (a.ca !== undefined) set.ca = path.resolve(process.cwd(), a.ca);
        if (a.buddy !== undefined) set.buddies = a.buddy.map(String);
        if (a.sealed !== undefined) set.sealed = a.sealed;
        const password = a.passwordStdin ? firstLine(await readStdin(), "--password-stdin") : undefined;
        await run(contextFrom(a, signal), {
          ...(a.repo ? { repo: a.repo } : {}),
          scope: a.scope,
          set,
          unset: (a.unset ?? []).map(String),
          ...(password !== undefined ? { password } : {}),
          check: Boolean(a.check),
        });
      },
    )
    .command(
      "status",
      "what runs for this repository: listen, hand-off socket, spool, hooks, signing, last sync (no login)",
      (y) => y.option("repo", repoOption).option("json", { type: "boolean", describe: "machine-readable output" }),
      async (a) => {
        const { run } = await import("./commands/status.js");
        await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}), json: Boolean(a.json) });
      },
    )
    .command(
      "doctor",
      "check git-annex, the repository, the configuration, the login, hooks and remotes",
      (y) =>
        y
          .option("repo", repoOption)
          .option("json", { type: "boolean", describe: "machine-readable output" })
          .option("offline", { type: "boolean", describe: "do not try to log in" }),
      async (a) => {
        const { run } = await import("./commands/doctor.js");
        await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}), json: Boolean(a.json), offline: Boolean(a.offline) });
      },
    )
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

/** The first line of `text`: a password piped in, with or without its newline. */
function firstLine(text: string, flag: string): string {
  const line = text.split(/\r?\n/)[0] ?? "";
  if (line === "") throw new UsageError(`${flag}: nothing on stdin`, "e.g. printf '%s\\n' \"$PASSWORD\" | git-annex-xmpp configure --password-stdin");
  return line;
}

function positive(value: number, flag: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number of milliseconds`);
  return value;
}

/** Runs one command line; resolves with the exit code. */
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
  await run(contextFrom({}, signal, false, statePaths(process.env).senderLog), { background: true });
}

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
