import type { ChildProcess } from "node:child_process";

/**
 * Long-lived children (prosody, observers) that this test process started
 * and has not seen exit. If the test process ends without stopping them
 * (a crash, an assertion before cleanup, vitest tearing down a worker), the
 * exit hook SIGKILLs them, so CI never leaves a server holding a port or a
 * client logged in to the next test's server.
 */
const live = new Set<ChildProcess>();
let hookInstalled = false;

export function reapOnExit(child: ChildProcess): void {
  if (!hookInstalled) {
    hookInstalled = true;
    process.once("exit", () => {
      for (const running of live) running.kill("SIGKILL");
    });
  }
  live.add(child);
  const forget = () => live.delete(child);
  child.once("exit", forget);
  child.once("error", forget);
}
