// The apps' CloudWatch metrics as pure parts: the vocabulary (and the tables that show it), hello's
// values of one interval from two /metrics readings, and the metric variables' checks.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parseHelloConfig } from "../../apps/hello/src/config";
import { LatencyRecorder, quantileBetween } from "../../apps/hello/src/latency";
import { METRIC_NAMESPACE, METRICS } from "../../apps/hello/src/metric-names";
import { helloIntervalValues, type HelloReading } from "../../apps/hello/src/metrics-report";
import { parseNameConfig } from "../../apps/name/src/config";
import { APPS_DIR } from "./support/app-process";

function reading(over: Partial<HelloReading>, latencies: number[] = []): HelloReading {
  const recorder = new LatencyRecorder();
  for (const ms of latencies) recorder.record(ms);
  return {
    served: 0,
    requests: 0,
    tries: 0,
    retries: 0,
    failures: 0,
    ejections: 0,
    dnsRefreshes: 0,
    dnsFailures: 0,
    staleRequests: 0,
    responses: {},
    latencyMs: recorder.snapshot(),
    discovery: { targets: 0 },
    ...over,
  };
}

describe("apps: CloudWatch metrics", () => {
  it("hello's interval values are differences of two readings, quantiles from the same histogram", () => {
    const start = reading(
      { served: 10, requests: 10, tries: 11, retries: 1, responses: { "200": 10 } },
      [1, 1],
    );
    const end = reading(
      {
        served: 30,
        requests: 30,
        tries: 36,
        retries: 6,
        failures: 2,
        ejections: 1,
        dnsRefreshes: 4,
        dnsFailures: 1,
        staleRequests: 3,
        responses: { "200": 26, "404": 1, "502": 1, "503": 2 },
        discovery: { targets: 3 },
      },
      [1, 1, ...Array<number>(18).fill(4), 40, 900],
    );
    const values = helloIntervalValues(start, end);
    assert.deepEqual(values, {
      requests: 20,
      responses2xx: 16,
      responses4xx: 1,
      responses5xx: 3,
      latencyP50: quantileBetween(start.latencyMs, end.latencyMs, 0.5),
      latencyP99: quantileBetween(start.latencyMs, end.latencyMs, 0.99),
      upstreamRequests: 20,
      upstreamTries: 25,
      upstreamRetries: 5,
      upstreamFailures: 2,
      ejections: 1,
      dnsLookups: 5,
      dnsFailures: 1,
      serveStale: 3,
      targetsKnown: 3,
    });
    assert.ok(values.latencyP50 > 3 && values.latencyP50 <= 5 && values.latencyP99 >= 750);
    // Nothing answered in between: counts are zero, and there is no latency to report.
    const idle = helloIntervalValues(end, end);
    assert.equal(idle.requests, 0);
    assert.equal("latencyP50" in idle, false);
  });

  it("the vocabulary: unique names, CloudWatch units, a custom namespace", () => {
    const names = Object.values(METRICS).map((m) => m.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(!METRIC_NAMESPACE.startsWith("AWS/"));
    for (const m of Object.values(METRICS)) assert.ok(["Count", "Milliseconds"].includes(m.unit), m.name);
  });

  it("apps/README's metric table lists exactly the vocabulary, with units and apps", () => {
    const text = fs.readFileSync(path.join(APPS_DIR, "README.md"), "utf8");
    const table = text.slice(text.indexOf("| metric | unit | from | one data point |"));
    const rows = table
      .slice(0, table.indexOf("\n\n"))
      .split("\n")
      .slice(2)
      .map((line) => line.split("|").map((c) => c.trim()));
    const documented = rows.flatMap(([, names, unit, from]) =>
      [...names.matchAll(/`(\w+)`/g)].map((m) => `${m[1]} ${unit} ${from}`),
    );
    const defined = Object.values(METRICS).map((m) => `${m.name} ${m.unit} ${m.apps.join(", ")}`);
    assert.deepEqual(documented.sort(), defined.sort());
  });

  it("the live page labels its figures with the vocabulary's names", () => {
    const html = fs.readFileSync(path.join(APPS_DIR, "..", "local", "live", "index.html"), "utf8");
    const labelled = [...html.matchAll(/data-metric="([^"]*)"/g)].map((m) => m[1]);
    const names = new Set<string>(Object.values(METRICS).map((m) => m.name));
    assert.ok(labelled.length >= 6);
    for (const name of labelled) assert.ok(names.has(String(name)), `${name} is not in the vocabulary`);
  });

  it("METRICS_INTERVAL_MS: 0 turns the lines off, 100 ms is the shortest, anything else is named", () => {
    for (const parse of [
      (env: Record<string, string>) => parseNameConfig(env, "h"),
      (env: Record<string, string>) => parseHelloConfig({ NAME_SERVER: "http://10.0.0.5/", ...env }, "h"),
    ]) {
      const off = parse({ METRICS_INTERVAL_MS: "0", METRICS_STACK: "dev" });
      assert.ok(off.ok && off.config.metrics.intervalMs === 0 && off.config.metrics.stack === "dev");
      const bad = parse({ METRICS_INTERVAL_MS: "50" });
      assert.ok(!bad.ok && bad.errors.some((e) => e.startsWith("METRICS_INTERVAL_MS=50 is invalid")));
      const spaced = parse({ METRICS_STACK: "a b" });
      assert.ok(!spaced.ok && spaced.errors.some((e) => e.startsWith("METRICS_STACK")));
    }
  });
});
