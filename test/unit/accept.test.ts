import { describe, expect, it } from "vitest";
import { bareJid } from "../../src/config/schema.js";
import { describePresence, judgeSender, type Identity } from "../../src/agent/accept.js";

const identity: Identity = {
  fullJid: "me@example.org/git-annex-xmpp-4f2a",
  trusted: new Set(["me@example.org", "friend@example.net"]),
};

describe("bare", () => {
  it.each([
    ["me@example.org/res", "me@example.org"],
    ["Me@Example.ORG/Res", "me@example.org"],
    ["me@example.org", "me@example.org"],
    ["me@example.org/a/b", "me@example.org"],
  ])("%s -> %s", (jid, expected) => expect(bareJid(jid)).toBe(expected));
});

describe("judgeSender", () => {
  it("accepts another resource of our own account", () => {
    expect(judgeSender("me@example.org/laptop", identity)).toEqual({ accept: true });
    expect(judgeSender("me@example.org/git-annex-xmpp-9c1d", identity)).toEqual({ accept: true });
  });

  it("accepts a buddy, whatever the resource and letter case of the bare JID", () => {
    expect(judgeSender("friend@example.net/desktop", identity)).toEqual({ accept: true });
    expect(judgeSender("Friend@Example.NET/Desktop", identity)).toEqual({ accept: true });
    expect(judgeSender("friend@example.net", identity)).toEqual({ accept: true });
  });

  it("ignores our own full JID (the server echoes our presence)", () => {
    expect(judgeSender(identity.fullJid, identity)).toEqual({ accept: false, reason: "our own presence" });
  });

  it("ignores a stanza without sender", () => {
    expect(judgeSender(undefined, identity)).toEqual({ accept: false, reason: "no sender" });
    expect(judgeSender("", identity)).toEqual({ accept: false, reason: "no sender" });
  });

  it.each(["stranger@example.org/x", "me@example.org.evil/x", "friend@example.net.evil", "example.org", "me@evil.org/me@example.org"])(
    "ignores %s, naming it",
    (from) => {
      const verdict = judgeSender(from, identity);
      expect(verdict.accept).toBe(false);
      if (!verdict.accept) expect(verdict.reason).toBe(`${from} is neither our account nor a buddy`);
    },
  );

  it("trusts only our own account without buddies", () => {
    const alone: Identity = { fullJid: "me@example.org/a", trusted: new Set(["me@example.org"]) };
    expect(judgeSender("me@example.org/b", alone)).toEqual({ accept: true });
    expect(judgeSender("friend@example.net/b", alone).accept).toBe(false);
  });
});

describe("describePresence", () => {
  const common = { from: "me@example.org/x", type: undefined, extensions: [] };
  it("lists pushed UUIDs, naming a repository without UUID", () => {
    expect(describePresence({ kind: "push", uuids: ["u1", "", "u2"], ...common })).toBe("push of u1,(no uuid),u2");
  });
  it("gives the reason of an invalid presence", () => {
    expect(describePresence({ kind: "invalid", reason: "2 git-annex tags in one presence" })).toBe(
      "invalid git-annex presence (2 git-annex tags in one presence)",
    );
  });
  it("names the other kinds", () => {
    expect(describePresence({ kind: "query", ...common })).toBe("query");
    expect(describePresence({ kind: "signature", ...common })).toBe("signature");
    expect(describePresence({ kind: "not-git-annex" })).toBe("not-git-annex");
  });
});
