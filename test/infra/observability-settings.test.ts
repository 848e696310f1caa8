/**
 * The observability settings: on by default, each part off alone, an alarm never without what it
 * watches, a bad SNS topic named; and what each combination creates.
 */
import * as assert from "assert";
import { Alarms, alarmArgProblems } from "../../program/observability";
import { loadStackConfig, runProgram } from "./harness";
import { containersOf, envOf, ofType, T } from "./graph";
import { k, ok, onlyError, REGION, set } from "./settings-fixtures";

describe("infra: observability settings", () => {
  it("everything is on by default, without a topic", () => {
    assert.deepStrictEqual(ok(REGION).observability, {
      metrics: true,
      alarms: true,
      alarmRollback: true,
      alarmTopicArn: undefined,
      dashboard: true,
    });
  });

  it("each part turns off alone, as long as nothing needs it", () => {
    assert.strictEqual(ok(set({ dashboard: "false" })).observability.dashboard, false);
    assert.strictEqual(ok(set({ alarmRollback: "false" })).observability.alarmRollback, false);
    assert.deepStrictEqual(
      ok(set({ metrics: "false", alarms: "false", alarmRollback: "false" })).observability.metrics,
      false,
    );
  });

  it("an alarm setting without what it needs is one error naming the setting and the way out", () => {
    assert.match(
      onlyError(set({ metrics: "false", alarmRollback: "false" })),
      /^ecs-cloudmap-consul:alarms: needs metrics: true/,
    );
    assert.match(
      onlyError(set({ alarms: "false" })),
      /^ecs-cloudmap-consul:alarmRollback: needs alarms: true/,
    );
    assert.match(
      onlyError(
        set({
          alarms: "false",
          alarmRollback: "false",
          alarmTopicArn: "arn:aws:sns:us-east-1:111111111111:a",
        }),
      ),
      /^ecs-cloudmap-consul:alarmTopicArn: needs alarms: true/,
    );
  });

  it("a topic that is not an SNS topic ARN is named, by the setting and by the component", () => {
    for (const bad of [
      "arn:aws:sqs:us-east-1:111111111111:q",
      "alerts",
      "arn:aws:sns:us-east-1:1111:a",
      "arn:aws:sns:us-east-1:111111111111:a.fifo",
    ]) {
      assert.match(
        onlyError(set({ alarmTopicArn: bad })),
        /^ecs-cloudmap-consul:alarmTopicArn: must be an SNS topic ARN/,
      );
      assert.strictEqual(alarmArgProblems({ topicArn: bad }).length, 1);
    }
    assert.throws(
      () => new Alarms("a", { specs: [], namePrefix: "p", topicArn: "alerts" }),
      /Alarms "a": invalid arguments:\n {2}- topicArn: must be an SNS topic ARN/,
    );
    assert.strictEqual(
      ok(set({ alarmTopicArn: "arn:aws:sns:us-east-1:111111111111:ops-alerts" })).observability.alarmTopicArn,
      "arn:aws:sns:us-east-1:111111111111:ops-alerts",
    );
  });

  it("metrics off: the apps write no lines, and nothing watches them", async () => {
    const run = await runProgram(
      {
        ...loadStackConfig("dev"),
        [k("metrics")]: "false",
        [k("alarms")]: "false",
        [k("alarmRollback")]: "false",
      },
      "dev",
    );
    if (run.error) throw run.error;
    assert.strictEqual(ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").length, 0);
    for (const s of ofType(run, T.ecsService)) assert.strictEqual(s.inputs.alarms, undefined);
    // The dashboard stays (ECS, the front door), without the widgets of metrics nobody writes.
    const [dashboard] = ofType(run, "aws:cloudwatch/dashboard:Dashboard");
    assert.ok(dashboard);
    assert.doesNotMatch(String(dashboard.inputs.dashboardBody), /EcsCloudMapConsul/);
    for (const app of ["hello", "name"]) {
      const task = ofType(run, T.taskDefinition).find((t) => t.name === `${app}-task`);
      assert.ok(task);
      assert.strictEqual(envOf(containersOf(task)[0]).METRICS_INTERVAL_MS, "0");
    }
  });
});
