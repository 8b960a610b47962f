/** The outbound flow's commands: `notify` (what hooks record) and `flush` (send the queue). */
import { readStdin } from "../stdin.js";
import { statePaths } from "../state/paths.js";
import { contextFrom, positive, repoOption, type Register } from "./register.js";

export const notifyCommand: Register = (y, signal) =>
  y.command(
    "notify [refs..]",
    "announce that this repository received commits (run from git hooks)",
    (c) =>
      c
        .option("repo", repoOption)
        .option("uuid", { type: "string", array: true, describe: "announce these annex UUIDs instead of the repository's own" })
        .option("hook", { choices: ["post-receive", "post-update"] as const, describe: "read the input of this git hook" })
        .option("timeout", { type: "number", describe: "give up after this many milliseconds (default 5000)" })
        .positional("refs", { type: "string", array: true, describe: "updated refs (post-update's arguments)" })
        .example("$0 notify --repo /srv/hub.git", "announce the hub's current state by hand")
        .example("git for-each-ref --format='%(objectname) %(objectname) %(refname)' | $0 notify --hook post-receive", "what a post-receive hook feeds it"),
    async (a) => {
      const { run } = await import("../commands/notify.js");
      await run(contextFrom(a, signal), {
        ...(a.repo ? { repo: a.repo } : {}),
        ...(a.uuid ? { uuid: a.uuid.map(String) } : {}),
        ...(a.hook ? { hook: a.hook } : {}),
        ...(a.timeout !== undefined ? { timeout: positive(a.timeout, "--timeout") } : {}),
        refs: (a.refs ?? []).map(String),
        readStdin,
      });
    },
  );

export const flushCommand: Register = (y, signal) =>
  y.command(
    "flush",
    "send the announcement queue now, unless an agent or another sender does",
    (c) =>
      c
        .option("background", { type: "boolean", describe: "log to the sender's log file (how hooks start it)" })
        .example("$0 flush", "send what the hooks queued, now"),
    async (a) => {
      const { run } = await import("../commands/flush.js");
      const logFile = a.background ? statePaths(process.env).senderLog : undefined;
      await run(contextFrom(a, signal, false, logFile), { background: Boolean(a.background) });
    },
  );
