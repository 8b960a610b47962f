/**
 * What a user finds without reading the source: an example in every
 * command's --help, exit codes and configuration places in the top-level
 * help, and a completion script that bash can source.
 */
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runCli } from "../support/cli.js";

const COMMANDS = ["notify", "listen", "flush", "repos", "ensure", "install-hooks", "uninstall-hooks", "configure", "status", "doctor"];
let bin: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // `git-annex-xmpp` on PATH, as an installed package puts it: the script calls it back.
  bin = await mkdtemp(join(tmpdir(), "gax-help-"));
  await symlink(CLI, join(bin, "git-annex-xmpp"));
  env = { PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: bin, LANG: "C.UTF-8" };
});

afterAll(async () => {
  await rm(bin, { recursive: true, force: true });
});

describe("--help", () => {
  it.each(COMMANDS)("%s --help shows a real example", async (command) => {
    const result = await runCli([command, "--help"], { env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Examples:$/m);
    expect(result.stdout).toMatch(new RegExp(`^ {2}(\\S.* )?git-annex-xmpp ${command}\\b`, "m"));
  });

  it("the top-level help lists the exit codes and where the configuration lives", async () => {
    const result = await runCli(["--help"], { env });
    expect(result.exitCode).toBe(0);
    for (const code of [/^ {2}0 +ok$/m, /^ {2}1 +the operation failed/m, /^ {2}2 +usage/m, /^ {2}70 +internal/m, /^ {2}78 +configuration/m]) {
      expect(result.stdout).toMatch(code);
    }
    expect(result.stdout).toContain("$XDG_CONFIG_HOME/git-annex-xmpp/config.json");
    expect(result.stdout).toContain("<hub.git>/git-annex-xmpp.config.json");
    expect(result.stdout).toContain("<clone>/.git/git-annex-xmpp.config.json");
    expect(result.stdout).toMatch(/never a work tree/i);
  });
});

describe("completion", () => {
  const complete = async (words: string[]) => {
    const script = [
      "source <(git-annex-xmpp completion)",
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}`,
      "_git-annex-xmpp_yargs_completions",
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join("\n");
    const result = await execa("bash", ["-c", script], { env, extendEnv: false, reject: false });
    expect(result.exitCode, result.stderr).toBe(0);
    return result.stdout.split("\n").filter(Boolean);
  };

  it("sourced in bash, completes a command name", async () => {
    expect(await complete(["git-annex-xmpp", "lis"])).toEqual(["listen"]);
    expect(await complete(["git-annex-xmpp", "uninst"])).toEqual(["uninstall-hooks"]);
  });

  it("completes a command's options", async () => {
    expect(await complete(["git-annex-xmpp", "doctor", "--off"])).toEqual(["--offline"]);
  });

  it("completion --help is help, not the script", async () => {
    const result = await runCli(["completion", "--help"], { env });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Examples:$/m);
    expect(result.stdout).toMatch(/^ {2}git-annex-xmpp completion >> ~\/\.bashrc/m);
    expect(result.stdout).not.toContain("yargs command completion script");
  });

  it("prints a zsh script under zsh", async () => {
    const result = await runCli(["completion"], { env: { ...env, ZSH_NAME: "zsh", SHELL: "/bin/zsh" } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^#compdef git-annex-xmpp$/m);
  });
});
