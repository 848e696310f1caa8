// Fuzzing both ends of DNS with fast-check: hello's reply decoder and record checks (pure), its
// lookups over UDP and over TCP against a hostile server on loopback, and the local DNS server's
// query path (its answer function, and real UDP and TCP sockets). Inputs: random bytes, valid
// messages cut at every offset, bit flips, compression pointers (loops, forward), oversized counts.
// Properties: nothing throws past its caller, nothing hangs past its timeout, and no target is
// anything but a well-formed address that the server sent for a name in the queried name's zone.
//
// Seeded and bounded: FUZZ_SEED (default 19) picks the cases, FUZZ_SCALE (default 1) multiplies
// every case count; each property prints its seed, runs, messages and time. `npm run fuzz` runs
// this file alone with no mocha timeout, e.g. `FUZZ_SCALE=20 FUZZ_SEED=7 npm run fuzz`.
import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";
import type { Answer, Packet, Question } from "dns-packet";
import fc from "fast-check";
import { decodeReply } from "../../apps/hello/src/discovery/dns-wire";
import { lookupTargets, type LookupLimits } from "../../apps/hello/src/discovery/lookup";
import {
  addressesOf,
  inZone,
  srvRecordsOf,
  srvTargets,
  zoneOf,
  type Target,
} from "../../apps/hello/src/discovery/records";
import { DnsServer } from "../../local/cloudmap/dns-server";
import { MAX_MESSAGE_BYTES } from "../../local/cloudmap/dns-transport";
import { framed, reply, ScriptedDns } from "../apps/support/scripted-dns";

const SEED = Number(process.env.FUZZ_SEED ?? 19);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
if (!Number.isSafeInteger(SEED))
  throw new Error(`FUZZ_SEED must be an integer, got ${process.env.FUZZ_SEED}`);
if (!(SCALE > 0)) throw new Error(`FUZZ_SCALE must be a number > 0, got ${process.env.FUZZ_SCALE}`);
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));

const NAME = "name.internal";
const ZONE = zoneOf(NAME);
const PORT = 3000;
type QueryType = "A" | "AAAA" | "SRV";

/** Runs one property with the suite's seed and prints what it did; a failure reports the counterexample. */
async function fuzz<Ts extends [unknown, ...unknown[]]>(
  label: string,
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  numRuns: number,
  messages: { count: number },
): Promise<void> {
  const started = performance.now();
  const details = await fc.check(property, { seed: SEED, numRuns, endOnFailure: true });
  const ms = Math.round(performance.now() - started);
  console.log(
    `      fuzz ${label}: seed ${SEED}, ${details.numRuns} runs, ${messages.count} messages, ${ms} ms`,
  );
  if (details.failed) {
    // A counterexample can be a 12 kB message: cut each line; the seed and path replay it in full.
    const report = (fc.defaultReportMessage(details) ?? "").split("\n").map((l) => l.slice(0, 1500));
    throw new Error(
      `fuzz ${label} failed (FUZZ_SEED=${SEED}, path ${details.counterexamplePath}):\n${report.join("\n")}`,
    );
  }
}

// ---- what a reply may contain, and how it is broken ----

const NAMES = [NAME, `t0.${NAME}`, `t1.${NAME}`, "t2.internal", "internal", "evil.example", "x.evil"];
const nameArb = fc.constantFrom(...NAMES);
const ttlArb = fc.nat(120);
const recordArb: fc.Arbitrary<Answer> = fc.oneof(
  fc.record({ type: fc.constant("A" as const), name: nameArb, ttl: ttlArb, data: fc.ipV4() }),
  fc.record({ type: fc.constant("AAAA" as const), name: nameArb, ttl: ttlArb, data: fc.ipV6() }),
  fc.record({
    type: fc.constant("SRV" as const),
    name: nameArb,
    ttl: ttlArb,
    data: fc.record({
      port: fc.oneof(fc.constant(0), fc.constant(PORT), fc.integer({ min: 0, max: 65535 })),
      target: nameArb,
      priority: fc.nat(3),
      weight: fc.nat(10),
    }),
  }),
  fc.record({ type: fc.constant("CNAME" as const), name: nameArb, ttl: ttlArb, data: nameArb }),
);

