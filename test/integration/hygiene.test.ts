/**
 * Secrets and logs of a real `listen --verbose` (issue 8, items 2, 4, 10):
 * the git and git-annex processes it starts never see the password; its
 * debug log names every git command; a stranger's stanza nested 3,000 deep
 * or carrying newlines neither crashes it nor forges a log line.
 */
import { execa } from "execa";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnnexSandbox } from "../support/annex.js";
import { runCli, type CliResult } from "../support/cli.js";
import { startLoopFixture, waitForQuiet, type LoopFixture } from "../support/loop-fixture.js";
import { sendRawPresence } from "../support/slixmpp.js";

const PASSWORDS = { alice: "alice-secret-pw", carol: "carol-pw" };

let fx: LoopFixture<keyof typeof PASSWORDS>;
let box: AnnexSandbox;
let cloneA: string;
let cloneB: string;

beforeAll(async () => {
  fx = await startLoopFixture({ accounts: PASSWORDS, clones: ["a", "b"], hubUser: "alice" });
  ({ box } = fx);
  [cloneA, cloneB] = fx.clones as [string, string];
  const installed = await fx.installHooks();
  expect(installed.exitCode, installed.stderr).toBe(0);
}, 120_000);

afterEach(() => fx?.stopDaemons());

afterAll(() => fx?.stop());

/** A commits and pushes to the hub, whose hook announces it from "another machine". */
async function pushFromA(name: string): Promise<string> {
  await box.addAnnexedFile(cloneA, name, `content of ${name}\n`);
  const commit = await box.gitOut(cloneA, ["rev-parse", "HEAD"]);
  await execa("git", ["-C", cloneA, "annex", "sync", "--quiet", "--no-content"], { env: fx.hubMachineEnv, extendEnv: false, stdin: "ignore" });
  return commit;
}

/**
 * `git` and `git-annex` wrappers first on PATH: each copies the environment
 * of its own process (/proc/<pid>/environ, the pid that then execs the real
 * binary) to `records`, so every git and git-annex process the listener
 * starts, and every one those start (hooks, git-annex's own git calls), is
 * on file.
 */
async function recordingPath(records: string): Promise<string> {
  const bin = join(box.root, "recording-bin");
  await mkdir(bin, { recursive: true });
  await mkdir(records, { recursive: true });
  for (const name of ["git", "git-annex"]) {
    const wrapper = join(bin, name);
    await writeFile(wrapper, `#!/bin/sh\ncat /proc/$$/environ > '${records}/${name}.'$$\nexec /usr/bin/${name} "$@"\n`);
    await chmod(wrapper, 0o755);
  }
  return `${bin}:${box.env.PATH ?? ""}`;
}

