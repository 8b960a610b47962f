/** `install-hooks` and `uninstall-hooks`: our marked block in a repository's git hooks. */
import { contextFrom, repoOption, type Register } from "./register.js";

export const installHooksCommand: Register = (y, signal) =>
  y.command(
    "install-hooks",
    "add the notify block to this repository's git hooks",
    (c) =>
      c
        .option("repo", repoOption)
        .option("hook", {
          choices: ["post-receive", "post-update"] as const,
          array: true,
          describe: "which hooks (default: post-receive)",
        })
        .example("$0 install-hooks --repo /srv/hub.git", "announce every push the hub receives"),
    async (a) => {
      const { run } = await import("../commands/install-hooks.js");
      await run(contextFrom(a, signal), { ...(a.repo ? { repo: a.repo } : {}), ...(a.hook ? { hook: a.hook } : {}) });
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
