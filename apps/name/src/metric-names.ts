// The one vocabulary of metric names: the EMF lines the apps write (CloudWatch metrics), the stack's
// alarms and dashboard (program/observability.ts imports this file) and the live page's labels.
// Each app is built from its own folder, so each carries this file; a test keeps the copies identical.

/** One EMF line per task per interval: CloudWatch's standard resolution, and the alarms' period. */
export const METRIC_INTERVAL_SECONDS = 60;

/** CloudWatch namespace of every metric the apps publish (a custom namespace: never `AWS/...`). */
export const METRIC_NAMESPACE = "EcsCloudMapConsul";

/**
 * The one dimension set of every metric: the app and the Pulumi stack. Both values are bounded (two
 * apps, one stack per deployment); never a task, address or request value.
 */
export const DIMENSION_NAMES = { service: "Service", stack: "Stack" } as const;

/** A CloudWatch unit the metrics use (names as PutMetricData and EMF spell them). */
export type MetricUnit = "Count" | "Milliseconds";

export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnit;
  /** Which apps publish it. */
  readonly apps: readonly ("hello" | "name")[];
  /** What one data point is: the count of one interval, or a reading at its end. */
  readonly kind: "count" | "gauge";
  readonly description: string;
}

const HELLO = ["hello"] as const;

/** Every metric, by the key the code uses. */
export const METRICS = {
  requests: {
    name: "Requests",
    unit: "Count",
    apps: ["hello", "name"],
    kind: "count",
    description: "GET / requests answered",
  },
  responses2xx: {
    name: "Responses2xx",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "GET / answers with a 2xx status",
  },
  responses4xx: {
    name: "Responses4xx",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "GET / answers with a 4xx status",
  },
  responses5xx: {
    name: "Responses5xx",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "GET / answers with a 5xx status (503: no name task answered; 502: name answered non-200)",
  },
  latencyP50: {
    name: "LatencyP50",
    unit: "Milliseconds",
    apps: HELLO,
    kind: "gauge",
    description: "median GET / latency of the interval, from the histogram /metrics serves",
  },
  latencyP99: {
    name: "LatencyP99",
    unit: "Milliseconds",
    apps: HELLO,
    kind: "gauge",
    description: "99th percentile GET / latency of the interval, from the same histogram",
  },
  upstreamRequests: {
    name: "UpstreamRequests",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "requests to name (one per GET /)",
  },
  upstreamTries: {
    name: "UpstreamTries",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "tries sent to name tasks (first tries and retries)",
  },
  upstreamRetries: {
    name: "UpstreamRetries",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "tries after the first, each on another task",
  },
  upstreamFailures: {
    name: "UpstreamFailures",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "requests to name that no task answered: all tries failed, or no task known",
  },
  ejections: {
    name: "Ejections",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "name tasks taken out of rotation after consecutive failed tries",
  },
  dnsLookups: {
    name: "DnsLookups",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "DNS lookups of name that finished (answered or failed)",
  },
  dnsFailures: {
    name: "DnsFailures",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "DNS lookups that failed (timeout, SERVFAIL, REFUSED); the last good set is kept",
  },
  serveStale: {
    name: "ServeStaleRequests",
    unit: "Count",
    apps: HELLO,
    kind: "count",
    description: "requests sent from a record set kept after its refresh failed (serve-stale)",
  },
  targetsKnown: {
    name: "TargetsKnown",
    unit: "Count",
    apps: HELLO,
    kind: "gauge",
    description: "name tasks in hello's current record set (1 in proxy mode: the proxy)",
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/** The values of one interval, by key; a metric without a value (no latency without requests) is left out. */
export type MetricValues = Partial<Record<MetricKey, number>>;
