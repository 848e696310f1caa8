// One service's lookup (A, SRV with follow-up A queries) and the resolver that keeps its targets
// fresh, against a real DNS server on loopback: answers, empty sets, failures, and how often
// DNS is asked while it is down.
import assert from "node:assert/strict";
import { lookupTargets } from "../../apps/hello/src/discovery/lookup";
import {
  TargetResolver,
  type DnsCounters,
  type ResolverOptions,
} from "../../apps/hello/src/discovery/resolver";
import type { Target } from "../../apps/hello/src/discovery/records";
import { aaaaRecord, aRecord, soaRecord, srvRecord, TestDnsServer } from "./support/test-dns-server";
import { setTimeout as sleep } from "node:timers/promises";
import * as dnsPacket from "dns-packet";
import { framed, reply, ScriptedDns } from "./support/scripted-dns";

const NAME = "name.internal";

/**
 * A reply to `query` with `count` A records of its name, 10.<i> as addresses, each owner name a
 * 2-byte pointer to the question's: 16 bytes a record, so 4 000 fit one UDP datagram.
 */
function manyAddresses(query: dnsPacket.Packet, count: number): Buffer {
  const head = reply(query);
  const records = Array.from({ length: count }, (_, i) => {
    const r = Buffer.from([
      0xc0,
      12,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      30,
      0,
      4,
      10,
      (i >> 16) & 255,
      (i >> 8) & 255,
      i & 255,
    ]);
    return r;
  });
  const message = Buffer.concat([head, ...records]);
  message.writeUInt16BE(count, 6);
  return message;
}

describe("discovery: lookup bounds what one answer can make it do (scripted DNS on loopback)", () => {
  let dns: ScriptedDns;
  beforeEach(async () => {
    dns = await ScriptedDns.start();
  });
  afterEach(async () => {
    await dns.stop();
  });
  const servers = () => [{ host: dns.host, port: dns.port }];

  /**
   * SRV: `count` targets with no address; each A follow-up answered 15 ms after it arrives. Returns
   * the most follow-ups seen in flight at once and how many were asked.
   */
  function srvWithoutAddresses(count: number): { maxInFlight: number; asked: number } {
    const seen = { maxInFlight: 0, asked: 0 };
    let inFlight = 0;
    dns.onUdp = ({ packet, client }) => {
      const question = packet.questions![0];
      if (question.type === "SRV") {
        const answers = Array.from({ length: count }, (_, i) => srvRecord(NAME, `t${i}.${NAME}`, 3000, 30));
        return dns.send(reply(packet, { answers }), client);
      }
      seen.asked += 1;
      seen.maxInFlight = Math.max(seen.maxInFlight, ++inFlight);
      const i = Number(/^t(\d+)\./.exec(question.name)![1]);
      setTimeout(() => {
        inFlight -= 1;
        dns.send(
          reply(packet, { answers: [aRecord(question.name, `10.1.${i >> 8}.${i & 255}`, 30)] }),
          client,
        );
      }, 15);
    };
    return seen;
  }

  it("SRV with 1 000 targets and no addresses: 64 targets, 8 follow-ups in flight at most", async () => {
    const seen = srvWithoutAddresses(1000);
    const result = await lookupTargets(servers(), NAME, "SRV", 1, { timeoutMs: 3000 });
    assert.equal(result.targets.length, 64);
    assert.equal(seen.asked, 64);
    assert.equal(seen.maxInFlight, 8);
  });

  it("the caps are options: 5 targets, 2 follow-ups in flight", async () => {
    const seen = srvWithoutAddresses(1000);
    const result = await lookupTargets(
      servers(),
      NAME,
      "SRV",
      1,
      { timeoutMs: 3000 },
      { maxTargets: 5, maxLookupsInFlight: 2 },
    );
    assert.deepEqual(
      result.targets.map((t) => t.host),
      ["10.1.0.0", "10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"],
    );
    assert.deepEqual(seen, { maxInFlight: 2, asked: 5 });
  });

  it("SRV: the targets kept are the lowest priorities", async () => {
    dns.onUdp = ({ packet, client }) =>
      dns.send(
        reply(packet, {
          answers: [3, 1, 2, 1].map((priority, i) =>
            srvRecord(NAME, `t${i}.${NAME}`, 3000 + i, 30, priority),
          ),
          additionals: [0, 1, 2, 3].map((i) => aRecord(`t${i}.${NAME}`, `10.0.0.${i + 1}`, 30)),
        }),
        client,
      );
    const result = await lookupTargets(
      servers(),
      NAME,
      "SRV",
      1,
      { timeoutMs: 3000 },
      { maxTargets: 3, maxLookupsInFlight: 1 },
    );
    assert.deepEqual(
      result.targets.map((t) => `${t.host}:${t.port}/${t.priority}`),
      ["10.0.0.2:3001/1", "10.0.0.4:3003/1", "10.0.0.3:3002/2"],
    );
  });

  it("an A record cut short (over TCP after truncation) is a malformed answer, not the target 10.6.undefined.undefined", async () => {
    dns.onUdp = ({ packet, client }) => dns.send(reply(packet, { truncated: true }), client);
    dns.onTcp = (packet, socket) => {
      const cut = reply(packet, { answers: [aRecord(NAME, "10.6.6.6", 30)] }).subarray(0, -2);
      socket.write(framed(cut));
    };
    await assert.rejects(
      lookupTargets(servers(), NAME, "A", 3000, { timeoutMs: 3000 }),
      /malformed answer .*a record runs past the end of the message/,
    );
  });

  it("4 000 A records in one answer: 64 targets", async () => {
    dns.onUdp = ({ packet, client }) => dns.send(manyAddresses(packet, 4000), client);
    const result = await lookupTargets(servers(), NAME, "A", 3000, { timeoutMs: 3000 });
    assert.equal(result.targets.length, 64);
    assert.deepEqual(result.targets[63], { host: "10.0.0.63", port: 3000 });
  });
});

