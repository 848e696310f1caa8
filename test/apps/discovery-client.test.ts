// The discovery client against a real DNS server and real HTTP servers on loopback addresses.
import assert from "node:assert/strict";
import { ServiceUnavailableError } from "../../apps/hello/src/discovery";
import { aRecord, soaRecord, srvRecord } from "./support/test-dns-server";
import { setTimeout as sleep } from "node:timers/promises";
import { SERVICE, useDiscoveryFixture } from "./support/discovery-fixture";

describe("discovery client (real DNS and HTTP on loopback)", function () {
  const f = useDiscoveryFixture();

  it("spreads requests evenly over the tasks, with one DNS query per TTL (concurrent first requests coalesced)", async () => {
    const three = await f.startTasks(3);
    f.serveA(() => three, 30);
    const c = f.connect(three[0].port);
    // 30 concurrent first requests: they all wait for the single first lookup.
    const first = await Promise.all(Array.from({ length: 30 }, () => c.request("/")));
    assert.ok(first.every((r) => r.status === 200));
    for (let i = 0; i < 270; i++) assert.equal((await c.request("/")).status, 200);
    assert.deepEqual(
      three.map((t) => t.served),
      [100, 100, 100],
    );
    const m = c.metrics();
    assert.equal(f.dns.queries, 1);
    assert.equal(m.dnsQueries, 1);
    assert.equal(m.requests, 300);
    assert.equal(m.retries, 0);
    assert.equal(m.failures, 0);
    assert.deepEqual(
      Object.values(m.targets).map((t) => t.requests),
      [100, 100, 100],
    );
  });

  it("refreshes after the (clamped) TTL: a new task gets traffic, a vanished one is dropped", async () => {
    const three = await f.startTasks(3);
    let listed = three.slice(0, 2);
    f.serveA(() => listed, 0); // TTL 0 as in the AWS pattern: clamped to the 1 s minimum
    const c = f.connect(three[0].port, { ttlMinSeconds: 1 });
    for (let i = 0; i < 10; i++) await c.request("/");
    assert.equal(three[2].served, 0);
    listed = [three[1], three[2]];
    const deadline = Date.now() + 3000;
    while (three[2].served === 0 && Date.now() < deadline) {
      await c.request("/");
      await sleep(20);
    }
    assert.ok(three[2].served > 0, "the new task got no traffic within the TTL");
    assert.deepEqual(Object.keys(c.metrics().targets).sort(), [three[1].key, three[2].key]);
    assert.ok(f.dns.queries >= 2 && f.dns.queries <= 4, `DNS queries: ${f.dns.queries}`);
  });

  it("keeps serving the last good set while DNS does not answer", async () => {
    const two = await f.startTasks(2);
    f.serveA(() => two, 1);
    const c = f.connect(two[0].port, { ttlMinSeconds: 1, dnsTimeoutMs: 200 });
    assert.equal((await c.request("/")).status, 200);
    f.dns.silent = true;
    const until = Date.now() + 1800;
    let ok = 0;
    while (Date.now() < until) {
      assert.equal((await c.request("/")).status, 200);
      ok += 1;
      await sleep(10);
    }
    const m = c.metrics();
    assert.ok(ok > 20);
    assert.ok(m.dnsFailures >= 1, "the failed refresh was not counted");
    // Serve-stale does not hammer DNS: one query per (1 s) TTL, so the first and at most two or
    // three retries in this ~2 s outage, however many requests came meanwhile.
    assert.ok(m.dnsQueries <= 4 && f.dns.queries <= 4, `DNS asked ${f.dns.queries} times`);
    assert.equal(m.discovery.targets, 2);
    assert.match(String(m.discovery.lastError), /DNS timeout/);
  });

  it("SRV: takes the port from the record, the address from the additional section or an A query", async () => {
    const two = await f.startTasks(2);
    f.dns.handler = (q) => {
      if (q.type === "SRV" && q.name === SERVICE) {
        return {
          answers: two.map((t, i) => srvRecord(SERVICE, `task-${i}.${SERVICE}`, t.port, 10)),
          additionals: [aRecord(`task-0.${SERVICE}`, two[0].host, 10)], // task-1's address left out
        };
      }
      if (q.type === "A" && q.name === `task-1.${SERVICE}`)
        return { answers: [aRecord(q.name, two[1].host, 10)] };
      return { rcode: "NXDOMAIN" };
    };
    const c = f.connect(1, { recordType: "SRV" }); // the URL's port is not used with SRV
    for (let i = 0; i < 10; i++) assert.equal((await c.request("/")).status, 200);
    assert.deepEqual(
      two.map((t) => t.served),
      [5, 5],
    );
    assert.equal(c.metrics().dnsQueries, 2); // the SRV query and one A query for task-1
  });

  it("retries a truncated answer over TCP", async () => {
    const two = await f.startTasks(2);
    f.dns.handler = (q) => ({
      answers: two.map((t, i) => srvRecord(SERVICE, `task-${i}.${SERVICE}`, t.port, 10)),
      additionals: two.map((t, i) => aRecord(`task-${i}.${SERVICE}`, t.host, 10)),
      truncateUdp: q.type === "SRV",
    });
    const c = f.connect(1, { recordType: "SRV" });
    assert.equal((await c.request("/")).status, 200);
    const m = c.metrics();
    assert.equal(m.dnsTruncated, 1);
    assert.equal(f.dns.tcpQueries, 1);
    assert.equal(m.discovery.targets, 2);
  });

  it("a hung task: no failed request, the task is ejected, then passed over", async () => {
    const three = await f.startTasks(3);
    f.serveA(() => three, 30);
    three[0].hang = true;
    const c = f.connect(three[0].port, {
      // Long enough that a live task never misses it on a loaded machine.
      connectTimeoutMs: 10_000,
      responseTimeoutMs: 1000,
      deadlineMs: 10_000,
    });
    for (let i = 0; i < 30; i++) {
      const r = await c.request("/");
      assert.equal(r.status, 200);
      assert.notEqual(r.target, three[0].key);
    }
    const m = c.metrics();
    assert.equal(m.ejections, 1);
    assert.equal(m.targets[three[0].key].ejected, true);
    assert.equal(m.targets[three[0].key].requests, 3); // three timeouts eject it
    assert.ok(m.retries >= 3, `retries: ${m.retries}`);
    assert.equal(m.failures, 0);
  });

  it("all tasks refusing connections: a fast ServiceUnavailableError naming the tries", async () => {
    const two = await f.startTasks(2);
    f.serveA(() => two, 30);
    const c = f.connect(two[0].port, {
      connectTimeoutMs: 20_000,
      responseTimeoutMs: 20_000,
      deadlineMs: 40_000,
    });
    await c.request("/");
    await Promise.all(two.map((t) => t.close()));
    f.tasks = [];
    const started = Date.now();
    await assert.rejects(c.request("/"), (err: unknown) => {
      assert.ok(err instanceof ServiceUnavailableError);
      assert.match(err.message, /no name\.internal task answered \(2 tries/);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`); // no timeout was waited for
  });

  it("no task registered (NXDOMAIN): fails at once", async () => {
    f.dns.handler = () => ({ rcode: "NXDOMAIN", authorities: [soaRecord("internal", 1)] });
    const c = f.connect(3000);
    const started = Date.now();
    await assert.rejects(c.request("/"), /no name\.internal task registered in DNS/);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  it("retries a non-idempotent request only when it never reached a task", async () => {
    const two = await f.startTasks(2);
    f.serveA(() => two, 30);
    const c = f.connect(two[0].port);
    await assert.rejects(c.request("/", { method: "POST", body: "x" }), /1 try/); // answered 500: not repeated
    await two[0].close();
    f.tasks = [two[1]];
    // Whichever task is tried first, the POST lands once on the live one.
    for (let i = 0; i < 2; i++) {
      await assert.rejects(c.request("/", { method: "POST", body: "x" }), /HTTP 500/);
    }
    assert.equal(c.metrics().retries, 1);
  });
});
