// The DNS exchange against a scripted server on loopback: which replies are taken, which are
// ignored (forged, stale, malformed), TCP after truncation, and how failures are reported.
import assert from "node:assert/strict";
import * as dnsPacket from "dns-packet";
import { decodeReply, queryDns } from "../../apps/hello/src/discovery/dns-wire";
import type { DnsServer } from "../../apps/hello/src/discovery/dns-servers";
import { aRecord, srvRecord } from "./support/test-dns-server";
import { framed, reply, ScriptedDns } from "./support/scripted-dns";
import { setTimeout as sleep } from "node:timers/promises";

const NAME = "name.internal";

/**
 * `message` (whose last two records are both A records of NAME, names not compressed) with the
 * first of them given the length `rdlength`, its data cut or padded to match: a record shorter or
 * longer than an A record is.
 */
function withRdlength(message: Buffer, rdlength: number): Buffer {
  const recordBytes = NAME.length + 2 + 10 + 4;
  const rdata = message.length - 2 * recordBytes + NAME.length + 2 + 10;
  const out = Buffer.concat([
    message.subarray(0, rdata),
    Buffer.alloc(rdlength, 7).fill(message.subarray(rdata, rdata + Math.min(4, rdlength))),
    message.subarray(rdata + 4),
  ]);
  out.writeUInt16BE(rdlength, rdata - 2);
  return out;
}
// Long enough for a busy CI machine; only two tests wait it out on purpose.
const TIMEOUT = 1500;

