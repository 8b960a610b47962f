import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, EXIT } from "../../src/errors.js";
import { assertPrivateFile, loadConfig, resolveCredentials, userConfigDir, userStateDir } from "../../src/config/load.js";
import { bareJid, DEFAULTS, environmentLayers, isValidJid, jidDomain, parseConfig, parseConfigWithSources, type Config, type ConfigLayer } from "../../src/config/schema.js";

/** Run `fn`, expect a ConfigError, and return it for further checks. */
async function configError(fn: () => unknown): Promise<ConfigError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

const layer = (values: Record<string, unknown>, source = "/etc/test.json"): ConfigLayer => ({ source, values });

describe("`server`", () => {
  it.each(["xmpp.example.org", "localhost", "127.0.0.1", "xmpp.example.org.", "bücher.example"])("accepts the host %s", (server) => {
    expect(parseConfig([layer({ server })]).server).toBe(server);
  });

  it.each([
    ["xmpps://xmpp.example.org:5223", /not a URL/, /`tls: "direct"`/],
    ["wss://xmpp.example.org/xmpp-websocket", /not a URL/, /WebSocket is not supported/],
    ["xmpp.example.org:5222", /without a port/, /`port` to 5222/],
    ["has space.example.org", /a host name or IPv4 address/, /e\.g\./],
    ["::1", /IPv6/, /host name/],
  ])("refuses %s, naming the key (exit 78) and what to write instead", async (server, message, hint) => {
    const error = await configError(() => parseConfig([layer({ jid: "me@example.org", server }, "/home/me/.config/git-annex-xmpp/config.json")]));
    expect(error.key).toBe("server");
    expect(error.exitCode).toBe(EXIT.config);
    expect(error.message).toMatch(/config\.json: `server` must be /);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
  });
});

describe("parseConfig", () => {
  it("returns the defaults for no layers, without sharing the defaults' arrays", () => {
    const config = parseConfig([]);
    expect(config).toEqual(DEFAULTS);
    config.buddies.push("x@y");
    expect(DEFAULTS.buddies).toEqual([]);
  });

  it("lets later layers win key by key", () => {
    const config = parseConfig([
      layer({ jid: "me@example.org", server: "a.example.org", port: 5222 }),
      layer({ server: "b.example.org", resource: "laptop" }),
      layer({ port: 5269 }),
    ]);
    expect(config).toMatchObject({ jid: "me@example.org", server: "b.example.org", port: 5269, resource: "laptop" });
  });

  it("skips null and undefined values instead of resetting the key", () => {
    expect(parseConfig([layer({ server: "a" }), layer({ server: null, port: undefined })]).server).toBe("a");
  });

  it("refuses an unknown key with the key, the source and exit code 78", async () => {
    const error = await configError(() => parseConfig([layer({ jid: "me@example.org", pasword: "x" }, "/home/u/.config/git-annex-xmpp/config.json")]));
    expect(error.key).toBe("pasword");
    expect(error.message).toContain("`pasword`");
    expect(error.message).toContain("/home/u/.config/git-annex-xmpp/config.json");
    expect(error.hint).toContain("password");
    expect(error.exitCode).toBe(EXIT.config);
    expect(error.exitCode).toBe(78);
    expect(error.code).toBe("ECONFIG");
  });

  it.each([
    ["port", "5222"],
    ["port", 0],
    ["port", 65536],
    ["port", 52.5],
    ["timeoutMs", 0],
    ["timeoutMs", -1],
    ["timeoutMs", "5000"],
    ["tls", "ssl"],
    ["tls", true],
    ["server", ""],
    ["server", 42],
    ["resource", ["a"]],
    ["buddies", "friend@example.org"],
    ["buddies", [""]],
    ["buddies", [42]],
    ["syncArgs", "--content"],
    ["syncArgs", [1]],
    ["jid", "not-a-jid"],
    ["jid", "@example.org"],
    ["jid", "me@"],
    ["jid", "me @example.org"],
  ])("names the key for a wrong %s (%j)", async (key, value) => {
    const error = await configError(() => parseConfig([layer({ [key]: value }, "/repo/.git-annex-xmpprc")]));
    expect(error.key).toBe(key);
    expect(error.message).toContain(`\`${key}\``);
    expect(error.message).toContain("/repo/.git-annex-xmpprc");
  });

  it("requires buddies to be JIDs, naming the wrong one", async () => {
    const error = await configError(() => parseConfig([layer({ buddies: ["friend@example.org", "alice"] })]));
    expect(error.key).toBe("buddies");
    expect(error.message).toContain('"alice"');
    expect(parseConfig([layer({ buddies: ["friend@example.org", "bob@example.net/laptop"] })]).buddies).toEqual([
      "friend@example.org",
      "bob@example.net/laptop",
    ]);
  });

  it.each([["a string"], [42], [["jid"]], [null]])("refuses a layer that is not an object of keys (%j)", async (values) => {
    const error = await configError(() => parseConfig([{ source: "/x/config", values: values as never }]));
    expect(error.message).toContain("/x/config");
  });
});