/** Clone B's listener with the password in its environment only (no credentials file). */
async function listenWithEnvPassword(path = box.env.PATH ?? "") {
  await fx.configure(cloneB, "alice");
  const b = fx.listen(cloneB, { ...box.env, PATH: path, GIT_ANNEX_XMPP_PASSWORD: PASSWORDS.alice, HYGIENE_MARK: "listen" });
  await b.waitForLine(/connected as alice@localhost\//);
  await b.waitForLine(/sync finished/);
  return b;
}

/** Clone B's listener and its full JID, which a stranger's directed presence reaches. */
async function listenForStrangers() {
  await fx.useAccount(cloneB, "alice");
  const b = fx.listen(cloneB);
  const connected = await b.waitForLine(/connected as alice@localhost\//);
  await b.waitForLine(/sync finished/);
  return { b, fullJid: /connected as (\S+)/.exec(connected)![1]! };
}

describe("listen's children", () => {
  it("no git or git-annex process it starts, nor any they start, has the password in its environment", async () => {
    const records = join(box.root, "environs");
    const b = await listenWithEnvPassword(await recordingPath(records));
    const commit = await pushFromA("env.txt");
    await fx.merged(cloneB, commit);
    // Stopped once idle: a child killed by the stop before its wrapper copied its environment would leave an empty record.
    await waitForQuiet([b], { quietMs: 1500, timeoutMs: 60_000 });
    await b.stop();

    const names = await readdir(records);
    expect(names.some((n) => n.startsWith("git-annex."))).toBe(true);
    expect(names.some((n) => n.startsWith("git."))).toBe(true);
    for (const name of names) {
      const environ = (await readFile(join(records, name), "utf8")).split("\0");
      // Only the listener's children (and theirs) ran with the wrappers on PATH.
      expect(environ, name).toContain("HYGIENE_MARK=listen");
      expect(environ.filter((v) => v.startsWith("GIT_ANNEX_XMPP_PASSWORD=")), name).toEqual([]);
      expect(environ.join("\n"), name).not.toContain(PASSWORDS.alice);
    }
  });
});

describe("listen --verbose", () => {
  it("logs each git and git-annex command it runs (argv, directory, exit status, duration), never the password", async () => {
    const b = await listenWithEnvPassword();
    const commit = await pushFromA("verbose.txt");
    await fx.merged(cloneB, commit);
    const ran = b.lines.filter((l) => / debug: run: /.test(l));
    expect(ran.some((l) => new RegExp(`run: git-annex .*\\(in ${cloneB}\\): exit 0 after \\d+ ms`).test(l))).toBe(true);
    expect(ran.some((l) => /run: git (fetch|merge|rev-parse)\b/.test(l))).toBe(true);
    expect(b.lines.join("\n")).not.toContain(PASSWORDS.alice);
  });

  it("survives a stranger's presence nested 3,000 deep, and still syncs the next announcement", async () => {
    const { b, fullJid } = await listenForStrangers();
    let since = b.lines.length;
    const depth = 3_000;
    const nested = `<presence to='${fullJid}'>${"<x xmlns='urn:deep'>".repeat(depth)}${"</x>".repeat(depth)}</presence>`;
    await sendRawPresence(fx.server.account("carol"), nested);
    const dumped = await b.waitForLine(/xmpp: in <presence .*carol@localhost/, { since });
    expect(dumped.length).toBeLessThan(4_000);
    // The same depth in a message and in an iq, which xmpp.js's iq handling answers.
    for (const [name, attrs] of [["message", "type='chat'"], ["iq", "type='get' id='deep-1'"]] as const) {
      since = b.lines.length;
      const deep = `<${name} to='${fullJid}' ${attrs}>${"<x xmlns='urn:deep'>".repeat(depth)}${"</x>".repeat(depth)}</${name}>`;
      await sendRawPresence(fx.server.account("carol"), deep);
      await b.waitForLine(new RegExp(`xmpp: in <${name} .*carol@localhost`), { since });
    }

    since = b.lines.length;
    const commit = await pushFromA("after-deep.txt");
    await b.waitForLine(/announcement from alice@localhost\/.*push of/, { since });
    await fx.merged(cloneB, commit);
    expect(b.exited).toBe(false);
  });

  it("a newline in a stranger's attribute or text does not forge a log line", async () => {
    const { b, fullJid } = await listenForStrangers();
    const since = b.lines.length;
    const forged = "2026-01-01T00:00:00.000Z FORGED sync finished";
    const stanza =
      `<presence to='${fullJid}'><x xmlns='urn:forge' a='value&#10;${forged}'/>` +
      `<status>text&#10;${forged}&#13;</status></presence>`;
    await sendRawPresence(fx.server.account("carol"), stanza);
    await b.waitForLine(/xmpp: in <presence .*urn:forge/, { since });
    const quoting = b.lines.slice(since).filter((l) => l.includes("FORGED"));
    expect(quoting.length).toBeGreaterThan(0);
    // Every line that shows the text is the dump's own line, not one of the peer's making.
    for (const line of quoting) expect(line).toMatch(/^\S+ debug: xmpp: in <presence /);
    expect(b.exited).toBe(false);
  });
});

describe("a secret in a broken file is never quoted", () => {
  const secret = "hunter2-do-not-print";
  const run = (args: string[], env: NodeJS.ProcessEnv = box.env) => runCli([...args, "--repo", cloneB], { env });
  const output = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

  it("a configuration file with a password and a syntax error: status and doctor name the file and position only", async () => {
    for (const [name, text] of [
      ["broken.json", `{"jid":"${fx.server.jid("alice")}","password":"${secret}",}`],
      ["broken-yaml", `jid: ${fx.server.jid("alice")}\npassword: ${secret}\n  bad: [`],
    ] as const) {
      const file = join(box.root, name);
      await writeFile(file, text, { mode: 0o600 });
      for (const command of ["status", "doctor"]) {
        const result = await run([command, "--config", file]);
        expect(result.exitCode, output(result)).not.toBe(0);
        expect(output(result)).toContain(`${file} is not valid`);
        expect(output(result)).not.toContain(secret);
      }
    }
  });

  it("a password of the wrong type is not echoed", async () => {
    const file = join(box.root, "numeric.json");
    await writeFile(file, JSON.stringify({ jid: fx.server.jid("alice"), password: 80_451_337 }), { mode: 0o600 });
    const result = await run(["doctor", "--config", file]);
    expect(output(result)).toMatch(/`password` must be a non-empty string, got a number/);
    expect(output(result)).not.toContain("80451337");
  });
});
