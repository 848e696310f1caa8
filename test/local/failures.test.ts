// End to end on real processes and real DNS: hello rides through crashed, hung and missing tasks and DNS.
import * as assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { httpGet } from "../../local/net-util";
import { runLoad } from "../../local/load/closed-loop";
import { counter, helloMetrics } from "./load";
import { topologyPerTest } from "./topology-per-test";

describe("local topology: failures (real processes)", function () {
  this.timeout(60_000);
  const start = topologyPerTest();

  it("a task killed mid-load while DNS still lists it -> zero failed client requests", async () => {
    // A deregistration delay longer than the test: DNS lists the dead task throughout.
    const topology = await start({ ttlSeconds: 1, deregisterDelayMs: 120_000 });
    const loadDone = runLoad(topology.helloUrl, { concurrency: 8, durationMs: 5000, maxRequests: 100_000 });
    await sleep(1500);
    await topology.stopTask("name-2", { graceful: false });
    const load = await loadDone;

    assert.deepEqual(load.failures, []);
    const victim = topology.tasks().find((t) => t.id === "name-2");
    assert.equal(victim?.state, "stopped");
    assert.equal(
      victim?.registered,
      true,
      "the killed task must still be in DNS for this test to mean anything",
    );
    const after = await runLoad(topology.helloUrl, { concurrency: 4, durationMs: 5000, maxRequests: 300 });
    assert.deepEqual(after.failures, []);
    assert.deepEqual(Object.keys(after.byTask).sort(), ["name-1", "name-3"], "only live tasks answer");
  });

  it("a task that accepts connections and never answers (SIGSTOP) -> zero failed client requests, ejection in hello's metrics", async () => {
    const topology = await start({ ttlSeconds: 1, deregisterDelayMs: 120_000 });
    await runLoad(topology.helloUrl, { concurrency: 8, durationMs: 2000, maxRequests: 300 }); // pooled connections to every task
    const ejectionsBefore = counter(await helloMetrics(topology), "ejections");
    topology.hangTask("name-2");
    const load = await runLoad(topology.helloUrl, {
      concurrency: 8,
      durationMs: 6000,
      maxRequests: 100_000,
      timeoutMs: 10_000,
    });
    const metrics = await helloMetrics(topology);
    topology.resumeTask("name-2");

    assert.deepEqual(load.failures, []);
    assert.ok(load.ok > 100, `only ${load.ok} requests succeeded`);
    assert.ok(counter(metrics, "ejections") > ejectionsBefore, `no ejection in ${JSON.stringify(metrics)}`);
    assert.ok((load.byTask["name-1"] ?? 0) > 0 && (load.byTask["name-3"] ?? 0) > 0);
  });

  it("DNS server stopped -> requests keep succeeding on the cached set", async () => {
    const topology = await start({ ttlSeconds: 1 });
    await runLoad(topology.helloUrl, { concurrency: 4, durationMs: 2000, maxRequests: 200 });
    await topology.dns.stop();
    const failuresBefore = counter(await helloMetrics(topology), "dnsFailures");
    await sleep(2500); // well past the TTL: the cached set is stale, every refresh fails
    const load = await runLoad(topology.helloUrl, { concurrency: 4, durationMs: 3000, maxRequests: 100_000 });
    const metrics = await helloMetrics(topology);

    assert.deepEqual(load.failures, []);
    assert.ok(load.ok > 50);
    assert.deepEqual(Object.keys(load.byTask).sort(), ["name-1", "name-2", "name-3"]);
    assert.ok(counter(metrics, "dnsFailures") > failuresBefore, "hello did try DNS while it was down");
  });

  for (const listed of [true, false]) {
    it(`all tasks down (${listed ? "still listed in DNS" : "deregistered"}) -> fast 503 with a clear message`, async () => {
      const topology = await start({
        ttlSeconds: 1,
        deregisterDelayMs: listed ? 120_000 : 0,
      });
      for (const t of topology.tasks()) await topology.stopTask(t.id, { graceful: false });
      if (!listed) await sleep(2500); // deregistered, and the cached set expired
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = Date.now();
        const r = await httpGet(topology.helloUrl, 10_000);
        latencies.push(Date.now() - t0);
        assert.equal(r.status, 503, `request ${i}: ${r.body}`);
        assert.match(r.body, /\S{3,}/, "503 carries a message");
      }
      // Measured well under 100 ms on loopback; 1 s leaves room for a noisy machine and still means "fast".
      assert.ok(Math.max(...latencies) < 1000, `503 latencies (ms): ${latencies.join(", ")}`);
    });
  }
});
