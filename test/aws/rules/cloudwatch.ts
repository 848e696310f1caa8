/**
 * CloudWatch against AWS's own rules, offline: the PutMetricAlarm and PutDashboard requests the
 * provider sends (checked with the API models in api-models.ts), the dashboard body's documented
 * structure, and whether each metric an alarm or a widget names is one that something publishes.
 */
import { constraintShape } from "./api-models";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** CloudWatch's units, from its API model (StandardUnit); empty without botocore's full models. */
export const AWS_UNITS: readonly string[] =
  (constraintShape("cloudwatch", "StandardUnit")?.enum as string[] | undefined) ?? [];

const dimensionList = (dims: unknown) =>
  isObject(dims) ? Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) : undefined;

function withoutUndefined(obj: Json): Json {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/** Inputs of aws.cloudwatch.MetricAlarm the provider keeps to itself. */
const ALARM_PROVIDER_ONLY = new Set(["tagsAll", "region"]);

/**
 * aws.cloudwatch.MetricAlarm -> CloudWatch PutMetricAlarm. Every input it knows is mapped; any other
 * input stays in the request under its own name, so the model reports it as unexpected.
 */
export function putMetricAlarmRequest(inputs: Json): Json {
  const known: Record<string, string> = {
    name: "AlarmName",
    alarmDescription: "AlarmDescription",
    actionsEnabled: "ActionsEnabled",
    alarmActions: "AlarmActions",
    okActions: "OKActions",
    insufficientDataActions: "InsufficientDataActions",
    metricName: "MetricName",
    namespace: "Namespace",
    statistic: "Statistic",
    extendedStatistic: "ExtendedStatistic",
    period: "Period",
    unit: "Unit",
    evaluationPeriods: "EvaluationPeriods",
    datapointsToAlarm: "DatapointsToAlarm",
    threshold: "Threshold",
    comparisonOperator: "ComparisonOperator",
    treatMissingData: "TreatMissingData",
    evaluateLowSampleCountPercentiles: "EvaluateLowSampleCountPercentile",
    thresholdMetricId: "ThresholdMetricId",
  };
  const request: Json = {};
  for (const [key, value] of Object.entries(inputs)) {
    if (value === undefined || ALARM_PROVIDER_ONLY.has(key)) continue;
    if (key === "dimensions") request.Dimensions = dimensionList(value);
    else if (key === "tags")
      request.Tags = isObject(value) ? Object.entries(value).map(([Key, Value]) => ({ Key, Value })) : value;
    else if (key === "metricQueries")
      request.Metrics = (value as Json[]).map((q) => {
        const m = q.metric as Json | undefined;
        return withoutUndefined({
          Id: q.id,
          Expression: q.expression,
          Label: q.label,
          ReturnData: q.returnData,
          Period: q.period,
          AccountId: q.accountId,
          MetricStat: m
            ? withoutUndefined({
                Metric: withoutUndefined({
                  Namespace: m.namespace,
                  MetricName: m.metricName,
                  Dimensions: dimensionList(m.dimensions),
                }),
                Period: m.period,
                Stat: m.stat,
                Unit: m.unit,
              })
            : undefined,
        });
      });
    else request[known[key] ?? key] = value;
  }
  // An empty action list is not sent.
  for (const k of ["AlarmActions", "OKActions", "InsufficientDataActions"])
    if (Array.isArray(request[k]) && (request[k] as unknown[]).length === 0) delete request[k];
  return request;
}

/** aws.cloudwatch.Dashboard -> CloudWatch PutDashboard. */
export function putDashboardRequest(inputs: Json): Json {
  const { dashboardName, dashboardBody, ...others } = inputs;
  const rest = Object.fromEntries(
    Object.entries(others).filter(([k, v]) => v !== undefined && k !== "region"),
  );
  return { ...rest, DashboardName: dashboardName, DashboardBody: dashboardBody };
}

// ---- the dashboard body ----

/**
 * The dashboard body's structure as documented in "Dashboard Body Structure and Syntax"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html):
 * `widgets` (required) with `type`, `x` 0-23, `y` >= 0, `width` 1-24, `height` 1-1000 and
 * `properties`; a metric widget's `metrics` rows are [namespace, name, dimension name, value, …,
 * rendering options] with a `region`; a text widget's `markdown`; an alarm widget's `alarms` (ARNs).
 */
const ROOT_KEYS = ["widgets", "start", "end", "periodOverride", "variables"];
const WIDGET_TYPES = ["metric", "text", "log", "alarm", "explorer", "custom"];
const VIEWS = ["timeSeries", "singleValue", "gauge", "bar", "pie", "table"];
const RENDERING_KEYS = [
  "accountId",
  "color",
  "expression",
  "id",
  "label",
  "period",
  "region",
  "stat",
  "visible",
  "yAxis",
];
const STAT = /^(SampleCount|Average|Sum|Minimum|Maximum|p\d{1,2}(\.\d+)?|p100|IQM)$/;
const isStat = (v: unknown) => typeof v === "string" && STAT.test(v);
const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/;
const intIn = (v: unknown, min: number, max: number) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

export function dashboardBodyProblems(bodyText: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch (e) {
    return [`the body is not JSON: ${(e as Error).message}`];
  }
  if (!isObject(body) || !Array.isArray(body.widgets)) return ["the body needs a widgets array"];
  const problems = Object.keys(body)
    .filter((k) => !ROOT_KEYS.includes(k))
    .map((k) => `unknown top-level member ${k}`);
  const cells = new Map<string, number>();
  body.widgets.forEach((w: unknown, i) => {
    const at = `widgets[${i}]`;
    if (!isObject(w)) return void problems.push(`${at} is not an object`);
    if (!WIDGET_TYPES.includes(String(w.type)))
      problems.push(`${at}.type ${JSON.stringify(w.type)} is not a widget type`);
    if (!intIn(w.x, 0, 23)) problems.push(`${at}.x must be an integer 0-23`);
    if (!intIn(w.y, 0, 1_000_000)) problems.push(`${at}.y must be an integer >= 0`);
    if (!intIn(w.width, 1, 24)) problems.push(`${at}.width must be an integer 1-24`);
    if (!intIn(w.height, 1, 1000)) problems.push(`${at}.height must be an integer 1-1000`);
    if ((w.x as number) + (w.width as number) > 24) problems.push(`${at} runs past the grid's 24 columns`);
    // Two widgets on one cell hide each other.
    for (let x = w.x as number; x < (w.x as number) + (w.width as number); x++)
      for (let y = w.y as number; y < (w.y as number) + (w.height as number); y++) {
        const other = cells.get(`${x},${y}`);
        if (other !== undefined) return void problems.push(`${at} overlaps widgets[${other}]`);
        cells.set(`${x},${y}`, i);
      }
    const p = w.properties;
    if (!isObject(p)) return void problems.push(`${at}.properties is required`);
    if (w.type === "text" && typeof p.markdown !== "string")
      problems.push(`${at}: a text widget needs markdown`);
    if (w.type === "alarm") {
      if (!Array.isArray(p.alarms) || p.alarms.length === 0 || p.alarms.length > 100)
        problems.push(`${at}: an alarm widget needs 1-100 alarm ARNs`);
      else
        for (const arn of p.alarms)
          if (typeof arn !== "string" || !ALARM_ARN.test(arn))
            problems.push(`${at}: ${JSON.stringify(arn)} is not an alarm ARN`);
    }
    if (w.type === "metric") {
      if (typeof p.region !== "string") problems.push(`${at}: a metric widget needs its region`);
      if (p.view !== undefined && !(typeof p.view === "string" && VIEWS.includes(p.view)))
        problems.push(`${at}.properties.view ${JSON.stringify(p.view)}`);
      if (p.stat !== undefined && !isStat(p.stat))
        problems.push(`${at}.properties.stat ${JSON.stringify(p.stat)}`);
      if (
        p.period !== undefined &&
        !([1, 5, 10, 30].includes(p.period as number) || intIn(p.period, 60, 1e9))
      )
        problems.push(`${at}.properties.period must be 1, 5, 10, 30 or a multiple of 60`);
      else if (typeof p.period === "number" && p.period >= 60 && p.period % 60 !== 0)
        problems.push(`${at}.properties.period must be a multiple of 60`);
      if (!Array.isArray(p.metrics) || p.metrics.length === 0)
        return void problems.push(`${at}: a metric widget needs metrics`);
      p.metrics.forEach((r: unknown, j) =>
        problems.push(...metricRowProblems(r, `${at}.properties.metrics[${j}]`)),
      );
    }
  });
  return problems;
}

function metricRowProblems(r: unknown, at: string): string[] {
  if (!Array.isArray(r) || r.length < 2) return [`${at} must be [namespace, metric name, …]`];
  const last: unknown = r[r.length - 1];
  const options = isObject(last) ? last : undefined;
  const strings = options ? r.slice(0, -1) : r;
  const problems: string[] = [];
  if (!strings.every((s) => typeof s === "string" && s !== "" && s !== "..."))
    problems.push(
      `${at}: namespace, name and dimensions must be non-empty strings (no "..." shorthand here)`,
    );
  if (strings.length % 2 !== 0) problems.push(`${at}: a dimension name without its value`);
  if (strings.length - 2 > 2 * 30) problems.push(`${at}: more than 30 dimensions`);
  for (const k of Object.keys(options ?? {}))
    if (!RENDERING_KEYS.includes(k)) problems.push(`${at}: unknown option ${k}`);
  if (options?.stat !== undefined && !isStat(options.stat))
    problems.push(`${at}: stat ${JSON.stringify(options.stat)}`);
  if (options?.yAxis !== undefined && options.yAxis !== "left" && options.yAxis !== "right")
    problems.push(`${at}: yAxis must be left or right`);
  return problems;
}

// ---- which metrics exist ----

/** A metric as an alarm or a widget names it. */
export interface NamedMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  stat: string;
  /** Where it is named, for messages. */
  where: string;
}

