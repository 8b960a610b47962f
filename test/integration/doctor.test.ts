/** `doctor` on real repositories and a real server: what it finds, and that it never shows a secret. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { runCli } from "../support/cli.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";

let server: ProsodyServer;
let box: AnnexSandbox;
let hub: string;
let clone: string;

beforeAll(async () => {
  server = await startProsody({ accounts: { alice: "s3cret-pw" } });
  box = await createAnnexSandbox();
  hub = await box.makeHub(join(box.root, "hub.git"));
  clone = await box.cloneRepo(hub, join(box.root, "clone"), "clone");
  const dir = join(box.home, ".config", "git-annex-xmpp");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "credentials"), "s3cret-pw\n", { mode: 0o600 });
  await writeFile(join(dir, "config.json"), JSON.stringify({ jid: server.jid("alice"), server: server.host, port: server.port, ca: server.caFile }));
}, 60_000);

afterAll(async () => {
  await box?.cleanup();
  await server?.stop();
});

describe("doctor", () => {
  it("passes on a working hub and warns that its hooks are missing", async () => {
    const result = await runCli(["doctor", "--repo", hub], { env: box.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok   login: logged in as alice@localhost\/.* in \d+ ms$/m);
    expect(result.stdout).toMatch(/^warn hooks: no hook announces pushes/m);
    expect(result.stdout).not.toContain("s3cret-pw");
    await runCli(["install-hooks", "--repo", hub], { env: box.env });
    const after = await runCli(["doctor", "--repo", hub, "--json"], { env: box.env });
    const report = JSON.parse(after.stdout) as { ok: boolean; checks: Array<{ name: string; status: string; detail: string }> };
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.name === "hooks")).toMatchObject({ status: "ok", detail: "notify runs from post-receive" });
  });

  it("names the remotes a clone's listener syncs with", async () => {
    const result = await runCli(["doctor", "--repo", clone, "--offline"], { env: box.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok   remotes: listen syncs with: origin$/m);
  });

  it("names where each value came from: a file, an environment variable, the default", async () => {
    const file = join(box.home, ".config", "git-annex-xmpp", "config.json");
    const env = { ...box.env, GIT_ANNEX_XMPP_PASSWORD: "s3cret-pw", GIT_ANNEX_XMPP_TIMEOUT: "7000" };
    const result = await runCli(["doctor", "--repo", hub, "--offline"], { env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ok {3}account: alice@localhost \(from \S+config\.json\), password from environment variable GIT_ANNEX_XMPP_PASSWORD,/m);
    expect(result.stdout).toContain(`jid, server, port, ca from ${file}`);
    expect(result.stdout).toContain("timeoutMs from environment variable GIT_ANNEX_XMPP_TIMEOUT");
    expect(result.stdout).not.toContain("s3cret-pw");
    const json = JSON.parse((await runCli(["doctor", "--repo", hub, "--offline", "--json"], { env })).stdout) as { sources: Record<string, string> };
    expect(json.sources).toEqual({
      jid: file,
      server: file,
      port: file,
      ca: file,
      password: "environment variable GIT_ANNEX_XMPP_PASSWORD",
      timeoutMs: "environment variable GIT_ANNEX_XMPP_TIMEOUT",
    });
    // Without the variable: the credentials file.
    const plain = await runCli(["doctor", "--repo", hub, "--offline"], { env: box.env });
    expect(plain.stdout).toContain(`password from ${join(box.home, ".config", "git-annex-xmpp", "credentials")}`);
  });

  it("fails, with the reason and a hint, when the login is refused", async () => {
    const result = await runCli(["doctor", "--repo", hub], { env: { ...box.env, GIT_ANNEX_XMPP_PASSWORD: "wrong" } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^fail login: the XMPP server refused the login of alice@localhost \(not-authorized\)/m);
    expect(result.stdout).toMatch(/^ {5}hint: check the password/m);
    expect(result.stderr).toContain("git-annex-xmpp: 1 check failed: login");
    expect(result.stdout + result.stderr).not.toContain("wrong");
  });
});