describe("environmentLayers", () => {
  it("maps each variable to its key, one layer a variable, skipping empty ones", () => {
    const layers = environmentLayers({ GIT_ANNEX_XMPP_JID: "me@example.org", GIT_ANNEX_XMPP_SERVER: "", GIT_ANNEX_XMPP_PORT: "5223", HOME: "/h" });
    expect(layers).toEqual([
      { source: "environment variable GIT_ANNEX_XMPP_JID", values: { jid: "me@example.org" } },
      { source: "environment variable GIT_ANNEX_XMPP_PORT", values: { port: "5223" } },
    ]);
  });

  it("converts numbers and lists from strings", () => {
    const config = parseConfig(
      environmentLayers({
        GIT_ANNEX_XMPP_PORT: "5223",
        GIT_ANNEX_XMPP_TIMEOUT: "1500",
        GIT_ANNEX_XMPP_TLS: "direct",
        GIT_ANNEX_XMPP_BUDDIES: " a@example.org, b@example.net ,,",
        GIT_ANNEX_XMPP_PASSWORD: "pw",
        GIT_ANNEX_XMPP_CREDENTIALS: "/c",
        GIT_ANNEX_XMPP_CA: "/ca.pem",
        GIT_ANNEX_XMPP_RESOURCE: "r",
      }),
    );
    expect(config).toMatchObject({
      port: 5223,
      timeoutMs: 1500,
      tls: "direct",
      buddies: ["a@example.org", "b@example.net"],
      password: "pw",
      credentialsFile: "/c",
      ca: "/ca.pem",
      resource: "r",
    });
  });

  it.each([
    ["GIT_ANNEX_XMPP_PORT", "abc", "port"],
    ["GIT_ANNEX_XMPP_PORT", "70000", "port"],
    ["GIT_ANNEX_XMPP_TIMEOUT", "soon", "timeoutMs"],
    ["GIT_ANNEX_XMPP_TIMEOUT", "-5", "timeoutMs"],
    ["GIT_ANNEX_XMPP_TLS", "ssl", "tls"],
    ["GIT_ANNEX_XMPP_JID", "me", "jid"],
    ["GIT_ANNEX_XMPP_BUDDIES", "a@example.org,bob", "buddies"],
  ])("names the variable in errors: %s=%s", async (name, value, key) => {
    const error = await configError(() => parseConfig(environmentLayers({ [name]: value })));
    expect(error.message).toContain(`environment variable ${name}`);
    expect(error.key).toBe(key);
    expect(error.exitCode).toBe(78);
  });
});

describe("JID helpers", () => {
  it.each(["me@example.org", "me@example.org/res", "me@example.org/res/with/slash", "Me@Example.ORG"])("accepts %s", (jid) =>
    expect(isValidJid(jid)).toBe(true),
  );
  it.each(["example.org", "me@", "@example.org", "me@ex ample.org", "a@b@c", "me@example.org/", "<me>@example.org", ""])("refuses %j", (jid) =>
    expect(isValidJid(jid)).toBe(false),
  );
  it("bares and lower-cases, and finds the domain", () => {
    expect(bareJid("Me@Example.org/Laptop")).toBe("me@example.org");
    expect(jidDomain("Me@Example.org/Laptop")).toBe("example.org");
  });
});