/** Every metric an alarm's inputs name (its own metric, or those of its metric-math queries). */
export function metricsOfAlarm(name: string, inputs: Json): NamedMetric[] {
  const out: NamedMetric[] = [];
  if (typeof inputs.metricName === "string")
    out.push({
      namespace: String(inputs.namespace),
      metricName: inputs.metricName,
      dimensions: (inputs.dimensions ?? {}) as Record<string, string>,
      stat: String(inputs.statistic ?? inputs.extendedStatistic),
      where: `alarm ${name}`,
    });
  for (const q of (inputs.metricQueries ?? []) as Json[]) {
    const m = q.metric as Json | undefined;
    if (m)
      out.push({
        namespace: String(m.namespace),
        metricName: String(m.metricName),
        dimensions: (m.dimensions ?? {}) as Record<string, string>,
        stat: String(m.stat),
        where: `alarm ${name} query ${String(q.id)}`,
      });
  }
  return out;
}

/** Every metric a dashboard body's metric widgets name. */
export function metricsOfDashboard(bodyText: string): NamedMetric[] {
  const body = JSON.parse(bodyText) as {
    widgets: { type: string; properties: { title?: string; metrics?: unknown[][] } }[];
  };
  return body.widgets.flatMap((w, i) =>
    w.type !== "metric"
      ? []
      : (w.properties.metrics ?? []).map((r) => {
          const options = isObject(r[r.length - 1]) ? (r[r.length - 1] as Json) : {};
          const strings = (isObject(r[r.length - 1]) ? r.slice(0, -1) : r) as string[];
          const dimensions: Record<string, string> = {};
          for (let k = 2; k + 1 < strings.length; k += 2) dimensions[strings[k]] = strings[k + 1];
          return {
            namespace: strings[0],
            metricName: strings[1],
            dimensions,
            stat: typeof options.stat === "string" ? options.stat : "Average",
            where: `widget ${i} "${w.properties.title ?? ""}"`,
          };
        }),
  );
}