interface ReplyShape {
  rcode: number;
  truncated: boolean;
  answers: Answer[];
  additionals: Answer[];
}
/** SRV records of the queried name to targets in its zone: what makes the lookup ask follow-ups. */
const srvOfNameArb: fc.Arbitrary<Answer> = fc.record({
  type: fc.constant("SRV" as const),
  name: fc.constant(NAME),
  ttl: ttlArb,
  data: fc.record({
    port: fc.integer({ min: 1, max: 65535 }),
    target: fc.constantFrom(`t0.${NAME}`, `t1.${NAME}`, "t2.internal", "t3.internal"),
    priority: fc.nat(3),
    weight: fc.nat(10),
  }),
});
const shapeArb: fc.Arbitrary<ReplyShape> = fc
  .record({
    rcode: fc.constantFrom(0, 0, 0, 0, 2, 3),
    truncated: fc.boolean(),
    srv: fc.array(srvOfNameArb, { maxLength: 8 }),
    answers: fc.array(recordArb, { maxLength: 12 }),
    additionals: fc.array(recordArb, { maxLength: 6 }),
  })
  .map(({ srv, answers, ...rest }) => ({ ...rest, answers: [...srv, ...answers] }));

function encodeShape(query: Packet, shape: ReplyShape, truncated = shape.truncated): Buffer {
  return reply(query, { ...shape, truncated });
}

type Mutation =
  | { kind: "none" }
  | { kind: "truncate"; at: number }
  | { kind: "flip"; bits: number[] }
  | { kind: "count"; field: number; value: number }
  | { kind: "pointer"; at: number; to: number }
  | { kind: "random"; bytes: Uint8Array };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("flip" as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }) }),
  fc.record({
    kind: fc.constant("count" as const),
    field: fc.integer({ min: 0, max: 3 }),
    value: fc.oneof(fc.constant(65535), fc.integer({ min: 0, max: 65535 })),
  }),
  fc.record({ kind: fc.constant("pointer" as const), at: fc.nat(), to: fc.integer({ min: -2, max: 64 }) }),
  fc.record({ kind: fc.constant("random" as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
);

/**
 * `message` broken one way: cut short, bits flipped, a header count changed, a compression pointer
 * written over a name (to itself, forward or back: loops), or replaced by random bytes.
 */
function mutate(message: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(message);
  switch (m.kind) {
    case "none":
      return out;
    case "truncate":
      return out.subarray(0, m.at % (out.length + 1));
    case "flip":
      if (out.length === 0) return out;
      for (const bit of m.bits) out[(bit >> 3) % out.length] ^= 1 << (bit & 7);
      return out;
    case "count":
      if (out.length < 12) return out;
      out.writeUInt16BE(m.value, 4 + 2 * m.field);
      return out;
    case "pointer": {
      if (out.length < 14) return out;
      const at = 12 + (m.at % (out.length - 13));
      const to = Math.max(0, Math.min(0x3fff, at - m.to)); // m.to <= 0: itself or forward
      out.writeUInt16BE(0xc000 | to, at);
      return out;
    }
    case "random":
      return Buffer.from(m.bytes);
  }
}

// ---- the oracle: what a target may be ----

/** The records in `messages` as dns-packet alone reads them (leniently); undecodable ones add nothing. */
function recordsSent(messages: readonly Buffer[]): Answer[] {
  return messages.flatMap((m) => {
    try {
      const p = dnsPacket.decode(m);
      return [...(p.answers ?? []), ...(p.additionals ?? []), ...(p.authorities ?? [])];
    } catch {
      return [];
    }
  });
}

/** A target: a well-formed address that a sent record gives a name in the zone, with a port it was given. */
function assertValidTarget(target: Target, type: QueryType, sent: readonly Answer[]): void {
  const family = net.isIP(target.host);
  assert.ok(family !== 0, `target host ${target.host} is not an IP address`);
  assert.ok(!["0.0.0.0", "::"].includes(target.host), `target host ${target.host} is not a host`);
  const addressType = family === 4 ? "A" : "AAAA";
  assert.ok(
    sent.some(
      (r) =>
        r.type === addressType &&
        r.data === target.host &&
        inZone(r.name, ZONE) &&
        (type === "SRV" || r.type === type),
    ),
    `target ${target.host} is no ${addressType} record of a name in ${ZONE} the server sent`,
  );
  assert.ok(Number.isInteger(target.port) && target.port >= 1 && target.port <= 65535, `port ${target.port}`);
  if (type === "SRV")
    assert.ok(
      sent.some((r) => r.type === "SRV" && r.name.toLowerCase() === NAME && r.data.port === target.port),
      `port ${target.port} is in no SRV record of ${NAME}`,
    );
  else assert.equal(target.port, PORT);
}

/** What hello's lookup does with one reply, without the sockets: decode strictly, then pick targets. */
function checkReply(message: Buffer, type: QueryType): void {
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = decodeReply(message);
  } catch (err) {
    assert.ok(err instanceof Error, "decodeReply throws Errors only");
    return;
  }
  const answers = packet.answers ?? [];
  const sent = recordsSent([message]);
  if (type === "SRV") {
    const srv = srvRecordsOf(NAME, answers);
    const mapped = srvTargets(srv, [...(packet.additionals ?? []), ...answers], ZONE);
    for (const t of mapped.targets) assertValidTarget(t, "SRV", sent);
    for (const r of mapped.unresolved) assert.ok(inZone(r.target, ZONE) && r.port > 0, r.target);
  } else {
    for (const host of addressesOf(NAME, answers, [type]).addresses)
      assertValidTarget({ host, port: PORT }, type, sent);
  }
}

const queryFor = (type: QueryType, id = 4242): Packet => ({
  type: "query",
  id,
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ name: NAME, type, class: "IN" }],
});
const typeArb = fc.constantFrom<QueryType>("A", "AAAA", "SRV");