describe("with files", () => {
  let root: string;
  let home: string;
  let userDir: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "gax-config-"));
    home = join(root, "home");
    repo = join(root, "work", "repo");
    env = { HOME: home };
    userDir = join(home, ".config", "git-annex-xmpp");
    await mkdir(userDir, { recursive: true });
    await mkdir(repo, { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function write(path: string, content: unknown, mode = 0o644): Promise<string> {
    await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
    await chmod(path, mode);
    return path;
  }

  describe("directories", () => {
    it("uses ~/.config without XDG_CONFIG_HOME, and XDG_CONFIG_HOME when absolute", () => {
      expect(userConfigDir({ HOME: "/h" })).toBe("/h/.config/git-annex-xmpp");
      expect(userConfigDir({ HOME: "/h", XDG_CONFIG_HOME: "/x" })).toBe("/x/git-annex-xmpp");
      expect(userConfigDir({ HOME: "/h", XDG_CONFIG_HOME: "relative" })).toBe("/h/.config/git-annex-xmpp");
      expect(userStateDir({ HOME: "/h" })).toBe("/h/.local/state/git-annex-xmpp");
      expect(userStateDir({ HOME: "/h", XDG_STATE_HOME: "/s" })).toBe("/s/git-annex-xmpp");
    });

    it("reads the user file from XDG_CONFIG_HOME", async () => {
      const xdg = join(root, "xdg");
      await mkdir(join(xdg, "git-annex-xmpp"), { recursive: true });
      await write(join(userDir, "config.json"), { resource: "from-home" });
      const file = await write(join(xdg, "git-annex-xmpp", "config.json"), { resource: "from-xdg" });
      const loaded = await loadConfig({ env: { ...env, XDG_CONFIG_HOME: xdg } });
      expect(loaded.config.resource).toBe("from-xdg");
      expect(loaded.files).toEqual([file]);
      expect(loaded.userDir).toBe(join(xdg, "git-annex-xmpp"));
    });
  });

  describe("loadConfig", () => {
    it("finds nothing and returns the defaults", async () => {
      const loaded = await loadConfig({ env, repoDir: repo, repoHasWorkTree: false });
      expect(loaded).toEqual({ config: DEFAULTS, sources: {}, files: [], ignored: [], userDir });
    });

    it("applies user file < repo file < environment < overrides", async () => {
      const userFile = await write(join(userDir, "config.json"), {
        jid: "me@example.org",
        server: "user.example.org",
        port: 1001,
        resource: "user",
        timeoutMs: 1111,
      });
      const repoFile = await write(join(repo, ".git-annex-xmpprc.json"), { server: "repo.example.org", port: 1002, resource: "repo" });
      const loaded = await loadConfig({
        env: { ...env, GIT_ANNEX_XMPP_SERVER: "env.example.org", GIT_ANNEX_XMPP_PORT: "1003" },
        // A bare hub's directory: connection settings are allowed there.
        repoDir: repo,
        repoHasWorkTree: false,
        overrides: { server: "flag.example.org", tls: undefined },
      });
      expect(loaded.files).toEqual([userFile, repoFile]);
      expect(loaded.config).toMatchObject({
        jid: "me@example.org",
        timeoutMs: 1111,
        resource: "repo",
        port: 1003,
        server: "flag.example.org",
        tls: "starttls",
      });
    });

    it("names the file and the key for an unknown key, with exit code 78", async () => {
      const file = await write(join(repo, ".git-annex-xmpprc.json"), { jid: "me@example.org", hostname: "x" });
      const error = await configError(() => loadConfig({ env, repoDir: repo, repoHasWorkTree: false }));
      expect(error.key).toBe("hostname");
      expect(error.message).toContain(file);
      expect(error.exitCode).toBe(78);
    });

    it("names the key for a wrong type in a file", async () => {
      await write(join(userDir, "config.json"), { port: "5222" });
      const error = await configError(() => loadConfig({ env }));
      expect(error.key).toBe("port");
    });

    it("names the variable for a wrong environment value", async () => {
      const error = await configError(() => loadConfig({ env: { ...env, GIT_ANNEX_XMPP_PORT: "abc" } }));
      expect(error.message).toContain("GIT_ANNEX_XMPP_PORT");
      expect(error.key).toBe("port");
    });

    it("reads a JSON rc file without extension", async () => {
      await write(join(repo, ".git-annex-xmpprc"), `{ "jid": "me@example.org", "buddies": ["a@example.org"] }`);
      const loaded = await loadConfig({ env, repoDir: repo, repoHasWorkTree: false });
      expect(loaded.config).toMatchObject({ jid: "me@example.org", buddies: ["a@example.org"] });
    });

    it("reads a YAML rc file without extension", async () => {
      await write(join(repo, ".git-annex-xmpprc"), "jid: me@example.org\nbuddies:\n  - a@example.org\ntimeoutMs: 5223\n");
      const loaded = await loadConfig({ env, repoDir: repo, repoHasWorkTree: false });
      expect(loaded.config).toMatchObject({ jid: "me@example.org", buddies: ["a@example.org"], timeoutMs: 5223 });
    });

    it("reads no key from a work tree's file, jid included, and reports the file as ignored", async () => {
      await write(join(userDir, "config.json"), { jid: "alice@example.org" });
      for (const [key, value] of [
        ["jid", "alice@evil.example"],
        ["server", "evil.example.org"],
        ["port", 1],
        ["ca", "/tmp/evil-ca.pem"],
        ["credentialsFile", "/home/me/.ssh/id_ed25519"],
        ["syncArgs", ["-c", "core.sshCommand=evil"]],
        ["buddies", ["mallory@evil.example"]],
        ["password", "s3cret"],
      ] as const) {
        const file = await write(join(repo, ".git-annex-xmpprc.json"), { [key]: value });
        const loaded = await loadConfig({ env, repoDir: repo, repoHasWorkTree: true });
        expect(loaded.config).toEqual({ ...DEFAULTS, jid: "alice@example.org" });
        expect(loaded.ignored).toEqual([file]);
        expect(loaded.files).not.toContain(file);
      }
    });

    it("ignores a malformed work-tree file instead of failing, and a package.json without our key silently", async () => {
      const rc = await write(join(repo, ".git-annex-xmpprc.json"), "{ not json");
      await write(join(repo, "package.json"), { name: "x" });
      expect((await loadConfig({ env, repoDir: repo })).ignored).toEqual([rc]);
      const pkg = await write(join(repo, "package.json"), { name: "x", "git-annex-xmpp": { jid: "x@evil.example" } });
      expect((await loadConfig({ env, repoDir: repo })).ignored).toEqual([pkg, rc]);
    });

    it("does not read a JavaScript config from a work tree", async () => {
      await write(join(repo, "git-annex-xmpp.config.mjs"), "export default { resource: 'from-js' };\n");
      expect((await loadConfig({ env, repoDir: repo, repoHasWorkTree: true })).config.resource).toBe(DEFAULTS.resource);
    });

    it("reads a clone's private config in its .git directory, over its work tree's", async () => {
      const gitDir = join(repo, ".git");
      await mkdir(gitDir, { recursive: true });
      const tree = await write(join(repo, ".git-annex-xmpprc.json"), { resource: "tree", jid: "tree@example.org" });
      const own = await write(join(gitDir, "git-annex-xmpp.config.json"), { server: "private.example.org", resource: "private" });
      const loaded = await loadConfig({ env, repoDir: repo, repoHasWorkTree: true, gitDir });
      expect(loaded.files).toEqual([own]);
      expect(loaded.ignored).toEqual([tree]);
      expect(loaded.config).toMatchObject({ jid: undefined, resource: "private", server: "private.example.org" });
    });

    it("treats an empty rc file as no keys", async () => {
      await write(join(repo, ".git-annex-xmpprc"), "\n");
      expect((await loadConfig({ env, repoDir: repo, repoHasWorkTree: false })).config).toEqual(DEFAULTS);
    });

    it("reads a YAML user config file", async () => {
      await write(join(userDir, "config.yaml"), "jid: me@example.org\ntls: direct\n");
      expect((await loadConfig({ env })).config).toMatchObject({ jid: "me@example.org", tls: "direct" });
    });

    it("reads the git-annex-xmpp key of package.json in the repo", async () => {
      const file = await write(join(repo, "package.json"), { name: "x", "git-annex-xmpp": { resource: "from-package" } });
      const loaded = await loadConfig({ env, repoDir: repo, repoHasWorkTree: false });
      expect(loaded.config.resource).toBe("from-package");
      expect(loaded.files).toEqual([file]);
    });

    it("passes over a package.json without the key", async () => {
      await write(join(repo, "package.json"), { name: "x" });
      const rc = await write(join(repo, ".git-annex-xmpprc.yaml"), "resource: from-rc\n");
      const loaded = await loadConfig({ env, repoDir: repo, repoHasWorkTree: false });
      expect(loaded.config.resource).toBe("from-rc");
      expect(loaded.files).toEqual([rc]);
    });

    it("never picks up a file from a parent of the repo dir", async () => {
      await write(join(root, "work", ".git-annex-xmpprc.json"), { resource: "parent" });
      await write(join(root, "work", "package.json"), { "git-annex-xmpp": { resource: "parent-package" } });
      await write(join(root, ".git-annex-xmpprc"), `{"resource": "grandparent"}`);
      const loaded = await loadConfig({ env, repoDir: repo, repoHasWorkTree: false });
      expect(loaded.files).toEqual([]);
      expect(loaded.config.resource).toBe(DEFAULTS.resource);
    });

    it("reads only the --config file when one is given", async () => {
      await write(join(userDir, "config.json"), { resource: "user", port: 1 });
      await write(join(repo, ".git-annex-xmpprc.json"), { resource: "repo", port: 2 });
      const explicit = await write(join(root, "explicit.yml"), "resource: explicit\n");
      const loaded = await loadConfig({ env: { ...env, GIT_ANNEX_XMPP_TIMEOUT: "42" }, repoDir: repo, explicitFile: explicit });
      expect(loaded.files).toEqual([explicit]);
      expect(loaded.config).toMatchObject({ resource: "explicit", port: undefined, timeoutMs: 42 });
    });

    it("fails on a missing --config file, naming it", async () => {
      const missing = join(root, "nope.json");
      const error = await configError(() => loadConfig({ env, explicitFile: missing }));
      expect(error.message).toContain(missing);
    });

    it("fails on a file that does not parse, naming it", async () => {
      await write(join(repo, ".git-annex-xmpprc.json"), "{ not json");
      const error = await configError(() => loadConfig({ env, repoDir: repo, repoHasWorkTree: false }));
      expect(error.message).toContain(repo);
    });

    it.each([["a string", `"hello"`], ["a number", "42"], ["a list", `["jid"]`]])(
      "refuses a file that holds %s instead of keys, as a configuration error",
      async (_what, content) => {
        const file = await write(join(repo, ".git-annex-xmpprc.json"), content);
        const error = await configError(() => loadConfig({ env, repoDir: repo, repoHasWorkTree: false }));
        expect(error.message).toContain(file);
        expect(error.exitCode).toBe(78);
      },
    );

    it("resolves a relative credentialsFile against the file that names it", async () => {
      await write(join(userDir, "config.json"), { credentialsFile: "secrets/pw" });
      expect((await loadConfig({ env })).config.credentialsFile).toBe(join(userDir, "secrets", "pw"));
    });

    it("allows a password in a private file of a bare repository", async () => {
      await write(join(repo, ".git-annex-xmpprc.json"), { password: "s3cret" }, 0o600);
      expect((await loadConfig({ env, repoDir: repo, repoHasWorkTree: false })).config.password).toBe("s3cret");
    });

    it("refuses a config file with a password that others can read, and accepts it at 0600", async () => {
      const file = await write(join(userDir, "config.json"), { jid: "me@example.org", password: "s3cret" }, 0o644);
      const error = await configError(() => loadConfig({ env }));
      expect(error.message).toContain(file);
      expect(error.message).toContain("0644");
      expect(error.hint).toBe(`run: chmod 600 ${file}`);
      await chmod(file, 0o600);
      expect((await loadConfig({ env })).config.password).toBe("s3cret");
    });

    it("does not mind the mode of a config file without a password", async () => {
      await write(join(userDir, "config.json"), { jid: "me@example.org" }, 0o644);
      expect((await loadConfig({ env })).config.jid).toBe("me@example.org");
    });
  });

  describe("assertPrivateFile", () => {
    it.each([0o600, 0o400, 0o700])("accepts mode %o", async (mode) => {
      await expect(assertPrivateFile(await write(join(root, "f"), "x", mode), "credentials file")).resolves.toBeUndefined();
    });
    it.each([0o644, 0o640, 0o604, 0o660, 0o666])("refuses mode %o", async (mode) => {
      const file = await write(join(root, "f"), "x", mode);
      const error = await configError(() => assertPrivateFile(file, "credentials file"));
      expect(error.key).toBe("credentialsFile");
      expect(error.hint).toContain("chmod 600");
    });
  });

  describe("resolveCredentials", () => {
    const base: Config = { ...DEFAULTS, jid: "me@example.org" };

    it("needs a jid", async () => {
      const error = await configError(() => resolveCredentials({ ...base, jid: undefined }, userDir));
      expect(error.key).toBe("jid");
      expect(error.exitCode).toBe(78);
      expect(error.hint).toContain("GIT_ANNEX_XMPP_JID");
    });

    it("prefers the password from the configuration", async () => {
      await write(join(userDir, "credentials"), "from-file\n", 0o600);
      expect(await resolveCredentials({ ...base, password: "pw" }, userDir)).toEqual({
        jid: "me@example.org",
        password: "pw",
        source: "configuration",
      });
    });

    it("reads the first line of an explicit 0600 credentials file", async () => {
      const file = await write(join(root, "creds"), "s3cret pass\nsecond line\n", 0o600);
      expect(await resolveCredentials({ ...base, credentialsFile: file }, userDir)).toEqual({
        jid: "me@example.org",
        password: "s3cret pass",
        source: file,
      });
    });

    it("strips a CRLF line end", async () => {
      const file = await write(join(root, "creds"), "s3cret\r\n", 0o600);
      expect((await resolveCredentials({ ...base, credentialsFile: file }, userDir)).password).toBe("s3cret");
    });

    it("refuses a credentials file at 0644 with a chmod hint", async () => {
      const file = await write(join(root, "creds"), "s3cret\n", 0o644);
      const error = await configError(() => resolveCredentials({ ...base, credentialsFile: file }, userDir));
      expect(error.key).toBe("credentialsFile");
      expect(error.message).toContain(file);
      expect(error.hint).toBe(`run: chmod 600 ${file}`);
    });

    it("fails on a missing explicit credentials file, naming it", async () => {
      const file = join(root, "missing");
      const error = await configError(() => resolveCredentials({ ...base, credentialsFile: file }, userDir));
      expect(error.key).toBe("credentialsFile");
      expect(error.message).toContain(file);
    });

    it("fails on an empty credentials file", async () => {
      const file = await write(join(root, "creds"), "\nsecond\n", 0o600);
      const error = await configError(() => resolveCredentials({ ...base, credentialsFile: file }, userDir));
      expect(error.message).toContain("empty");
    });

    it("uses <userDir>/credentials when present", async () => {
      const file = await write(join(userDir, "credentials"), "default-pw\n", 0o600);
      expect(await resolveCredentials(base, userDir)).toEqual({ jid: "me@example.org", password: "default-pw", source: file });
    });

    it("checks the mode of the default credentials file too", async () => {
      await write(join(userDir, "credentials"), "default-pw\n", 0o644);
      expect((await configError(() => resolveCredentials(base, userDir))).key).toBe("credentialsFile");
    });

    it("without any password says where to put one", async () => {
      const error = await configError(() => resolveCredentials(base, userDir));
      expect(error.key).toBe("password");
      expect(error.message).toContain("me@example.org");
      expect(error.hint).toContain(join(userDir, "credentials"));
      expect(error.hint).toContain("GIT_ANNEX_XMPP_PASSWORD");
    });

    it("end to end: environment jid + default credentials file", async () => {
      await write(join(userDir, "credentials"), "pw\n", 0o600);
      const loaded = await loadConfig({ env: { ...env, GIT_ANNEX_XMPP_JID: "me@example.org" } });
      expect((await resolveCredentials(loaded.config, loaded.userDir)).password).toBe("pw");
    });
  });
});