/**
 * AWS's published metrics this stack uses, each with the dimension sets AWS publishes it under.
 * Kept to what the alarms and the dashboard name; each namespace cites its documentation page.
 */
export const PUBLISHED_METRICS: Readonly<
  Record<
    string,
    { readonly source: string; readonly metrics: Readonly<Record<string, readonly (readonly string[])[]>> }
  >
> = {
  "AWS/ECS": {
    // Service-level CPU/memory, and the Service Connect metrics (server side by DiscoveryName,
    // client side by TargetDiscoveryName with the calling service's ServiceName).
    source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html",
    metrics: {
      CPUUtilization: [["ClusterName", "ServiceName"]],
      MemoryUtilization: [["ClusterName", "ServiceName"]],
      RequestCount: [
        ["ClusterName", "DiscoveryName", "ServiceName"],
        ["ClusterName", "ServiceName", "TargetDiscoveryName"],
      ],
      ActiveConnectionCount: [["ClusterName", "DiscoveryName", "ServiceName"]],
      HTTPCode_Target_5XX_Count: [["ClusterName", "ServiceName", "TargetDiscoveryName"]],
      TargetResponseTime: [["ClusterName", "ServiceName", "TargetDiscoveryName"]],
    },
  },
  "ECS/ContainerInsights": {
    source:
      "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html",
    metrics: {
      RunningTaskCount: [["ClusterName", "ServiceName"]],
      DesiredTaskCount: [["ClusterName", "ServiceName"]],
    },
  },
  "AWS/ApplicationELB": {
    source:
      "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html",
    metrics: {
      RequestCount: [["LoadBalancer"], ["LoadBalancer", "TargetGroup"]],
      HTTPCode_Target_5XX_Count: [["LoadBalancer"], ["LoadBalancer", "TargetGroup"]],
      HTTPCode_ELB_5XX_Count: [["LoadBalancer"]],
      TargetResponseTime: [["LoadBalancer"], ["LoadBalancer", "TargetGroup"]],
      HealthyHostCount: [["LoadBalancer", "TargetGroup"]],
      UnHealthyHostCount: [["LoadBalancer", "TargetGroup"]],
    },
  },
  "AWS/ApiGateway": {
    // HTTP APIs.
    source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html",
    metrics: {
      Count: [["ApiId"], ["ApiId", "Stage"]],
      "4xx": [["ApiId"], ["ApiId", "Stage"]],
      "5xx": [["ApiId"], ["ApiId", "Stage"]],
      Latency: [["ApiId"], ["ApiId", "Stage"]],
      IntegrationLatency: [["ApiId"], ["ApiId", "Stage"]],
    },
  },
};

