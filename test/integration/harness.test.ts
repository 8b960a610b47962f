import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnnexSandbox, type AnnexSandbox } from "../support/annex.js";
import { startProsody, type ProsodyServer } from "../support/prosody.js";
import { observePresences, sendRawPresence } from "../support/slixmpp.js";
import { isPortFree } from "../support/wait.js";

// Smoke test of the integration harness itself: if this fails, every other
// integration test's failure is about the harness, not the product.

const PUSH_PRESENCE =
  "<presence><show>xa</show><priority>-1</priority><status>git-annex</status>" +
  "<git-annex xmlns='git-annex' push='u1'/></presence>";

describe("private prosody + slixmpp", () => {
  let server: ProsodyServer;

  beforeAll(async () => {
    server = await startProsody({
      accounts: { alice: "alice-secret", bob: "bob-secret" },
      rosters: [["alice", "bob"]],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("fans a raw git-annex presence out to a mutually subscribed contact", async () => {
    const bob = await observePresences(server.account("bob"));
    try {
      await sendRawPresence(server.account("alice"), PUSH_PRESENCE);
      const seen = await bob.waitFor((p) => p.from.startsWith("alice@localhost/") && p.xml.includes("git-annex"), 10_000, {
        what: "alice's git-annex push presence",
      });
      expect(seen.xml).toMatch(/<git-annex xmlns="git-annex" push="u1" ?\/>/);
      expect(seen.type).toBe("xa");
    } finally {
      await bob.stop();
    }
  });

  it("comes back on the same port after kill -9", async () => {
    const port = server.port;
    await server.kill9();
    expect(await isPortFree(port)).toBe(true);
    await server.start();
    expect(server.port).toBe(port);
    const bob = await observePresences(server.account("bob"));
    try {
      await sendRawPresence(server.account("alice"), PUSH_PRESENCE);
      await bob.waitFor((p) => p.from.startsWith("alice@localhost/") && p.type === "xa", 10_000, {
        what: "alice's presence after the restart",
      });
    } finally {
      await bob.stop();
    }
  });

  it("listens on 127.0.0.1:port only", async () => {
    const { stdout } = await execa("ss", ["-Hltunp"]);
    const ours = stdout.split("\n").filter((line) => line.includes(`pid=${server.pid},`));
    expect(ours.map((line) => line.split(/\s+/)[4])).toEqual([`127.0.0.1:${server.port}`]);
  });

  it("verifies TLS against the private CA only", async () => {
    // A login that trusts only the system CAs must fail certificate checks.
    const untrusted = { ...server.account("alice"), caFile: "/etc/ssl/certs/ca-certificates.crt" };
    await expect(sendRawPresence(untrusted, "<presence/>")).rejects.toThrow(/certificate/);
  });
});

describe("git-annex sandbox", () => {
  let annex: AnnexSandbox;

  beforeAll(async () => {
    annex = await createAnnexSandbox();
  });
  afterAll(async () => {
    await annex?.cleanup();
  });

  it("makes a hub and clones with their own annex UUIDs", async () => {
    const hub = await annex.makeHub(join(annex.root, "hub.git"));
    const clone = await annex.cloneRepo(hub, join(annex.root, "alice"), "alice");
    const key = await annex.addAnnexedFile(clone, "docs/a.txt", "hello\n");
    expect(key).toMatch(/^SHA256E-s6--/);
    const [hubUuid, cloneUuid] = [await annex.annexUuid(hub), await annex.annexUuid(clone)];
    expect(hubUuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(cloneUuid).not.toBe(hubUuid);
    expect(await annex.gitOut(clone, ["log", "-1", "--format=%an <%ae>"])).toBe("Test Author <author@example.test>");
    expect(await annex.gitOut(clone, ["rev-parse", "--abbrev-ref", "HEAD"])).toBe("main");
  });
});