describe("configure --set KEY=VALUE", () => {
  it("reads the value as JSON when it parses, else as text", async () => {
    const { parseAssignment } = await import("../../src/commands/configure.js");
    expect(parseAssignment("port=5223")).toEqual(["port", 5223]);
    expect(parseAssignment("sealed=true")).toEqual(["sealed", true]);
    expect(parseAssignment('buddies=["b@x.org"]')).toEqual(["buddies", ["b@x.org"]]);
    expect(parseAssignment("server=xmpp.example.org")).toEqual(["server", "xmpp.example.org"]);
    expect(parseAssignment("resource=a=b")).toEqual(["resource", "a=b"]);
    expect(() => parseAssignment("=x")).toThrow(/KEY=VALUE/);
    expect(() => parseAssignment("port")).toThrow(/KEY=VALUE/);
  });
});

describe("parseConfigWithSources", () => {
  it("names the layer each value came from; a later layer's value wins with its source", () => {
    const { config, sources } = parseConfigWithSources([
      { source: "/home/a/.config/git-annex-xmpp/config.json", values: { jid: "a@example.org", port: 5222 } },
      ...environmentLayers({ GIT_ANNEX_XMPP_PASSWORD: "pw", GIT_ANNEX_XMPP_PORT: "5300" }),
    ]);
    expect(config.port).toBe(5300);
    expect(sources).toEqual({
      jid: "/home/a/.config/git-annex-xmpp/config.json",
      password: "environment variable GIT_ANNEX_XMPP_PASSWORD",
      port: "environment variable GIT_ANNEX_XMPP_PORT",
    });
  });
});