/** A metric the apps wrote, as CloudWatch extracts it from their EMF lines. */
export interface EmittedMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

const sameKeys = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((k, i) => k === [...b].sort()[i]);

/**
 * Why a named metric would never have data, or undefined when it does: an AWS namespace's metric
 * must be published under exactly these dimension names; any other namespace's must have been
 * written by the running apps with exactly these dimensions and values.
 */
export function whyNoData(m: NamedMetric, emitted: readonly EmittedMetric[]): string | undefined {
  const published = PUBLISHED_METRICS[m.namespace];
  const keys = Object.keys(m.dimensions);
  if (published) {
    const sets = published.metrics[m.metricName];
    if (!sets) return `${m.where}: ${m.namespace} publishes no ${m.metricName} (${published.source})`;
    if (!sets.some((s) => sameKeys(s, keys)))
      return `${m.where}: ${m.namespace} ${m.metricName} has no dimension set [${keys.join(", ")}] (${published.source})`;
    if (keys.some((k) => typeof m.dimensions[k] !== "string" || m.dimensions[k] === ""))
      return `${m.where}: a dimension of ${m.metricName} has no value`;
    return undefined;
  }
  if (m.namespace.startsWith("AWS/")) return `${m.where}: no published list for ${m.namespace}`;
  const match = emitted.find(
    (e) =>
      e.namespace === m.namespace &&
      e.metricName === m.metricName &&
      sameKeys(Object.keys(e.dimensions), keys) &&
      keys.every((k) => e.dimensions[k] === m.dimensions[k]),
  );
  return match
    ? undefined
    : `${m.where}: nothing wrote ${m.namespace} ${m.metricName} with ${JSON.stringify(m.dimensions)}`;
}
