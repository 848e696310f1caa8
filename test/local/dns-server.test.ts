// The DNS server on real sockets, queried with node's own resolver (c-ares) and with raw dns-packet messages.
import * as assert from "node:assert/strict";
import * as dgram from "node:dgram";
import * as net from "node:net";
import { Resolver } from "node:dns/promises";
import * as dnsPacket from "dns-packet";
import { DnsServer } from "../../local/dns-server";

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