describe("discovery: lookup (real DNS on loopback)", () => {
  let dns: TestDnsServer;
  beforeEach(async () => {
    dns = await new TestDnsServer().start();
  });
  afterEach(async () => {
    await dns.stop();
  });
  const servers = () => [{ host: "127.0.0.1", port: dns.port }];
  const q = { timeoutMs: 1500 }; // no test here waits for it: room for a busy machine

  it("A: every address of the name with the given port and the smallest TTL", async () => {
    dns.handler = () => ({ answers: [aRecord(NAME, "10.0.0.1", 30), aRecord(NAME, "10.0.0.2", 20)] });
    assert.deepEqual(await lookupTargets(servers(), NAME, "A", 3000, q), {
      targets: [
        { host: "10.0.0.1", port: 3000 },
        { host: "10.0.0.2", port: 3000 },
      ],
      ttlSeconds: 20,
    });
  });

  it("A: NXDOMAIN is an empty set kept for the SOA's negative TTL, with the reason", async () => {
    dns.handler = () => ({ rcode: "NXDOMAIN", authorities: [soaRecord("internal", 7)] });
    assert.deepEqual(await lookupTargets(servers(), NAME, "A", 3000, q), {
      targets: [],
      ttlSeconds: 7,
      emptyReason: `NXDOMAIN for A ${NAME}`,
    });
  });

  it("A: no record of the name (NODATA) is an empty set with TTL 0", async () => {
    dns.handler = () => ({ answers: [aRecord("other.internal", "10.0.0.9", 30)] });
    assert.deepEqual(await lookupTargets(servers(), NAME, "A", 3000, q), {
      targets: [],
      ttlSeconds: 0,
      emptyReason: `no A record for ${NAME} (NODATA)`,
    });
  });

  it("A and SRV: SERVFAIL or REFUSED is a failure, not an empty set", async () => {
    dns.handler = () => ({ rcode: "SERVFAIL" });
    await assert.rejects(
      lookupTargets(servers(), NAME, "A", 3000, q),
      new RegExp(`^Error: DNS answered SERVFAIL for A ${NAME}$`),
    );
    dns.handler = () => ({ rcode: "REFUSED" });
    await assert.rejects(
      lookupTargets(servers(), NAME, "SRV", 3000, q),
      new RegExp(`^Error: DNS answered REFUSED for SRV ${NAME}$`),
    );
  });

  it("SRV: NXDOMAIN and NODATA are empty sets with their reasons", async () => {
    dns.handler = () => ({ rcode: "NXDOMAIN", authorities: [soaRecord("internal", 4)] });
    assert.deepEqual(await lookupTargets(servers(), NAME, "SRV", 1, q), {
      targets: [],
      ttlSeconds: 4,
      emptyReason: `NXDOMAIN for SRV ${NAME}`,
    });
    dns.handler = () => ({ answers: [srvRecord("other.internal", "t.internal", 3000, 10)] });
    assert.deepEqual(await lookupTargets(servers(), NAME, "SRV", 1, q), {
      targets: [],
      ttlSeconds: 0,
      emptyReason: `no SRV record for ${NAME} (NODATA)`,
    });
  });

  it("SRV: ports, priorities and weights from the records, addresses from the additional section and from follow-up A queries, the smallest TTL of all", async () => {
    dns.handler = (question) => {
      if (question.type === "SRV") {
        return {
          answers: [
            srvRecord(NAME, "t2.internal", 3002, 30, 2, 3),
            srvRecord(NAME, "t1.internal", 3001, 40, 1, 5),
            srvRecord(NAME, "t3.internal", 3003, 25, 3, 7),
          ],
          additionals: [aRecord("t1.internal", "10.0.0.1", 50)],
        };
      }
      if (question.name === "t2.internal") return { answers: [aRecord("t2.internal", "10.0.0.2", 12)] };
      return { rcode: "NXDOMAIN", authorities: [soaRecord("internal", 1)] }; // t3 has no address
    };
    let queries = 0;
    const result = await lookupTargets(servers(), NAME, "SRV", 1, {
      timeoutMs: 1500,
      onQuery: () => (queries += 1),
    });
    assert.deepEqual(result, {
      targets: [
        { host: "10.0.0.1", port: 3001, priority: 1, weight: 5 },
        { host: "10.0.0.2", port: 3002, priority: 2, weight: 3 },
      ],
      ttlSeconds: 12,
    });
    assert.equal(queries, 4); // SRV, then A for t2 and t3 together, then AAAA for t3 (it has no A)
  });

  it("SRV: the SRV record's own TTL counts when it is the smallest", async () => {
    dns.handler = (question) =>
      question.type === "SRV"
        ? { answers: [srvRecord(NAME, "t1.internal", 3001, 40), srvRecord(NAME, "t2.internal", 3002, 6)] }
        : { answers: [aRecord(question.name, "10.0.0.7", 60)] };
    const result = await lookupTargets(servers(), NAME, "SRV", 1, q);
    assert.deepEqual(result, {
      targets: [
        { host: "10.0.0.7", port: 3001, priority: 1, weight: 1 },
        { host: "10.0.0.7", port: 3002, priority: 1, weight: 1 },
      ],
      ttlSeconds: 6,
    });
  });

  it("SRV: only additional-section targets: their TTL (SRV and A), no follow-up query", async () => {
    dns.handler = (question) =>
      question.type === "SRV"
        ? {
            answers: [srvRecord(NAME, "t1.internal", 3001, 40)],
            additionals: [aRecord("t1.internal", "10.0.0.1", 35)],
          }
        : { rcode: "SERVFAIL" };
    assert.deepEqual(await lookupTargets(servers(), NAME, "SRV", 1, q), {
      targets: [{ host: "10.0.0.1", port: 3001, priority: 1, weight: 1 }],
      ttlSeconds: 35,
    });
    assert.equal(dns.udpQueries, 1);
  });

  it("SRV: no target resolves: a failure naming each follow-up's last reason (a failed A is not retried as AAAA; no A data is)", async () => {
    dns.handler = (question) => {
      if (question.type === "SRV")
        return {
          answers: [srvRecord(NAME, "t1.internal", 3001, 40), srvRecord(NAME, "t2.internal", 3002, 40)],
        };
      return question.name === "t1.internal" ? { rcode: "SERVFAIL" } : { answers: [] };
    };
    let queries = 0;
    await assert.rejects(
      lookupTargets(servers(), NAME, "SRV", 1, { ...q, onQuery: () => (queries += 1) }),
      new RegExp(
        `^Error: SRV ${NAME}: no target could be resolved \\(DNS answered SERVFAIL for A t1\\.internal; no AAAA record for t2\\.internal \\(NODATA\\)\\)$`,
      ),
    );
    assert.equal(queries, 4); // SRV, A for t1 and t2, AAAA for t2 only
  });

  it("A and AAAA: the answer's records of the other address type are neither targets nor TTL", async () => {
    dns.handler = () => ({ answers: [aaaaRecord(NAME, "fd00::1", 2), aRecord(NAME, "10.0.0.1", 30)] }); // both types, whatever is asked
    assert.deepEqual(await lookupTargets(servers(), NAME, "A", 3000, q), {
      targets: [{ host: "10.0.0.1", port: 3000 }],
      ttlSeconds: 30,
    });
    assert.deepEqual(await lookupTargets(servers(), NAME, "AAAA", 3000, q), {
      targets: [{ host: "fd00::1", port: 3000 }],
      ttlSeconds: 2,
    });
    dns.handler = () => ({ answers: [aaaaRecord(NAME, "fd00::1", 2)] });
    assert.deepEqual(await lookupTargets(servers(), NAME, "A", 3000, q), {
      targets: [],
      ttlSeconds: 0,
      emptyReason: `no A record for ${NAME} (NODATA)`,
    });
  });
});

