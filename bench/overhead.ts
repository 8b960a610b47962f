/**
 * What our hook adds to a `git push`: a plain `git push` of one tiny commit
 * to a hub without hooks, to a hub with our post-receive block (a real
 * notify to the XMPP server), and to that hub with GIT_ANNEX_XMPP=0; next to
 * the floor of starting node at all and of starting our CLI. `git push`
 * rather than `git annex sync`, so the figures are not buried in
 * git-annex's own work. The order of the three pushes rotates every round.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import type { AnnexSandbox } from "../test/support/annex.js";
import { CLI } from "../scripts/lib/cli.js";
import { installHubHooks } from "../scripts/lib/loop.js";

export type OverheadRow = "push, no hook" | "push, our hook" | "push, our hook, GIT_ANNEX_XMPP=0" | "node -e 0" | "git-annex-xmpp --version";

export async function measureOverhead(box: AnnexSandbox, runs: number, warmup: number): Promise<Map<OverheadRow, number[]>> {
  const plain = await box.makeHub(join(box.root, "plain.git"), "plain hub");
  const hooked = await box.makeHub(join(box.root, "hooked.git"), "hooked hub");
  const skipped = await box.makeHub(join(box.root, "skipped.git"), "hooked hub, switched off");
  await installHubHooks(box, hooked);
  await installHubHooks(box, skipped);
  const pusher = join(box.root, "pusher");
  const git = (args: string[]) => execa("git", ["-C", pusher, ...args], { env: box.env, extendEnv: false, stdin: "ignore" });
  await execa("git", ["init", "--quiet", pusher], { env: box.env, extendEnv: false });
  const timed = async (file: string, args: string[], env = box.env) => {
    const started = performance.now();
    await execa(file, args, { env, extendEnv: false, stdin: "ignore" });
    return performance.now() - started;
  };
  const pushes: Array<[OverheadRow, () => Promise<number>]> = [
    ["push, no hook", () => timed("git", ["-C", pusher, "push", "--quiet", plain, "HEAD:refs/heads/main"])],
    ["push, our hook", () => timed("git", ["-C", pusher, "push", "--quiet", hooked, "HEAD:refs/heads/main"])],
    [
      "push, our hook, GIT_ANNEX_XMPP=0",
      () => timed("git", ["-C", pusher, "push", "--quiet", skipped, "HEAD:refs/heads/main"], { ...box.env, GIT_ANNEX_XMPP: "0" }),
    ],
  ];
  const floors: Array<[OverheadRow, () => Promise<number>]> = [
    ["node -e 0", () => timed(process.execPath, ["-e", "0"])],
    ["git-annex-xmpp --version", () => timed(process.execPath, [CLI, "--version"])],
  ];
  const samples = new Map<OverheadRow, number[]>([...pushes, ...floors].map(([row]) => [row, []]));
  for (let round = 0; round < warmup + runs; round++) {
    await writeFile(join(pusher, "tiny.txt"), `${round}\n`);
    await git(["add", "tiny.txt"]);
    await git(["commit", "--quiet", "-m", `tiny ${round}`]);
    const order = [...pushes.slice(round % pushes.length), ...pushes.slice(0, round % pushes.length), ...floors];
    for (const [row, measure] of order) {
      const elapsed = await measure();
      if (round >= warmup) samples.get(row)!.push(elapsed);
    }
  }
  return samples;
}
