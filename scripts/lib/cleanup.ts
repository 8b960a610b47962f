/**
 * Undo everything a tool started, once, whether it finishes, fails or is
 * interrupted (Ctrl-C sends SIGINT to the whole foreground process group,
 * so prosody and the listener get it too; stopping them again is harmless).
 */
export interface Cleanup {
  /** Register an undo step; steps run in reverse order of registration. */
  add(step: () => Promise<unknown>): void;
  /** Run every step once; later calls wait for the first. */
  run(): Promise<void>;
  /** Aborted when SIGINT or SIGTERM arrives. */
  readonly signal: AbortSignal;
}

export function createCleanup(options: { onInterrupt(signal: NodeJS.Signals): void }): Cleanup {
  const steps: Array<() => Promise<unknown>> = [];
  const controller = new AbortController();
  let running: Promise<void> | undefined;

  const run = () => {
    running ??= (async () => {
      for (const step of steps.splice(0).reverse()) {
        await step().catch((error: unknown) => process.stderr.write(`cleanup: ${(error as Error).message}\n`));
      }
    })();
    return running;
  };

  const interrupted = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    controller.abort();
    options.onInterrupt(signal);
    void run().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.on("SIGINT", interrupted);
  process.on("SIGTERM", interrupted);

  return {
    add: (step) => void steps.push(step),
    run,
    signal: controller.signal,
  };
}
