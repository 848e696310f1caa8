/**
 * How CloudWatch evaluates a metric alarm, reduced to what the stack's alarms use
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation):
 * one value per period (the statistic over the period's data points, or the metric-math expression
 * of such values), compared with the threshold; ALARM when at least `datapointsToAlarm` of the last
 * `evaluationPeriods` values breach, a missing value counting as `treatMissingData` says.
 */
import type { AlarmSpec, MetricRef } from "../../../program/observability";
import type { EmfDatum } from "./emf";

export type AlarmState = "OK" | "ALARM";

/** The statistic of the data points of one period that carry exactly this metric's dimensions. */
export function periodValue(metric: MetricRef<string>, period: readonly EmfDatum[]): number | undefined {
  const keys = Object.keys(metric.dimensions).sort();
  const values = period
    .filter(
      (d) =>
        d.namespace === metric.namespace &&
        d.name === metric.metricName &&
        Object.keys(d.dimensions).sort().join() === keys.join() &&
        keys.every((k) => d.dimensions[k] === metric.dimensions[k]),
    )
    .flatMap((d) => (Array.isArray(d.value) ? d.value : [d.value]));
  if (values.length === 0) return undefined;
  switch (metric.stat) {
    case "Sum":
      return values.reduce((a, b) => a + b, 0);
    case "Minimum":
      return Math.min(...values);
    case "Maximum":
      return Math.max(...values);
    case "Average":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "SampleCount":
      return values.length;
    default:
      throw new Error(`statistic ${metric.stat} is not modelled here`);
  }
}

/** The alarm's value for one period: the metric's, or IF(whole > 0, 100 * part / whole, 0). */
export function signalValue(spec: AlarmSpec<string>, period: readonly EmfDatum[]): number | undefined {
  const s = spec.signal;
  if (s.kind === "metric") return periodValue(s.metric, period);
  const part = periodValue(s.part, period);
  const whole = periodValue(s.whole, period);
  // Metric math yields no value for a period in which an input has none.
  if (part === undefined || whole === undefined) return undefined;
  return whole > 0 ? (100 * part) / whole : 0;
}

function breaches(spec: AlarmSpec<string>, value: number | undefined): boolean {
  if (value === undefined) return spec.treatMissingData === "breaching";
  return spec.comparison === "GreaterThanOrEqualToThreshold"
    ? value >= spec.threshold
    : value < spec.threshold;
}

/** The alarm's state after each period, periods oldest first. */
export function alarmStates(
  spec: AlarmSpec<string>,
  periods: readonly (readonly EmfDatum[])[],
): AlarmState[] {
  const breached = periods.map((p) => breaches(spec, signalValue(spec, p)));
  return breached.map((_, i) => {
    const window = breached.slice(Math.max(0, i + 1 - spec.evaluationPeriods), i + 1);
    return window.filter(Boolean).length >= spec.datapointsToAlarm ? "ALARM" : "OK";
  });
}
