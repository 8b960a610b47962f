import { describe, expect, it } from "vitest";
import { pushesInReflog } from "../../src/agent/own-pushes.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const Z = "0".repeat(40);
const who = "A U Thor <a@example.org> 1796057229 +0000";

describe("pushesInReflog", () => {
  it("keeps the pushes, with the remote-side ref name, and skips fetches and deletions", () => {
    const text = [
      `${Z} ${A} ${who}\tfetch origin: storing head`,
      `${A} ${B} ${who}\tupdate by push`,
      `${B} ${Z} ${who}\tupdate by push`,
      `${A} ${B} ${who}\tfetch -q: fast-forward`,
      "",
    ].join("\n");
    expect(pushesInReflog("refs/remotes/origin/master", text, ["origin"])).toEqual([{ remote: "origin", update: { ref: "refs/heads/master", old: A, new: B } }]);
  });

  it("maps git annex sync's synced/ branches and nested branch names", () => {
    const line = `${A} ${B} ${who}\tupdate by push\n`;
    expect(pushesInReflog("refs/remotes/hub/synced/git-annex", line, ["hub", "origin"])[0]).toEqual({ remote: "hub", update: { ref: "refs/heads/synced/git-annex", old: A, new: B } });
  });

  it("ignores what is not a remote-tracking ref or not a reflog line", () => {
    expect(pushesInReflog("refs/heads/master", `${A} ${B} ${who}\tupdate by push\n`, ["origin"])).toEqual([]);
    expect(pushesInReflog("refs/remotes/origin", `${A} ${B} ${who}\tupdate by push\n`, ["origin"])).toEqual([]);
    expect(pushesInReflog("refs/remotes/origin/x", `garbage\tupdate by push\n`, ["origin"])).toEqual([]);
    // A tracking ref of no configured remote.
    expect(pushesInReflog("refs/remotes/gone/x", `${A} ${B} ${who}\tupdate by push\n`, ["origin"])).toEqual([]);
  });

  it("gives a ref to the longest remote name it starts with: names may hold a slash", () => {
    const line = `${A} ${B} ${who}\tupdate by push\n`;
    const remotes = ["nas", "nas/backup", "nas/backup2"];
    expect(pushesInReflog("refs/remotes/nas/backup/synced/main", line, remotes)[0]).toEqual({ remote: "nas/backup", update: { ref: "refs/heads/synced/main", old: A, new: B } });
    expect(pushesInReflog("refs/remotes/nas/main", line, remotes)[0]?.remote).toBe("nas");
    // "nas/backup" alone is the branch "backup" of "nas", not a remote with no branch.
    expect(pushesInReflog("refs/remotes/nas/backup", line, remotes)[0]).toEqual({ remote: "nas", update: { ref: "refs/heads/backup", old: A, new: B } });
  });
});
