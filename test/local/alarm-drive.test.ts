// A deploy that breaks discovery (every name task unreachable while DNS still lists them, as with a
// bad image) drives the deployment alarms' metrics over their thresholds within their evaluation
// windows, in the local topology, with the alarms the stack creates evaluated as CloudWatch does.
// One EMF interval stands for one alarm period (a minute on AWS; 400 ms here).
import * as assert from "node:assert/strict";
import { runLoad } from "../../local/closed-loop-load";
import {
  DEPLOYMENT_ALARM_KEYS,
  discoveryAlarmSpecs,
  type AlarmSpec,
  type MetricRef,
} from "../../program/observability";
import { alarmStates, type AlarmState } from "../aws/rules/alarm-evaluation";
import { emfData, emfLines, emfProblems, type EmfDatum } from "../aws/rules/emf";
import { topologyPerTest } from "./topology-per-test";

const STACK = "drive";
const INTERVAL_MS = 400;

describe("local topology: a broken deploy drives the deployment alarms (real processes)", function () {
  this.timeout(60_000);
  const start = topologyPerTest();

  it("hello's 5xx rate and all-tries-failed go to ALARM within their evaluation periods; none before", async () => {
    const env = { METRICS_INTERVAL_MS: String(INTERVAL_MS), METRICS_STACK: STACK };
    const topology = await start({ ttlSeconds: 1, deregisterDelayMs: 120_000, helloEnv: env, nameEnv: env });
    await runLoad(topology.helloUrl, {
      concurrency: 4,
      durationMs: 6 * INTERVAL_MS + 5 * INTERVAL_MS,
      maxRequests: 30_000,
      timeoutMs: 5000,
      // The break: every name task gone at once, still registered (ECS deregisters only later).
      duringAfterMs: 6 * INTERVAL_MS,
      during: async () => {
        await Promise.all(topology.tasks().map((t) => topology.stopTask(t.id, { graceful: false })));
      },
    });
    await topology.stopHello("SIGTERM");

    const periods: EmfDatum[][] = emfLines(topology.jsonLines("hello")).map((line) => {
      assert.deepEqual(emfProblems(line), []);
      return emfData(line);
    });
    const fivexx = (p: EmfDatum[]) => Number(p.find((d) => d.name === "Responses5xx")?.value ?? 0);
    const broken = periods.findIndex((p) => fivexx(p) > 0);
    assert.ok(
      broken >= 4,
      `the break shows in period ${broken} of ${periods.length}: healthy periods come first`,
    );

    const specs = discoveryAlarmSpecs(STACK).filter((s) => DEPLOYMENT_ALARM_KEYS.includes(s.key));
    assert.equal(specs.length, 2);
    for (const spec of specs) {
      const states = alarmStates(spec, periods);
      assert.deepEqual(
        states.slice(0, broken),
        Array<AlarmState>(broken).fill("OK"),
        `${spec.key} before the break`,
      );
      const fired = states.indexOf("ALARM");
      // The period the break falls in may be partial: one period of slack on top of the window.
      assert.ok(
        fired >= broken && fired <= broken + spec.evaluationPeriods,
        `${spec.key}: ALARM at period ${fired}, the break at ${broken}, window ${spec.evaluationPeriods}: ${states.join(" ")}`,
      );
    }

    // The same evaluation stays OK for an alarm on a metric nothing writes, or on another stack's:
    // the assertion above is what notices such an alarm.
    const rename = (m: MetricRef<string>, change: Partial<MetricRef<string>>) => ({ ...m, ...change });
    const [rate, allFailed] = specs;
    const deaf: AlarmSpec<string>[] = [
      {
        ...allFailed,
        signal: {
          kind: "metric",
          metric: rename((allFailed.signal as { metric: MetricRef<string> }).metric, {
            metricName: "AllTriesFailed",
          }),
        },
      },
      rate.signal.kind === "percent"
        ? {
            ...rate,
            signal: {
              ...rate.signal,
              part: rename(rate.signal.part, { dimensions: { Service: "hello", Stack: "other" } }),
            },
          }
        : rate,
    ];
    for (const spec of deaf) assert.ok(!alarmStates(spec, periods).includes("ALARM"), spec.key);
  });
});