describe("discovery: resolver (real DNS on loopback)", () => {
  let dns: TestDnsServer;
  let resolver: TargetResolver | undefined;
  beforeEach(async () => {
    dns = await new TestDnsServer().start();
  });
  afterEach(async () => {
    resolver?.close();
    resolver = undefined;
    await dns.stop();
  });

  interface Run {
    resolver: TargetResolver;
    sets: Target[][];
    logs: Array<{ msg: string; fields?: Record<string, unknown>; level?: string }>;
    counters: DnsCounters;
  }

  function start(over: Partial<ResolverOptions> = {}): Run {
    const sets: Target[][] = [];
    const logs: Run["logs"] = [];
    const counters = { dnsQueries: 0, dnsRefreshes: 0, dnsFailures: 0, dnsTruncated: 0 };
    resolver = new TargetResolver({
      hostname: NAME,
      defaultPort: 3000,
      recordType: "A",
      servers: [{ host: "127.0.0.1", port: dns.port }],
      ttlMinSeconds: 1,
      ttlMaxSeconds: 60,
      refreshAt: 1,
      dnsTimeoutMs: 100,
      onTargets: (t) => sets.push(t),
      log: (msg, fields, level) => logs.push({ msg, fields, level }),
      counters,
      ...over,
    });
    resolver.start();
    return { resolver, sets, logs, counters };
  }

  it("an IP address needs no DNS: one fixed target, ready at once", async () => {
    const run = start({ hostname: "127.0.0.9" });
    await run.resolver.ready(5000);
    assert.deepEqual(run.sets, [[{ host: "127.0.0.9", port: 3000 }]]);
    assert.equal(dns.queries, 0);
    assert.deepEqual(run.resolver.status(), { lastAnswerAt: null, ttlSeconds: null, lastError: null });
  });

  it("reports the answer: targets, the clamped TTL, when it came; logs a change once", async () => {
    dns.handler = () => ({ answers: [aRecord(NAME, "10.0.0.2", 300), aRecord(NAME, "10.0.0.1", 300)] });
    const before = Date.now();
    const run = start({ ttlMaxSeconds: 30 });
    await run.resolver.ready(2000);
    assert.deepEqual(run.sets, [
      [
        { host: "10.0.0.2", port: 3000 },
        { host: "10.0.0.1", port: 3000 },
      ],
    ]);
    const status = run.resolver.status();
    assert.equal(status.ttlSeconds, 30);
    assert.equal(status.lastError, null);
    assert.ok(
      Date.parse(String(status.lastAnswerAt)) >= before - 1 &&
        Date.parse(String(status.lastAnswerAt)) <= Date.now(),
    );
    assert.deepEqual(run.counters, { dnsQueries: 1, dnsRefreshes: 1, dnsFailures: 0, dnsTruncated: 0 });
    await run.resolver.refresh(); // same set again: announced, not logged
    assert.equal(run.sets.length, 2);
    assert.deepEqual(run.logs, [
      {
        msg: "targets changed",
        fields: { name: NAME, targets: ["10.0.0.1:3000", "10.0.0.2:3000"] },
        level: undefined,
      },
    ]);
  });

  it("an empty set is logged with its reason", async () => {
    dns.handler = () => ({ answers: [aRecord(NAME, "10.0.0.1", 30)] });
    const run = start();
    await run.resolver.ready(2000);
    dns.handler = () => ({ rcode: "NXDOMAIN", authorities: [soaRecord("internal", 1)] });
    await run.resolver.refresh();
    assert.deepEqual(run.sets.at(-1), []);
    assert.deepEqual(run.logs.at(-1), {
      msg: "targets changed",
      fields: { name: NAME, targets: [], reason: `NXDOMAIN for A ${NAME}` },
      level: undefined,
    });
  });

  it("a first answer with no targets is no change: nothing is logged", async () => {
    dns.handler = () => ({ rcode: "NXDOMAIN", authorities: [soaRecord("internal", 1)] });
    const run = start();
    await run.resolver.ready(2000);
    assert.deepEqual(run.sets, [[]]);
    assert.deepEqual(run.logs, []);
  });

  it("counts a truncated answer and its TCP retry", async () => {
    dns.handler = () => ({ answers: [aRecord(NAME, "10.0.0.1", 30)], truncateUdp: true });
    const run = start();
    await run.resolver.ready(2000);
    assert.deepEqual(run.counters, { dnsQueries: 2, dnsRefreshes: 1, dnsFailures: 0, dnsTruncated: 1 });
    assert.deepEqual(run.sets, [[{ host: "10.0.0.1", port: 3000 }]]);
  });

  it("concurrent refreshes share one query", async () => {
    dns.handler = () => ({ answers: [aRecord(NAME, "10.0.0.1", 30)] });
    const run = start();
    await Promise.all([run.resolver.refresh(), run.resolver.refresh(), run.resolver.refresh()]);
    assert.equal(dns.queries, 1);
    await run.resolver.refresh();
    assert.equal(dns.queries, 2);
  });

  it("refreshes after the clamped TTL times refreshAt", async () => {
    dns.handler = () => ({ answers: [aRecord(NAME, "10.0.0.1", 0)] }); // TTL 0: clamped up to 1 s
    start({ refreshAt: 0.2 });
    await sleep(1100); // a query every 0.2 s: about 6 (2 if refreshAt were ignored)
    assert.ok(dns.queries >= 4 && dns.queries <= 7, `queries: ${dns.queries}`);
  });

  it("while DNS is down: keeps the last good set, and asks once per TTL, not more", async () => {
    dns.handler = () => ({ answers: [aRecord(NAME, "10.0.0.1", 1)] });
    const run = start({ refreshAt: 0.2 });
    await run.resolver.ready(2000);
    dns.silent = true;
    const queriesBefore = dns.queries;
    await sleep(1500);
    const asked = dns.queries - queriesBefore;
    // One query per 0.2 s (TTL 1 s x refreshAt) plus the 0.1 s timeout: about 5 in 1.5 s
    // (a retry loop without the wait would ask about 15 times, one per timeout).
    assert.ok(asked >= 3 && asked <= 7, `DNS asked ${asked} times in 1.5 s of outage`);
    assert.deepEqual(run.sets, [[{ host: "10.0.0.1", port: 3000 }]], "no set replaced the last good one");
    const failures = run.counters.dnsFailures;
    assert.ok(failures >= asked - 1 && failures <= asked, `failures ${failures}, asked ${asked}`); // the last may still be in flight
    const status = run.resolver.status();
    assert.match(String(status.lastError), /^DNS timeout after 100 ms from 127\.0\.0\.1:\d+$/);
    assert.equal(status.ttlSeconds, 1);
    const warning = run.logs.find((l) => l.level === "warn");
    assert.deepEqual(warning?.fields, { name: NAME, error: status.lastError, retryInMs: 200 });
    assert.equal(warning?.msg, "DNS lookup failed; keeping the last good targets");
  });

  it("DNS down from the start with no minimum TTL: retries once a second, not in a loop", async () => {
    dns.silent = true;
    const run = start({ ttlMinSeconds: 0, dnsTimeoutMs: 50 });
    await run.resolver.ready(3000); // the first (failed) lookup settles ready()
    assert.equal(dns.queries, 1);
    await sleep(1300);
    assert.ok(dns.queries >= 2 && dns.queries <= 3, `queries: ${dns.queries}`);
    assert.deepEqual(run.sets, []);
    assert.equal(run.resolver.status().lastAnswerAt, null);
  });

  it("ready() waits at most waitMs for a silent DNS; close() stops the refreshes and releases ready()", async () => {
    dns.silent = true;
    const run = start({ dnsTimeoutMs: 2000 });
    const started = Date.now();
    await run.resolver.ready(150);
    const waited = Date.now() - started;
    assert.ok(waited >= 140 && waited < 1000, `waited ${waited} ms`);
    const pending = run.resolver.ready(10_000);
    run.resolver.close();
    await pending;
    const asked = dns.queries;
    await sleep(2300);
    assert.equal(dns.queries, asked, "no query after close");
    assert.deepEqual(run.sets, []);
    assert.equal(run.counters.dnsFailures, 0, "a lookup that ends after close counts nothing");
  });

  it("an answer arriving after close() is dropped", async () => {
    dns.handler = () => ({ answers: [aRecord(NAME, "10.0.0.1", 30)] });
    const run = start();
    run.resolver.close();
    await sleep(200);
    assert.deepEqual(run.sets, []);
    assert.equal(run.counters.dnsRefreshes, 0);
  });
});
