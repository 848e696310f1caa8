// Metrics to CloudWatch with no agent or sidecar: once per interval, one CloudWatch Embedded Metric
// Format line on stdout, written by AWS's aws-embedded-metrics library. The awslogs driver ships it
// with the app's other JSON log lines; CloudWatch Logs sees its `_aws` block and extracts the metrics.
// Each app is built from its own folder, so each carries this file; a test keeps the copies identical.
//
// The library's own modules are imported, not its entry point: loading the entry point starts its
// environment detection, which asks the EC2 instance metadata address over the network and, when
// that fails, sends to a CloudWatch agent on TCP 25888 (there is none). Here the sink is always its
// console sink (stdout), in ECS as on a laptop, with our dimensions only (none of its defaults).
import type { IEnvironment } from "aws-embedded-metrics/lib/environment/IEnvironment";
import { MetricsContext } from "aws-embedded-metrics/lib/logger/MetricsContext";
import { MetricsLogger } from "aws-embedded-metrics/lib/logger/MetricsLogger";
import { ConsoleSink } from "aws-embedded-metrics/lib/sinks/ConsoleSink";
import type { EnvReader } from "./env";
import { log } from "./log";
import {
  DIMENSION_NAMES,
  METRIC_INTERVAL_SECONDS,
  METRIC_NAMESPACE,
  METRICS,
  type MetricKey,
  type MetricValues,
} from "./metric-names";

const stdoutSink = new ConsoleSink();
const stdout: IEnvironment = {
  probe: () => Promise.resolve(true),
  getName: () => "",
  getType: () => "",
  getLogGroupName: () => "",
  configureContext: () => {},
  getSink: () => stdoutSink,
};
const resolveStdout = (): Promise<IEnvironment> => Promise.resolve(stdout);

/** CloudWatch's standard resolution is one minute: one line per minute is all it can use. */
export const DEFAULT_INTERVAL_MS = METRIC_INTERVAL_SECONDS * 1000;

export interface MetricsSettings {
  /** 0: no EMF lines at all. */
  intervalMs: number;
  /** The Stack dimension's value. */
  stack: string;
}

/** METRICS_INTERVAL_MS (0 = off) and METRICS_STACK, the same variables in both apps. */
export function readMetricsSettings(read: EnvReader): MetricsSettings {
  const intervalMs = read.int("METRICS_INTERVAL_MS", DEFAULT_INTERVAL_MS, 0, 3_600_000);
  if (intervalMs > 0 && intervalMs < 100) {
    read.errors.push(
      `METRICS_INTERVAL_MS=${intervalMs} is invalid: expected 0 (off) or an integer from 100 to 3600000`,
    );
  }
  return { intervalMs, stack: read.word("METRICS_STACK", "local") };
}

export interface MetricsReporterOptions<R> {
  service: "hello" | "name";
  settings: MetricsSettings;
  /** The app's task name, written as a property (searchable in Logs Insights, never a dimension). */
  task: string;
  /** A cumulative reading of the app's counters (what /metrics serves). */
  read: () => R;
  /** The interval's values from the readings at its start and end. */
  values: (start: R, end: R) => MetricValues;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Writes one EMF line per interval with what changed since the last one; stop() writes the rest. */
export class MetricsReporter<R> {
  private last: R;
  private readonly timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: MetricsReporterOptions<R>) {
    this.last = o.read();
    if (o.settings.intervalMs > 0) {
      // Metrics must never take the app down: a line that fails is logged, the next one is written.
      this.timer = setInterval(() => {
        this.flush().catch((err: unknown) =>
          log("metrics line not written", { error: message(err) }, "warn"),
        );
      }, o.settings.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes the line for the time since the previous one. */
  async flush(): Promise<void> {
    if (this.o.settings.intervalMs === 0) return;
    const end = this.o.read();
    const values = this.o.values(this.last, end);
    this.last = end;
    const logger = new MetricsLogger(resolveStdout, MetricsContext.empty());
    logger.setNamespace(METRIC_NAMESPACE);
    logger.setTimestamp(Date.now());
    logger.setDimensions({
      [DIMENSION_NAMES.service]: this.o.service,
      [DIMENSION_NAMES.stack]: this.o.settings.stack,
    });
    logger.setProperty("Task", this.o.task);
    logger.setProperty("IntervalMs", this.o.settings.intervalMs);
    for (const key of Object.keys(values) as MetricKey[]) {
      const value = values[key];
      if (value !== undefined) logger.putMetric(METRICS[key].name, value, METRICS[key].unit);
    }
    await logger.flush();
  }

  /** Stops the timer and writes the last partial interval (on SIGTERM, before the process exits). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.flush();
  }
}
