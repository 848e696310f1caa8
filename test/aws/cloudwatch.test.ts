/**
 * The stack's alarms and dashboard against what exists: every metric they name is one the running
 * apps wrote (namespace, name, dimensions and values, from a real run of the local topology) or one
 * AWS publishes under exactly those dimensions; PutMetricAlarm and PutDashboard against CloudWatch's
 * API models; the dashboard body against its documented structure; the ECS deployment alarms name
 * alarms the stack creates before the services. An alarm on a metric that never exists sits in
 * INSUFFICIENT_DATA (or OK) forever; no mock test notices, these checks do.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startTopology } from "../../local/topology";
import { runLoad } from "../../local/closed-loop-load";
import {
  ALARM_PERIOD_SECONDS,
  appMetric,
  dashboardBody,
  discoveryAlarmSpecs,
  metricAlarmArgs,
  taskAlarmSpecs,
  type DashboardInputs,
} from "../../program/observability";
import { loadStackConfig, ProgramRun, RecordedResource, ROOT, runProgram } from "../infra/harness";
import { containersOf, envOf, ofType, T } from "../infra/graph";
import { k } from "../infra/settings-fixtures";
import { constraintModelsMissing, validateRequest } from "./rules/api-models";
import {
  dashboardBodyProblems,
  EmittedMetric,
  metricsOfAlarm,
  metricsOfDashboard,
  putDashboardRequest,
  putMetricAlarmRequest,
  whyNoData,
} from "./rules/cloudwatch";
import { emfData, emfLines, emfProblems } from "./rules/emf";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";
/** The Stack value the local run writes; each case expects its own stack's value in its place. */
const LOCAL_STACK = "local-run";

/** What hello and name write, from a short real run: the metrics with their dimensions. */
async function emittedByTheApps(): Promise<EmittedMetric[]> {
  const env = { METRICS_INTERVAL_MS: "200", METRICS_STACK: LOCAL_STACK };
  const topology = await startTopology({ ttlSeconds: 1, nameTasks: 2, helloEnv: env, nameEnv: env });
  try {
    await runLoad(topology.helloUrl, { concurrency: 2, durationMs: 800, maxRequests: 10_000 });
    await topology.stopHello("SIGTERM");
    for (const t of topology.tasks()) await topology.stopTask(t.id, { graceful: true });
    const lines = ["hello", ...topology.tasks().map((t) => t.id)].flatMap((id) =>
      emfLines(topology.jsonLines(id)),
    );
    const seen = new Map<string, EmittedMetric>();
    for (const line of lines) {
      assert.deepStrictEqual(emfProblems(line), []);
      for (const d of emfData(line))
        seen.set(`${d.namespace} ${d.name} ${JSON.stringify(d.dimensions)}`, {
          namespace: d.namespace,
          metricName: d.name,
          dimensions: d.dimensions,
        });
    }
    return [...seen.values()];
  } finally {
    await topology.stop();
  }
}

/** The run's metrics as a stack's tasks write them: the Stack value their task definitions set. */
function emittedAs(emitted: readonly EmittedMetric[], stack: string): EmittedMetric[] {
  return emitted.map((e) => ({
    ...e,
    dimensions: e.dimensions.Stack === LOCAL_STACK ? { ...e.dimensions, Stack: stack } : e.dimensions,
  }));
}

interface Case {
  readonly title: string;
  readonly stack: "dev" | "prod";
  readonly set: Record<string, string>;
  /** Alarm keys expected, in order. */
  readonly alarms: readonly string[];
}

const DISCOVERY = ["hello-5xx-rate", "all-tries-failed", "sustained-ejections"];

