import type { EngineEvent } from "@pulumi/pulumi/automation";
import { ProgressTracker, statusDue } from "./progress";

/** Where human-readable output goes: stdout normally, stderr under --json so stdout stays one JSON object. */
export interface Sink {
  write(text: string): void;
  isTTY: boolean;
}

export function sinkFor(json: boolean): Sink {
  const stream = json ? process.stderr : process.stdout;
  return { write: (text) => stream.write(text), isTTY: stream.isTTY === true };
}

const TTY_INTERVAL_MS = 250;
const PLAIN_INTERVAL_MS = 30_000;
const CLEAR_LINE = "\r\u001b[K";

/**
 * Renders a ProgressTracker: on a terminal one live status line redrawn in place (throttled),
 * in CI logs plain lines plus a status heartbeat every 30 s.
 */
export class ProgressPrinter {
  private readonly tracker: ProgressTracker;
  private lastStatusAt: number | undefined;
  private statusShown = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sink: Sink,
    private readonly label: string,
    expectedTotal?: number,
  ) {
    this.tracker = new ProgressTracker(expectedTotal);
    this.sink.write(`${label}…\n`);
    // Plain logs: the first heartbeat after one interval, not right on top of the first lines.
    if (!sink.isTTY) this.lastStatusAt = Date.now();
    // Elapsed time keeps moving even when the engine is quiet for minutes (an ALB, a NAT gateway).
    this.timer = setInterval(() => this.maybeStatus(Date.now()), sink.isTTY ? 1000 : PLAIN_INTERVAL_MS);
    this.timer.unref();
  }

  readonly onEvent = (event: EngineEvent): void => {
    const lines = this.tracker.apply(event);
    if (lines.length > 0) {
      this.clearStatus();
      this.sink.write(lines.map((l) => `  ${l}\n`).join(""));
    }
    this.maybeStatus(Date.now());
  };

  finish(): void {
    clearInterval(this.timer);
    this.clearStatus();
  }

  private maybeStatus(now: number): void {
    const interval = this.sink.isTTY ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS;
    if (!statusDue(this.lastStatusAt, now, interval)) return;
    this.lastStatusAt = now;
    const line = `${this.label}: ${this.tracker.status(now)}`;
    if (this.sink.isTTY) {
      const width = process.stdout.columns ?? 120;
      this.sink.write(`${CLEAR_LINE}${line.slice(0, width - 1)}`);
      this.statusShown = true;
    } else {
      this.sink.write(`  … ${line}\n`);
    }
  }

  private clearStatus(): void {
    if (this.statusShown) {
      this.sink.write(CLEAR_LINE);
      this.statusShown = false;
    }
  }
}
