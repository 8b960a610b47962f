/**
 * A command run on a real pseudo-terminal, driven expect-style: python3's
 * pty module (in the standard library; node-pty would need a native build)
 * forks the command on a pty of 24×80 and relays between it and pipes.
 * What the test writes is typed at the terminal, so the line discipline
 * echoes it unless the program turned echo off; `output` is the screen's
 * byte stream, escape codes included.
 */
import { execa, type ResultPromise } from "execa";
import { reapOnExit } from "./reaper.js";
import { waitFor } from "./wait.js";

const RELAY = `
import os, pty, sys, select, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
stdin_open = True
while True:
    r, _, _ = select.select([fd] + ([0] if stdin_open else []), [], [])
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        os.write(1, data)
    if 0 in r:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            stdin_open = False
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
`;

export interface PtySession {
  /** Everything the terminal showed so far, without its escape sequences (cursor moves, line clears). */
  readonly output: string;
  /** Waits for `pattern` in `output` since the last match; returns the text up to and including it. */
  expect(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Types `text` (a "\n" is Enter; "\x03" is Ctrl-C). */
  type(text: string): void;
  /** Resolves with the command's exit code once it ended. */
  readonly exited: Promise<number>;
  kill(): void;
}

export function spawnInPty(command: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): PtySession {
  const child: ResultPromise = execa("python3", ["-c", RELAY, ...command], {
    env: { ...options.env, TERM: "xterm" },
    extendEnv: false,
    cwd: options.cwd,
    stdin: "pipe",
    reject: false,
    buffer: false,
  });
  reapOnExit(child);
  let raw = "";
  let cursor = 0;
  child.stdout?.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
  // CSI sequences (ECMA-48 §5.4), e.g. readline's ESC[1G ESC[0J before a prompt.
  const screen = () => raw.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "");
  let ended = false;
  const exited = child.then((r) => {
    ended = true;
    return r.exitCode ?? -1;
  });
  return {
    get output() {
      return screen();
    },
    async expect(pattern, timeoutMs = 20_000) {
      return waitFor(
        () => {
          const output = screen();
          const match = pattern.exec(output.slice(cursor));
          if (match) {
            const upTo = cursor + match.index + match[0].length;
            const seen = output.slice(cursor, upTo);
            cursor = upTo;
            return { seen };
          }
          if (ended) return { ended: output.slice(cursor) };
          return undefined;
        },
        { timeoutMs, what: `${pattern} on the terminal` },
      ).then((r) => {
        if ("ended" in r) throw new Error(`the command ended before showing ${pattern}; the terminal showed:\n${r.ended}`);
        return r.seen;
      }).catch((error: Error) => {
        throw new Error(`${error.message}\nthe terminal showed since the last match:\n${screen().slice(cursor)}`);
      });
    },
    type(text) {
      child.stdin?.write(text);
    },
    exited,
    kill: () => void child.kill("SIGKILL"),
  };
}
