// End to end on real processes and real DNS: hello rides through crashed, hung and missing tasks and DNS.
import * as assert from "node:assert/strict";
import { httpGet, sleep } from "../../local/net-util";
import { startTopology, type Topology } from "../../local/topology";
import { counter, helloMetrics, runLoad } from "./load";
import { HELLO_TEST_ENV } from "./settings";

describe("local topology: failures (real processes)", function () {
  this.timeout(60_000);
  let topology: Topology | undefined;
  afterEach(async () => {
    await topology?.stop();
    topology = undefined;
  });

  it("a task killed mid-load while DNS still lists it -> zero failed client requests", async () => {
    // A deregistration delay longer than the test: DNS lists the dead task throughout.
    topology = await startTopology({ ttlSeconds: 1, deregisterDelayMs: 120_000, helloEnv: HELLO_TEST_ENV });
    const current = topology;
    const loadDone = runLoad(current.helloUrl, { concurrency: 8, durationMs: 5000, maxRequests: 100_000 });
    await sleep(1500);
    await current.stopTask("name-2", { graceful: false });
    const load = await loadDone;

    assert.deepEqual(load.failures, []);
    const victim = current.tasks().find((t) => t.id === "name-2");
    assert.equal(victim?.state, "stopped");
    assert.equal(
      victim?.registered,
      true,
      "the killed task must still be in DNS for this test to mean anything",
    );
    const after = await runLoad(current.helloUrl, { concurrency: 4, durationMs: 5000, maxRequests: 300 });
    assert.deepEqual(after.failures, []);
    assert.deepEqual(Object.keys(after.byTask).sort(), ["name-1", "name-3"], "only live tasks answer");
  });

  it("a task that accepts connections and never answers (SIGSTOP) -> zero failed client requests, ejection in hello's metrics", async () => {
    topology = await startTopology({ ttlSeconds: 1, deregisterDelayMs: 120_000, helloEnv: HELLO_TEST_ENV });
    const current = topology;
    await runLoad(current.helloUrl, { concurrency: 8, durationMs: 2000, maxRequests: 300 }); // pooled connections to every task
    const ejectionsBefore = counter(await helloMetrics(current), "ejections");
    current.hangTask("name-2");
    const load = await runLoad(current.helloUrl, {
      concurrency: 8,
      durationMs: 6000,
      maxRequests: 100_000,
      timeoutMs: 10_000,
    });
    const metrics = await helloMetrics(current);
    current.resumeTask("name-2");

    assert.deepEqual(load.failures, []);
    assert.ok(load.ok > 100, `only ${load.ok} requests succeeded`);
    assert.ok(counter(metrics, "ejections") > ejectionsBefore, `no ejection in ${JSON.stringify(metrics)}`);
    assert.ok((load.byTask["name-1"] ?? 0) > 0 && (load.byTask["name-3"] ?? 0) > 0);
  });

  it("DNS server stopped -> requests keep succeeding on the cached set", async () => {
    topology = await startTopology({ ttlSeconds: 1, helloEnv: HELLO_TEST_ENV });
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
      topology = await startTopology({
        ttlSeconds: 1,
        deregisterDelayMs: listed ? 120_000 : 0,
        helloEnv: HELLO_TEST_ENV,
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