const CASES: readonly Case[] = [
  // dev: Container Insights off, DNS mode -> name's count from hello's record set; embedded Consul.
  {
    title: "dev",
    stack: "dev",
    set: {},
    alarms: [...DISCOVERY, "name-tasks-below-minimum", "consul-aws-not-running"],
  },
  {
    title: "prod",
    stack: "prod",
    set: {},
    alarms: [...DISCOVERY, "name-tasks-below-minimum", "consul-aws-not-running"],
  },
  {
    title: "dev with Service Connect and API Gateway (no task-count source without Container Insights)",
    stack: "dev",
    set: { [k("discoveryMode")]: "serviceConnect", [k("frontDoor")]: "apiGateway" },
    alarms: [...DISCOVERY, "consul-aws-not-running"],
  },
  {
    title: "prod with Service Connect behind the ALB, an SNS topic",
    stack: "prod",
    set: {
      [k("discoveryMode")]: "serviceConnect",
      [k("alarmTopicArn")]: "arn:aws:sns:eu-west-1:222222222222:prod-alerts",
    },
    alarms: [...DISCOVERY, "name-tasks-below-minimum", "consul-aws-not-running"],
  },
  {
    title: "dev, Container Insights on, sync off, no rollback",
    stack: "dev",
    set: {
      [k("containerInsights")]: "enabled",
      [k("consulMode")]: "off",
      [k("consulImage")]: "",
      [k("alarmRollback")]: "false",
    },
    alarms: [...DISCOVERY, "name-tasks-below-minimum"],
  },
  {
    title: "dev with alarms and dashboard off",
    stack: "dev",
    set: { [k("alarms")]: "false", [k("alarmRollback")]: "false", [k("dashboard")]: "false" },
    alarms: [],
  },
];

