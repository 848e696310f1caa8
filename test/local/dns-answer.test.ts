import * as assert from "node:assert/strict";
import type { Packet, SrvData } from "dns-packet";
import {
  buildResponse,
  inNamespace,
  MULTIVALUE_MAX_RECORDS,
  selectMultivalue,
  shuffled,
  type Instance,
  type ZoneSettings,
} from "../../local/cloudmap/dns-answer";

const zone: ZoneSettings = {
  namespace: "internal",
  ttlSeconds: 5,
  negativeTtlSeconds: 1,
  services: ["name"],
};

function tasks(n: number, healthy = true): Instance[] {
  return Array.from({ length: n }, (_, k) => ({
    id: `name-${k + 1}`,
    service: "name",
    ip: `127.0.0.${k + 2}`,
    port: 3000,
    healthy,
  }));
}

function query(name: string, type: "A" | "SRV" | "AAAA" | "SOA"): Packet {
  return { type: "query", id: 42, flags: 1 << 8, questions: [{ name, type, class: "IN" }] };
}

const rcode = (p: Packet) => (p.flags ?? 0) & 0xf;

describe("local DNS answers (pure)", () => {
  it("A for the service lists every healthy task with the configured TTL", () => {
    const r = buildResponse(query("name.internal", "A"), tasks(3), zone);
    assert.equal(rcode(r), 0);
    assert.equal(r.id, 42);
    assert.deepEqual(r.answers?.map((a) => (a.type === "A" ? a.data : "")).sort(), [
      "127.0.0.2",
      "127.0.0.3",
      "127.0.0.4",
    ]);
    assert.ok(r.answers?.every((a) => a.type === "A" && a.ttl === 5 && a.name === "name.internal"));
  });

  it("MULTIVALUE: at most 8 records, unhealthy ones left out", () => {
    const instances = [
      ...tasks(12),
      { id: "sick", service: "name", ip: "127.0.0.99", port: 3000, healthy: false },
    ];
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const answers = buildResponse(query("name.internal", "A"), instances, zone).answers ?? [];
      assert.equal(answers.length, MULTIVALUE_MAX_RECORDS);
      for (const a of answers) if (a.type === "A") seen.add(a.data);
    }
    assert.ok(!seen.has("127.0.0.99"));
    assert.equal(seen.size, 12, "over many answers every healthy task appears");
  });

  it("rotates the order between answers", () => {
    const firsts = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const a = buildResponse(query("name.internal", "A"), tasks(3), zone).answers?.[0];
      if (a?.type === "A") firsts.add(a.data);
    }
    assert.equal(firsts.size, 3);
  });

  it("shuffle is a permutation and follows the injected random source", () => {
    assert.deepEqual(
      shuffled([1, 2, 3, 4], () => 0.999),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      shuffled([1, 2, 3, 4], () => 0),
      [2, 3, 4, 1],
    );
    assert.deepEqual(selectMultivalue(tasks(2, false)), []);
  });

  it("SRV: priority 1, weight 1, the port, per-task target with its A record in the additional section", () => {
    const r = buildResponse(query("name.internal", "SRV"), tasks(3), zone);
    assert.equal(rcode(r), 0);
    const srv = (r.answers ?? []).map((a) => (a.type === "SRV" ? a.data : undefined)) as SrvData[];
    assert.equal(srv.length, 3);
    for (const s of srv) {
      assert.equal(s.priority, 1);
      assert.equal(s.weight, 1);
      assert.equal(s.port, 3000);
      const extra = r.additionals?.find((a) => a.name === s.target);
      assert.ok(extra && extra.type === "A", `additional A for ${s.target}`);
    }
    assert.deepEqual(srv.map((s) => s.target).sort(), [
      "name-1.name.internal",
      "name-2.name.internal",
      "name-3.name.internal",
    ]);
  });

  it("per-instance A name, case-insensitive and with a trailing dot", () => {
    const r = buildResponse(query("Name-2.NAME.internal.", "A"), tasks(3), zone);
    assert.deepEqual(
      r.answers?.map((a) => (a.type === "A" ? a.data : "")),
      ["127.0.0.3"],
    );
  });

  it("unknown name in the namespace -> NXDOMAIN with the SOA (negative TTL) in authority", () => {
    const r = buildResponse(query("nope.internal", "A"), tasks(3), zone);
    assert.equal(rcode(r), 3);
    assert.equal(r.answers?.length, 0);
    const soa = r.authorities?.[0];
    assert.ok(soa && soa.type === "SOA");
    assert.equal(soa.data.minimum, 1);
    assert.equal(soa.ttl, 1);
  });

  it("known service with no task left, or a type it has no data for -> NODATA (NOERROR, empty, SOA)", () => {
    for (const r of [
      buildResponse(query("name.internal", "A"), [], zone),
      buildResponse(query("name.internal", "AAAA"), tasks(2), zone),
    ]) {
      assert.equal(rcode(r), 0);
      assert.equal(r.answers?.length, 0);
      assert.equal(r.authorities?.[0]?.type, "SOA");
    }
  });

  it("names outside the namespace -> REFUSED, not authoritative", () => {
    for (const name of ["example.com", "internal.example.com", "xinternal"]) {
      const r = buildResponse(query(name, "A"), tasks(3), zone);
      assert.equal(rcode(r), 5, name);
      assert.equal(((r.flags ?? 0) >> 10) & 1, 0);
    }
    assert.ok(inNamespace("a.b.internal", "internal"));
    assert.ok(!inNamespace("ainternal", "internal"));
  });

  it("a query without exactly one question -> FORMERR, with no question echoed", () => {
    const q = { name: "name.internal", type: "A" } as const;
    for (const questions of [[], [q, q], Array.from({ length: 300 }, () => q)]) {
      const r = buildResponse({ type: "query", id: 1, questions }, tasks(1), zone);
      assert.equal(rcode(r), 1);
      assert.deepEqual([r.questions, r.answers, r.authorities], [[], [], []]);
    }
  });
});
