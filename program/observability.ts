/**
 * What an operator sees of a stack: the alarms on hello's discovery metrics (wired into ECS
 * deployment alarms, so a deploy that breaks hello -> name rolls back), the alarms on task state,
 * and one CloudWatch dashboard. Every metric name of the apps comes from their vocabulary
 * (apps/hello/src/metric-names.ts), the one the EMF lines, the live page and this file share. The
 * alarms and the dashboard body are plain typed data built by pure functions; the components only
 * create the resources.
 */
import { ArgProblem, assertValidArgs, check, matches, componentTags, TaggedArgs } from "ecs-cloudmap-consul";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  DIMENSION_NAMES,
  METRIC_INTERVAL_SECONDS,
  METRIC_NAMESPACE,
  METRICS,
  type MetricKey,
} from "../apps/hello/src/metric-names";

export type Statistic = "Sum" | "Average" | "Minimum" | "Maximum" | "SampleCount" | "p99";

/** One CloudWatch metric, as an alarm or a dashboard widget names it. */
export interface MetricRef<V = pulumi.Input<string>> {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, V>>;
  readonly stat: Statistic;
}

/** What an alarm compares with its threshold: one metric, or 100 × part / whole (0 when whole is 0). */
export type AlarmSignal<V = pulumi.Input<string>> =
  | { readonly kind: "metric"; readonly metric: MetricRef<V> }
  | { readonly kind: "percent"; readonly part: MetricRef<V>; readonly whole: MetricRef<V> };

export type Comparison = "GreaterThanOrEqualToThreshold" | "LessThanThreshold";

export interface AlarmSpec<V = pulumi.Input<string>> {
  /** The alarm name's last part, e.g. "hello-5xx-rate". */
  readonly key: string;
  /** What it means and why its threshold is what it is (the alarm's description). */
  readonly description: string;
  readonly signal: AlarmSignal<V>;
  readonly periodSeconds: number;
  /** ALARM when `datapointsToAlarm` of the last `evaluationPeriods` periods breach. */
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: Comparison;
  /** breaching: no data means trouble (a task that does not run publishes nothing). */
  readonly treatMissingData: "notBreaching" | "breaching";
}

/** One of the apps' metrics with its bounded dimensions (Service, Stack). */
export function appMetric(
  app: "hello" | "name",
  key: MetricKey,
  stack: string,
  stat: Statistic,
): MetricRef<string> {
  return {
    namespace: METRIC_NAMESPACE,
    metricName: METRICS[key].name,
    dimensions: { [DIMENSION_NAMES.service]: app, [DIMENSION_NAMES.stack]: stack },
    stat,
  };
}

/** One-minute periods: the resolution the apps write at (one EMF line per minute) and ECS publishes at. */
export const ALARM_PERIOD_SECONDS = METRIC_INTERVAL_SECONDS;

