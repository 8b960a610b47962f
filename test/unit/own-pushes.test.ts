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
    expect(pushesInReflog("refs/remotes/origin/master", text)).toEqual([{ remote: "origin", update: { ref: "refs/heads/master", old: A, new: B } }]);
  });

  it("maps git annex sync's synced/ branches and nested branch names", () => {
    const line = `${A} ${B} ${who}\tupdate by push\n`;
    expect(pushesInReflog("refs/remotes/hub/synced/git-annex", line)[0]).toEqual({ remote: "hub", update: { ref: "refs/heads/synced/git-annex", old: A, new: B } });
  });

  it("ignores what is not a remote-tracking ref or not a reflog line", () => {
    expect(pushesInReflog("refs/heads/master", `${A} ${B} ${who}\tupdate by push\n`)).toEqual([]);
    expect(pushesInReflog("refs/remotes/origin", `${A} ${B} ${who}\tupdate by push\n`)).toEqual([]);
    expect(pushesInReflog("refs/remotes/origin/x", `garbage\tupdate by push\n`)).toEqual([]);
  });
});
