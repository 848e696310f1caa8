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
  normalizeName,
  inZone,
  isHostAddress,
  zoneOf,
  targetKey,
  uniqueTargets,
} from "../../apps/hello/src/discovery/records";
import dns from "node:dns";
import {
  formatDnsServer,
  parseDnsServer,
  systemDnsServers,
} from "../../apps/hello/src/discovery/dns-servers";
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
    const answers = [
      aRecord("name.internal", "10.0.0.1", 10),
      aRecord("Name.Internal.", "10.0.0.2", 5),
      aRecord("name.internal", "10.0.0.1", 10),
      aRecord("other.internal", "10.9.9.9", 1),
    ];
    assert.deepEqual(addressesOf("name.internal", answers), {
      addresses: ["10.0.0.1", "10.0.0.2"],
      ttlSeconds: 5,
    });
  });

  it("follows a CNAME chain inside the answer", () => {
    const answers: Answer[] = [
      { type: "CNAME", name: "name.internal", ttl: 30, data: "real.internal" },
      aRecord("real.internal", "10.0.0.7", 20),
    ];
    assert.deepEqual(addressesOf("name.internal", answers).addresses, ["10.0.0.7"]);
  });

  it("finds nothing for another name", () => {
    assert.deepEqual(addressesOf("name.internal", [aRecord("x.internal", "10.0.0.1", 5)]), {
      addresses: [],
      ttlSeconds: 0,
    });
  });
});

