import exit from "exit-x";
import { ExitCode } from "./errors";
import type { Sink } from "./printer";

/**
 * Turns SIGINT/SIGTERM into a graceful cancel: the first signal aborts the running Pulumi operation
 * (the SDK passes SIGINT on to the CLI, which stops cleanly and releases the lock); the driver then
 * runs its cleanup. Signals during cleanup are counted and only the last one forces an exit.
 */
export class Interrupts {
  private controller = new AbortController();
  private count = 0;
  private readonly handler = (sig: NodeJS.Signals) => this.handle(sig);

  constructor(
    private readonly sink: Sink,
    /** Signals it takes to abandon everything (2: cancel, then force; 3 with a teardown to protect). */
    private readonly forceAfter: number,
    private readonly cleanupHint = "",
  ) {
    process.on("SIGINT", this.handler);
    process.on("SIGTERM", this.handler);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.count > 0;
  }

  /** A signal not yet aborted, for the cleanup that must still run after an interrupt. */
  freshSignal(): AbortSignal {
    this.controller = new AbortController();
    return this.controller.signal;
  }

  dispose(): void {
    process.off("SIGINT", this.handler);
    process.off("SIGTERM", this.handler);
  }

  private handle(sig: NodeJS.Signals): void {
    this.count++;
    if (this.count === 1) {
      this.sink.write(
        `\n${sig}: cancelling the current operation${this.cleanupHint ? `, then ${this.cleanupHint}` : ""}…\n`,
      );
      this.controller.abort();
    } else if (this.count < this.forceAfter) {
      this.sink.write(
        `\n${sig} again: still ${this.cleanupHint || "stopping"}; one more to abandon it and exit now\n`,
      );
    } else {
      this.sink.write(`\n${sig}: exiting now${this.cleanupHint ? ` without ${this.cleanupHint}` : ""}\n`);
      exit(ExitCode.Interrupted);
    }
  }
}
