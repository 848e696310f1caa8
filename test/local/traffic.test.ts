// End to end on real processes and real DNS: how hello spreads traffic over the name tasks.
import * as assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { waitUntil } from "../../local/net-util";
import { servedByTask } from "../../local/topology/topology";
import { runLoad } from "../../local/load/closed-loop";
import { counter, helloMetrics } from "./load";
import { topologyPerTest } from "./topology-per-test";

describe("local topology: traffic spread (real processes)", function () {
  this.timeout(60_000);
  const start = topologyPerTest();

  it("spreads evenly over three tasks, the bodies agree with each task's /metrics, and DNS is asked at most once per TTL", async () => {
    const topology = await start({ ttlSeconds: 1 });
    await runLoad(topology.helloUrl, { concurrency: 4, durationMs: 2000, maxRequests: 200 }); // warm-up
    const before = await servedByTask(topology);
    const dnsBefore = topology.dns.queries().total;
    const t0 = Date.now();
    const load = await runLoad(topology.helloUrl, { concurrency: 6, durationMs: 20_000, maxRequests: 3000 });
    const seconds = (Date.now() - t0) / 1000;
    const dnsQueries = topology.dns.queries().total - dnsBefore;
    const after = await servedByTask(topology);

    assert.deepEqual(load.failures, []);
    assert.equal(load.ok, 3000);
    const served = Object.keys(after).map((id) => after[id] - before[id]);
    assert.deepEqual(Object.keys(after).sort(), ["name-1", "name-2", "name-3"]);
    for (const id of Object.keys(after))
      assert.equal(load.byTask[id], after[id] - before[id], `${id}: bodies vs its /metrics`);
    // Even: every task within 10 % of a third (for a uniform random pick that is ~4 standard deviations).
    for (const n of served)
      assert.ok(Math.abs(n / 3000 - 1 / 3) <= 0.1 / 3, `uneven spread: ${served.join(" / ")}`);
    // One process asks for one record set: at most one query per TTL (+1 for a refresh straddling the window).
    assert.ok(
      dnsQueries <= Math.ceil(seconds / 1) + 1,
      `${dnsQueries} DNS queries in ${seconds.toFixed(1)} s with TTL 1 s`,
    );
    assert.ok(dnsQueries >= 1, "hello refreshed its records at least once during the run");
  });

  it("a task added receives traffic within one TTL plus a second", async () => {
    const topology = await start({ ttlSeconds: 1 });
    const loadDone = runLoad(topology.helloUrl, { concurrency: 4, durationMs: 6000, maxRequests: 100_000 });
    await sleep(1000);
    const added = await topology.addTask(); // resolves once it is registered in DNS
    const registeredAt = Date.now();
    assert.equal(added.id, "name-4");
    assert.equal(added.ip, "127.0.0.5");
    const gotTraffic = await waitUntil(async () => (await servedByTask(topology))["name-4"] > 0, 2000, 25);
    const waited = Date.now() - registeredAt;
    const load = await loadDone;
    assert.ok(gotTraffic, `name-4 had no request ${waited} ms after its registration (TTL 1 s)`);
    assert.deepEqual(load.failures, []);
    assert.ok((load.byTask["name-4"] ?? 0) > 0);
  });

  it("SRV discovery: hello takes tasks and port from SRV records with their additional A records", async () => {
    const topology = await start({ ttlSeconds: 1, recordType: "SRV" });
    const load = await runLoad(topology.helloUrl, { concurrency: 4, durationMs: 10_000, maxRequests: 600 });
    assert.deepEqual(load.failures, []);
    assert.deepEqual(Object.keys(load.byTask).sort(), ["name-1", "name-2", "name-3"]);
    const q = topology.dns.queries().byQuestion;
    assert.ok((q[`name.internal SRV`] ?? 0) >= 1, `SRV queries: ${JSON.stringify(q)}`);
    assert.ok(counter(await helloMetrics(topology), "dnsRefreshes") >= 1);
  });
});
