import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { handOff } from "../../src/handoff/client.js";
import { parseFastArgs } from "../../src/handoff/fast-notify.js";
import { socketPathFor } from "../../src/handoff/paths.js";
import { encodeLine, parseReply, parseRequest, type HandoffRequest } from "../../src/handoff/protocol.js";
import { quickConfig } from "../../src/handoff/quick-config.js";
import { createHandoffReceiver } from "../../src/handoff/receive.js";
import { startHandoffServer } from "../../src/handoff/server.js";
import { silentLogger } from "../../src/log.js";
import { openSpool } from "../../src/spool/spool.js";

const U1 = "11111111-1111-1111-1111-111111111111";
const request: HandoffRequest = { v: 1, op: "announce", jid: "alice@x", repo: "/srv/hub.git", refs: [{ ref: "refs/heads/main" }], createdAt: 9 };

describe("hand-off protocol", () => {
  it("round-trips a request and both replies", () => {
    expect(parseRequest(encodeLine(request).trim())).toEqual({ ok: true, value: request });
    expect(parseRequest(encodeLine({ ...request, uuids: [U1] }).trim())).toEqual({ ok: true, value: { ...request, uuids: [U1] } });
    expect(parseReply('{"v":1,"ok":true,"pid":5}')).toEqual({ ok: true, value: { v: 1, ok: true, pid: 5 } });
    expect(parseReply('{"v":1,"ok":false,"error":"no"}')).toEqual({ ok: true, value: { v: 1, ok: false, error: "no" } });
  });

  it.each([
    ["not json", /JSON/],
    ['{"v":2,"op":"announce"}', /version/],
    [JSON.stringify({ ...request, op: "exec" }), /unknown op/],
    [JSON.stringify({ ...request, repo: "relative/dir" }), /absolute/],
    [JSON.stringify({ ...request, jid: "nobody" }), /JID/],
    [JSON.stringify({ ...request, uuids: [] }), /uuids/],
    [JSON.stringify({ ...request, refs: "main" }), /refs/],
    [JSON.stringify({ ...request, createdAt: -1 }), /createdAt/],
  ])("refuses %s", (line, reason) => {
    const parsed = parseRequest(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

describe("parseFastArgs", () => {
  it("understands what the hook block passes", () => {
    expect(parseFastArgs(["--hook", "post-receive", "--repo", "/h", "--timeout", "5000"])).toEqual({
      hook: "post-receive", repo: "/h", timeout: 5000, verbose: false, refs: [],
    });
    expect(parseFastArgs(["--hook=post-update", "--repo=/h", "--", "refs/heads/a", "-x"])).toEqual({
      hook: "post-update", repo: "/h", verbose: false, refs: ["refs/heads/a", "-x"],
    });
  });

  it("leaves everything else to the full command", () => {
    expect(parseFastArgs(["--uuid", U1])).toBeUndefined();
    expect(parseFastArgs(["--help"])).toBeUndefined();
    expect(parseFastArgs(["--hook", "pre-push"])).toBeUndefined();
    expect(parseFastArgs(["--timeout", "soon"])).toBeUndefined();
    expect(parseFastArgs(["--repo"])).toBeUndefined();
  });
});

describe("quickConfig and the socket", () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "gax-handoff-"));
    env = { HOME: join(root, "home") };
    await mkdir(join(root, "home", ".config", "git-annex-xmpp"), { recursive: true });
    for (const d of ["hub.git/objects", "clone/.git/objects"]) await mkdir(join(root, d), { recursive: true });
    for (const d of ["hub.git", "clone/.git"]) await writeFile(join(root, d, "HEAD"), "ref: refs/heads/main\n");
    await writeFile(join(root, "hub.git", "config"), "[core]\n\tbare = true\n");
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const quick = (repoArg: string, extra: Partial<{ env: NodeJS.ProcessEnv; configArg: string }> = {}) =>
    quickConfig({ env: extra.env ?? env, cwd: root, repoArg, configArg: extra.configArg, overrides: {} });

  it("finds the account as load.ts would, from JSON files and the environment", async () => {
    await writeFile(join(root, "home", ".config", "git-annex-xmpp", "config.json"), JSON.stringify({ jid: "user@x", server: "s" }));
    expect((await quick("hub.git"))?.jid).toBe("user@x");
    await writeFile(join(root, "hub.git", "git-annex-xmpp.config.json"), JSON.stringify({ jid: "hub@x" }));
    expect((await quick("hub.git"))?.jid).toBe("hub@x");
    await writeFile(join(root, "clone", ".git", "git-annex-xmpp.config.json"), JSON.stringify({ jid: "clone@x" }));
    expect((await quick("clone"))?.jid).toBe("clone@x");
    expect((await quick("clone/.git"))?.jid).toBe("clone@x");
    expect((await quick("hub.git", { env: { ...env, GIT_ANNEX_XMPP_JID: "env@x" } }))?.jid).toBe("env@x");
  });

  it("gives up when it cannot be sure", async () => {
    await writeFile(join(root, "home", ".config", "git-annex-xmpp", "config.yaml"), "jid: user@x\n");
    expect(await quick("hub.git")).toBeUndefined();
    await rm(join(root, "home", ".config", "git-annex-xmpp", "config.yaml"));
    expect(await quick("elsewhere")).toBeUndefined();
  });

  it("reads nothing from a work tree's file, as load.ts", async () => {
    await writeFile(join(root, "clone", ".git", "git-annex-xmpp.config.json"), JSON.stringify({ jid: "clone@x" }));
    await writeFile(join(root, "clone", ".git-annex-xmpprc.json"), JSON.stringify({ jid: "alice@evil.example", server: "evil" }));
    expect(await quick("clone")).toMatchObject({ jid: "clone@x", server: undefined });
  });

  it("hands an announcement to the daemon, which spools it; another account is refused", async () => {
    const path = socketPathFor(env, "alice@x");
    const spool = openSpool(join(root, "spool"));
    const received: string[] = [];
    const server = await startHandoffServer({
      path,
      log: silentLogger,
      accept: createHandoffReceiver({
        jid: "alice@x",
        spool,
        resolveUuid: async () => U1,
        hasSecret: async (repo) => repo !== "/no/secret",
        sealed: false,
        received: (a) => received.push(...a.uuids),
      }),
    });
    expect(server).toBeDefined();
    try {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(path, ".."))).mode & 0o777).toBe(0o700);
      expect(await handOff(path, request, 2000)).toEqual({ accepted: true, pid: process.pid });
      expect(received).toEqual([U1]);
      expect((await spool.readAll()).map((i) => i.announcement)).toEqual([{ uuids: [U1], refs: request.refs, createdAt: 9, repo: request.repo }]);
      const other = await handOff(path, { ...request, jid: "mallory@x" }, 2000);
      expect(other).toMatchObject({ accepted: false, reason: expect.stringMatching(/serves alice@x, not mallory@x/) });
      // Sealed travels with the announcement; without a secret it is refused, never spooled to go out in the clear.
      expect(await handOff(path, { ...request, createdAt: 10, sealed: true }, 2000)).toMatchObject({ accepted: true });
      expect((await spool.readAll()).map((i) => i.announcement).at(-1)).toMatchObject({ createdAt: 10, sealed: true });
      const clear = await handOff(path, { ...request, repo: "/no/secret", sealed: true }, 2000);
      expect(clear).toMatchObject({ accepted: false, reason: expect.stringMatching(/sealed mode, but \/no\/secret has no announcement secret/) });
      expect(await spool.list()).toHaveLength(2);
      // A second daemon of the account leaves the live socket alone.
      expect(await startHandoffServer({ path, log: silentLogger, accept: async () => undefined })).toBeUndefined();
    } finally {
      await server?.close();
    }
    expect(await handOff(path, request, 2000)).toEqual({ accepted: false, reason: "no daemon" });
  });
});
