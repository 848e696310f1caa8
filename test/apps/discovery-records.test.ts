// Record selection, SRV -> target mapping and TTL clamping: pure functions, called directly.
import assert from "node:assert/strict";
import type { Answer } from "dns-packet";
import {
  addressesOf,
  clampTtl,
  classifyResponse,
  negativeTtlSeconds,
  refreshDelayMs,
  srvRecordsOf,
  srvTargets,
  targetKey,
} from "../../apps/hello/src/discovery/records";
import { parseDnsServer } from "../../apps/hello/src/discovery/dns-servers";
import { aRecord, soaRecord, srvRecord } from "./support/test-dns-server";

describe("discovery: TTL", () => {
  it("clamps the record TTL into [min, max]", () => {
    assert.equal(clampTtl(0, 1, 60), 1); // the AWS pattern's TTL 0 would mean a query per request
    assert.equal(clampTtl(10, 1, 60), 10);
    assert.equal(clampTtl(300, 1, 60), 60);
    assert.equal(clampTtl(-5, 2, 60), 2);
    assert.equal(clampTtl(Number.NaN, 2, 60), 2);
  });

  it("schedules the refresh at the chosen fraction of the clamped TTL", () => {
    assert.equal(refreshDelayMs(10, 1, 60, 1), 10_000);
    assert.equal(refreshDelayMs(10, 1, 60, 0.8), 8000);
    assert.equal(refreshDelayMs(0, 1, 60, 1), 1000);
    assert.equal(refreshDelayMs(3600, 1, 60, 1), 60_000);
  });

  it("takes the negative TTL from the SOA (the smaller of its TTL and minimum), 0 without one", () => {
    assert.equal(negativeTtlSeconds([soaRecord("internal", 5)]), 5);
    const soa = { ...soaRecord("internal", 30), ttl: 4 } as Answer;
    assert.equal(negativeTtlSeconds([soa]), 4);
    assert.equal(negativeTtlSeconds([]), 0);
  });
});

describe("discovery: A records", () => {
  it("collects the addresses of the name, deduplicated, with the smallest TTL", () => {
    const answers = [aRecord("name.internal", "10.0.0.1", 10), aRecord("Name.Internal.", "10.0.0.2", 5), aRecord("name.internal", "10.0.0.1", 10), aRecord("other.internal", "10.9.9.9", 1)];
    assert.deepEqual(addressesOf("name.internal", answers), { addresses: ["10.0.0.1", "10.0.0.2"], ttlSeconds: 5 });
  });

  it("follows a CNAME chain inside the answer", () => {
    const answers: Answer[] = [{ type: "CNAME", name: "name.internal", ttl: 30, data: "real.internal" }, aRecord("real.internal", "10.0.0.7", 20)];
    assert.deepEqual(addressesOf("name.internal", answers).addresses, ["10.0.0.7"]);
  });

  it("finds nothing for another name", () => {
    assert.deepEqual(addressesOf("name.internal", [aRecord("x.internal", "10.0.0.1", 5)]), { addresses: [], ttlSeconds: 0 });
  });
});

describe("discovery: SRV records", () => {
  it("orders the records lowest priority first, keeping priority and weight (higher priorities are fallbacks)", () => {
    const answers = [srvRecord("name.internal", "b.name.internal", 3001, 10, 2), srvRecord("name.internal", "a.name.internal", 3000, 10, 1)];
    assert.deepEqual(
      srvRecordsOf("name.internal", answers).map((r) => [r.target, r.priority, r.weight]),
      [
        ["a.name.internal", 1, 1],
        ["b.name.internal", 2, 1],
      ],
    );
  });

  it("maps SRV to targets: port from the record, address from the additional section", () => {
    const srv = srvRecordsOf("name.internal", [srvRecord("name.internal", "t1.name.internal", 3000, 10), srvRecord("name.internal", "t2.name.internal", 4000, 8)]);
    const mapped = srvTargets(srv, [aRecord("t1.name.internal", "10.0.1.1", 6), aRecord("t2.name.internal", "10.0.1.2", 10)]);
    assert.deepEqual(mapped.targets, [
      { host: "10.0.1.1", port: 3000, priority: 1, weight: 1 },
      { host: "10.0.1.2", port: 4000, priority: 1, weight: 1 },
    ]);
    assert.equal(mapped.ttlSeconds, 6);
    assert.deepEqual(mapped.unresolved, []);
  });

  it("lists SRV targets without an address as unresolved (to be queried)", () => {
    const srv = srvRecordsOf("name.internal", [srvRecord("name.internal", "t1.name.internal", 3000, 10), srvRecord("name.internal", "t2.name.internal", 3000, 10)]);
    const mapped = srvTargets(srv, [aRecord("t1.name.internal", "10.0.1.1", 10)]);
    assert.deepEqual(mapped.targets, [{ host: "10.0.1.1", port: 3000, priority: 1, weight: 1 }]);
    assert.deepEqual(
      mapped.unresolved.map((r) => r.target),
      ["t2.name.internal"],
    );
  });

  it("ignores the '.' target (service explicitly absent)", () => {
    assert.deepEqual(srvRecordsOf("name.internal", [srvRecord("name.internal", ".", 3000, 10)]), []);
  });
});

describe("discovery: answer classification and servers", () => {
  it("treats NXDOMAIN as an empty set, other error codes as a failure", () => {
    const base = { truncated: false, answers: [], additionals: [] };
    assert.deepEqual(classifyResponse({ ...base, rcode: "NXDOMAIN", authorities: [soaRecord("internal", 2)] }), { kind: "empty", ttlSeconds: 2, reason: "NXDOMAIN" });
    assert.equal(classifyResponse({ ...base, rcode: "SERVFAIL", authorities: [] }).kind, "failure");
    assert.equal(classifyResponse({ ...base, rcode: "REFUSED", authorities: [] }).kind, "failure");
    assert.equal(classifyResponse({ ...base, rcode: "NOERROR", authorities: [] }).kind, "ok");
  });

  it("parses DNS_SERVER forms and rejects the rest", () => {
    assert.deepEqual(parseDnsServer("10.0.0.2"), { host: "10.0.0.2", port: 53 });
    assert.deepEqual(parseDnsServer("127.0.0.1:5353"), { host: "127.0.0.1", port: 5353 });
    assert.deepEqual(parseDnsServer("[::1]:5353"), { host: "::1", port: 5353 });
    assert.deepEqual(parseDnsServer("::1"), { host: "::1", port: 53 });
    for (const bad of ["", "name.internal", "10.0.0.2:0", "10.0.0.2:99999", "10.0.0.256", "[::1]:x"]) {
      assert.equal(parseDnsServer(bad), undefined, bad);
    }
  });

  it("names targets host:port, IPv6 in brackets", () => {
    assert.equal(targetKey({ host: "10.0.0.1", port: 3000 }), "10.0.0.1:3000");
    assert.equal(targetKey({ host: "fd00::1", port: 3000 }), "[fd00::1]:3000");
  });
});
