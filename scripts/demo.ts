/**
 * `npm run demo`: the whole loop, for real, narrated. A private prosody, a
 * hub and two clones in a temporary directory; clone B runs `listen`;
 * clone A adds a file and pushes; the file shows up in B by itself.
 * Everything is removed again at the end, on failure and on Ctrl-C
 * (KEEP_TMP=1 keeps the temporary files).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { createAnnexSandbox, type AnnexSandbox } from "../test/support/annex.js";
import type { ProsodyServer } from "../test/support/prosody.js";
import { waitFor } from "../test/support/wait.js";
import { waitForCommit } from "./lib/arrival.js";
import { createCleanup } from "./lib/cleanup.js";
import { CLI, startListener, type Listener } from "./lib/cli.js";
import { annexSync, gitDirOf, installHubHooks, isAncestor, makeRepos, startServer, writeUserConfig, type Repos } from "./lib/loop.js";

const tty = process.stdout.isTTY;
const bold = (text: string) => (tty ? `\x1b[1m${text}\x1b[0m` : text);
const dim = (text: string) => (tty ? `\x1b[2m${text}\x1b[0m` : text);
const say = (text = "") => process.stdout.write(`${text}\n`);
const step = (n: number, text: string) => say(`\n${bold(`${n}. ${text}`)}`);
const cmd = (where: string, text: string) => say(`   ${dim(`${where}$`)} ${text}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const cleanup = createCleanup({
  onInterrupt: (signal) => process.stderr.write(`\n${signal}: stopping the listener and prosody, removing the temporary files…\n`),
});
let listener: Listener | undefined;

/** Fail early, with the remedy, when a neighbour is missing. */
function checkPrerequisites(): void {
  const missing = ["git", "git-annex", "prosody", "prosodyctl", "openssl"].filter((program) => {
    try {
      execFileSync("sh", ["-c", `command -v ${program}`], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) throw new Error(`not installed: ${missing.join(", ")} (run: bash scripts/setup.sh)`);
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing (run: npm run build)`);
}

async function setUp(): Promise<{ server: ProsodyServer; box: AnnexSandbox; repos: Repos }> {
  step(1, "A private XMPP server");
  const server = await startServer();
  cleanup.add(() => server.stop());
  say(`   prosody on ${server.host}:${server.port}, domain ${server.domain}, certificate signed by its own CA`);
  say(`   account ${server.jid("alice")}; the hub's hook and B's listener both log in with it, as two resources`);

  step(2, "A hub and two clones");
  const box = await createAnnexSandbox("gax-demo-");
  cleanup.add(() => box.cleanup());
  const repos = await makeRepos(box);
  say(`   in ${box.root}:`);
  say(`   hub.git   git init --bare; git annex init hub       (uuid ${await box.annexUuid(repos.hub)})`);
  say(`   a, b      git clone hub.git; git annex init          (a first file synced to both)`);
  return { server, box, repos };
}

async function configure(server: ProsodyServer, box: AnnexSandbox, hub: string): Promise<void> {
  step(3, "The user configuration, written as a user would");
  say(`   HOME=${box.home} (a throwaway home: your own ~/.config is not read or touched)`);
  const user = await writeUserConfig(box, server);
  say(`   ~/${relative(box.home, user.configFile)}:`);
  for (const line of JSON.stringify(user.values, null, 2).split("\n")) say(`     ${line}`);
  const mode = ((await stat(user.credentialsFile)).mode & 0o777).toString(8);
  say(`   ~/${relative(box.home, user.credentialsFile)}: the password on its first line, mode ${mode}`);

  step(4, "Hooks on the hub");
  cmd("hub.git", "git-annex-xmpp install-hooks");
  for (const line of (await installHubHooks(box, hub)).split("\n")) say(`   ${line}`);
  say(dim(`   a marked block in hub.git/hooks/post-receive runs \`git-annex-xmpp notify\` after every push`));
}

async function startB(box: AnnexSandbox, cloneB: string): Promise<Listener> {
  step(5, "The listener in clone B");
  cmd("b", "git annex wanted . anything       # B wants every file's content (git-annex preferred content)");
  await box.git(cloneB, ["annex", "wanted", ".", "anything"]);
  cmd("b", "git-annex-xmpp listen &");
  const b = startListener(["--repo", cloneB], box.env, (line) =>
    say(`${bold("[B listen]")} ${line.replace(/^\d{4}-\d\d-\d\dT(\S+)Z /, "$1 ")}`),
  );
  cleanup.add(() => b.stop());
  await b.waitForLine(/^\S+ connected as /);
  await b.waitForLine(/sync (finished|failed)/);
  // B's first sync pushes to the hub, whose hook announces that too: let it play out.
  await settle(b);
  return b;
}

interface Timeline {
  commit: string;
  /** performance.now() when A's `git annex sync` started and returned. */
  syncStarted: number;
  syncReturned: number;
  /** When the hub's branch had the commit (before the hub's hook ran). */
  onHub: number;
  /** When B's checked-out branch had it merged. */
  mergedInB: number;
  /** When hello.txt's content was present in B; undefined if it did not come. */
  contentInB: number | undefined;
}

async function pushFromA(box: AnnexSandbox, repos: Repos, content: string): Promise<Timeline> {
  const { cloneA, cloneB, hub } = repos;
  step(6, "Clone A adds a file and pushes");
  await writeFile(join(cloneA, "hello.txt"), content);
  cmd("a", `echo '${content.trim()}' > hello.txt`);
  cmd("a", "git annex add hello.txt && git commit -m 'add hello.txt'");
  await box.git(cloneA, ["annex", "add", "--quiet", "hello.txt"]);
  await box.git(cloneA, ["commit", "--quiet", "-m", "add hello.txt"]);
  const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
  cmd("a", "git annex copy --to origin hello.txt     # the content, to the hub");
  await box.git(cloneA, ["annex", "copy", "--quiet", "--to", "origin", "hello.txt"]);
  cmd("a", "git annex sync                           # the commit, to the hub, whose hook announces it");
  // Watch the hub and B while A's sync runs: B may have it before A's sync returns.
  const watch = (repo: string, gitDir: string, refs: string[]) =>
    waitForCommit({ gitDir, refs, commit, timeoutMs: 30_000, signal: cleanup.signal, isAncestor: (c, head) => isAncestor(box, repo, c, head) });
  const onHub = watch(hub, hub, ["refs/heads/synced/main", "refs/heads/main"]);
  const mergedInB = watch(cloneB, await gitDirOf(box, cloneB), ["HEAD"]);
  const file = join(cloneB, "hello.txt");
  let mergedAt: number | undefined;
  void mergedInB.then((at) => (mergedAt = at), () => undefined);
  // The annexed file is a symlink: stat() follows it, so it succeeds once the
  // content is there. The commit is what the demo is about; give the content
  // 10 s more, then report it missing rather than fail.
  const contentInB = waitFor(
    () =>
      stat(file).then(
        () => ({ at: performance.now() as number | undefined }),
        () => (mergedAt !== undefined && performance.now() - mergedAt > 10_000 ? { at: undefined } : undefined),
      ),
    { timeoutMs: 60_000, intervalMs: 5, what: "hello.txt's content in clone B" },
  );
  const syncStarted = performance.now();
  // The hub plays another machine, so the announcement really goes over XMPP.
  const syncReturned = await annexSync(box, cloneA, [], true);
  say(`   A's git annex sync returned after ${seconds(syncReturned - syncStarted)} (commit ${commit.slice(0, 12)})`);
  return { commit, syncStarted, syncReturned, onHub: await onHub, mergedInB: await mergedInB, contentInB: (await contentInB).at };
}

async function showArrival(box: AnnexSandbox, cloneB: string, t: Timeline, content: string): Promise<void> {
  step(7, "hello.txt arrived in clone B");
  const at = (time: number) => seconds(time - t.syncStarted).padStart(7);
  say(`   ${at(t.onHub)}  the commit is on the hub (its post-receive hook starts notify)`);
  say(`   ${at(t.mergedInB)}  B's listener has merged it into B's branch`);
  if (t.contentInB !== undefined) say(`   ${at(t.contentInB)}  hello.txt's content is in B`);
  say(`   ${at(t.syncReturned)}  A's git annex sync returns`);
  say(dim("   (seconds since A's git annex sync started)"));
  const delta = t.mergedInB - t.syncReturned;
  say(
    delta >= 0
      ? `   From the end of A's push to B's merge: ${bold(seconds(delta))}`
      : `   From the end of A's push to B's merge: ${bold(seconds(delta))} (B had it before A's sync even returned)`,
  );
  say(`   From the commit landing on the hub to B's merge: ${bold(seconds(t.mergedInB - t.onHub))}`);
  cmd("b", "git ls-files hello.txt");
  say(`   ${await box.gitOut(cloneB, ["ls-files", "hello.txt"])}`);
  if (t.contentInB === undefined) {
    say(`   hello.txt's content did not reach B within 10 s of the merge: this listener synced the commit only`);
    return;
  }
  cmd("b", "cat hello.txt");
  const got = await readFile(join(cloneB, "hello.txt"), "utf8");
  say(`   ${got.trim()}`);
  if (got !== content) throw new Error(`hello.txt in B holds ${JSON.stringify(got)}, not what A wrote`);
}

/** Let the listener finish what it is doing, so its log tells the whole story. */
async function settle(b: Listener): Promise<void> {
  let last = -1;
  let quietSince = performance.now();
  await waitFor(
    () => {
      if (b.lines.length !== last) [last, quietSince] = [b.lines.length, performance.now()];
      const busy = b.count(/ sync started: /) > b.count(/ sync (finished|failed)/);
      return !busy && performance.now() - quietSince > 1500;
    },
    { timeoutMs: 20_000, intervalMs: 50, what: "the listener to go quiet" },
  ).catch(() => undefined);
}

async function main(): Promise<void> {
  say(bold("git-annex-xmpp demo: a push from clone A reaches clone B by itself, over XMPP"));
  say("Everything runs in a temporary directory against a private prosody on 127.0.0.1.");
  checkPrerequisites();
  const { server, box, repos } = await setUp();
  await configure(server, box, repos.hub);
  listener = await startB(box, repos.cloneB);
  const content = `Hello from clone A, ${new Date().toISOString()}\n`;
  const timeline = await pushFromA(box, repos, content);
  await showArrival(box, repos.cloneB, timeline, content);
  await settle(listener);
  say(`\n${bold("Cleaning up")}: stopping the listener and prosody, removing ${box.root}`);
  const code = await listener.stop();
  if (code !== 0) throw new Error(`listen exited with ${code} on SIGTERM`);
  await cleanup.run();
  say(bold("Demo finished: A's push reached B through XMPP, and B synced by itself."));
}

try {
  await main();
} catch (error) {
  if (!cleanup.signal.aborted) {
    process.stderr.write(`\ndemo failed: ${(error as Error).message}\n`);
    if (listener) process.stderr.write(`last lines of B's listener:\n${listener.lines.slice(-15).map((l) => `  ${l}`).join("\n")}\n`);
    process.stderr.write("hint: KEEP_TMP=1 npm run demo keeps the repositories and prosody's files for a look\n");
    await cleanup.run();
    process.exit(1);
  }
}
