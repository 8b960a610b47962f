import { describe, expect, it } from "vitest";
import { parseGitBoolean, parseRemoteConfig, remotesForUuids, type AnnexRemote } from "../../src/git/remotes.js";

/** What `git config -z --get-regexp '^remote\.'` prints: key, newline, value, NUL; a bare key for `key` without `=`. */
function z(entries: Array<[string, string | null]>): string {
  return entries.map(([key, value]) => (value === null ? `${key}\0` : `${key}\n${value}\0`)).join("");
}

const U1 = "11111111-1111-1111-1111-111111111111";
const U2 = "22222222-2222-2222-2222-222222222222";

describe("parseGitBoolean", () => {
  it.each([
    ["true", true], ["YES", true], ["On", true], ["1", true], ["2", true], ["-1", true],
    ["false", false], ["No", false], ["OFF", false], ["0", false], ["", false], [" false ", false],
  ] as const)("%j -> %j", (text, expected) => {
    expect(parseGitBoolean(text)).toBe(expected);
  });
  it("treats a key without a value as true", () => expect(parseGitBoolean(null)).toBe(true));
  it("does not guess at other words", () => expect(parseGitBoolean("maybe")).toBeUndefined());
});

describe("parseRemoteConfig", () => {
  it("reads url, annex-uuid and the sync switches, with git-annex's defaults", () => {
    const text = z([
      ["remote.origin.url", "/srv/hub.git"],
      ["remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"],
      ["remote.origin.annex-uuid", U1],
      ["remote.laptop.url", "ssh://laptop/~/annex"],
      ["remote.laptop.annex-sync", "false"],
      ["remote.laptop.annex-ignore", "true"],
      ["remote.laptop.annex-pull", "NO"],
    ]);
    expect(parseRemoteConfig(text)).toEqual([
      { name: "origin", url: "/srv/hub.git", uuid: U1, sync: true, ignore: false, pull: true },
      { name: "laptop", url: "ssh://laptop/~/annex", uuid: undefined, sync: false, ignore: true, pull: false },
    ]);
  });

  it("handles remote names with dots and keeps their case", () => {
    const text = z([
      ["remote.my.Remote.url", "/a"],
      ["remote.my.Remote.annex-uuid", U2],
      ["remote.my.Remote.annex-ignore", null],
    ]);
    expect(parseRemoteConfig(text)).toEqual([{ name: "my.Remote", url: "/a", uuid: U2, sync: true, ignore: true, pull: true }]);
  });

  it("keeps the first url and the last value of single-valued keys", () => {
    const text = z([
      ["remote.o.url", "/first"],
      ["remote.o.url", "/second"],
      ["remote.o.annex-sync", "false"],
      ["remote.o.annex-sync", "true"],
    ]);
    expect(parseRemoteConfig(text)[0]).toMatchObject({ url: "/first", sync: true });
  });

  it("keeps the default for values that are not booleans, and skips keys without a remote name", () => {
    const text = z([["remote.pushDefault", "origin"], ["remote.o.annex-pull", "sometimes"]]);
    expect(parseRemoteConfig(text)).toEqual([{ name: "o", url: undefined, uuid: undefined, sync: true, ignore: false, pull: true }]);
  });

  it("keeps values that contain newlines", () => {
    expect(parseRemoteConfig(z([["remote.o.url", "/a\nb"]]))[0]?.url).toBe("/a\nb");
  });

  it("returns nothing for empty output", () => expect(parseRemoteConfig("")).toEqual([]));
});

describe("remotesForUuids", () => {
  const remote = (name: string, over: Partial<AnnexRemote>): AnnexRemote => ({
    name, url: `/${name}`, uuid: U1, sync: true, ignore: false, pull: true, ...over,
  });
  const remotes = [
    remote("hub", {}),
    remote("other", { uuid: U2 }),
    remote("nosync", { sync: false }),
    remote("ignored", { ignore: true }),
    remote("nopull", { pull: false }),
    remote("special", { url: undefined }),
    remote("unknown", { uuid: undefined }),
  ];

  it("picks the git remotes with an announced UUID that sync would pull from", () => {
    expect(remotesForUuids(remotes, [U1]).map((r) => r.name)).toEqual(["hub"]);
    expect(remotesForUuids(remotes, new Set([U1, U2])).map((r) => r.name)).toEqual(["hub", "other"]);
  });

  it("matches nothing for an empty UUID or an unknown one", () => {
    expect(remotesForUuids(remotes, [""])).toEqual([]);
    expect(remotesForUuids(remotes, ["33333333-3333-3333-3333-333333333333"])).toEqual([]);
  });
});
