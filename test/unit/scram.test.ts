import { describe, expect, it } from "vitest";
import { createScramMechanism, escapeSaslName } from "../../src/xmpp/scram.js";

const b = (s: string) => Buffer.from(s, "latin1").toString("utf8");

describe("SCRAM", () => {
  it("computes RFC 5802 §5's SCRAM-SHA-1 example", async () => {
    const Mech = createScramMechanism("sha1", { nonce: "fyko+d2lbbFgONRv9qkxdawL" });
    const mech = new Mech();
    expect(b(await mech.response({ username: "user", password: "pencil" }))).toBe("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    mech.challenge("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    expect(b(await mech.response({ username: "user", password: "pencil" }))).toBe(
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    );
    expect(mech.verifyServerFinal("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")).toBe(true);
    expect(mech.verifyServerFinal("v=AAAApqV8S7suAoZWja4dJRkFsKQ=")).toBe(false);
  });

  it("computes RFC 7677 §3's SCRAM-SHA-256 example", async () => {
    const Mech = createScramMechanism("sha256", { nonce: "rOprNGfwEbeRWgbNEkqO" });
    const mech = new Mech();
    await mech.response({ username: "user", password: "pencil" });
    mech.challenge("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    expect(b(await mech.response({ username: "user", password: "pencil" }))).toBe(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
  });

  it("uses a cached salted password instead of the password", async () => {
    const store = new Map<string, Buffer>();
    const cache = {
      get: async (k: { salt: string; iterations: number }) => store.get(`${k.salt}:${k.iterations}`),
      set: async (k: { salt: string; iterations: number }, v: Buffer) => void store.set(`${k.salt}:${k.iterations}`, v),
    };
    const Mech = createScramMechanism("sha1", { nonce: "fyko+d2lbbFgONRv9qkxdawL", cache });
    const first = new Mech();
    await first.response({ username: "user", password: "pencil" });
    first.challenge("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    const withPassword = await first.response({ username: "user", password: "pencil" });
    // Nothing is cached before the login succeeded.
    expect(store.size).toBe(0);
    await first.remember();
    const second = new Mech();
    await second.response({ username: "user" });
    second.challenge("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    expect(await second.response({ username: "user" })).toBe(withPassword);
    // A given password always wins over the cache: a wrong one must fail at the server.
    const third = new Mech();
    await third.response({ username: "user", password: "wrong" });
    third.challenge("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    expect(await third.response({ username: "user", password: "wrong" })).not.toBe(withPassword);
  });

  it("rejects a server nonce that does not extend ours", async () => {
    const mech = new (createScramMechanism("sha1", { nonce: "abc" }))();
    await mech.response({ username: "u", password: "p" });
    mech.challenge("r=xyz,s=QSXCR+Q6sek8bf92,i=4096");
    await expect(mech.response({ username: "u", password: "p" })).rejects.toThrow(/malformed/);
  });

  it("escapes = and , in user names", () => {
    expect(escapeSaslName("a=b,c")).toBe("a=3Db=2Cc");
  });
});
