/** The guided configure's questions and what it saves, with scripted answers and a fake SRV lookup. */
import type { SrvRecord } from "node:dns";
import { describe, expect, it } from "vitest";
import type { LoadedConfig } from "../../src/config/load.js";
import { DEFAULTS, type Config } from "../../src/config/schema.js";
import { CheckFailedError } from "../../src/commands/configure.js";
import { askGuided, type GuidedAnswers } from "../../src/commands/configure-guided.js";
import type { CommandContext, Prompter } from "../../src/commands/context.js";
import { XmppAuthError } from "../../src/errors.js";

const target = { file: "/home/a/.config/git-annex-xmpp/config.json", places: ["config.json"], credentials: "/home/a/.config/git-annex-xmpp/credentials" };

function scripted(answers: string[]): Prompter & { asked: string[]; said: string[] } {
  const asked: string[] = [];
  const said: string[] = [];
  return {
    asked,
    said,
    async ask(question, options = {}) {
      asked.push(`${question}${options.default !== undefined ? ` [${options.default}]` : ""}${options.hidden ? " (hidden)" : ""}`);
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`no scripted answer for ${question}`);
      return answer === "" ? (options.default ?? "") : answer;
    },
    say: (text) => void said.push(text),
    close: () => {},
  };
}

function loaded(config: Partial<Config> = {}, sources: LoadedConfig["sources"] = {}): LoadedConfig {
  return { config: { ...DEFAULTS, ...config }, sources, files: [], ignored: [], userDir: "/nonexistent/git-annex-xmpp" };
}

const srv = (records: Array<Partial<SrvRecord>>) => async () => records.map((r) => ({ name: "", port: 5222, priority: 0, weight: 0, ...r }));
const ctx = {} as CommandContext;

async function guide(prompt: Prompter, current: LoadedConfig, lookup = srv([]), failures: unknown[] = []) {
  const saved: GuidedAnswers[] = [];
  await askGuided(ctx, prompt, { current, target, lookup }, async (answers) => {
    saved.push(answers);
    const failure = failures.shift();
    if (failure) throw failure;
  });
  return saved;
}

describe("askGuided", () => {
  it("offers the server and port of the SRV record and, accepted, does not pin them", async () => {
    const prompt = scripted(["alice@example.org", "pw", "", ""]);
    const saved = await guide(prompt, loaded(), srv([{ name: "xmpp.example.org", port: 5269 }]));
    expect(prompt.asked).toEqual(["XMPP account (JID)", "Password for alice@example.org (hidden)", "Server [xmpp.example.org]", "Port [5269]"]);
    expect(prompt.said).toContain("The SRV record _xmpp-client._tcp.example.org names xmpp.example.org port 5269.");
    expect(saved).toEqual([{ set: { jid: "alice@example.org" }, password: "pw" }]);
  });

  it("writes a server typed in, and a port only when it differs from that server's default", async () => {
    const prompt = scripted(["alice@example.org", "pw", "other.example.org", ""]);
    const saved = await guide(prompt, loaded(), srv([{ name: "xmpp.example.org", port: 5269 }]));
    expect(prompt.asked.at(-1)).toBe("Port [5222]");
    expect(saved).toEqual([{ set: { jid: "alice@example.org", server: "other.example.org" }, password: "pw" }]);
  });

  it("re-asks a value that is not a JID, a server or a port", async () => {
    const prompt = scripted(["alice", "alice@example.org", "pw", "xmpp://h", "h.example.org", "99999", "5300"]);
    const saved = await guide(prompt, loaded());
    expect(prompt.said.filter((line) => /must be|is not a JID/.test(line))).toHaveLength(3);
    expect(saved).toEqual([{ set: { jid: "alice@example.org", server: "h.example.org", port: 5300 }, password: "pw" }]);
  });

  it("shows the current values as defaults", async () => {
    const prompt = scripted(["", "pw", "", ""]);
    const saved = await guide(prompt, loaded({ jid: "bob@example.org", server: "chat.example.org", port: 5223 }));
    expect(prompt.asked).toEqual(["XMPP account (JID) [bob@example.org]", "Password for bob@example.org (hidden)", "Server [chat.example.org]", "Port [5223]"]);
    expect(saved).toEqual([{ set: { jid: "bob@example.org", server: "chat.example.org", port: 5223 }, password: "pw" }]);
  });

  it("asks again for a password the server refused, then gives up after three", async () => {
    const refused = () => new CheckFailedError(new XmppAuthError("alice@example.org", "not-authorized"));
    const prompt = scripted(["alice@example.org", "one", "", "", "two"]);
    const saved = await guide(prompt, loaded(), srv([]), [refused()]);
    expect(saved.map((s) => s.password)).toEqual(["one", "two"]);
    expect(prompt.said).toContain("The server refused this password for alice@example.org; nothing was saved. Try again.");
    const stubborn = scripted(["alice@example.org", "1", "", "", "2", "3"]);
    await expect(guide(stubborn, loaded(), srv([]), [refused(), refused(), refused()])).rejects.toBeInstanceOf(CheckFailedError);
  });

  it("does not ask for a password that the environment supplies", async () => {
    const current = loaded({ jid: "alice@example.org", password: "env-pw" }, { password: "environment variable GIT_ANNEX_XMPP_PASSWORD" });
    const prompt = scripted(["", "", ""]);
    const saved = await guide(prompt, current);
    expect(prompt.asked.some((q) => q.startsWith("Password"))).toBe(false);
    expect(prompt.said).toContain("The password comes from environment variable GIT_ANNEX_XMPP_PASSWORD; not asking for it.");
    expect(saved).toEqual([{ set: { jid: "alice@example.org" } }]);
  });
});
