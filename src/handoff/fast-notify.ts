/**
 * notify's fast path, run by cli.ts before yargs, cosmiconfig or execa are
 * loaded: when a `listen` of the same account runs on this machine, hand
 * the announcement to it and exit. It understands only what git hooks pass
 * (--repo, --hook, --timeout, --config, -v/-q, refs); anything else, or any
 * doubt, falls through to the full command, which is always correct.
 */
import { parsePostReceive, parsePostUpdate, type RefUpdate } from "../notify/refs.js";
import { handOff } from "./client.js";
import { socketPathFor } from "./paths.js";
import { readStdin } from "../stdin.js";
import { quickConfig } from "./quick-config.js";
import { resolve } from "node:path";

export interface FastNotifyOutcome {
  handedOff: boolean;
  /** Whether the daemon's socket was tried (the full path need not try again). */
  tried: boolean;
  /** The hook's stdin, already consumed, for the full path. */
  stdin?: string;
  /** For --verbose. */
  detail: string;
}

interface FastArgs {
  repo?: string;
  hook?: "post-receive" | "post-update";
  timeout?: number;
  config?: string;
  verbose: boolean;
  refs: string[];
}

/** Parses the arguments a hook passes; undefined for anything else. */
export function parseFastArgs(argv: readonly string[]): FastArgs | undefined {
  const args: FastArgs = { verbose: false, refs: [] };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") {
      args.refs.push(...argv.slice(i + 1));
      break;
    }
    const [flag, inline] = word.startsWith("--") && word.includes("=") ? [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)] : [word, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--repo":
      case "--config": {
        const v = value();
        if (!v) return undefined;
        args[flag === "--repo" ? "repo" : "config"] = v;
        break;
      }
      case "--hook": {
        const v = value();
        if (v !== "post-receive" && v !== "post-update") return undefined;
        args.hook = v;
        break;
      }
      case "--timeout": {
        const v = Number(value());
        if (!Number.isFinite(v) || v <= 0) return undefined;
        args.timeout = v;
        break;
      }
      case "-v":
      case "--verbose":
        args.verbose = true;
        break;
      case "-q":
      case "--quiet":
        break;
      default:
        if (word.startsWith("-")) return undefined;
        args.refs.push(word);
    }
  }
  return args;
}

export async function tryFastNotify(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<FastNotifyOutcome> {
  const started = Date.now();
  const args = parseFastArgs(argv);
  if (!args) return { handedOff: false, tried: false, detail: "arguments need the full command" };
  const stdin = args.hook === "post-receive" ? await readStdin() : undefined;
  const keep = stdin === undefined ? {} : { stdin };
  let refs: RefUpdate[];
  try {
    refs = stdin === undefined ? parsePostUpdate(args.refs) : parsePostReceive(stdin);
  } catch {
    return { handedOff: false, tried: false, ...keep, detail: "hook input needs the full command" };
  }
  const timeoutMs = args.timeout ?? undefined;
  const config = await quickConfig({ env, cwd, repoArg: args.repo, configArg: args.config, overrides: { timeoutMs } });
  if (!config?.jid) return { handedOff: false, tried: false, ...keep, detail: "configuration needs the full loader" };
  const outcome = await handOff(
    socketPathFor(env, config.jid),
    { v: 1, op: "announce", jid: config.jid, repo: resolve(cwd, args.repo ?? "."), refs, createdAt: started, ...(config.sealed ? { sealed: true } : {}) },
    Math.min(2_000, config.timeoutMs),
  );
  if (outcome.accepted) {
    return { handedOff: true, tried: true, ...keep, detail: `handed off to listen (pid ${outcome.pid}) in ${Date.now() - started} ms` };
  }
  return { handedOff: false, tried: true, ...keep, detail: `no hand-off (${outcome.reason})` };
}

/** The fast path's one line for --verbose (it runs before the logger exists). */
export function reportFastNotify(argv: readonly string[], outcome: FastNotifyOutcome): void {
  if (argv.includes("--verbose") || argv.includes("-v")) process.stderr.write(`debug: notify: ${outcome.detail}\n`);
}
