import { describe, expect, it } from "vitest";
import { CONTROL_PERSIST_SECONDS, sshCaching } from "../../src/sync/ssh-cache.js";

const socketDir = "/run/user/1000/git-annex-xmpp/ssh";
const options = `-o ControlMaster=auto -o ControlPath=${socketDir}/%C -o ControlPersist=${CONTROL_PERSIST_SECONDS}`;

describe("sshCaching", () => {
  it("adds ControlMaster options to plain ssh", () => {
    expect(sshCaching({ env: {}, coreSshCommand: undefined, socketDir })).toEqual({ cached: true, command: `ssh ${options}` });
  });

  it("keeps a user's core.sshCommand and GIT_SSH_COMMAND, adding options after theirs", () => {
    expect(sshCaching({ env: {}, coreSshCommand: "ssh -i ~/.ssh/hub", socketDir })).toEqual({ cached: true, command: `ssh -i ~/.ssh/hub ${options}` });
    const env = { GIT_SSH_COMMAND: "/usr/bin/ssh -o ControlPath=none" };
    expect(sshCaching({ env, coreSshCommand: "ssh -i other", socketDir })).toEqual({ cached: true, command: `/usr/bin/ssh -o ControlPath=none ${options}` });
  });

  it("leaves GIT_SSH programs and other ssh clients alone", () => {
    expect(sshCaching({ env: { GIT_SSH: "/usr/local/bin/my-ssh" }, coreSshCommand: undefined, socketDir }).cached).toBe(false);
    expect(sshCaching({ env: {}, coreSshCommand: "plink -batch", socketDir }).cached).toBe(false);
    expect(sshCaching({ env: { GIT_SSH_COMMAND: "tortoiseplink" }, coreSshCommand: undefined, socketDir }).cached).toBe(false);
  });

  it("quotes a socket directory with spaces for the shell git runs the command with", () => {
    const result = sshCaching({ env: {}, coreSshCommand: undefined, socketDir: "/tmp/my dir" });
    expect(result).toEqual({ cached: true, command: expect.stringContaining("'ControlPath=/tmp/my dir/%C'") });
  });

  it("gives up on a socket directory too long for a unix socket (ssh would fail the fetch)", () => {
    const result = sshCaching({ env: {}, coreSshCommand: undefined, socketDir: `/home/${"x".repeat(60)}/.local/state/git-annex-xmpp/ssh` });
    expect(result).toEqual({ cached: false, reason: expect.stringContaining("too long") });
  });
});
