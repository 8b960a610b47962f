import { describe, expect, it } from "vitest";
import { remoteSecretRef } from "../../src/git/secret.js";
import type { AnnexRemote } from "../../src/git/repo.js";
import { announceKeys } from "../../src/services/secret.js";

const remote = (name: string, uuid?: string): AnnexRemote => ({ name, uuid, url: `/srv/${name}.git`, sync: true, ignore: false, pull: true });

describe("one announcement secret per hub (DESIGN.md §2.2)", () => {
  it("gives each remote's secret a key that speaks for that remote's UUID; one secret shared by two remotes is one key", () => {
    const remotes = [remote("origin", "uuid-1"), remote("mirror", "uuid-1"), remote("second", "uuid-2"), remote("plain", "uuid-3")];
    const secrets = new Map([["origin", "s1"], ["mirror", "s1"], ["second", "s2"]]);
    expect(announceKeys(remotes, secrets, "s1")).toEqual([
      { secret: "s1", uuids: ["uuid-1"] },
      { secret: "s2", uuids: ["uuid-2"] },
    ]);
  });

  it("keeps the single secret of earlier versions, for any UUID, when it is no remote's own", () => {
    const remotes = [remote("origin", "uuid-1"), remote("second", "uuid-2")];
    expect(announceKeys(remotes, new Map(), "old")).toEqual([{ secret: "old", uuids: ["uuid-1", "uuid-2"], anyUuid: true }]);
    expect(announceKeys(remotes, new Map([["second", "s2"]]), "old")).toEqual([
      { secret: "s2", uuids: ["uuid-2"] },
      { secret: "old", uuids: ["uuid-1", "uuid-2"], anyUuid: true },
    ]);
    expect(announceKeys(remotes, new Map(), undefined)).toEqual([]);
  });

  it("keeps a remote's secret under a ref only where its name can be one", () => {
    expect(remoteSecretRef("origin")).toBe("refs/annex-xmpp/secrets/origin");
    expect(remoteSecretRef("team/hub-2")).toBe("refs/annex-xmpp/secrets/team/hub-2");
    for (const bad of ["", "a b", "..", "x..y", "a.lock", ".hidden", "a//b", "a:b", "a~1"]) expect(remoteSecretRef(bad)).toBeUndefined();
  });
});
