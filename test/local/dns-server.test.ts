// The DNS server on real sockets, queried with node's own resolver (c-ares) and with raw dns-packet messages.
import * as assert from "node:assert/strict";
import * as dgram from "node:dgram";
import * as net from "node:net";
import { Resolver } from "node:dns/promises";
import * as dnsPacket from "dns-packet";
import {
  DnsServer,
  MAX_COUNTED_QUESTIONS,
  OTHER_QUESTIONS,
  sizeLimit,
} from "../../local/cloudmap/dns-server";
import { listenDns } from "../../local/cloudmap/dns-transport";

function resolverFor(server: DnsServer): Resolver {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([`${server.host}:${server.port}`]);
  return r;
}

function udpQuery(server: DnsServer, packet: dnsPacket.Packet): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error("no UDP answer within 1 s"));
    }, 1000);
    socket.on("message", (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(msg));
    });
    socket.send(dnsPacket.encode(packet), server.port, server.host);
  });
}

function tcpQuery(server: DnsServer, packet: dnsPacket.Packet): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, server.host);
    socket.setTimeout(1000, () => socket.destroy(new Error("no TCP answer within 1 s")));
    let buf = Buffer.alloc(0);
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        socket.end();
        resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    socket.write(dnsPacket.streamEncode(packet));
  });
}

const rcodeOf = (p: dnsPacket.DecodedPacket) => (p as dnsPacket.DecodedPacket & { rcode: string }).rcode;

/**
 * A query of `count` questions: the first names a 253-byte name in the namespace, every other one
 * is a 2-byte compression pointer to it. Small on the wire (6 bytes a question), it expands to
 * about 260 bytes a question in any reply that echoes the questions.
 */
function compressedQuestions(count: number, id = 0x1234): Buffer {
  const labels = [..."abc"].map((c) => c.repeat(63)).concat(["d".repeat(52), "internal"]);
  const name = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(count, 4);
  const typeA = Buffer.from([0, 1, 0, 1]);
  const pointer = Buffer.from([0xc0, 12, 0, 1, 0, 1]);
  return Buffer.concat([header, name, typeA, ...Array.from({ length: count - 1 }, () => pointer)]);
}

/** Sends raw bytes over TCP with the 2-byte length prefix; resolves with the decoded reply. */
function tcpRaw(server: DnsServer, message: Buffer): Promise<dnsPacket.DecodedPacket> {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, server.host);
    socket.setTimeout(2000, () => socket.destroy(new Error("no TCP answer within 2 s")));
    let buf = Buffer.alloc(0);
    socket.on("error", reject);
    socket.on("close", () => reject(new Error("closed without an answer")));
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        socket.end();
        resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    socket.write(Buffer.concat([prefix, message]));
  });
}

