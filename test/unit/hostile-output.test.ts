/**
 * What a peer controls reaches our logs and our children only in bounded,
 * escaped, secret-free form: the stanza dump, the logger, the git adapter's
 * environment.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanGitEnv, isSecretVar } from "../../src/git/run.js";
import { createLogger, oneEntry } from "../../src/log.js";
import { createFileScramCache } from "../../src/state/scram-cache.js";
import { dumpXml, el, textOf, toXml, type XmlElement } from "../../src/xmpp/element.js";

function nested(depth: number, leaf: XmlElement | string = "deep text"): XmlElement {
  let node: XmlElement = el("x", { xmlns: "urn:deep" }, leaf);
  for (let i = 1; i < depth; i++) node = el("x", {}, node);
  return el("presence", { from: "stranger@example.org/r" }, node);
}

describe("element helpers on attacker-shaped input", () => {
  it("walk a presence nested 100,000 deep without recursion", () => {
    const deep = nested(100_000);
    expect(textOf(deep)).toBe("deep text");
    expect(toXml(deep).length).toBeGreaterThan(100_000);
    expect(dumpXml(deep).length).toBeLessThan(2_100);
  });

  it("dumpXml shows elements below the depth limit as an ellipsis", () => {
    const dump = dumpXml(nested(50), { maxDepth: 3, maxLength: 10_000 });
    expect(dump).toBe(`<presence from="stranger@example.org/r"><x><x><x>…</x></x></x></presence>`);
  });

  it("dumpXml stops at its length limit, even inside one huge attribute or text", () => {
    const huge = "a".repeat(1_000_000);
    expect(dumpXml(el("presence", { v: huge }), { maxDepth: 8, maxLength: 100 })).toMatch(/^<presence v="a{80,}…\[truncated\]$/);
    expect(dumpXml(el("presence", {}, huge), { maxDepth: 8, maxLength: 100 }).length).toBeLessThan(120);
    const wide = el("presence", {}, ...Array.from({ length: 100_000 }, () => el("y")));
    expect(dumpXml(wide, { maxDepth: 8, maxLength: 100 }).length).toBeLessThan(120);
  });

  it("dumpXml escapes newlines and every other control character, in attributes, text and names", () => {
    const forged = "\n2026-01-01T00:00:00.000Z sync finished\r\u001b[2K\u2028";
    const dump = dumpXml(el(`a${forged}`, { [`k${forged}`]: `v${forged}` }, `t${forged}`));
    expect(dump).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(dump).toContain("&#xa;2026-01-01T00:00:00.000Z sync finished&#xd;&#x1b;[2K&#x2028;");
  });

  it("toXml still writes the exact wire form", () => {
    expect(toXml(el("a", { v: `<&"'>` }, "<&>", el("b"), el("c", {}, "x")))).toBe(
      `<a v="&lt;&amp;&quot;&apos;&gt;">&lt;&amp;&gt;<b/><c>x</c></a>`,
    );
  });
});

describe("the logger", () => {
  const collect = () => {
    const out: string[] = [];
    return { out, log: createLogger({ level: "debug", timestamps: true, write: (l) => out.push(l), now: () => new Date(0) }) };
  };

  it("writes one entry per message: control characters escaped, continuation lines indented", () => {
    const { out, log } = collect();
    log.debug("ignored push: bad\n1970-01-01T00:00:00.000Z sync finished\rX\u001b[31m");
    expect(out).toHaveLength(1);
    const lines = out[0]!.split("\n");
    expect(lines[0]).toBe("1970-01-01T00:00:00.000Z debug: ignored push: bad");
    expect(lines[1]).toBe("    1970-01-01T00:00:00.000Z sync finished\\u000dX\\u001b[31m");
    expect(oneEntry("a\tb")).toBe("a\tb");
  });

  it("keeps SASL payloads out of a stanza dump", () => {
    const { out, log } = collect();
    log.debug(`xmpp: out ${dumpXml(el("auth", { xmlns: "urn:ietf:params:xml:ns:xmpp-sasl", mechanism: "PLAIN" }, "AGFsaWNlAHNlY3JldA=="))}`);
    expect(out[0]).toContain("[redacted]");
    expect(out[0]).not.toContain("AGFsaWNlAHNlY3JldA==");
  });
});

describe("the git adapter's environment", () => {
  it("strips our secrets and a hook's GIT_DIR, keeps the rest", () => {
    const env = cleanGitEnv({
      PATH: "/usr/bin",
      GIT_DIR: "/elsewhere",
      GIT_ANNEX_XMPP_PASSWORD: "pw",
      GIT_ANNEX_XMPP_CREDENTIALS: "/home/u/.config/git-annex-xmpp/credentials",
      GIT_ANNEX_XMPP_SEALED: "true",
      GIT_AUTHOR_NAME: "A",
    });
    expect(env).toEqual({
      PATH: "/usr/bin",
      GIT_ANNEX_XMPP_CREDENTIALS: "/home/u/.config/git-annex-xmpp/credentials",
      GIT_ANNEX_XMPP_SEALED: "true",
      GIT_AUTHOR_NAME: "A",
    });
    expect(["GIT_ANNEX_XMPP_PASSWORD", "GIT_ANNEX_XMPP_HUB_SECRET", "GIT_ANNEX_XMPP_SCRAM_KEY"].every(isSecretVar)).toBe(true);
    expect(["GIT_ANNEX_XMPP_JID", "GIT_ANNEX_XMPP_TIMEOUT", "XMPP_PASSWORD"].some(isSecretVar)).toBe(false);
  });
});

describe("the SCRAM key cache", () => {
  it("a corrupt file is reported by name, never quoted (V8's JSON message would show the keys)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gax-scram-"));
    try {
      const path = join(dir, "scram-keys.json");
      await writeFile(path, `{"version":1,"entries":{"k":{"salted":c2VjcmV0LWtleQ}}}`, { mode: 0o600 });
      const cache = createFileScramCache(path, { domain: "example.org", jid: "a@example.org" });
      const failure = await cache.get({ hash: "sha256", salt: "c2FsdA==", iterations: 4096 }).catch((e: Error) => e);
      expect((failure as Error).message).toContain(`${path} is not valid JSON`);
      expect((failure as Error).message).not.toContain("c2VjcmV0LWtleQ");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