describe("aws rules: alarms and dashboard name metrics that exist", function () {
  this.timeout(120_000);
  let emitted: EmittedMetric[] = [];

  before(async function () {
    emitted = await emittedByTheApps();
  });

  it("the local run wrote every metric of the vocabulary for hello and Requests for name", () => {
    const names = (service: string) =>
      emitted
        .filter((e) => e.dimensions.Service === service)
        .map((e) => e.metricName)
        .sort();
    assert.ok(
      names("hello").includes("LatencyP99") && names("hello").includes("UpstreamFailures"),
      names("hello").join(),
    );
    assert.deepStrictEqual(names("name"), ["Requests"]);
  });

  for (const c of CASES) {
    describe(c.title, function () {
      let run: ProgramRun;
      let alarms: RecordedResource[];
      before(async function () {
        run = await runProgram({ ...loadStackConfig(c.stack), ...c.set }, c.stack);
        if (run.error) throw run.error;
        alarms = ofType(run, ALARM);
      });

      it("creates the expected alarms, each named <project>-<stack>-<key>", () => {
        assert.deepStrictEqual(
          alarms.map((a) => String(a.inputs.name)).sort(),
          c.alarms.map((key) => `ecs-cloudmap-consul-${c.stack}-${key}`).sort(),
        );
      });

      it("every alarm and widget names a metric the apps wrote or AWS publishes", () => {
        const mine = emittedAs(emitted, c.stack);
        const named = [
          ...alarms.flatMap((a) => metricsOfAlarm(a.name, a.inputs)),
          ...ofType(run, DASHBOARD).flatMap((d) => metricsOfDashboard(String(d.inputs.dashboardBody))),
        ];
        assert.deepStrictEqual(
          named.map((m) => whyNoData(m, mine)).filter((p) => p !== undefined),
          [],
        );
      });

      it("PutMetricAlarm and PutDashboard requests pass CloudWatch's API models; the body its documented structure", function () {
        const problems = [
          ...alarms.flatMap((a) =>
            validateRequest("cloudwatch", "PutMetricAlarm", putMetricAlarmRequest(a.inputs)),
          ),
          ...ofType(run, DASHBOARD).flatMap((d) => [
            ...validateRequest("cloudwatch", "PutDashboard", putDashboardRequest(d.inputs)),
            ...dashboardBodyProblems(String(d.inputs.dashboardBody)),
          ]),
        ];
        assert.deepStrictEqual(problems, []);
        if (constraintModelsMissing()) this.skip(); // the required-member checks ran; enums and patterns did not
      });

      it("the apps write one line a minute with this stack's Stack value; the ECS deployment alarms name the stack's alarms, created first", () => {
        const services = ofType(run, T.ecsService).filter(
          (s) => s.name === "hello-service" || s.name === "name-service",
        );
        assert.strictEqual(services.length, 2);
        for (const app of ["hello", "name"]) {
          const env = envOf(
            containersOf(ofType(run, T.taskDefinition).find((t) => t.name === `${app}-task`)!)[0],
          );
          assert.strictEqual(env.METRICS_STACK, c.stack);
          assert.strictEqual(
            env.METRICS_INTERVAL_MS,
            c.set[k("metrics")] === "false" ? "0" : `${ALARM_PERIOD_SECONDS * 1000}`,
          );
        }
        const rollback = c.set[k("alarmRollback")] !== "false";
        const byName = new Map(alarms.map((a) => [a.inputs.name, a]));
        for (const s of services) {
          const deployment = s.inputs.alarms as
            { alarmNames: string[]; enable: boolean; rollback: boolean } | undefined;
          if (!rollback) {
            assert.strictEqual(deployment, undefined);
            continue;
          }
          assert.deepStrictEqual(deployment, {
            alarmNames: [
              `ecs-cloudmap-consul-${c.stack}-hello-5xx-rate`,
              `ecs-cloudmap-consul-${c.stack}-all-tries-failed`,
            ],
            enable: true,
            rollback: true,
          });
          for (const name of deployment.alarmNames) {
            const alarm = byName.get(name);
            assert.ok(alarm, `no alarm named ${name}`);
            assert.ok(s.dependencies.includes(alarm.urn!), `${s.name} does not wait for ${name}`);
          }
        }
      });

      it("the dashboard shows every alarm's state", () => {
        const dashboards = ofType(run, DASHBOARD);
        if (c.set[k("dashboard")] === "false") return assert.strictEqual(dashboards.length, 0);
        assert.strictEqual(dashboards.length, 1);
        const body = JSON.parse(String(dashboards[0].inputs.dashboardBody)) as {
          widgets: { type: string; properties: { alarms?: string[] } }[];
        };
        const shown = body.widgets
          .filter((w) => w.type === "alarm")
          .flatMap((w) => w.properties.alarms ?? []);
        assert.deepStrictEqual(shown.sort(), alarms.map((a) => String(a.state.arn)).sort());
      });
    });
  }

  it("the README's alarm table names every alarm the stack can create, with its threshold", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("| alarm | metric | fires when |"));
    const rows = table
      .slice(0, table.indexOf("\n\n"))
      .split("\n")
      .slice(2)
      .map((line) => line.split("|").map((cell) => cell.trim()));
    const specs = [
      ...discoveryAlarmSpecs("dev"),
      ...taskAlarmSpecs({
        stack: "dev",
        clusterName: "c",
        nameServiceName: "n",
        nameMinimum: 2,
        taskCountSource: "containerInsights",
        consulSyncServiceName: "s",
      }),
    ];
    assert.deepStrictEqual(
      rows.map(([, key]) => key),
      specs.map((s) => `\`${s.key}\``),
    );
    for (const spec of specs.filter((s) => s.comparison === "GreaterThanOrEqualToThreshold")) {
      const fires = rows.find(([, key]) => key === `\`${spec.key}\``)?.[3] ?? "";
      assert.match(
        fires,
        new RegExp(`≥ ${spec.threshold}\\b.* ${spec.datapointsToAlarm} of ${spec.evaluationPeriods} minutes`),
      );
    }
  });

  describe("the checks bite", () => {
    const dims = { ClusterName: "c", ServiceName: "s" };
    const mine = () => emittedAs(emitted, "dev");

    it("an alarm on a metric name nothing writes, on another stack's value, or without a dimension", () => {
      const [rate] = discoveryAlarmSpecs("dev");
      const broken = [
        {
          ...rate,
          signal: {
            kind: "metric" as const,
            metric: { ...appMetric("hello", "requests", "dev", "Sum"), metricName: "Request" },
          },
        },
        {
          ...rate,
          signal: { kind: "metric" as const, metric: appMetric("hello", "requests", "prod", "Sum") },
        },
        {
          ...rate,
          signal: { kind: "metric" as const, metric: { ...appMetric("name", "ejections", "dev", "Sum") } },
        },
        {
          ...rate,
          signal: {
            kind: "metric" as const,
            metric: { ...appMetric("hello", "requests", "dev", "Sum"), dimensions: { Service: "hello" } },
          },
        },
      ];
      for (const spec of broken) {
        const named = metricsOfAlarm("x", metricAlarmArgs(spec, "x", [], {}) as Record<string, unknown>);
        assert.ok(
          named.some((m) => whyNoData(m, mine()) !== undefined),
          JSON.stringify(spec.signal),
        );
      }
      // The unbroken one passes, so the failures above are the breakage.
      const named = metricsOfAlarm("x", metricAlarmArgs(rate, "x", [], {}) as Record<string, unknown>);
      assert.deepStrictEqual(named.map((m) => whyNoData(m, mine())).filter(Boolean), []);
    });

    it("an AWS metric under a dimension set AWS does not publish, or one it does not publish at all", () => {
      const named = (namespace: string, metricName: string, dimensions: Record<string, string>) => ({
        namespace,
        metricName,
        dimensions,
        stat: "Sum",
        where: "test",
      });
      assert.ok(whyNoData(named("ECS/ContainerInsights", "RunningTaskCount", { ServiceName: "s" }), []));
      assert.ok(whyNoData(named("AWS/ECS", "RunningTaskCount", dims), []));
      assert.ok(
        whyNoData(named("AWS/ECS", "HTTPCode_Target_5XX_Count", { ...dims, DiscoveryName: "name" }), []),
      );
      assert.strictEqual(whyNoData(named("ECS/ContainerInsights", "RunningTaskCount", dims), []), undefined);
    });

    it("a dashboard body with overlapping, oversized or incomplete widgets, or a bad metric row", () => {
      const inputs: DashboardInputs = {
        region: "eu-west-1",
        stack: "dev",
        clusterName: "c",
        services: { hello: "h", name: "n", consulSync: undefined },
        frontDoor: { kind: "apiGateway", apiId: "a1" },
        serviceConnectName: undefined,
        containerInsights: false,
        appMetrics: true,
        alarmArns: ["arn:aws:cloudwatch:eu-west-1:111111111111:alarm:x"],
      };
      const good = dashboardBody(inputs);
      assert.deepStrictEqual(dashboardBodyProblems(JSON.stringify(good)), []);
      const bad = (change: (w: Record<string, unknown>[]) => void) => {
        const body = JSON.parse(JSON.stringify(good)) as { widgets: Record<string, unknown>[] };
        change(body.widgets);
        return dashboardBodyProblems(JSON.stringify(body));
      };
      assert.ok(bad((w) => (w[2].x = w[1].x)).length > 0, "overlap");
      assert.ok(bad((w) => (w[1].width = 25)).length > 0, "too wide");
      assert.ok(
        bad((w) => delete (w[1].properties as Record<string, unknown>).region).length > 0,
        "no region",
      );
      assert.ok(
        bad((w) => ((w[1].properties as { metrics: unknown[][] }).metrics[0] = ["AWS/ECS"])).length > 0,
        "row",
      );
      assert.ok(
        bad((w) => ((w[w.length - 1].properties as { alarms: string[] }).alarms = ["x"])).length > 0,
        "alarm ARN",
      );
    });

    it("a PutMetricAlarm request CloudWatch's model refuses", function () {
      if (constraintModelsMissing()) this.skip();
      const [rate] = discoveryAlarmSpecs("dev");
      const request = putMetricAlarmRequest({
        ...(metricAlarmArgs({ ...rate, comparison: "GreaterThan" as never }, "x", [], {}) as Record<
          string,
          unknown
        >),
      });
      assert.ok(
        validateRequest("cloudwatch", "PutMetricAlarm", request).some((p) =>
          p.includes("ComparisonOperator"),
        ),
      );
      assert.ok(
        validateRequest("cloudwatch", "PutMetricAlarm", { ...request, Unknown: 1 }).some((p) =>
          p.includes("Unknown"),
        ),
      );
    });
  });
});
