/** `install-hooks` and `uninstall-hooks`: our marked block in a repository's git hooks. */
import { contextFrom, repoOption, type Register } from "./register.js";

export const installHooksCommand: Register = (y, signal) =>
  y.command(
    "install-hooks",
    "add the notify block to this repository's git hooks (--client: a clone announces its own pushes, for a hub without our hook)",
    (c) =>
      c
        .option("repo", repoOption)
        .option("hook", {
          choices: ["post-receive", "post-update"] as const,
          array: true,
          describe: "which hooks (default: post-receive)",
        })
        .option("client", { type: "boolean", describe: "in a clone: announce the pushes made from it (reference-transaction hook)" })
        .conflicts("client", "hook")
        .example("$0 install-hooks --repo /srv/hub.git", "announce every push the hub receives")
        .example("$0 install-hooks --client --repo ~/annex", "announce this clone's pushes (a hub you cannot install hooks on)"),
    async (a) => {
      const { run } = await import("../commands/install-hooks.js");
      await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}), ...(a.hook ? { hook: a.hook } : {}), ...(a.client ? { client: true } : {}) });
    },
  );

export const secretCommand: Register = (y, signal) =>
  y.command(
    "secret <action>",
    "create the announcement secret of a hub that cannot run our hook, push it there and keep it here",
    (c) =>
      c
        .positional("action", { choices: ["init"] as const, demandOption: true })
        .option("repo", repoOption)
        .option("remote", { type: "string", demandOption: true, describe: "the hub, as a remote of this clone" })
        .option("force", { type: "boolean", describe: "replace the hub's secret (every clone must fetch it anew)" })
        .example("$0 secret init --remote origin", "sign the announcements of this clone's hub from now on"),
    async (a) => {
      const { runInit } = await import("../commands/secret.js");
      await runInit(contextFrom(a, signal), { remote: a.remote, ...(a.repo ? { repo: a.repo } : {}), ...(a.force ? { force: true } : {}) });
    },
  );

export const uninstallHooksCommand: Register = (y, signal) =>
  y.command(
    "uninstall-hooks",
    "remove the notify block from this repository's git hooks",
    (c) => c.option("repo", repoOption).example("$0 uninstall-hooks --repo /srv/hub.git", "stop announcing the hub's pushes"),
    async (a) => {
      const { run } = await import("../commands/uninstall-hooks.js");
      await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}) });
    },
  );
