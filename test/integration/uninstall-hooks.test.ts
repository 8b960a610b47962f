/** `uninstall-hooks` says what it leaves behind (the announcement secret) and how to remove it. */
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { runCli } from "../support/cli.js";

let box: AnnexSandbox;
let hub: string;

beforeAll(async () => {
  box = await createAnnexSandbox();
  hub = await box.makeHub(join(box.root, "hub.git"));
}, 60_000);

afterAll(async () => {
  await box?.cleanup();
});

const refs = async (repo: string) =>
  (await box.gitOut(repo, ["for-each-ref", "--format=%(refname)", "refs/annex-xmpp/"])).split("\n").filter(Boolean);

describe("uninstall-hooks", () => {
  it("names the secret ref it left and the command that removes it; that command works", async () => {
    const installed = await runCli(["install-hooks", "--repo", hub], { env: box.env });
    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(await refs(hub)).toEqual(["refs/annex-xmpp/secret"]);

    const result = await runCli(["uninstall-hooks", "--repo", hub], { env: box.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^left in place: the announcement secret refs\/annex-xmpp\/secret\b/m);
    const command = /^ {2}(git -C \S+ update-ref -d refs\/annex-xmpp\/secret)$/m.exec(result.stdout)?.[1];
    expect(command, result.stdout).toBeDefined();
    await execa("sh", ["-c", command!], { env: box.env });
    expect(await refs(hub)).toEqual([]);

    const again = await runCli(["uninstall-hooks", "--repo", hub], { env: box.env });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).not.toContain("left in place");
  });
});