describe("discovery: SRV records", () => {
  it("orders the records lowest priority first, keeping priority and weight (higher priorities are fallbacks)", () => {
    const answers = [
      srvRecord("name.internal", "b.name.internal", 3001, 10, 2),
      srvRecord("name.internal", "a.name.internal", 3000, 10, 1),
    ];
    assert.deepEqual(
      srvRecordsOf("name.internal", answers).map((r) => [r.target, r.priority, r.weight]),
      [
        ["a.name.internal", 1, 1],
        ["b.name.internal", 2, 1],
      ],
    );
  });

  it("maps SRV to targets: port from the record, address from the additional section", () => {
    const srv = srvRecordsOf("name.internal", [
      srvRecord("name.internal", "t1.name.internal", 3000, 10),
      srvRecord("name.internal", "t2.name.internal", 4000, 8),
    ]);
    const mapped = srvTargets(
      srv,
      [aRecord("t1.name.internal", "10.0.1.1", 6), aRecord("t2.name.internal", "10.0.1.2", 10)],
      "internal",
    );
    assert.deepEqual(mapped.targets, [
      { host: "10.0.1.1", port: 3000, priority: 1, weight: 1 },
      { host: "10.0.1.2", port: 4000, priority: 1, weight: 1 },
    ]);
    assert.equal(mapped.ttlSeconds, 6);
    assert.deepEqual(mapped.unresolved, []);
  });

  it("lists SRV targets without an address as unresolved (to be queried)", () => {
    const srv = srvRecordsOf("name.internal", [
      srvRecord("name.internal", "t1.name.internal", 3000, 10),
      srvRecord("name.internal", "t2.name.internal", 3000, 10),
    ]);
    const mapped = srvTargets(srv, [aRecord("t1.name.internal", "10.0.1.1", 10)], "internal");
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
    assert.deepEqual(
      classifyResponse({ ...base, rcode: "NXDOMAIN", authorities: [soaRecord("internal", 2)] }),
      { kind: "empty", ttlSeconds: 2, reason: "NXDOMAIN" },
    );
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

describe("discovery: record edge cases", () => {
  const cname = (name: string, data: string): Answer => ({ type: "CNAME", name, ttl: 30, data });

  it("follows up to 8 CNAME hops, and stops on a loop", () => {
    // Listed last hop first, so each pass over the records follows one hop.
    const chain = (hops: number): Answer[] => [
      ...Array.from({ length: hops }, (_, i) => cname(`c${i}.internal`, `c${i + 1}.internal`)).reverse(),
      aRecord(`c${hops}.internal`, "10.0.0.8", 5),
    ];
    assert.deepEqual(addressesOf("c0.internal", chain(8)).addresses, ["10.0.0.8"]);
    assert.deepEqual(addressesOf("c0.internal", chain(9)).addresses, []);
    const loop = [
      cname("a.internal", "b.internal"),
      cname("B.internal.", "a.internal"),
      aRecord("b.internal", "10.0.0.2", 5),
    ];
    assert.deepEqual(addressesOf("a.internal", loop), { addresses: ["10.0.0.2"], ttlSeconds: 5 });
  });

  it("takes only the asked address type of the name (an AAAA in an A answer neither counts nor shortens the TTL), both for SRV additionals, never other types", () => {
    const answers: Answer[] = [
      { type: "AAAA", name: "name.internal", ttl: 1, data: "fd00::1" },
      { type: "TXT", name: "name.internal", ttl: 1, data: "x" },
      aRecord("name.internal", "10.0.0.1", 9),
    ];
    assert.deepEqual(addressesOf("name.internal", answers, ["A"]), {
      addresses: ["10.0.0.1"],
      ttlSeconds: 9,
    });
    assert.deepEqual(addressesOf("name.internal", answers, ["AAAA"]), {
      addresses: ["fd00::1"],
      ttlSeconds: 1,
    });
    assert.deepEqual(addressesOf("name.internal", answers), {
      addresses: ["fd00::1", "10.0.0.1"],
      ttlSeconds: 1,
    }); // default: A and AAAA, not TXT
    assert.equal(
      addressesOf("name.internal", [{ type: "A", name: "name.internal", data: "10.0.0.3" }]).ttlSeconds,
      0,
    ); // no TTL field: 0
  });

  it("SRV: other names, empty targets and other types are left out; a missing priority or weight is 0; every priority kept, lowest first; names normalized", () => {
    const answers: Answer[] = [
      srvRecord("other.internal", "x.internal", 1, 10, 0),
      { type: "SRV", name: "name.internal", ttl: 10, data: { port: 3000, target: "" } },
      { type: "SRV", name: "Name.Internal.", ttl: 7, data: { port: 3001, target: "T1.Internal." } },
      srvRecord("name.internal", "t2.internal", 3002, 10, 1, 5),
      aRecord("name.internal", "10.0.0.1", 10),
    ];
    assert.deepEqual(srvRecordsOf("name.internal", answers), [
      { target: "t1.internal", port: 3001, priority: 0, weight: 0, ttlSeconds: 7 },
      { target: "t2.internal", port: 3002, priority: 1, weight: 5, ttlSeconds: 10 },
    ]);
    assert.deepEqual(srvRecordsOf("name.internal", [aRecord("name.internal", "10.0.0.1", 10)]), []);
  });

  it("SRV -> targets: duplicates merged, TTL 0 with none resolved, several addresses per target", () => {
    const srv = srvRecordsOf("name.internal", [
      srvRecord("name.internal", "t1.internal", 3000, 20, 2, 3),
      srvRecord("name.internal", "t1.internal", 3000, 20, 2, 3),
    ]);
    const mapped = srvTargets(
      srv,
      [aRecord("t1.internal", "10.0.0.1", 30), aRecord("t1.internal", "10.0.0.2", 25)],
      "internal",
    );
    assert.deepEqual(mapped, {
      targets: [
        { host: "10.0.0.1", port: 3000, priority: 2, weight: 3 },
        { host: "10.0.0.2", port: 3000, priority: 2, weight: 3 },
      ],
      unresolved: [],
      ttlSeconds: 20,
    });
    assert.deepEqual(srvTargets(srv, [], "internal"), { targets: [], unresolved: srv, ttlSeconds: 0 });
  });

  it("TTL edge cases: infinite is 0 (then the minimum), the refresh is at least 1 ms", () => {
    assert.equal(clampTtl(Number.POSITIVE_INFINITY, 2, 60), 2);
    assert.equal(clampTtl(1, 0, 60), 1);
    assert.equal(clampTtl(0.5, 0, 60), 0.5);
    assert.equal(refreshDelayMs(0, 0, 60, 1), 1);
    assert.equal(refreshDelayMs(1, 0, 60, 0.0004), 1);
    assert.equal(refreshDelayMs(1, 0, 60, 0.0016), 2);
  });

  it("negative TTL: the SOA's TTL when its minimum is larger or missing; the first SOA only", () => {
    const soa = soaRecord("internal", 30);
    assert.equal(
      negativeTtlSeconds([aRecord("x.internal", "10.0.0.1", 1), { ...soa, ttl: 12 } as Answer]),
      12,
    );
    assert.equal(
      negativeTtlSeconds([
        { ...soa, data: { ...(soa as { data: object }).data, minimum: undefined } } as unknown as Answer,
      ]),
      30,
    );
    assert.equal(negativeTtlSeconds([soaRecord("internal", 3), soaRecord("internal", 9)]), 3);
  });

  it("failure reasons name the rcode", () => {
    const base = { truncated: false, answers: [], additionals: [], authorities: [] };
    assert.deepEqual(classifyResponse({ ...base, rcode: "NOTIMP" }), {
      kind: "failure",
      reason: "DNS answered NOTIMP",
    });
    assert.deepEqual(classifyResponse({ ...base, rcode: "NXDOMAIN" }), {
      kind: "empty",
      ttlSeconds: 0,
      reason: "NXDOMAIN",
    });
    assert.deepEqual(classifyResponse({ ...base, rcode: "NOERROR" }), { kind: "ok" });
  });

  it("target keys and unique targets", () => {
    assert.deepEqual(
      uniqueTargets([
        { host: "10.0.0.1", port: 1 },
        { host: "10.0.0.1", port: 2 },
        { host: "10.0.0.1", port: 1 },
      ]),
      [
        { host: "10.0.0.1", port: 1 },
        { host: "10.0.0.1", port: 2 },
      ],
    );
    assert.equal(normalizeName("A.B.c."), "a.b.c");
    assert.equal(normalizeName("a.b.c.."), "a.b.c.");
  });
});

describe("discovery: records from a hostile or broken server are checked before they become targets", () => {
  const a = (data: string, name = "name.internal"): Answer => ({ type: "A", name, ttl: 5, data });
  const aaaa = (data: string, name = "name.internal"): Answer => ({ type: "AAAA", name, ttl: 5, data });

  it("addresses: only well-formed host addresses of the record's own family", () => {
    const bad = [
      a("10.0.undefined.undefined"), // what dns-packet makes of an A record cut short
      a("10.0.0"),
      a("10.0.0.256"),
      a("fd00::1"), // an IPv6 address in an A record
      aaaa("10.0.0.9"),
      aaaa("fd00::zz"),
      a("0.0.0.0"), // "this host": a connection to it reaches the local machine
      a("224.0.0.1"),
      a("255.255.255.255"),
      aaaa("::"),
      aaaa("ff02::1"),
      { type: "A", name: "name.internal", ttl: 1, data: 167772161 } as unknown as Answer,
    ];
    assert.deepEqual(addressesOf("name.internal", [...bad, a("10.0.0.1"), aaaa("fd00::1")]), {
      addresses: ["10.0.0.1", "fd00::1"],
      ttlSeconds: 5,
    });
    assert.deepEqual(addressesOf("name.internal", bad), { addresses: [], ttlSeconds: 0 });
    assert.ok(isHostAddress("A", "127.0.0.2") && isHostAddress("AAAA", "::1"));
    assert.ok(!isHostAddress("A", undefined) && !isHostAddress("AAAA", "::"));
  });

  it("SRV: port 0, targets outside the queried name's zone and malformed target names are left out", () => {
    const answers = [
      srvRecord("name.internal", "t0.name.internal", 0, 10),
      srvRecord("name.internal", "evil.example.com", 3000, 10),
      srvRecord("name.internal", "internal.example.com", 3000, 10),
      srvRecord("name.internal", "t\u0000x.internal", 3000, 10),
      srvRecord("name.internal", `${"x".repeat(64)}.internal`, 3000, 10),
      srvRecord("name.internal", "sibling.internal", 3001, 10),
      srvRecord("name.internal", "t1.name.internal", 3002, 10),
    ];
    assert.deepEqual(
      srvRecordsOf("name.internal", answers).map((r) => `${r.target}:${r.port}`),
      ["sibling.internal:3001", "t1.name.internal:3002"],
    );
  });

  it("CNAME chains are followed within the queried name's zone only", () => {
    const cname = (name: string, data: string): Answer => ({ type: "CNAME", name, ttl: 30, data });
    const out = [cname("name.internal", "evil.example.com"), a("10.6.6.6", "evil.example.com")];
    assert.deepEqual(addressesOf("name.internal", out).addresses, []);
    const via = [
      cname("name.internal", "x.example.com"),
      cname("x.example.com", "y.internal"),
      a("10.6.6.6", "y.internal"),
    ];
    assert.deepEqual(addressesOf("name.internal", via).addresses, []);
    const inside = [cname("name.internal", "real.internal"), a("10.0.0.7", "real.internal")];
    assert.deepEqual(addressesOf("name.internal", inside).addresses, ["10.0.0.7"]);
    // An SRV target's additional records: the zone is the queried name's, not the target's.
    const srv = srvRecordsOf("name.internal", [srvRecord("name.internal", "t.name.internal", 3000, 10)]);
    const mapped = srvTargets(
      srv,
      [cname("t.name.internal", "u.internal"), a("10.0.0.8", "u.internal")],
      "internal",
    );
    assert.deepEqual(
      mapped.targets.map((t) => t.host),
      ["10.0.0.8"],
    );
    const escaped = srvTargets(
      srv,
      [cname("t.name.internal", "u.evil"), a("10.6.6.6", "u.evil")],
      "internal",
    );
    assert.deepEqual(escaped.targets, []);
  });

  it("the zone of a name: its parent, after _service._proto labels; a one-label name is its own", () => {
    assert.equal(zoneOf("Name.Internal."), "internal");
    assert.equal(zoneOf("name.corp.internal"), "corp.internal");
    assert.equal(zoneOf("_http._tcp.name.internal"), "internal");
    assert.equal(zoneOf("localhost"), "localhost");
    assert.ok(inZone("a.b.internal", "internal") && inZone("Internal.", "internal"));
    assert.ok(!inZone("xinternal", "internal") && !inZone("internal.evil", "internal"));
  });
});

describe("discovery: DNS server settings", () => {
  it("parses the whole value only, trimmed, ports 1 to 65535", () => {
    assert.deepEqual(parseDnsServer(" 10.0.0.2 "), { host: "10.0.0.2", port: 53 });
    assert.deepEqual(parseDnsServer("[::1]"), { host: "::1", port: 53 });
    assert.deepEqual(parseDnsServer("127.0.0.1:1"), { host: "127.0.0.1", port: 1 });
    assert.deepEqual(parseDnsServer("[fd00::2]:65535"), { host: "fd00::2", port: 65535 });
    for (const bad of [
      "x[::1]:53",
      "[::1]:53x",
      "a:10.0.0.1:53",
      "10.0.0.1:53x",
      "10.0.0.1:65536",
      "[::1]:0",
      "10.0.0.1:",
    ]) {
      assert.equal(parseDnsServer(bad), undefined, bad);
    }
  });

  it("formats servers back, IPv6 in brackets", () => {
    assert.equal(formatDnsServer({ host: "::1", port: 53 }), "[::1]:53");
    assert.equal(formatDnsServer({ host: "10.0.0.2", port: 5353 }), "10.0.0.2:5353");
  });

  it("reads the system resolvers in order", () => {
    const saved = dns.getServers();
    try {
      dns.setServers(["10.0.0.2", "[fd00::3]:5353", "127.0.0.1:53"]);
      assert.deepEqual(systemDnsServers(), [
        { host: "10.0.0.2", port: 53 },
        { host: "fd00::3", port: 5353 },
        { host: "127.0.0.1", port: 53 },
      ]);
    } finally {
      dns.setServers(saved);
    }
  });
});
