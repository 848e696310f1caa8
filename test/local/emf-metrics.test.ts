// hello and name, run for real under load, write CloudWatch EMF lines that parse as AWS's
// specification requires, with the figures the live page shows for the same interval.
import * as assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { METRIC_NAMESPACE, METRICS } from "../../apps/hello/src/metric-names";
import { runLoad } from "../../local/load/closed-loop";
import { LOAD_OFF } from "../../local/load/generator";
import { buildSnapshot, parseHelloMetrics, type About, type TickInput } from "../../local/live/model";
import { servedByTask, type Topology } from "../../local/topology/topology";
import { emfData, emfLines, emfProblems, type EmfDatum } from "../aws/rules/emf";
import { helloMetrics } from "./load";
import { topologyPerTest } from "./topology-per-test";

const STACK = "emf-test";
const VOCABULARY = new Set<string>(Object.values(METRICS).map((m) => m.name));

/** One reading of hello's /metrics as the live feed takes it. */
async function tick(topology: Topology): Promise<TickInput> {
  return {
    at: Date.now(),
    tasks: topology.tasks(),
    served: {},
    hello: parseHelloMetrics(await helloMetrics(topology)),
    dnsQueries: topology.dns.queries().total,
    load: { ...LOAD_OFF },
  };
}

/** The EMF lines of one process, each checked against the specification; its metrics by name. */
function linesOf(topology: Topology, id: string): Record<string, EmfDatum>[] {
  return emfLines(topology.jsonLines(id)).map((line) => {
    assert.deepEqual(
      emfProblems(line),
      [],
      `${id} wrote an EMF line CloudWatch would not take: ${JSON.stringify(line)}`,
    );
    const data = emfData(line);
    for (const d of data) {
      assert.equal(d.namespace, METRIC_NAMESPACE);
      assert.ok(VOCABULARY.has(d.name), `${d.name} is not in the vocabulary`);
      assert.deepEqual(d.dimensions, { Service: id === "hello" ? "hello" : "name", Stack: STACK });
      assert.equal(d.unit, Object.values(METRICS).find((m) => m.name === d.name)?.unit);
    }
    return Object.fromEntries(data.map((d) => [d.name, d]));
  });
}

const value = (line: Record<string, EmfDatum>, name: string): number => {
  const d = line[name];
  assert.ok(d, `no ${name} in ${JSON.stringify(Object.keys(line))}`);
  assert.equal(typeof d.value, "number");
  return d.value as number;
};

describe("local topology: EMF metric lines (real processes)", function () {
  this.timeout(60_000);
  const start = topologyPerTest();
  const metricsEnv = (intervalMs: number) => ({
    METRICS_INTERVAL_MS: String(intervalMs),
    METRICS_STACK: STACK,
  });

  it("one interval under load with a task killed: hello's line carries what the live page shows for it, name's what its /metrics served", async () => {
    // One line per process, written at SIGTERM: its interval is the whole run, the live page's window too.
    const topology = await start({
      ttlSeconds: 30,
      deregisterDelayMs: 120_000,
      helloEnv: metricsEnv(600_000),
      nameEnv: metricsEnv(600_000),
    });
    const first = await tick(topology);
    const load = await runLoad(topology.helloUrl, {
      concurrency: 8,
      durationMs: 3000,
      maxRequests: 100_000,
      during: () => topology.stopTask("name-2", { graceful: false }),
      duringAfterMs: 1000,
    });
    assert.ok(load.ok > 100, `only ${load.ok} answers`);
    const last = await tick(topology);
    const served = await servedByTask(topology);
    const about: About = {
      helloUrl: topology.helloUrl,
      service: "name",
      namespace: topology.namespace,
      dnsAddress: "",
      ttlSeconds: 30,
      deregisterDelayMs: 120_000,
      intervalMs: 400,
      windowMs: 600_000,
    };
    const page = buildSnapshot([first, last], undefined, 1, about).hello;
    await topology.stopHello("SIGTERM");
    for (const id of ["name-1", "name-3"]) await topology.stopTask(id, { graceful: true });

    const hello = linesOf(topology, "hello");
    assert.equal(hello.length, 1, "one interval, one line");
    const line = hello[0];
    const raw = last.hello;
    assert.ok(raw);
    assert.equal(value(line, "Requests"), page.served);
    assert.equal(value(line, "LatencyP50"), page.p50Ms);
    assert.equal(value(line, "LatencyP99"), page.p99Ms);
    assert.equal(value(line, "UpstreamRetries"), page.retries);
    assert.equal(value(line, "UpstreamFailures"), page.failures);
    assert.equal(value(line, "Ejections"), page.ejections);
    assert.equal(value(line, "Responses4xx") + value(line, "Responses5xx"), page.notOk);
    assert.equal(value(line, "TargetsKnown"), page.recordSet.length);
    assert.ok(page.retries > 0 && page.ejections > 0, "the killed task made hello retry and eject");
    // What the page does not show, against the raw /metrics reading.
    assert.equal(value(line, "Responses2xx"), raw.responses["200"] ?? 0);
    assert.equal(value(line, "UpstreamRequests"), raw.requests);

    for (const id of ["name-1", "name-3"]) {
      const lines = linesOf(topology, id);
      assert.equal(lines.length, 1, `${id}: one interval, one line`);
      assert.equal(value(lines[0], "Requests"), served[id], `${id}: its /metrics count`);
    }
  });

  it("short intervals under load: every line is valid EMF, and the lines add up to /metrics", async () => {
    // No drain delay: hello would keep refreshing DNS through it, after the reading below.
    const topology = await start({
      ttlSeconds: 1,
      helloEnv: { ...metricsEnv(250), DRAIN_DELAY_MS: "0" },
      nameEnv: metricsEnv(250),
    });
    const load = await runLoad(topology.helloUrl, { concurrency: 4, durationMs: 2000, maxRequests: 100_000 });
    assert.deepEqual(load.failures, []);
    await sleep(400); // at least one more interval, idle: zeros are written too
    const reading = (await helloMetrics(topology)) as Record<string, number>;
    await topology.stopHello("SIGTERM");

    const lines = linesOf(topology, "hello");
    assert.ok(lines.length >= 6, `${lines.length} lines in about 2.5 s at 250 ms`);
    const sum = (name: string) => lines.reduce((total, l) => total + value(l, name), 0);
    assert.equal(sum("Requests"), reading.served);
    assert.equal(sum("UpstreamRequests"), reading.requests);
    assert.equal(sum("UpstreamTries"), reading.tries);
    assert.equal(sum("DnsLookups"), reading.dnsRefreshes + reading.dnsFailures);
    const stamps = lines.map((l) => l.Requests.timestamp);
    assert.deepEqual(
      stamps,
      [...stamps].sort((a, b) => a - b),
      "timestamps in order",
    );
    // An idle interval has counts (zeros) but no latency: no answer, no quantile.
    const idle = lines[lines.length - 1];
    assert.equal(value(idle, "Requests"), 0);
    assert.equal(idle.LatencyP50, undefined);
  });
});