/** `<project>-<stack>` as alarm and dashboard names allow it (letters, digits, `-`, `_`). */
export function observabilityName(project: string, stack: string): string {
  return `${project}-${stack}`.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** The discovery alarms' thresholds, with the reasons the alarms' descriptions repeat. */
export const DISCOVERY_THRESHOLDS = {
  /** % of hello's GET / answered 5xx, 2 minutes in a row. */
  helloErrorPercent: 5,
  /** Requests to name no task answered, per minute, 2 minutes in a row. */
  allTriesFailedPerMinute: 5,
  /** Ejections per minute, 5 minutes in a row. */
  ejectionsPerMinute: 1,
} as const;

/**
 * hello's alarms on the metrics it writes itself. The first two are the deployment alarms: hello
 * answers 503 only when every try failed (up to MAX_TRIES, each on another name task), so one bad
 * task is retried around and costs no 5xx; a sustained error rate means name is broadly
 * unreachable, which is what a bad deploy of either service does.
 */
export function discoveryAlarmSpecs(stack: string): AlarmSpec<string>[] {
  const t = DISCOVERY_THRESHOLDS;
  return [
    {
      key: "hello-5xx-rate",
      description:
        `hello answered ${t.helloErrorPercent} % or more of GET / with 5xx for 2 minutes in a row. ` +
        `Retries on other tasks hide a single bad name task, so this means name is broadly unreachable; ` +
        `one bad minute (a blip) does not alarm, two do. A deployment alarm: ECS rolls a deploy back on it.`,
      signal: {
        kind: "percent",
        part: appMetric("hello", "responses5xx", stack, "Sum"),
        whole: appMetric("hello", "requests", stack, "Sum"),
      },
      periodSeconds: ALARM_PERIOD_SECONDS,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: t.helloErrorPercent,
      comparison: "GreaterThanOrEqualToThreshold",
      // hello writes a line every minute, with zeros when idle: no data means no hello, which the task alarms cover.
      treatMissingData: "notBreaching",
    },
    {
      key: "all-tries-failed",
      description:
        `${t.allTriesFailedPerMinute} or more requests to name per minute got no answer after all tries ` +
        `(or found no task), 2 minutes in a row. Counts, not a rate: it also fires at low traffic, where ` +
        `a percentage of a few requests says little. A deployment alarm: ECS rolls a deploy back on it.`,
      signal: { kind: "metric", metric: appMetric("hello", "upstreamFailures", stack, "Sum") },
      periodSeconds: ALARM_PERIOD_SECONDS,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: t.allTriesFailedPerMinute,
      comparison: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    },
    {
      key: "sustained-ejections",
      description:
        `hello ejected a name task in each of 5 minutes in a row. A crashed task is ejected once and ` +
        `then leaves DNS; ejections that go on mean a task keeps failing tries while it stays registered ` +
        `(healthy to ECS, broken to its callers). Notification only: users are still served by the others.`,
      signal: { kind: "metric", metric: appMetric("hello", "ejections", stack, "Sum") },
      periodSeconds: ALARM_PERIOD_SECONDS,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      threshold: t.ejectionsPerMinute,
      comparison: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    },
  ];
}

/** The keys of the alarms ECS watches during (and after) a deployment of hello and name. */
export const DEPLOYMENT_ALARM_KEYS: readonly string[] = ["hello-5xx-rate", "all-tries-failed"];

/** Where name's task count comes from; Container Insights is the only source of RunningTaskCount. */
export type TaskCountSource = "containerInsights" | "helloTargets";

export interface TaskAlarmInputs<V = pulumi.Input<string>> {
  readonly stack: string;
  readonly clusterName: V;
  readonly nameServiceName: V;
  /** name's fewest tasks (the autoscaling minimum, or the fixed count); 0: no alarm. */
  readonly nameMinimum: number;
  readonly taskCountSource: TaskCountSource | undefined;
  /** consul-aws's ECS service; undefined without the sync. */
  readonly consulSyncServiceName: V | undefined;
}

/**
 * Alarms on task state. name below its minimum for 3 minutes (a replaced task is back within that);
 * consul-aws not running for 3 minutes: its sync is silent when it dies, and ECS publishes a
 * service's CPUUtilization only while one of its tasks runs, so no data is the signal.
 */
export function taskAlarmSpecs<V>(i: TaskAlarmInputs<V>): AlarmSpec<V>[] {
  const specs: AlarmSpec<V>[] = [];
  const common = {
    periodSeconds: ALARM_PERIOD_SECONDS,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    comparison: "LessThanThreshold" as const,
  };
  if (i.nameMinimum > 0 && i.taskCountSource === "containerInsights") {
    specs.push({
      ...common,
      key: "name-tasks-below-minimum",
      description: `name ran fewer than ${i.nameMinimum} tasks (its minimum) for 3 minutes (Container Insights RunningTaskCount); no data counts as none.`,
      signal: {
        kind: "metric",
        metric: {
          namespace: "ECS/ContainerInsights",
          metricName: "RunningTaskCount",
          dimensions: { ClusterName: i.clusterName, ServiceName: i.nameServiceName },
          stat: "Minimum",
        },
      },
      threshold: i.nameMinimum,
      treatMissingData: "breaching",
    });
  } else if (i.nameMinimum > 0 && i.taskCountSource === "helloTargets") {
    specs.push({
      ...common,
      key: "name-tasks-below-minimum",
      description: `hello's DNS record set held fewer than ${i.nameMinimum} name tasks (name's minimum) for 3 minutes: Cloud Map lists only healthy tasks, so this is name's healthy task count as its callers see it (Container Insights is off).`,
      signal: {
        kind: "metric",
        metric: appMetric("hello", "targetsKnown", i.stack, "Minimum") as MetricRef<V>,
      },
      threshold: i.nameMinimum,
      treatMissingData: "notBreaching",
    });
  }
  if (i.consulSyncServiceName !== undefined) {
    specs.push({
      ...common,
      key: "consul-aws-not-running",
      description:
        "No consul-aws task ran for 3 minutes: ECS publishes a service's CPUUtilization only while a task runs, so no data means none runs. The sync is silent when it stops; this alarm is how anyone hears of it.",
      signal: {
        kind: "metric",
        metric: {
          namespace: "AWS/ECS",
          metricName: "CPUUtilization",
          dimensions: { ClusterName: i.clusterName, ServiceName: i.consulSyncServiceName },
          stat: "SampleCount",
        },
      },
      threshold: 1,
      treatMissingData: "breaching",
    });
  }
  return specs;
}

/** The CloudWatch metric-math expression of a percent signal: 0 when nothing was answered. */
export const PERCENT_EXPRESSION = "IF(whole > 0, 100 * part / whole, 0)";

/** The alarm's arguments as the provider takes them (PutMetricAlarm's members). */
export function metricAlarmArgs(
  spec: AlarmSpec,
  alarmName: string,
  actions: readonly string[],
  tags: Record<string, string>,
): aws.cloudwatch.MetricAlarmArgs {
  const common = {
    name: alarmName,
    alarmDescription: spec.description,
    comparisonOperator: spec.comparison,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    threshold: spec.threshold,
    treatMissingData: spec.treatMissingData,
    alarmActions: [...actions],
    okActions: [...actions],
    tags,
  };
  const s = spec.signal;
  if (s.kind === "metric") {
    return {
      ...common,
      namespace: s.metric.namespace,
      metricName: s.metric.metricName,
      dimensions: { ...s.metric.dimensions },
      statistic: s.metric.stat,
      period: spec.periodSeconds,
    };
  }
  const query = (id: string, m: MetricRef) => ({
    id,
    returnData: false,
    metric: {
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: { ...m.dimensions },
      stat: m.stat,
      period: spec.periodSeconds,
    },
  });
  return {
    ...common,
    metricQueries: [
      { id: "percent", expression: PERCENT_EXPRESSION, label: `${spec.key} (%)`, returnData: true },
      query("part", s.part),
      query("whole", s.whole),
    ],
  };
}

// #region argument checks
// A standard topic: CloudWatch alarm actions do not take a FIFO topic.
const SNS_TOPIC_ARN = /^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** What is wrong with the alarms' arguments; empty when nothing is. */
export function alarmArgProblems(args: { readonly topicArn?: string }): ArgProblem[] {
  return check(
    "topicArn",
    args.topicArn,
    matches(SNS_TOPIC_ARN, "an SNS topic ARN such as arn:aws:sns:eu-west-1:111111111111:alerts"),
  );
}
// #endregion

export interface AlarmsArgs extends TaggedArgs {
  /**
   * Alarms to create.
   * @default required
   */
  readonly specs: readonly AlarmSpec[];
  /**
   * Alarm names start with it (names are unique per account and region).
   * @default required
   * @example "ecs-cloudmap-consul-dev"
   */
  readonly namePrefix: string;
  /**
   * SNS topic told when an alarm fires and when it clears.
   * @default undefined (no notifications)
   */
  readonly topicArn?: string;
}

/** CloudWatch alarms from typed specs; names are `<namePrefix>-<key>`, known before anything is created. */
export class Alarms extends pulumi.ComponentResource {
  /** Alarm name by key. */
  public readonly names: Readonly<Record<string, string>>;
  public readonly arns: pulumi.Output<string[]>;
  public readonly alarms: readonly aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("Alarms", name, alarmArgProblems(args));
    super("ecs-cloudmap-consul:observability:Alarms", name, {}, opts);
    const tags = componentTags(name, args.tags);
    const actions = args.topicArn ? [args.topicArn] : [];
    const names: Record<string, string> = {};
    this.alarms = args.specs.map((spec) => {
      names[spec.key] = `${args.namePrefix}-${spec.key}`;
      return new aws.cloudwatch.MetricAlarm(
        `${name}-${spec.key}`,
        metricAlarmArgs(spec, names[spec.key], actions, tags),
        { parent: this },
      );
    });
    this.names = names;
    this.arns = pulumi.all(this.alarms.map((a) => a.arn));
    this.registerOutputs({ names: this.names, arns: this.arns });
  }
}