describe("discovery: DNS over the wire (scripted server on loopback)", () => {
  let dns: ScriptedDns;
  let server: DnsServer;

  beforeEach(async () => {
    dns = await ScriptedDns.start();
    server = { host: dns.host, port: dns.port };
  });
  afterEach(async () => {
    await dns.stop();
  });

  const good = (ip = "10.0.0.1") => ({ answers: [aRecord(NAME, ip, 10)] });
  const addressesIn = (r: { answers: readonly dnsPacket.Answer[] }) =>
    r.answers.map((a) => (a as { data: string }).data);

  it("asks one question, IN class, recursion desired, EDNS(0) with a 1232-byte UDP size", async () => {
    dns.onUdp = ({ packet, client }) => dns.send(reply(packet, good()), client);
    const response = await queryDns([server], NAME, "A", { timeoutMs: TIMEOUT });
    assert.deepEqual(addressesIn(response), ["10.0.0.1"]);
    const [query] = dns.udpQueries;
    assert.equal(query.type, "query");
    assert.deepEqual(
      query.questions?.map((q) => [q.name, q.type, q.class]),
      [[NAME, "A", "IN"]],
    );
    assert.ok(((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) !== 0, "RD set");
    const opt = query.additionals?.find((a) => a.type === "OPT") as
      { udpPayloadSize: number; flag_do: boolean } | undefined;
    assert.equal(opt?.udpPayloadSize, 1232);
    assert.equal(opt?.flag_do, false, "no DNSSEC records asked for");
    assert.deepEqual(response, {
      rcode: "NOERROR",
      truncated: false,
      answers: response.answers,
      additionals: [],
      authorities: [],
    });
  });

  it("passes the rcode, authorities and additionals (without the OPT record) through", async () => {
    dns.onUdp = ({ packet, client }) =>
      dns.send(
        dnsPacket.encode({
          type: "response",
          id: packet.id,
          flags: 3, // NXDOMAIN
          questions: packet.questions,
          authorities: [
            {
              type: "SOA",
              name: "internal",
              ttl: 5,
              data: {
                mname: "ns.internal",
                rname: "h.internal",
                serial: 1,
                refresh: 1,
                retry: 1,
                expire: 1,
                minimum: 5,
              },
            },
          ],
          additionals: [
            aRecord("extra.internal", "10.0.0.9", 5),
            {
              type: "OPT",
              name: ".",
              udpPayloadSize: 1232,
              flags: 0,
              options: [],
            } as unknown as dnsPacket.Answer,
          ],
        }),
        client,
      );
    const response = await queryDns([server], NAME, "A", { timeoutMs: TIMEOUT });
    assert.equal(response.rcode, "NXDOMAIN");
    assert.deepEqual(
      response.authorities.map((a) => a.type),
      ["SOA"],
    );
    assert.deepEqual(
      response.additionals.map((a) => [a.type, a.name]),
      [["A", "extra.internal"]],
    );
  });

  const twoAddresses = { answers: [aRecord(NAME, "10.6.6.6", 10), aRecord(NAME, "10.6.6.7", 10)] };
  // Each of these arrives first and must be ignored; the real answer (10.0.0.1) follows.
  const decoys: Array<[string, (q: dnsPacket.Packet) => Buffer]> = [
    ["another id (stale or forged)", (q) => reply(q, { id: (q.id! + 1) % 65536, ...good("10.6.6.6") })],
    [
      "another name",
      (q) => reply(q, { question: { name: "evil.internal", type: "A", class: "IN" }, ...good("10.6.6.6") }),
    ],
    [
      "another type",
      (q) => reply(q, { question: { name: NAME, type: "AAAA", class: "IN" }, ...good("10.6.6.6") }),
    ],
    [
      "another class",
      (q) => reply(q, { question: { name: NAME, type: "A", class: "CH" }, ...good("10.6.6.6") }),
    ],
    ["no question", (q) => reply(q, { questions: [], ...good("10.6.6.6") })],
    [
      "a second question",
      (q) =>
        reply(q, {
          questions: [
            { name: NAME, type: "A", class: "IN" },
            { name: "evil.internal", type: "A", class: "IN" },
          ],
          ...good("10.6.6.6"),
        }),
    ],
    ["a query, not a response", (q) => reply(q, { type: "query", ...good("10.6.6.6") })],
    ["garbage", () => Buffer.from([1, 2, 3])],
    // dns-packet alone decodes this one as the address "10.6.undefined.undefined".
    ["an A record cut short (the message ends inside it)", (q) => reply(q, good("10.6.6.6")).subarray(0, -2)],
    ["an A record of 2 bytes", (q) => withRdlength(reply(q, twoAddresses), 2)],
    ["an A record of 6 bytes", (q) => withRdlength(reply(q, twoAddresses), 6)],
  ];
  for (const [what, decoy] of decoys) {
    it(`ignores a UDP reply with ${what}, and takes the real answer after it`, async () => {
      dns.onUdp = ({ packet, client }) => {
        dns.send(decoy(packet), client);
        setTimeout(() => dns.send(reply(packet, good()), client), 30);
      };
      const response = await queryDns([server], NAME, "A", { timeoutMs: TIMEOUT });
      assert.deepEqual(addressesIn(response), ["10.0.0.1"]);
    });
  }

  it("decodeReply: an SRV record's target must end where its length says (dns-packet alone reads on)", () => {
    const message = reply(
      { type: "query", id: 1, questions: [{ name: NAME, type: "SRV" }] },
      { answers: [srvRecord(NAME, `t1.${NAME}`, 3000, 10)] },
    );
    assert.equal(decodeReply(message).answers?.length, 1);
    // The record's data is its last 24 bytes (6 + the 18-byte target); its length field precedes it.
    const at = message.length - 24 - 2;
    assert.equal(message.readUInt16BE(at), 24);
    const short = Buffer.from(message);
    short.writeUInt16BE(23, at);
    assert.equal(dnsPacket.decode(short).answers?.length, 1);
    assert.throws(() => decodeReply(short), /SRV record's target name does not end with the record/);
  });

  it("accepts the question name in any case and with a trailing dot", async () => {
    dns.onUdp = ({ packet, client }) =>
      dns.send(
        reply(packet, { question: { name: "Name.Internal.", type: "A", class: "IN" }, ...good() }),
        client,
      );
    assert.deepEqual(addressesIn(await queryDns([server], NAME, "A", { timeoutMs: TIMEOUT })), ["10.0.0.1"]);
  });

  it("ignores a forged reply from another port of the server's address", async () => {
    const spoofer = await dns.socketAt("127.0.0.1");
    dns.onUdp = ({ packet, client }) => {
      dns.send(reply(packet, good("10.6.6.6")), client, spoofer);
      setTimeout(() => dns.send(reply(packet, good()), client), 30);
    };
    assert.deepEqual(addressesIn(await queryDns([server], NAME, "A", { timeoutMs: TIMEOUT })), ["10.0.0.1"]);
  });

  it("ignores a forged reply from another address with the server's port", async () => {
    const spoofer = await dns.socketAt("127.0.0.2", dns.port);
    dns.onUdp = ({ packet, client }) => {
      dns.send(reply(packet, good("10.6.6.6")), client, spoofer);
      setTimeout(() => dns.send(reply(packet, good()), client), 30);
    };
    assert.deepEqual(addressesIn(await queryDns([server], NAME, "A", { timeoutMs: TIMEOUT })), ["10.0.0.1"]);
  });

  it("only forged replies: a timeout naming the server, not an answer", async () => {
    const spoofer = await dns.socketAt("127.0.0.2", dns.port);
    dns.onUdp = ({ packet, client }) => dns.send(reply(packet, good("10.6.6.6")), client, spoofer);
    const started = Date.now();
    await assert.rejects(
      queryDns([server], NAME, "A", { timeoutMs: TIMEOUT }),
      new RegExp(`^Error: DNS timeout after ${TIMEOUT} ms from 127\\.0\\.0\\.1:${dns.port}$`),
    );
    assert.ok(Date.now() - started >= TIMEOUT - 20);
  });

  describe("truncated answers and TCP", () => {
    const truncatedWith =
      (answers: dnsPacket.Answer[]) =>
      (q: { packet: dnsPacket.Packet; client: import("node:dgram").RemoteInfo }) =>
        dns.send(reply(q.packet, { truncated: true, answers }), q.client);

    it("asks again over TCP and reassembles a reply sent in pieces (the length prefix split too)", async () => {
      let truncations = 0;
      let queries = 0;
      dns.onUdp = truncatedWith([]);
      dns.onTcp = (packet, socket) => {
        const bytes = framed(
          reply(packet, { answers: [aRecord(NAME, "10.0.0.1", 10), aRecord(NAME, "10.0.0.2", 10)] }),
        );
        void (async () => {
          for (const cut of [1, 2, 7]) {
            socket.write(bytes.subarray(cut === 1 ? 0 : cut === 2 ? 1 : 2, cut));
            await sleep(20);
          }
          socket.write(bytes.subarray(7));
        })();
      };
      const response = await queryDns([server], NAME, "A", {
        timeoutMs: TIMEOUT,
        onQuery: () => (queries += 1),
        onTruncated: () => (truncations += 1),
      });
      assert.deepEqual(addressesIn(response), ["10.0.0.1", "10.0.0.2"]);
      assert.equal(response.truncated, false);
      assert.equal(truncations, 1);
      assert.equal(queries, 2); // one UDP, one TCP exchange
      assert.equal(dns.tcpQueries.length, 1);
      assert.deepEqual(
        dns.tcpQueries[0].questions?.map((q) => [q.name, q.type]),
        [[NAME, "A"]],
      );
    });

    it("an untruncated UDP answer is not asked again over TCP", async () => {
      let truncations = 0;
      dns.onUdp = ({ packet, client }) => dns.send(reply(packet, good()), client);
      await queryDns([server], NAME, "A", { timeoutMs: TIMEOUT, onTruncated: () => (truncations += 1) });
      assert.equal(truncations, 0);
      assert.equal(dns.tcpQueries.length, 0);
    });

    const tcpFailures: Array<
      [string, (packet: dnsPacket.Packet, socket: import("node:net").Socket) => void, RegExp]
    > = [
      [
        "an unrelated TCP reply (another id)",
        (p, s) => s.write(framed(reply(p, { id: (p.id! + 1) % 65536, ...good("10.6.6.6") }))),
        /DNS over TCP: unrelated answer from 127\.0\.0\.1:\d+/,
      ],
      [
        "a TCP reply for another name",
        (p, s) => s.write(framed(reply(p, { question: { name: "evil.internal", type: "A", class: "IN" } }))),
        /unrelated answer/,
      ],
      [
        "a malformed TCP reply",
        (_p, s) => s.write(framed(Buffer.from([0, 1, 2, 3, 4]))),
        /DNS over TCP: malformed answer from 127\.0\.0\.1:\d+: /,
      ],
      [
        "a TCP connection closed without a reply",
        (_p, s) => s.end(),
        /DNS over TCP: 127\.0\.0\.1:\d+ closed without an answer/,
      ],
      [
        "a TCP connection closed after half a reply",
        (p, s) => s.end(framed(reply(p, good())).subarray(0, 10)),
        /closed without an answer/,
      ],
      ["a zero-length TCP reply", (_p, s) => s.write(Buffer.from([0, 0])), /DNS over TCP: malformed answer/],
      [
        "a silent TCP server",
        () => undefined,
        new RegExp(`DNS over TCP timeout after ${TIMEOUT} ms from 127\\.0\\.0\\.1:\\d+`),
      ],
    ];
    for (const [what, onTcp, message] of tcpFailures) {
      it(`${what} after an empty truncated answer: a failure saying both`, async () => {
        dns.onUdp = truncatedWith([]);
        dns.onTcp = onTcp;
        await assert.rejects(queryDns([server], NAME, "A", { timeoutMs: TIMEOUT }), (err: Error) => {
          assert.match(err.message, /^truncated answer and TCP failed: /);
          assert.match(err.message, message);
          return true;
        });
      });
    }

    it("TCP connection refused after an empty truncated answer: the refusal, at once", async () => {
      dns.onUdp = truncatedWith([]);
      await dns.closeTcp();
      const started = Date.now();
      await assert.rejects(
        queryDns([server], NAME, "A", { timeoutMs: 2000 }),
        /^Error: truncated answer and TCP failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
      );
      assert.ok(Date.now() - started < 1000, "not a timeout");
    });

    it("TCP refused after a truncated answer that holds records: the partial answer is used", async () => {
      dns.onUdp = truncatedWith([aRecord(NAME, "10.0.0.1", 10)]);
      dns.onTcp = (_p, s) => s.destroy();
      const response = await queryDns([server], NAME, "A", { timeoutMs: TIMEOUT });
      assert.deepEqual(addressesIn(response), ["10.0.0.1"]);
      assert.equal(response.truncated, true);
    });
  });

  it("closes its sockets after every exchange (UDP, and TCP after truncation)", async () => {
    const open = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;
    const udpBefore = open("UDPWrap");
    const tcpBefore = open("TCPSocketWrap");
    dns.onUdp = ({ packet, client }) =>
      dns.send(reply(packet, { truncated: packet.questions?.[0].name === "big.internal" }), client);
    dns.onTcp = (packet, socket) => socket.write(framed(reply(packet, good())));
    await queryDns([server], NAME, "A", { timeoutMs: TIMEOUT });
    await queryDns([server], "big.internal", "A", { timeoutMs: TIMEOUT }).catch(() => undefined);
    await sleep(50);
    // At most as many as before: an earlier test's socket may finish closing meanwhile (a loaded
    // machine), but none of these exchanges may leave one open.
    assert.ok(open("UDPWrap") <= udpBefore, `UDP sockets left open: ${open("UDPWrap")} > ${udpBefore}`);
    assert.ok(
      open("TCPSocketWrap") <= tcpBefore,
      `TCP sockets left open: ${open("TCPSocketWrap")} > ${tcpBefore}`,
    );
  });

  it("IPv6: a server written in long form is the one that answers from ::1", async () => {
    const v6 = await ScriptedDns.start("::1");
    try {
      v6.onUdp = ({ packet, client }) => v6.send(reply(packet, good()), client);
      const response = await queryDns([{ host: "0:0:0:0:0:0:0:1", port: v6.port }], NAME, "A", {
        timeoutMs: TIMEOUT,
      });
      assert.deepEqual(addressesIn(response), ["10.0.0.1"]);
    } finally {
      await v6.stop();
    }
  });

  describe("several servers", () => {
    it("asks the next server when one fails, and names every failure when all do", async () => {
      const second = await ScriptedDns.start("127.0.0.1");
      try {
        second.onUdp = ({ packet, client }) => second.send(reply(packet, good("10.0.0.2")), client);
        const both = [server, { host: second.host, port: second.port }];
        assert.deepEqual(addressesIn(await queryDns(both, NAME, "A", { timeoutMs: 200 })), ["10.0.0.2"]);
        assert.equal(dns.udpQueries.length, 1);
        second.onUdp = () => undefined;
        await assert.rejects(
          queryDns(both, NAME, "A", { timeoutMs: 200 }),
          new RegExp(
            `^Error: DNS timeout after 200 ms from 127\\.0\\.0\\.1:${dns.port}; DNS timeout after 200 ms from 127\\.0\\.0\\.1:${second.port}$`,
          ),
        );
      } finally {
        await second.stop();
      }
    });

    it("the first server that answers wins; later ones are not asked", async () => {
      dns.onUdp = ({ packet, client }) => dns.send(reply(packet, good()), client);
      const other = { host: "127.0.0.1", port: 9 };
      assert.deepEqual(addressesIn(await queryDns([server, other], NAME, "A", { timeoutMs: TIMEOUT })), [
        "10.0.0.1",
      ]);
    });

    it("a UDP send the kernel refuses fails that server at once with the reason, and the next one is asked", async () => {
      // Broadcast without SO_BROADCAST: the kernel refuses the send itself (EACCES), nothing leaves the host.
      const refused = { host: "255.255.255.255", port: 53 };
      dns.onUdp = ({ packet, client }) => dns.send(reply(packet, good()), client);
      // A long timeout: ignoring the send error would wait it out and report a timeout instead.
      const timeoutMs = 20_000;
      assert.deepEqual(addressesIn(await queryDns([refused, server], NAME, "A", { timeoutMs })), [
        "10.0.0.1",
      ]);
      await assert.rejects(queryDns([refused], NAME, "A", { timeoutMs }), (err: Error) => {
        assert.doesNotMatch(err.message, /timeout/);
        assert.match(err.message, /^send E[A-Z]+ 255\.255\.255\.255:53$/);
        return true;
      });
    });

    it("no server at all is a clear error", async () => {
      await assert.rejects(
        queryDns([], NAME, "A", { timeoutMs: TIMEOUT }),
        /no DNS server configured \(none in \/etc\/resolv\.conf and DNS_SERVER unset\)/,
      );
    });
  });
});
