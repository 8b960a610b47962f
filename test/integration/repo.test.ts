/**
 * resolveRepo, listAnnexRemotes and readRefs against real repositories.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotAnnexRepoError } from "../../src/errors.js";
import { listAnnexRemotes, readRefs, remotesForUuids, requireAnnexUuid, resolveRepo } from "../../src/git/repo.js";
import { annex } from "../../src/git/run.js";
import { createGitSandbox, type GitSandbox } from "./git-sandbox.js";

let box: GitSandbox;
beforeAll(async () => {
  box = await createGitSandbox();
});
afterAll(async () => {
  await box.cleanup();
});

describe("resolveRepo", () => {
  it("finds the top level from a subdirectory and from inside .git", async () => {
    const repo = await box.makeRepo("work");
    await mkdir(path.join(repo, "sub", "dir"), { recursive: true });
    const fromSub = await resolveRepo(path.join(repo, "sub", "dir"));
    expect(fromSub).toMatchObject({ dir: repo, gitDir: path.join(repo, ".git"), bare: false });
    expect(fromSub.annexUuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await resolveRepo(path.join(repo, ".git"))).toEqual(fromSub);
    expect(await resolveRepo(path.join(repo, ".git", "hooks"))).toEqual(fromSub);
  });

  it("takes a bare repository's git directory as its dir", async () => {
    const hub = await box.makeRepo("hub.git", { bare: true });
    const info = await resolveRepo(hub);
    expect(info).toMatchObject({ dir: hub, gitDir: hub, bare: true });
    expect(requireAnnexUuid(info)).toBe(info.annexUuid);
  });

  it("reports a directory that is no repository, or none at all", async () => {
    const empty = path.join(box.root, "empty");
    await mkdir(empty);
    await expect(resolveRepo(empty)).rejects.toThrow(NotAnnexRepoError);
    await expect(resolveRepo(empty)).rejects.toThrow(/not a git repository/);
    await expect(resolveRepo(path.join(box.root, "nope"))).rejects.toThrow(/no such directory/);
  });

  it("tells to run git annex init when annex.uuid is missing", async () => {
    const plain = await box.makeRepo("plain", { annexInit: false });
    const info = await resolveRepo(plain);
    expect(info.annexUuid).toBeUndefined();
    expect(() => requireAnnexUuid(info)).toThrow(/no annex.uuid; run git annex init/);
  });
});

describe("listAnnexRemotes", () => {
  it("reads the UUIDs git-annex recorded and the sync settings", async () => {
    const hub = await box.makeRepo("remotes-hub.git", { bare: true });
    const hubUuid = requireAnnexUuid(await resolveRepo(hub));
    const clone = await box.clone(hub, "remotes-clone");
    await annex(clone, ["init", "clone"]);
    await box.git(clone, ["remote", "add", "my.other", hub]);
    await box.git(clone, ["config", "remote.my.other.annex-pull", "false"]);
    await box.commitFile(clone, "a", "a\n");
    await annex(clone, ["sync", "--no-content"]);

    const remotes = await listAnnexRemotes(clone);
    expect(remotes).toEqual([
      expect.objectContaining({ name: "origin", url: hub, uuid: hubUuid, sync: true, ignore: false, pull: true }),
      expect.objectContaining({ name: "my.other", url: hub, pull: false }),
    ]);
    expect(remotesForUuids(remotes, [hubUuid]).map((r) => r.name)).toEqual(["origin"]);
  });

  it("returns no remotes for a repository without any", async () => {
    expect(await listAnnexRemotes(await box.makeRepo("lonely", { annexInit: false }))).toEqual([]);
  });
});

describe("readRefs", () => {
  it("maps the refs that exist to their object ids and leaves the rest out", async () => {
    const repo = await box.makeRepo("refs");
    const head = await box.commitFile(repo, "a", "a\n");
    const refs = await readRefs(repo, ["refs/heads/main", "HEAD", "main", "refs/heads/missing", "git-annex"]);
    expect(refs.get("refs/heads/main")).toBe(head);
    expect(refs.get("HEAD")).toBe(head);
    expect(refs.get("main")).toBe(head);
    expect(refs.has("refs/heads/missing")).toBe(false);
    expect(refs.get("git-annex")).toMatch(/^[0-9a-f]{40}$/);
    expect(await readRefs(repo, [])).toEqual(new Map());
  });
});
