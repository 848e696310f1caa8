// hello's CloudWatch metrics of one interval, from two readings of what /metrics serves: the same
// counters and latency histogram the live page reads, so both show the same figures for the same interval.
import type { ClientMetrics } from "./discovery";
import { quantileBetween, type LatencyHistogram } from "./latency";
import type { MetricValues } from "./metric-names";

/** The part of hello's /metrics JSON the metrics come from. */
export interface HelloReading extends Pick<
  ClientMetrics,
  | "requests"
  | "tries"
  | "retries"
  | "failures"
  | "ejections"
  | "dnsRefreshes"
  | "dnsFailures"
  | "staleRequests"
> {
  served: number;
  responses: Record<string, number>;
  latencyMs: LatencyHistogram;
  discovery: { targets: number };
}

/** Answers with a status in [100 × klass, 100 × klass + 99]. */
function answersOfClass(responses: Record<string, number>, klass: number): number {
  let n = 0;
  for (const [status, count] of Object.entries(responses))
    if (Math.floor(Number(status) / 100) === klass) n += count;
  return n;
}

/** What happened between two readings, in the vocabulary's terms; latency only when something was answered. */
export function helloIntervalValues(start: HelloReading, end: HelloReading): MetricValues {
  const delta = (pick: (r: HelloReading) => number) => pick(end) - pick(start);
  const byClass = (klass: number) =>
    answersOfClass(end.responses, klass) - answersOfClass(start.responses, klass);
  const p50 = quantileBetween(start.latencyMs, end.latencyMs, 0.5);
  const p99 = quantileBetween(start.latencyMs, end.latencyMs, 0.99);
  return {
    requests: delta((r) => r.served),
    responses2xx: byClass(2),
    responses4xx: byClass(4),
    responses5xx: byClass(5),
    ...(p50 === null ? {} : { latencyP50: p50 }),
    ...(p99 === null ? {} : { latencyP99: p99 }),
    upstreamRequests: delta((r) => r.requests),
    upstreamTries: delta((r) => r.tries),
    upstreamRetries: delta((r) => r.retries),
    upstreamFailures: delta((r) => r.failures),
    ejections: delta((r) => r.ejections),
    dnsLookups: delta((r) => r.dnsRefreshes + r.dnsFailures),
    dnsFailures: delta((r) => r.dnsFailures),
    serveStale: delta((r) => r.staleRequests),
    targetsKnown: end.discovery.targets,
  };
}
