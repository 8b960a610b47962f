import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editCrontab, renderCronLine, renderUnit } from "../../src/agent/service-files.js";
import { createAgentStatus, type AgentStatusFile } from "../../src/agent/status.js";
import { waitFor } from "../support/wait.js";

describe("the agent's status file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "gax-status-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("records sessions, announcements, syncs and refusals, private to the user, and is removed on close", async () => {
    const file = join(dir, "agent-status", "123.json");
    const status = createAgentStatus(file, [{ dir: "/r/a", account: "me@x" }, { dir: "/r/b", account: "me@x" }]);
    status.session("me@x", "connected", { server: "x:5222", streamManagement: { enabled: true, resumable: true, resumed: false } });
    status.received("/r/a", "me@x/hub");
    status.rejected("/r/a", "me@x/evil", "bad MAC");
    status.syncStarted("/r/b", ["origin"], "push from me@x/hub");
    status.syncEnded("/r/a", ["origin"], 42, "fetch failed");
    status.queue(3, true);
    await waitFor(async () => (await readFile(file, "utf8").catch(() => "")).includes('"waiting": 3'), { timeoutMs: 5_000, what: "the file" });
    const written = JSON.parse(await readFile(file, "utf8")) as AgentStatusFile;
    expect(written.accounts).toMatchObject([{ account: "me@x", state: "connected", server: "x:5222" }]);
    expect(written.repositories[0]).toMatchObject({
      dir: "/r/a",
      lastReceived: { from: "me@x/hub" },
      rejected: { count: 1, last: { from: "me@x/evil", reason: "bad MAC" } },
      lastSync: { ok: false, error: "fetch failed", durationMs: 42 },
    });
    expect(written.repositories[1]).toMatchObject({ dir: "/r/b", syncing: { remotes: ["origin"] } });
    const { stat } = await import("node:fs/promises");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await status.close();
    await expect(stat(file)).rejects.toThrow();
  });
});

describe("service files", () => {
  it("quote the command for systemd and for the shell", () => {
    const unit = renderUnit(["/usr/bin/node", "/opt/my tools/cli.js"]);
    expect(unit).toContain('ExecStart="/usr/bin/node" "/opt/my tools/cli.js" "listen"');
    expect(renderUnit(["/x/100%$y"])).toContain('ExecStart="/x/100%%$$y" "listen"');
    expect(renderCronLine(["/usr/bin/node", "/opt/my tools/cli.js"])).toMatch(/^\*\/5 \* \* \* \* \/usr\/bin\/node '\/opt\/my tools\/cli\.js' ensure --quiet # /);
  });

  it("edit only our crontab line", () => {
    const line = renderCronLine(["n"]);
    const once = editCrontab("MAILTO=me\n1 2 * * * backup\n", line);
    expect(editCrontab(once, line)).toBe(once);
    expect(once).toBe(`MAILTO=me\n1 2 * * * backup\n${line}\n`);
    expect(editCrontab(once, undefined)).toBe("MAILTO=me\n1 2 * * * backup\n");
    expect(editCrontab(`${line}\n`, undefined)).toBe("");
  });
});