// ---- the dashboard ----

/** The resolved values the dashboard body is built from. */
export interface DashboardInputs {
  readonly region: string;
  readonly stack: string;
  readonly clusterName: string;
  /** ECS service names. */
  readonly services: {
    readonly hello: string;
    readonly name: string;
    readonly consulSync: string | undefined;
  };
  readonly frontDoor:
    | { readonly kind: "alb"; readonly loadBalancer: string; readonly targetGroup: string }
    | { readonly kind: "apiGateway"; readonly apiId: string };
  /** name's Service Connect discovery name; undefined in DNS mode. */
  readonly serviceConnectName: string | undefined;
  readonly containerInsights: boolean;
  /** The apps write their EMF metrics (`metrics` on): their rows are shown. */
  readonly appMetrics: boolean;
  readonly alarmArns: readonly string[];
}

/** A metric row of a metric widget: [namespace, name, dimension name, value, ..., rendering options]. */
export type MetricRow = (
  string | { readonly stat?: Statistic; readonly label?: string; readonly yAxis?: "left" | "right" }
)[];

export type Widget =
  | {
      readonly type: "text";
      readonly x: number;
      readonly y: number;
      readonly width: number;
      readonly height: number;
      readonly properties: { readonly markdown: string };
    }
  | {
      readonly type: "metric";
      readonly x: number;
      readonly y: number;
      readonly width: number;
      readonly height: number;
      readonly properties: {
        readonly title: string;
        readonly region: string;
        readonly view: "timeSeries";
        readonly stacked: false;
        readonly period: number;
        readonly metrics: MetricRow[];
      };
    }
  | {
      readonly type: "alarm";
      readonly x: number;
      readonly y: number;
      readonly width: number;
      readonly height: number;
      readonly properties: { readonly title: string; readonly alarms: string[] };
    };

