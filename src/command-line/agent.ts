/** The agent's commands: `listen` (the agent itself), `ensure` (for cron), `repos` (what it serves). */
import { contextFrom, repoOption, type Register } from "./register.js";

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
    "start listen in the background unless one runs for this repository (for cron)",
    (c) =>
      c
        .option("repo", repoOption)
        .example("*/5 * * * * $0 ensure --repo ~/annex", "a crontab line that restarts a dead agent"),
    async (a) => {
      const { run } = await import("../commands/ensure.js");
      await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}) });
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
