/** The agent's commands: `listen` (the agent itself), `ensure` (for cron), `service`, `stop`, `repos` (what it serves). */
import { contextFrom, type Register } from "./register.js";

export const listenCommand: Register = (y, signal) =>
  y.command(
    "listen",
    "the agent: one XMPP session per account for all your repositories; syncs a clone whenever one of its remotes announces a push, and sends the announcement queue",
    (c) =>
      c
        .option("repo", {
          type: "string",
          array: true,
          describe: "a repository to serve (repeat for more; default: the `repositories` setting, else the current directory)",
        })
        .example("$0 listen", "serve the repositories listed by `repos` (else the current one)")
        .example("$0 listen --repo ~/annex --repo ~/photos", "serve these two on one session"),
    async (a) => {
      const { run } = await import("../commands/listen.js");
      await run(contextFrom(a, signal, true), { repo: (a.repo ?? []).map(String) });
    },
  );

export const ensureCommand: Register = (y, signal) =>
  y.command(
    "ensure",
    "start the agent in the background unless one serves the repositories, and wait until it is connected (for cron: quiet when all is well)",
    (c) =>
      c
        .option("repo", { type: "string", array: true, describe: "a repository (repeat; default: the `repositories` setting, else the current directory)" })
        .example("*/5 * * * * $0 ensure --quiet", "a crontab line that restarts a dead agent (what `service install --cron` writes)")
        .example("$0 ensure --repo ~/annex", "make sure an agent serves this clone"),
    async (a) => {
      const { run } = await import("../commands/ensure.js");
      await run(contextFrom(a, signal), { repo: (a.repo ?? []).map(String) });
    },
  );

export const serviceCommand: Register = (y, signal) =>
  y.command(
    "service <action>",
    "keep the agent running: a systemd user unit where systemd runs, else a crontab line calling `ensure`",
    (c) =>
      c
        .positional("action", { choices: ["install", "uninstall"] as const, demandOption: true })
        .option("systemd", { type: "boolean", describe: "a systemd user unit, whatever runs" })
        .option("cron", { type: "boolean", describe: "a crontab line, whatever runs" })
        .conflicts("systemd", "cron")
        .example("$0 service install", "start the agent now and at every login (systemd), or every five minutes if dead (cron)")
        .example("$0 service uninstall", "remove the unit or the crontab line"),
    async (a) => {
      const { run } = await import("../commands/service.js");
      await run(contextFrom(a, signal), { action: a.action, ...(a.systemd ? { kind: "systemd" as const } : a.cron ? { kind: "cron" as const } : {}) });
    },
  );

export const stopCommand: Register = (y, signal) =>
  y.command(
    "stop",
    "stop the agent serving the repositories (--repo), or every agent of yours, and wait until it has",
    (c) =>
      c
        .option("repo", { type: "string", array: true, describe: "a repository whose agent to stop (repeat)" })
        .example("$0 stop", "stop your agents")
        .example("$0 stop --repo ~/annex", "stop the agent serving this clone"),
    async (a) => {
      const { run } = await import("../commands/stop.js");
      await run(contextFrom(a, signal), { repo: (a.repo ?? []).map(String) });
    },
  );

export const reposCommand: Register = (y, signal) =>
  y.command(
    "repos [action] [dirs..]",
    "list, add or remove the repositories the agent serves (the `repositories` setting)",
    (c) =>
      c
        .positional("action", { choices: ["list", "add", "remove"] as const, default: "list" as const })
        .positional("dirs", { type: "string", array: true, describe: "repository directories" })
        .example("$0 repos add ~/annex ~/photos", "serve these clones from now on")
        .example("$0 repos", "list them"),
    async (a) => {
      const { run } = await import("../commands/repos.js");
      await run(contextFrom(a, signal), { action: a.action, dirs: (a.dirs ?? []).map(String) });
    },
  );