describe("local DNS server (UDP and TCP on loopback)", () => {
  let server: DnsServer;

  beforeEach(async () => {
    server = new DnsServer({ namespace: "internal", ttlSeconds: 5, services: ["name"] });
    await server.start();
    for (let k = 1; k <= 3; k++) {
      server.register({
        id: `name-${k}`,
        service: "name",
        ip: `127.0.0.${k + 1}`,
        port: 3000,
        healthy: true,
      });
    }
  });
  afterEach(() => server.stop());

  it("node's resolver gets A with TTL, SRV, per-instance A and NXDOMAIN", async () => {
    const r = resolverFor(server);
    const a = await r.resolve4("name.internal", { ttl: true });
    assert.deepEqual(a.map((x) => x.address).sort(), ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    assert.ok(a.every((x) => x.ttl === 5));
    const srv = await r.resolveSrv("name.internal");
    assert.deepEqual(srv.map((s) => `${s.name}:${s.port}`).sort(), [
      "name-1.name.internal:3000",
      "name-2.name.internal:3000",
      "name-3.name.internal:3000",
    ]);
    assert.deepEqual(await r.resolve4("name-3.name.internal"), ["127.0.0.4"]);
    await assert.rejects(r.resolve4("other.internal"), { code: "ENOTFOUND" });
    await assert.rejects(r.resolve4("example.com"), { code: "EREFUSED" });
  });

  it("deregistration is visible in the next answer", async () => {
    assert.equal(server.deregister("name-2"), true);
    assert.equal(server.deregister("name-2"), false);
    const a = await resolverFor(server).resolve4("name.internal");
    assert.deepEqual(a.sort(), ["127.0.0.2", "127.0.0.4"]);
  });

  it("counts queries per qname and qtype", async () => {
    const r = resolverFor(server);
    await r.resolve4("name.internal");
    await r.resolve4("name.internal");
    await r.resolveSrv("name.internal");
    const q = server.queries();
    assert.equal(q.byQuestion["name.internal A"], 2);
    assert.equal(q.byQuestion["name.internal SRV"], 1);
    assert.equal(q.total, 3);
  });

  it("an SRV answer too big for 512 bytes is truncated on UDP and complete on TCP", async () => {
    for (let k = 4; k <= 10; k++) {
      server.register({
        id: `a-rather-long-task-identifier-${k}`,
        service: "name",
        ip: `127.0.0.${k + 1}`,
        port: 3000,
        healthy: true,
      });
    }
    const q: dnsPacket.Packet = { type: "query", id: 7, questions: [{ name: "name.internal", type: "SRV" }] };
    const udp = await udpQuery(server, q);
    assert.equal(udp.flag_tc, true);
    assert.equal(udp.answers?.length, 0);
    const tcp = await tcpQuery(server, q);
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers?.length, 8);
    assert.equal(tcp.additionals?.length, 8);
    // Node's resolver falls back to TCP on its own.
    assert.equal((await resolverFor(server).resolveSrv("name.internal")).length, 8);
  });

  it("REFUSED for names outside the namespace, over raw UDP", async () => {
    const reply = await udpQuery(server, {
      type: "query",
      id: 9,
      questions: [{ name: "example.org", type: "A" }],
    });
    assert.equal(reply.id, 9);
    assert.equal(rcodeOf(reply), "REFUSED");
  });

  it("a TCP query whose compressed questions would expand past 65 535 bytes: FORMERR, and the server lives on", async () => {
    const query = compressedQuestions(400);
    assert.ok(query.length < 3000);
    const reply = await tcpRaw(server, query);
    assert.equal(reply.id, 0x1234);
    assert.equal(rcodeOf(reply), "FORMERR");
    assert.equal(reply.questions?.length, 0);
    // Over UDP too, and the same connection-less server still answers a good question.
    const udp = await new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
      const socket = dgram.createSocket("udp4");
      const timer = setTimeout(() => (socket.close(), reject(new Error("no UDP answer"))), 1000);
      socket.on("message", (msg) => (clearTimeout(timer), socket.close(), resolve(dnsPacket.decode(msg))));
      socket.send(query, server.port, server.host);
    });
    assert.equal(rcodeOf(udp), "FORMERR");
    assert.deepEqual((await resolverFor(server).resolve4("name.internal")).length, 3);
  });

  it("a query the server fails to answer gets SERVFAIL and is logged; the server answers the next one", async () => {
    const logged: unknown[] = [];
    const failing = new DnsServer({
      namespace: "internal",
      ttlSeconds: 5,
      log: (msg, f) => logged.push([msg, f]),
    });
    await failing.start();
    try {
      // A port no SRV record can hold: encoding the answer throws.
      failing.register({ id: "bad", service: "bad", ip: "127.0.0.9", port: 70_000, healthy: true });
      failing.register({ id: "ok", service: "ok", ip: "127.0.0.8", port: 3000, healthy: true });
      const q: dnsPacket.Packet = {
        type: "query",
        id: 5,
        questions: [{ name: "bad.internal", type: "SRV" }],
      };
      for (const reply of [await udpQuery(failing, q), await tcpQuery(failing, q)]) {
        assert.equal(rcodeOf(reply), "SERVFAIL");
        assert.equal(reply.id, 5);
      }
      assert.equal(logged.length, 2);
      assert.match(JSON.stringify(logged[0]), /SERVFAIL.*udp/);
      assert.deepEqual(await resolverFor(failing).resolve4("ok.internal"), ["127.0.0.8"]);
    } finally {
      await failing.stop();
    }
  });

  it("the transport survives an answerer that throws or returns more than TCP or UDP can carry", async () => {
    const errors: string[] = [];
    const listener = await listenDns(
      "127.0.0.1",
      0,
      (message) => {
        const q = dnsPacket.decode(message);
        const name = q.questions?.[0]?.name;
        if (name === "throw.internal") throw new Error("boom");
        if (name === "huge.internal") return Buffer.alloc(70_000);
        return dnsPacket.encode({ type: "response", id: q.id, questions: q.questions });
      },
      (error, transport) => errors.push(`${transport}: ${error.message}`),
    );
    try {
      const at = { host: "127.0.0.1", port: listener.port } as DnsServer;
      await Promise.all(
        ["throw.internal", "huge.internal"].flatMap((name) => {
          const q: dnsPacket.Packet = { type: "query", id: 1, questions: [{ name, type: "A" }] };
          return [
            assert.rejects(tcpQuery(at, q), /no TCP answer/),
            assert.rejects(udpQuery(at, q), /no UDP answer/),
          ];
        }),
      );
      assert.deepEqual(errors.sort(), [
        "tcp: boom",
        "tcp: reply of 70000 bytes is over the tcp limit, not sent",
        "udp: boom",
        "udp: reply of 70000 bytes is over the udp limit, not sent",
      ]);
      const ok = await tcpQuery(at, {
        type: "query",
        id: 2,
        questions: [{ name: "ok.internal", type: "A" }],
      });
      assert.equal(ok.id, 2);
    } finally {
      await listener.close();
    }
  });

  it("a flood of distinct names: at most 1000 question counters, the rest counted together", () => {
    for (let i = 0; i < MAX_COUNTED_QUESTIONS + 200; i++) {
      const query = dnsPacket.encode({
        type: "query",
        id: i,
        questions: [{ name: `n${i}.internal`, type: "A" }],
      });
      assert.ok(server.answer(query, "udp"));
    }
    const { total, byQuestion } = server.queries();
    assert.equal(total, MAX_COUNTED_QUESTIONS + 200);
    assert.equal(Object.keys(byQuestion).length, MAX_COUNTED_QUESTIONS + 1);
    assert.equal(byQuestion[OTHER_QUESTIONS], 200);
    assert.equal(byQuestion["n0.internal A"], 1);
  });

  it("UDP replies fit 512 bytes without EDNS, else the client's size within [512, 1232]; TCP 65 535", () => {
    assert.equal(sizeLimit("udp", undefined), 512);
    assert.equal(sizeLimit("udp", 100), 512);
    assert.equal(sizeLimit("udp", 1000), 1000);
    assert.equal(sizeLimit("udp", 4096), 1232);
    assert.equal(sizeLimit("tcp", 100), 65_535);
  });

  it("stop() closes both sockets, and start() again works on the same port", async () => {
    const port = server.port;
    await server.stop();
    await assert.rejects(resolverFor(server).resolve4("name.internal"));
    const again = new DnsServer({ namespace: "internal", ttlSeconds: 5, port });
    await again.start();
    try {
      assert.equal(again.port, port);
    } finally {
      await again.stop();
    }
  });
});
