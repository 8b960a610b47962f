/**
 * The hook's sender as `npm run build` ships it: dist/hook-sender.js, one
 * bundled file (scripts/bundle-sender.mjs), which dist/cli.js loads for
 * `flush --background`. The hub's own hook starts it (the hub is another
 * machine, with no agent: nothing else sends its queue), and a listening
 * clone merges what it announced. Real prosody, real git-annex.
 */
import { builtinModules } from "node:module";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "../support/cli.js";
import { startLoopFixture, type LoopFixture } from "../support/loop-fixture.js";
import { waitFor } from "../support/wait.js";

const BUNDLE = join(CLI, "..", "hook-sender.js");
const PASSWORDS = { alice: "alice-pw", bob: "bob-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, rosters: [["alice", "bob"]], clones: ["a", "b"], hubUser: "alice" });
  await fx.useAccount(fx.clones[1]!, "bob", { buddies: [fx.server.jid("alice")] });
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await fx?.stopDaemons();
  await fx?.stop();
});

/** The module specifiers a file imports statically, and those it imports with a literal dynamic import(). */
function importedSpecifiers(code: string): { static: string[]; dynamic: string[] } {
  const names = (matches: IterableIterator<RegExpMatchArray>) => [...new Set([...matches].map((m) => m[1]!))];
  return { static: names(code.matchAll(/^\s*import\s[^;]*?from\s*["']([^"']+)["']/gm)), dynamic: names(code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) };
}

describe("the hook's sender, bundled", () => {
  it("npm run build made dist/hook-sender.js one file that imports nothing but node's built-in modules", async () => {
    const code = await readFile(BUNDLE, "utf8");
    expect(code.split("\n", 1)[0]).toMatch(/bundled by scripts\/bundle-sender\.mjs/);
    const imported = importedSpecifiers(code);
    expect(imported.static.length).toBeGreaterThan(0);
    const builtin = (s: string) => s.startsWith("node:") || builtinModules.includes(s);
    expect(imported.static.filter((s) => !builtin(s))).toEqual([]);
    // Left outside on purpose: cosmiconfig's loader of .ts configurations, which the searched places never name.
    expect(imported.dynamic.filter((s) => !builtin(s))).toEqual(["typescript"]);
  });

  it("started by the hub's hook, it delivers the push, and the listening clone merges it", async () => {
    const [cloneA, cloneB] = fx.clones as [string, string];
    const env = fx.hubMachineEnv;
    const b = fx.listen(cloneB);
    await b.waitForLine(/sync finished/);
    const since = b.lines.length;
    await fx.box.addAnnexedFile(cloneA, "bundled.txt", "sent by the bundled sender\n");
    const commit = await fx.box.gitOut(cloneA, ["rev-parse", "HEAD"]);
    // The trace switch reaches the sender: its debug log shows each step.
    const pushed = await execa("git", ["-C", cloneA, "push", "--quiet", "origin", "main"], { env: { ...env, GIT_ANNEX_XMPP_TRACE: "1" }, extendEnv: false, stdin: "ignore", reject: false });
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    await b.waitForLine(new RegExp(`announcement from alice@localhost/.*${fx.hubUuid}`), { since, timeoutMs: 30_000 });
    await fx.merged(cloneB, commit);
    const state = join(env.XDG_STATE_HOME!, "git-annex-xmpp");
    await waitFor(async () => (await readdir(join(state, "queue"))).filter((n) => n.startsWith("e.")).length === 0, { timeoutMs: 10_000, what: "an empty queue" });
    const log = await readFile(join(state, "logs", "sender.log"), "utf8");
    expect(log).toMatch(/sender: modules loaded/);
    expect(log).toMatch(/the server acknowledged the presence/);
    expect(log).toMatch(new RegExp(`announced ${fx.hubUuid} \\(1 ref\\(s\\)\\) for ${fx.hub} as alice@localhost`));
  });
});
