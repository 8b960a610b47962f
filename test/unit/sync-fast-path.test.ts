import { describe, expect, it } from "vitest";
import type { AnnexRemote } from "../../src/git/remotes.js";
import { hashDirLower, hashDirMixed } from "../../src/sync/annex-keys.js";
import { objectPaths } from "../../src/sync/presence.js";
import { planFastPull, type FastPullFacts } from "../../src/sync/pull.js";
import { transferSteps } from "../../src/sync/transfer.js";
import { parseExportRemotes, parseLocationLog, parseLogBatch, parsePreferredContentLog } from "../../src/sync/wanted.js";

const policy = (withWanted: Iterable<string>, exports: Iterable<string> = []) => ({ withWanted: new Set(withWanted), exports: new Set(exports) });

const remote = (name: string, over: Partial<AnnexRemote> = {}): AnnexRemote => ({
  name,
  url: `/srv/${name}.git`,
  uuid: `uuid-${name}`,
  sync: true,
  ignore: false,
  pull: true,
  ...over,
});

describe("object hash directories", () => {
  // Expected values from `git annex examinekey --format='${hashdirmixed} ${hashdirlower}'` (10.20230126).
  it.each([
    ["SHA256E-s1015--3cc63aa9ea590abce9422755b22567d92808d42eabbdde51dff22913f66d413c.dat", "38/Jk/", "c8e/85c/"],
    ["URL--http&c%%example.com%a&b", "GW/Fq/", "5cb/7fe/"],
    ["WORM-s3-m1700000000--dir%sub%file.txt", "fK/Pq/", "39b/d7a/"],
    ["SHA1-s0--da39a3ee5e6b4b0d3255bfef95601890afd80709", "Jx/11/", "cd1/d84/"],
    ["MD5E-s5--0123456789abcdef0123456789abcdef.tar.gz", "P0/6G/", "a0d/71b/"],
    ["SHA256E-s12--ééé.txt", "9g/7f/", "524/29d/"],
  ])("%s", (key, mixed, lower) => {
    expect(hashDirMixed(key)).toBe(mixed);
    expect(hashDirLower(key)).toBe(lower);
  });

  it("looks for content under both, with the escaped key file name", () => {
    expect(objectPaths("URL--http&c%%example.com%a&b")).toEqual([
      "GW/Fq/URL--http&ac&s&sexample.com&sa&ab/URL--http&ac&s&sexample.com&sa&ab",
      "5cb/7fe/URL--http&ac&s&sexample.com&sa&ab/URL--http&ac&s&sexample.com&sa&ab",
    ]);
  });
});

describe("planFastPull", () => {
  const facts = (over: Partial<FastPullFacts> = {}): FastPullFacts => ({
    branch: "main",
    onlyAnnex: false,
    syncArgs: [],
    names: ["origin"],
    remotes: [remote("origin"), remote("dirremote", { url: undefined })],
    ...over,
  });

  it("fetches the named git remotes when nothing else is asked for", () => {
    expect(planFastPull(facts())).toEqual({ fast: true, fetch: ["origin"] });
  });

  it("leaves out a remote with annex-pull=false, as sync does", () => {
    const remotes = [remote("origin"), remote("mirror", { pull: false })];
    expect(planFastPull(facts({ names: ["origin", "mirror"], remotes }))).toEqual({ fast: true, fetch: ["origin"] });
  });

  it.each([
    ["custom sync arguments", { syncArgs: ["--only-annex"] }, /custom git annex sync arguments/],
    ["a detached HEAD", { branch: undefined }, /no branch checked out/],
    ["an adjusted branch", { branch: "adjusted/main(unlocked)" }, /managed by git-annex/],
    ["a view branch", { branch: "views/main(tag=x)" }, /managed by git-annex/],
    ["annex.synconlyannex", { onlyAnnex: true }, /synconlyannex/],
    ["a special remote", { names: ["dirremote"] }, /dirremote is not a git remote/],
    ["an unknown remote", { names: ["nowhere"] }, /nowhere is not a git remote/],
  ])("leaves %s to git annex sync", (_, over, reason) => {
    const plan = planFastPull(facts(over as Partial<FastPullFacts>));
    expect(plan.fast).toBe(false);
    if (!plan.fast) expect(plan.reason).toMatch(reason);
  });
});

