import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { commandPresentTest, isShellHook, loadClientTemplate, loadNotifyTemplate, renderNotifyBlock, shellQuote } from "../../src/git/hook-script.js";

describe("shellQuote", () => {
  it("leaves plain words and quotes the rest", () => {
    expect(shellQuote("/usr/bin/node")).toBe("/usr/bin/node");
    expect(shellQuote("/home/a b/it's")).toBe(`'/home/a b/it'\\''s'`);
    expect(shellQuote("$HOME")).toBe("'$HOME'");
  });
});

describe("commandPresentTest", () => {
  it("checks absolute paths and looks bare names up on PATH", () => {
    expect(commandPresentTest(["/usr/bin/node", "/opt/x/cli.js"])).toBe("[ -x /usr/bin/node ] && [ -f /opt/x/cli.js ]");
    expect(commandPresentTest(["git-annex-xmpp"])).toBe("command -v git-annex-xmpp >/dev/null 2>&1");
  });
});

describe("renderNotifyBlock", () => {
  it("fills every placeholder of the shipped template", async () => {
    const template = await loadNotifyTemplate();
    const block = renderNotifyBlock(template, { hook: "post-update", command: ["/usr/bin/node", "/opt/my tools/cli.js"] });
    expect(block).not.toMatch(/@[A-Z_]+@/);
    expect(block).toContain("git_annex_xmpp_hook=post-update");
    expect(block).toContain("set -- /usr/bin/node '/opt/my tools/cli.js'");
    // It never ends the hook it sits in: any exit is inside its own subshell.
    const outside = block.replace(/^\t\($[\s\S]*?^\t\) \|\| :$/m, "");
    expect(outside).not.toBe(block);
    expect(outside).not.toMatch(/\bexit\b/);
  });
});

describe("the client block (reference-transaction)", () => {
  it("shares the hub block's queue writer, fills every placeholder, parses in sh, and never exits the hook", async () => {
    const [client, hub] = [await loadClientTemplate(), await loadNotifyTemplate()];
    const shared = "git_annex_xmpp_enqueue() {";
    expect(client).toContain(shared);
    expect(hub).toContain(shared);
    const block = renderNotifyBlock(client, { hook: "reference-transaction", command: ["/usr/bin/node", "/opt/cli.js"] });
    expect(block).not.toMatch(/@[A-Z_]+@/);
    execFileSync("sh", ["-n", "-c", block]);
    const outside = block.replace(/if \[ -n "\$git_annex_xmpp_tracking" \]; then \([\s\S]*?^\t\) \|\| :; fi$/m, "");
    expect(outside).not.toBe(block);
    expect(outside).not.toMatch(/\bexit\b/);
  });
});

describe("isShellHook", () => {
  it.each([
    ["#!/bin/sh\n", true],
    ["#!/bin/bash -e\n", true],
    ["#!/usr/bin/env bash\n", true],
    ["#! /bin/dash\r\n", true],
    ["echo no shebang\n", true],
    ["", true],
    ["#!/usr/bin/env python3\n", false],
    ["#!/usr/bin/perl\n", false],
  ])("%j -> %j", (text, expected) => expect(isShellHook(text)).toBe(expected));
});