export interface DashboardBody {
  readonly widgets: Widget[];
}

function row(m: MetricRef<string>, label?: string, yAxis?: "left" | "right"): MetricRow {
  return [
    m.namespace,
    m.metricName,
    ...Object.entries(m.dimensions).flat(),
    { stat: m.stat, ...(label === undefined ? {} : { label }), ...(yAxis ? { yAxis } : {}) },
  ];
}

const ecs = (metricName: string, dimensions: Record<string, string>, stat: Statistic): MetricRef<string> => ({
  namespace: "AWS/ECS",
  metricName,
  dimensions,
  stat,
});

/**
 * The dashboard: hello's traffic and latency, the discovery client's behaviour, name's traffic,
 * ECS CPU/memory (and task counts with Container Insights), the front door, Service Connect's own
 * metrics in that mode, consul-aws's task state and every alarm's state. Laid out on CloudWatch's
 * 24-column grid, rows of fixed height; the order of keys is fixed, so the JSON text is too.
 */
export function dashboardBody(d: DashboardInputs): DashboardBody {
  const widgets: Widget[] = [];
  let y = 0;
  const H = 6;
  const text = (markdown: string, height = 2): void => {
    widgets.push({ type: "text", x: 0, y, width: 24, height, properties: { markdown } });
    y += height;
  };
  /** One row of equally wide metric widgets. */
  const metricRow = (...panels: { title: string; metrics: MetricRow[] }[]): void => {
    const width = 24 / panels.length;
    panels.forEach((p, i) =>
      widgets.push({
        type: "metric",
        x: i * width,
        y,
        width,
        height: H,
        properties: {
          title: p.title,
          region: d.region,
          view: "timeSeries",
          stacked: false,
          period: ALARM_PERIOD_SECONDS,
          metrics: p.metrics,
        },
      }),
    );
    y += H;
  };
  const hello = (key: MetricKey, stat: Statistic, label?: string, yAxis?: "left" | "right") =>
    row(appMetric("hello", key, d.stack, stat), label ?? METRICS[key].name, yAxis);
  const services = Object.entries({
    hello: d.services.hello,
    name: d.services.name,
    ...(d.services.consulSync ? { "consul-aws": d.services.consulSync } : {}),
  });
  const perService = (metricName: string, stat: Statistic) =>
    services.map(([label, service]) =>
      row(ecs(metricName, { ClusterName: d.clusterName, ServiceName: service }, stat), label),
    );

  text(
    `# ${d.stack}: hello → name\n` +
      (d.appMetrics
        ? `hello's own metrics (namespace \`${METRIC_NAMESPACE}\`, one line per task per minute) show what its discovery client does; `
        : "The apps' own metrics are off (setting `metrics`); ") +
      `ECS, the front door${d.serviceConnectName ? " and Service Connect" : ""} publish the rest.`,
  );
  if (d.appMetrics) {
    metricRow(
      {
        title: "hello: GET / answered, by status class (per minute)",
        metrics: [
          hello("requests", "Sum"),
          hello("responses2xx", "Sum"),
          hello("responses4xx", "Sum"),
          hello("responses5xx", "Sum"),
        ],
      },
      {
        title: "hello: latency (ms; p99 of the slowest task)",
        metrics: [hello("latencyP50", "Average", "p50"), hello("latencyP99", "Maximum", "p99")],
      },
    );
    metricRow(
      {
        title: "discovery: requests to name, tries, retries, failures",
        metrics: [
          hello("upstreamRequests", "Sum"),
          hello("upstreamTries", "Sum"),
          hello("upstreamRetries", "Sum"),
          hello("upstreamFailures", "Sum"),
        ],
      },
      {
        title: "discovery: ejections, serve-stale, tasks known",
        metrics: [
          hello("ejections", "Sum"),
          hello("serveStale", "Sum"),
          hello("targetsKnown", "Minimum", "TargetsKnown (fewest of any hello task)", "right"),
        ],
      },
      {
        title: "discovery: DNS lookups and failures; name: GET / answered",
        metrics: [
          hello("dnsLookups", "Sum"),
          hello("dnsFailures", "Sum"),
          row(appMetric("name", "requests", d.stack, "Sum"), "name Requests", "right"),
        ],
      },
    );
  }
  metricRow(
    { title: "ECS: CPU utilization (%)", metrics: perService("CPUUtilization", "Average") },
    { title: "ECS: memory utilization (%)", metrics: perService("MemoryUtilization", "Average") },
    d.containerInsights
      ? {
          title: "ECS: running tasks (Container Insights)",
          metrics: services.map(([label, service]) =>
            row(
              {
                namespace: "ECS/ContainerInsights",
                metricName: "RunningTaskCount",
                dimensions: { ClusterName: d.clusterName, ServiceName: service },
                stat: "Minimum",
              },
              label,
            ),
          ),
        }
      : {
          // Without Container Insights ECS publishes no task count; a service's CPU samples exist only while a task runs.
          title: "ECS: CPU samples per minute (0 = no task running)",
          metrics: perService("CPUUtilization", "SampleCount"),
        },
  );
  if (d.frontDoor.kind === "alb") {
    const lb = { LoadBalancer: d.frontDoor.loadBalancer };
    const tg = { TargetGroup: d.frontDoor.targetGroup, LoadBalancer: d.frontDoor.loadBalancer };
    const alb = (
      metricName: string,
      dimensions: Record<string, string>,
      stat: Statistic,
    ): MetricRef<string> => ({
      namespace: "AWS/ApplicationELB",
      metricName,
      dimensions,
      stat,
    });
    metricRow(
      {
        title: "ALB: requests and 5xx",
        metrics: [
          row(alb("RequestCount", lb, "Sum")),
          row(alb("HTTPCode_Target_5XX_Count", lb, "Sum")),
          row(alb("HTTPCode_ELB_5XX_Count", lb, "Sum")),
        ],
      },
      {
        title: "ALB: target response time (s) and hello targets",
        metrics: [
          row(alb("TargetResponseTime", lb, "p99"), "p99"),
          row(alb("HealthyHostCount", tg, "Minimum"), "healthy", "right"),
          row(alb("UnHealthyHostCount", tg, "Maximum"), "unhealthy", "right"),
        ],
      },
    );
  } else {
    const api = (metricName: string, stat: Statistic): MetricRef<string> => ({
      namespace: "AWS/ApiGateway",
      metricName,
      dimensions: { ApiId: (d.frontDoor as { apiId: string }).apiId },
      stat,
    });
    metricRow(
      {
        title: "API Gateway: requests, 4xx, 5xx",
        metrics: [row(api("Count", "Sum")), row(api("4xx", "Sum")), row(api("5xx", "Sum"))],
      },
      {
        title: "API Gateway: latency (ms)",
        metrics: [
          row(api("Latency", "p99"), "p99"),
          row(api("IntegrationLatency", "p99"), "integration p99"),
        ],
      },
    );
  }
  if (d.serviceConnectName) {
    const client = {
      ClusterName: d.clusterName,
      ServiceName: d.services.hello,
      TargetDiscoveryName: d.serviceConnectName,
    };
    const server = {
      ClusterName: d.clusterName,
      DiscoveryName: d.serviceConnectName,
      ServiceName: d.services.name,
    };
    metricRow(
      {
        title: "Service Connect: hello → name (hello's proxy)",
        metrics: [
          row(ecs("RequestCount", client, "Sum")),
          row(ecs("HTTPCode_Target_5XX_Count", client, "Sum")),
          row(ecs("TargetResponseTime", client, "p99"), "TargetResponseTime p99 (ms)", "right"),
        ],
      },
      {
        title: "Service Connect: name (name's proxy)",
        metrics: [
          row(ecs("RequestCount", server, "Sum")),
          row(ecs("ActiveConnectionCount", server, "Maximum")),
        ],
      },
    );
  }
  if (d.alarmArns.length > 0) {
    widgets.push({
      type: "alarm",
      x: 0,
      y,
      width: 24,
      height: 4,
      properties: { title: "Alarms (consul-aws's task state among them)", alarms: [...d.alarmArns] },
    });
    y += 4;
  }
  return { widgets };
}

export interface StackDashboardArgs {
  /**
   * Dashboard name: letters, digits, `-` and `_`, at most 255.
   * @default required
   */
  readonly dashboardName: string;
  /**
   * Everything the body names, as outputs.
   * @default required
   */
  readonly inputs: pulumi.Input<DashboardInputs>;
}

/** One CloudWatch dashboard; its body is `dashboardBody` as JSON. */
export class StackDashboard extends pulumi.ComponentResource {
  public readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: StackDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecs-cloudmap-consul:observability:StackDashboard", name, {}, opts);
    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: args.dashboardName,
        dashboardBody: pulumi
          .output(args.inputs)
          .apply((i) => JSON.stringify(dashboardBody(i as DashboardInputs))),
      },
      { parent: this },
    );
    this.dashboardName = dashboard.dashboardName;
    this.registerOutputs({ dashboardName: this.dashboardName });
  }
}