describe("fuzz: DNS", function () {
  // Generous per test: the figures printed are what matters; a case that hangs fails its own bound.
  this.timeout(Math.max(60_000, 60_000 * SCALE));

  describe("hello's reply decoder and record checks (pure)", () => {
    it("random bytes", async () => {
      const n = { count: 0 };
      await fuzz(
        "decoder/random bytes",
        fc.property(fc.uint8Array({ maxLength: 700 }), typeArb, (bytes, type) => {
          n.count++;
          checkReply(Buffer.from(bytes), type);
        }),
        runs(2000),
        n,
      );
    });

    it("valid replies cut at every offset", async () => {
      const n = { count: 0 };
      await fuzz(
        "decoder/truncation at every offset",
        fc.property(shapeArb, typeArb, (shape, type) => {
          const message = encodeShape(queryFor(type), shape);
          for (let at = 0; at <= message.length; at++, n.count++) checkReply(message.subarray(0, at), type);
        }),
        runs(100),
        n,
      );
    });

    it("valid replies with bit flips, oversized counts, compression pointers and loops", async () => {
      const n = { count: 0 };
      await fuzz(
        "decoder/mutations",
        fc.property(
          shapeArb,
          typeArb,
          fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
          (shape, type, ms) => {
            n.count++;
            checkReply(
              ms.reduce((m, mutation) => mutate(m, mutation), encodeShape(queryFor(type), shape)),
              type,
            );
          },
        ),
        runs(2000),
        n,
      );
    });
  });

  describe("hello's lookups against a hostile DNS server on loopback", () => {
    let dns: ScriptedDns;
    beforeEach(async () => {
      dns = await ScriptedDns.start();
    });
    afterEach(async () => {
      await dns.stop();
    });

    const TIMEOUT_MS = 100;
    const limits: LookupLimits = { maxTargets: 6, maxLookupsInFlight: 3 };
    // Exchanges one after another at worst: the SRV query, then per follow-up worker its share of
    // targets, each A and AAAA, each UDP then TCP; each bounded by the timeout. Plus slack for a
    // busy machine.
    const boundMs =
      TIMEOUT_MS * 2 * (1 + Math.ceil(limits.maxTargets / limits.maxLookupsInFlight) * 2) + 1500;

    interface Script {
      type: QueryType;
      /** Replies for successive queries (cycled): a shape and how to break it. */
      replies: Array<{ shape: ReplyShape; mutation: Mutation; thenValid: boolean }>;
    }
    const scriptArb: fc.Arbitrary<Script> = fc.record({
      type: typeArb,
      replies: fc.array(
        fc.record({
          shape: shapeArb,
          mutation: mutationArb,
          // Mostly the intact reply follows the broken one, so a run ends at once when the broken
          // one is (rightly) ignored; sometimes nothing follows and the lookup must time out.
          thenValid: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    });

    /** Runs one lookup against the script; checks its time and every target against what was sent. */
    async function lookupAgainst(script: Script, sent: Buffer[]): Promise<void> {
      const started = performance.now();
      let result: Awaited<ReturnType<typeof lookupTargets>> | undefined;
      try {
        result = await lookupTargets(
          [{ host: dns.host, port: dns.port }],
          NAME,
          script.type,
          PORT,
          { timeoutMs: TIMEOUT_MS },
          limits,
        );
      } catch (err) {
        assert.ok(err instanceof Error, "a lookup fails with an Error");
      }
      const ms = performance.now() - started;
      assert.ok(ms < boundMs, `lookup took ${Math.round(ms)} ms (bound ${boundMs} ms)`);
      if (!result) return;
      assert.ok(result.targets.length <= limits.maxTargets, `${result.targets.length} targets`);
      const records = recordsSent(sent);
      for (const t of result.targets) assertValidTarget(t, script.type, records);
    }

    it("over UDP: broken replies to the lookup and its follow-ups", async () => {
      const n = { count: 0 };
      await fuzz(
        "resolver/UDP",
        fc.asyncProperty(scriptArb, async (script) => {
          const sent: Buffer[] = [];
          let next = 0;
          dns.onUdp = ({ packet, client }) => {
            const { shape, mutation, thenValid } = script.replies[next++ % script.replies.length];
            const broken = mutate(encodeShape(packet, shape, false), mutation);
            sent.push(broken);
            n.count++;
            dns.send(broken, client);
            if (thenValid) {
              const valid = encodeShape(packet, shape, false);
              sent.push(valid);
              setImmediate(() => dns.send(valid, client));
            }
          };
          await lookupAgainst(script, sent);
        }),
        runs(250),
        n,
      );
    });

    it("over TCP after truncation: broken replies, wrong length prefixes, pieces, early close", async () => {
      const n = { count: 0 };
      const framingArb = fc.constantFrom("intact", "intact", "pieces", "prefix+1", "prefix-1", "close-mid");
      await fuzz(
        "resolver/TCP",
        fc.asyncProperty(
          scriptArb,
          fc.array(framingArb, { minLength: 1, maxLength: 4 }),
          async (script, framings) => {
            const sent: Buffer[] = [];
            let next = 0;
            dns.onUdp = ({ packet, client }) => dns.send(reply(packet, { truncated: true }), client);
            dns.onTcp = (packet, socket) => {
              const i = next++;
              const { shape, mutation } = script.replies[i % script.replies.length];
              const broken = mutate(encodeShape(packet, shape, false), mutation);
              sent.push(broken);
              n.count++;
              const bytes = framed(broken);
              const framing = framings[i % framings.length];
              if (framing === "prefix+1" || framing === "prefix-1")
                bytes.writeUInt16BE((broken.length + (framing === "prefix+1" ? 1 : 65535)) % 65536, 0);
              if (framing === "close-mid") return void socket.end(bytes.subarray(0, bytes.length >> 1));
              if (framing === "pieces") {
                socket.write(bytes.subarray(0, 1));
                return void setImmediate(() => socket.writable && socket.write(bytes.subarray(1)));
              }
              socket.write(bytes);
            };
            await lookupAgainst(script, sent);
          },
        ),
        runs(150),
        n,
      );
    });
  });

  describe("the local DNS server's query path", () => {
    let server: DnsServer;
    const errors: string[] = [];
    before(async () => {
      server = new DnsServer({
        namespace: "internal",
        ttlSeconds: 5,
        services: ["name"],
        log: (msg, fields) => errors.push(`${msg} ${JSON.stringify(fields)}`),
      });
      await server.start();
      // Long ids: an SRV answer with its additionals is over 512 bytes (truncation on UDP).
      for (let k = 0; k < 10; k++)
        server.register({
          id: `a-long-task-identifier-${"x".repeat(20)}-${k}`,
          service: "name",
          ip: `127.0.0.${k + 2}`,
          port: 3000 + k,
          healthy: true,
        });
    });
    after(() => server.stop());

    const qnameArb = fc.oneof(
      fc.constantFrom(
        NAME,
        "Name.Internal.",
        "internal",
        "example.com",
        "nope.internal",
        "name-1.name.internal",
      ),
      fc
        .array(fc.stringMatching(/^[a-z0-9-]{1,63}$/), { minLength: 1, maxLength: 4 })
        .map((l) => [...l, "internal"].join(".")),
    );
    const queryArb: fc.Arbitrary<Packet> = fc.record({
      type: fc.constant("query" as const),
      id: fc.nat(65535),
      flags: fc.constantFrom(0, dnsPacket.RECURSION_DESIRED),
      questions: fc.array(
        fc.record({
          name: qnameArb,
          type: fc.constantFrom<Question["type"]>("A", "AAAA", "SRV", "SOA", "TXT", "NS"),
          class: fc.constant("IN" as const),
        }),
        { minLength: 0, maxLength: 3 },
      ),
      additionals: fc.oneof(
        fc.constant<Answer[]>([]),
        fc
          .nat(65535)
          .map((udpPayloadSize) => [
            { type: "OPT", name: ".", udpPayloadSize, flags: 0, options: [] } as unknown as Answer,
          ]),
      ),
    });
    /** The shape that crashed the server: one question, then `count` pointers to its name. */
    const compressedArb = fc.integer({ min: 2, max: 2000 }).map((count) => {
      const first = dnsPacket.encode({
        type: "query",
        id: 77,
        questions: [{ name: `${"a".repeat(63)}.${NAME}`, type: "SRV" }],
      });
      const pointers = Buffer.alloc(6 * (count - 1));
      for (let i = 0; i < count - 1; i++) pointers.set([0xc0, 12, 0, 33, 0, 1], 6 * i);
      const message = Buffer.concat([first, pointers]);
      message.writeUInt16BE(count, 4);
      return message;
    });
    const hostileQueryArb: fc.Arbitrary<Buffer> = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
      fc
        .tuple(queryArb, fc.array(mutationArb, { maxLength: 3 }))
        .map(([q, ms]) => ms.reduce((m, mutation) => mutate(m, mutation), dnsPacket.encode(q))),
      compressedArb,
    );

    /** A reply must fit its transport (UDP: the most this server offers), and answer the query's id. */
    function checkServerReply(query: Buffer, replyBytes: Buffer | undefined, transport: "udp" | "tcp"): void {
      if (replyBytes === undefined) return;
      assert.ok(
        replyBytes.length <= (transport === "udp" ? 1232 : MAX_MESSAGE_BYTES.tcp),
        `${replyBytes.length} bytes`,
      );
      assert.ok(replyBytes.length >= 12 && (replyBytes[2] & 0x80) !== 0, "a response header");
      assert.equal(replyBytes.readUInt16BE(0), query.readUInt16BE(0), "the query's id");
    }

    it("answer(): never throws, every reply fits its transport", async () => {
      const n = { count: 0 };
      await fuzz(
        "server/answer()",
        fc.property(hostileQueryArb, fc.constantFrom("udp" as const, "tcp" as const), (query, transport) => {
          n.count++;
          checkServerReply(query, server.answer(query, transport), transport);
        }),
        runs(1500),
        n,
      );
      assert.deepEqual(errors, []);
    });

    /** Sends on UDP, then a sentinel query; resolves with every reply before the sentinel's. */
    function udpRound(messages: Buffer[]): Promise<Buffer[]> {
      const sentinel = dnsPacket.encode({ ...queryFor("A", 65000), flags: 0 });
      return new Promise((resolve, reject) => {
        const socket = dgram.createSocket("udp4");
        const replies: Buffer[] = [];
        const timer = setTimeout(
          () => (socket.close(), reject(new Error("the server stopped answering (UDP)"))),
          2000,
        );
        socket.on("message", (msg) => {
          if (msg.length >= 2 && msg.readUInt16BE(0) === 65000) {
            clearTimeout(timer);
            socket.close();
            resolve(replies);
          } else replies.push(msg);
        });
        for (const m of messages) socket.send(m, server.port, server.host);
        // After the others: UDP on loopback keeps the order.
        socket.send(sentinel, server.port, server.host);
      });
    }

    it("over UDP: a real socket keeps answering, every reply within 1232 bytes", async () => {
      const n = { count: 0 };
      await fuzz(
        "server/UDP",
        fc.asyncProperty(fc.array(hostileQueryArb, { minLength: 1, maxLength: 5 }), async (queries) => {
          n.count += queries.length;
          const sendable = queries.filter((q) => q.length <= MAX_MESSAGE_BYTES.udp);
          for (const r of await udpRound(sendable)) {
            const query = sendable.find((q) => q.length >= 2 && q.readUInt16BE(0) === r.readUInt16BE(0));
            assert.ok(query, "a reply to a query sent");
            checkServerReply(query, r, "udp");
          }
        }),
        runs(200),
        n,
      );
      assert.deepEqual(errors, []);
    });

    /** Writes framed messages on one connection, then a sentinel; resolves with the replies before it. */
    function tcpRound(messages: Buffer[], rawGarbage: Buffer | undefined): Promise<Buffer[]> {
      return new Promise((resolve, reject) => {
        const socket = net.connect(server.port, server.host);
        const replies: Buffer[] = [];
        let buffer = Buffer.alloc(0);
        socket.setTimeout(3000, () => socket.destroy(new Error("the server stopped answering (TCP)")));
        socket.on("error", reject);
        socket.on("close", () => reject(new Error("closed before the sentinel's reply")));
        socket.on("data", (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk]);
          while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
            const message = buffer.subarray(2, 2 + buffer.readUInt16BE(0));
            buffer = buffer.subarray(2 + message.length);
            if (message.length >= 2 && message.readUInt16BE(0) === 65000) {
              socket.removeAllListeners("close");
              socket.destroy();
              return resolve(replies);
            }
            replies.push(message);
          }
        });
        for (const m of messages) socket.write(framed(m));
        socket.write(framed(dnsPacket.encode(queryFor("SRV", 65000))));
        // Unframed garbage after the sentinel: the server must not choke before answering it.
        if (rawGarbage) socket.write(rawGarbage);
      });
    }

    it("over TCP: framed hostile queries on one connection, then garbage; the server keeps answering", async () => {
      const n = { count: 0 };
      await fuzz(
        "server/TCP",
        fc.asyncProperty(
          fc.array(hostileQueryArb, { minLength: 1, maxLength: 5 }),
          fc.option(fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b))),
          async (queries, garbage) => {
            n.count += queries.length;
            const sendable = queries.filter((q) => q.length <= MAX_MESSAGE_BYTES.tcp);
            for (const r of await tcpRound(sendable, garbage ?? undefined)) {
              const query = sendable.find((q) => q.length >= 2 && q.readUInt16BE(0) === r.readUInt16BE(0));
              assert.ok(query, "a reply to a query sent");
              checkServerReply(query, r, "tcp");
            }
          },
        ),
        runs(150),
        n,
      );
      assert.deepEqual(errors, []);
      // And it still answers as it should.
      const check = await tcpRound([], undefined);
      assert.deepEqual(check, []);
      assert.ok(server.queries().total > 0);
    });
  });
});
