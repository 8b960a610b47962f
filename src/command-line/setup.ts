/** Setting up and looking: `configure`, `status`, `doctor`. */
import path from "node:path";
import { DEFAULTS, ENV_KEYS } from "../config/schema.js";
import { UsageError } from "../errors.js";
import { readStdin } from "../stdin.js";
import { contextFrom, repoOption, type Register } from "./register.js";

export const configureCommand: Register = (y, signal) =>
  y.command(
    "configure",
    "write the configuration file (the user's; --scope repo: the repository's private one), --check to log in",
    (c) =>
      c
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
        .option("password-stdin", { type: "boolean", describe: "read the password from stdin (on a terminal: ask for it, hidden) into a 0600 credentials file" })
        .option("check", { type: "boolean", describe: "log in with the result first; save only if that works" })
        .option("show", { type: "boolean", describe: "print the configuration (on a terminal, instead of asking)" })
        .example("$0 configure", "on a terminal: asks for the account, the password and the server, logs in, then saves")
        .example("$0 configure --jid alice@example.org --password-stdin --check < pw", "from a script: checks the login, then saves")
        .epilogue(configurationKeys()),
    async (a) => {
      const { run, parseAssignment } = await import("../commands/configure.js");
      const set: Record<string, unknown> = Object.fromEntries((a.set ?? []).map((text) => parseAssignment(String(text))));
      if (a.jid !== undefined) set.jid = a.jid;
      if (a.server !== undefined) set.server = a.server;
      if (a.port !== undefined && !Number.isInteger(a.port)) throw new UsageError("--port must be a port number (1-65535)");
      if (a.port !== undefined) set.port = a.port;
      if (a.tls !== undefined) set.tls = a.tls;
      if (a.ca !== undefined) set.ca = path.resolve(process.cwd(), a.ca);
      if (a.buddy !== undefined) set.buddies = a.buddy.map(String);
      if (a.sealed !== undefined) set.sealed = a.sealed;
      // On a terminal nothing was piped: ask instead (hidden).
      const { canPrompt, createTerminalPrompter } = await import("./terminal.js");
      const interactive = canPrompt();
      const password = a.passwordStdin && !interactive ? firstLine(await readStdin(), "--password-stdin") : undefined;
      const prompt = interactive ? createTerminalPrompter() : undefined;
      try {
        await run(
          { ...contextFrom(a, signal), ...(prompt ? { prompt } : {}) },
          {
            ...(a.repo ? { repo: a.repo } : {}),
            scope: a.scope,
            set,
            unset: (a.unset ?? []).map(String),
            ...(password !== undefined ? { password } : {}),
            askPassword: Boolean(a.passwordStdin && interactive),
            check: Boolean(a.check),
            show: Boolean(a.show),
          },
        );
      } finally {
        prompt?.close();
      }
    },
  );

/** The keys a file may hold, and the environment variable of each that has one. */
function configurationKeys(): string {
  const variable = Object.fromEntries(Object.entries(ENV_KEYS).map(([name, key]) => [key, name]));
  const lines = Object.keys(DEFAULTS).map((key) => `  ${key.padEnd(17)}${variable[key] ?? ""}`);
  return ["Configuration keys (--set KEY=VALUE) and their environment variables:", ...lines].join("\n");
}

/** The first line of `text`: a password piped in, with or without its newline. */
function firstLine(text: string, flag: string): string {
  const line = text.split(/\r?\n/)[0] ?? "";
  if (line === "") throw new UsageError(`${flag}: nothing on stdin`, "e.g. printf '%s\\n' \"$PASSWORD\" | git-annex-xmpp configure --password-stdin");
  return line;
}

export const statusCommand: Register = (y, signal) =>
  y.command(
    "status",
    "what runs for this repository: listen, hand-off socket, spool, hooks, signing, last sync (no login)",
    (c) =>
      c
        .option("repo", repoOption)
        .option("json", { type: "boolean", describe: "machine-readable output" })
        .example("$0 status", "the agent, queue, hooks and last sync of the current repository")
        .example("$0 status --json --repo ~/annex", "the same for scripts"),
    async (a) => {
      const { run } = await import("../commands/status.js");
      await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}), json: Boolean(a.json) });
    },
  );

export const doctorCommand: Register = (y, signal) =>
  y.command(
    "doctor",
    "check git-annex, the repository, the configuration, the login, hooks and remotes",
    (c) =>
      c
        .option("repo", repoOption)
        .option("json", { type: "boolean", describe: "machine-readable output" })
        .option("offline", { type: "boolean", describe: "do not try to log in" })
        .example("$0 doctor", "check everything, logging in once")
        .example("$0 doctor --offline --repo /srv/hub.git", "without logging in"),
    async (a) => {
      const { run } = await import("../commands/doctor.js");
      await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}), json: Boolean(a.json), offline: Boolean(a.offline) });
    },
  );