describe("transferSteps", () => {
  it("journals location changes for the push to commit once, and hides annex-sync=false remotes from get", () => {
    const all = ["uuid-here", "uuid-origin", "uuid-lan", "uuid-dirremote", "uuid-gh"];
    const steps = transferSteps([remote("origin"), remote("lan", { sync: false }), remote("dirremote", { url: undefined }), remote("gh", { ignore: true })], policy(all), "uuid-here");
    expect(steps.map((s) => [s.step, s.remote, s.args.join(" ")])).toEqual([
      ["get", undefined, "get -c annex.alwayscommit=false -c remote.lan.annex-ignore=true --auto --numcopies=1"],
      ["copy", "origin", "copy -c annex.alwayscommit=false --auto --numcopies=1 --to origin"],
      ["copy", "dirremote", "copy -c annex.alwayscommit=false --auto --numcopies=1 --to dirremote"],
      ["drop", "origin", "drop -c annex.alwayscommit=false --auto --from origin"],
      ["drop", "dirremote", "drop -c annex.alwayscommit=false --auto --from dirremote"],
      ["drop", undefined, "drop -c annex.alwayscommit=false --auto"],
    ]);
  });

  it("without a preferred content expression a repository wants everything, as sync --content has it: plain get/copy, no drop", () => {
    const steps = transferSteps([remote("origin"), remote("dirremote", { url: undefined })], policy(["uuid-dirremote"]), "uuid-here");
    expect(steps.map((s) => [s.step, s.remote, s.args.join(" ")])).toEqual([
      ["get", undefined, "get -c annex.alwayscommit=false"],
      ["copy", "origin", "copy -c annex.alwayscommit=false --to origin"],
      ["copy", "dirremote", "copy -c annex.alwayscommit=false --auto --numcopies=1 --to dirremote"],
      ["drop", "dirremote", "drop -c annex.alwayscommit=false --auto --from dirremote"],
    ]);
  });

  it("exports the tracking branch to an export remote, never copies or drops there, and gets nothing from it", () => {
    const remotes = [remote("origin"), remote("ex", { url: undefined, trackingBranch: "main" }), remote("ex2", { url: undefined }), remote("ro", { url: undefined, trackingBranch: "main", push: false })];
    const steps = transferSteps(remotes, policy(["uuid-here", "uuid-ex"], ["uuid-ex", "uuid-ex2", "uuid-ro"]), "uuid-here");
    expect(steps.map((s) => [s.step, s.remote, s.args.join(" ")])).toEqual([
      ["export", "ex", "export -c annex.alwayscommit=false main --to ex"],
      ["get", undefined, "get -c annex.alwayscommit=false -c remote.ex.annex-ignore=true -c remote.ex2.annex-ignore=true -c remote.ro.annex-ignore=true --auto --numcopies=1"],
      ["copy", "origin", "copy -c annex.alwayscommit=false --to origin"],
      ["drop", undefined, "drop -c annex.alwayscommit=false --auto"],
    ]);
  });
});

describe("drops from remotes (what sync --content also does)", () => {
  it("drops --from only the sync remotes that have a preferred content expression, before dropping here", () => {
    const steps = transferSteps([remote("origin"), remote("dirremote", { url: undefined }), remote("lan", { sync: false })], policy(["uuid-here", "uuid-dirremote", "uuid-lan"]), "uuid-here");
    expect(steps.filter((s) => s.step === "drop").map((s) => [s.remote, s.args.join(" ")])).toEqual([
      ["dirremote", "drop -c annex.alwayscommit=false --auto --from dirremote"],
      [undefined, "drop -c annex.alwayscommit=false --auto"],
    ]);
  });

  it("reads preferred-content.log: latest line per UUID, expressions with spaces, unset ones left out", () => {
    const log = [
      "8a0b1336-a822-4e7e-966f-11c8291bc8a6  timestamp=1795558125.756747206s",
      "8a0b1336-a822-4e7e-966f-11c8291bc8a6 standard timestamp=1795558120.1s",
      "f5e571cd-7926-4234-b58a-fe33bd81f467 include=*.mp3 or exclude=foo/* timestamp=1795558125.583596176s",
      "0d1e7a2b-0000-4000-8000-000000000001 present 1500000000.5s",
      "garbage",
    ].join("\n");
    expect([...parsePreferredContentLog(log)].sort()).toEqual(["0d1e7a2b-0000-4000-8000-000000000001", "f5e571cd-7926-4234-b58a-fe33bd81f467"]);
  });
});

describe("location logs (which remotes a drop --from concerns)", () => {
  it("the latest line of each repository decides", () => {
    const log = ["1795558125.5s 1 uuid-a", "1795558120.1s 1 uuid-b", "1795558126.0s 0 uuid-b", "1795558100s 0 uuid-c", "1795558101s 1 uuid-c", "junk"].join("\n");
    expect([...parseLocationLog(log)].sort()).toEqual(["uuid-a", "uuid-c"]);
  });

  it("reads cat-file --batch answers for names, missing ones included", () => {
    const text = "abc blob 16\n1700000000s 1 u1\nmore:path missing\ndef blob 0\n\n";
    expect(parseLogBatch(text, 3)).toEqual(["1700000000s 1 u1", undefined, ""]);
  });
});

describe("export remotes", () => {
  it("reads remote.log: exporttree=yes on the latest line of a UUID", () => {
    const log = [
      "u1 encryption=none exporttree=yes name=ex type=directory timestamp=1796053963.575010118s",
      "u2 encryption=none name=store type=directory timestamp=1796053949.296717068s",
      "u3 exporttree=yes name=old type=directory timestamp=10s",
      "u3 name=old type=directory timestamp=20s",
      "garbage",
    ].join("\n");
    expect(parseExportRemotes(log)).toEqual(new Set(["u1"]));
  });
});
