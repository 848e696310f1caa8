// One DNS question over the wire: UDP with EDNS(0), TCP when the answer comes back truncated.
import dgram from "node:dgram";
import net from "node:net";
import { randomInt } from "node:crypto";
import * as dnsPacket from "dns-packet";
import type { Answer, DecodedPacket, Packet, Question } from "dns-packet";
import { formatDnsServer, type DnsServer } from "./dns-servers";
import { normalizeName, type DnsResponse, type RecordType } from "./records";

/** Big enough for 8 SRV records plus their addresses; the size DNS flag day 2020 settled on. */
const EDNS_UDP_SIZE = 1232;

export interface QueryOptions {
  timeoutMs: number;
  /** Called once per packet exchange (UDP or TCP), for the dnsQueries counter. */
  onQuery?: () => void;
  onTruncated?: () => void;
}

function queryPacket(id: number, name: string, type: RecordType): Packet {
  return {
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: "IN" }],
    additionals: [
      {
        type: "OPT",
        name: ".",
        udpPayloadSize: EDNS_UDP_SIZE,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ],
  };
}

/** The codecs dns-packet exports beside decode() (its typings leave them out): one part at a time. */
interface PartCodec<T> {
  decode: ((buf: Buffer, offset: number) => T) & { bytes: number };
}
const parts = dnsPacket as unknown as {
  name: PartCodec<string>;
  question: PartCodec<Question>;
  answer: PartCodec<Answer>;
};

const SECTION_COUNT_OFFSETS = [6, 8, 10]; // answers, authorities, additionals in the header

/**
 * dnsPacket.decode() with the checks it leaves out: it reads an A or AAAA record's 4 or 16 bytes
 * (a CNAME's or SRV's name) whatever the record's length field says, even past the end of
 * the message (a cut-short A record decodes as "10.0.undefined.undefined"). Here every record must
 * be exactly as long as its length field and end inside the message; else the reply is malformed.
 */
export function decodeReply(message: Buffer): DecodedPacket {
  const packet = dnsPacket.decode(message);
  if (dnsPacket.decode.bytes > message.length) throw new Error("a record runs past the end of the message");
  let offset = 12;
  for (let i = 0; i < message.readUInt16BE(4); i++) {
    parts.question.decode(message, offset);
    offset += parts.question.decode.bytes;
  }
  const records = SECTION_COUNT_OFFSETS.reduce((n, at) => n + message.readUInt16BE(at), 0);
  for (let i = 0; i < records; i++) {
    parts.name.decode(message, offset);
    const rdata = offset + parts.name.decode.bytes + 10;
    const rdlength = message.readUInt16BE(rdata - 2);
    const record = parts.answer.decode(message, offset);
    const end = rdata + rdlength;
    if (offset + parts.answer.decode.bytes !== end || end > message.length)
      throw new Error(`a ${record.type} record's data does not match its length of ${rdlength} bytes`);
    if (record.type === "SRV") {
      // dns-packet takes an SRV record's length from its field: priority, weight and port, then a
      // name, which must end where the record does.
      parts.name.decode(message, rdata + 6);
      if (rdata + 6 + parts.name.decode.bytes !== end)
        throw new Error("an SRV record's target name does not end with the record");
    }
    offset = end;
  }
  return packet;
}

function toResponse(packet: DecodedPacket): DnsResponse {
  return {
    rcode: (packet as DecodedPacket & { rcode?: string }).rcode ?? "NOERROR",
    truncated: packet.flag_tc,
    answers: packet.answers ?? [],
    additionals: (packet.additionals ?? []).filter((a) => a.type !== "OPT"),
    authorities: packet.authorities ?? [],
  };
}

/**
 * True when `packet` answers query `id` for `name`/`type` in class IN, echoing exactly our one
 * question (RFC 5452): a stale or forged answer for anything else is not taken.
 */
function answersQuery(packet: DecodedPacket, id: number, name: string, type: RecordType): boolean {
  const questions = packet.questions ?? [];
  const q = questions[0];
  return (
    packet.type === "response" &&
    packet.id === id &&
    questions.length === 1 &&
    q.type === type &&
    q.class === "IN" &&
    normalizeName(q.name) === normalizeName(name)
  );
}

/** The same IP address however it is written ("::1" and "0:0:0:0:0:0:0:1"). */
function sameAddress(a: string, b: string): boolean {
  const canonical = (ip: string): string => (net.isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname : ip);
  return canonical(a) === canonical(b);
}

type Done = (err: Error | null, packet?: DecodedPacket) => void;

/** One exchange: `open` starts it and returns how to close its socket; the first outcome wins. */
function exchange(
  timeoutMs: number,
  timeoutMessage: string,
  open: (done: Done) => () => void,
): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    let finished = false;
    // Assigned once open() returns: `done` may run inside open() and must not touch it then.
    // eslint-disable-next-line prefer-const
    let close: (() => void) | undefined;
    const done: Done = (err, packet) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      close?.();
      if (err) reject(err);
      else resolve(packet as DecodedPacket);
    };
    const timer = setTimeout(() => done(new Error(timeoutMessage)), timeoutMs);
    close = open(done);
    if (finished) close();
  });
}

function udpExchange(
  server: DnsServer,
  name: string,
  type: RecordType,
  timeoutMs: number,
): Promise<DecodedPacket> {
  return exchange(timeoutMs, `DNS timeout after ${timeoutMs} ms from ${formatDnsServer(server)}`, (done) => {
    const id = randomInt(0, 65536);
    const socket = dgram.createSocket(net.isIPv6(server.host) ? "udp6" : "udp4");
    socket.on("error", (err) => done(err));
    socket.on("message", (msg, rinfo) => {
      // Only the server we asked may answer (anyone else on the network could race it).
      if (rinfo.port !== server.port || !sameAddress(rinfo.address, server.host)) return;
      let packet: DecodedPacket;
      try {
        packet = decodeReply(msg);
      } catch {
        return; // malformed: keep waiting for the real answer until the timeout
      }
      if (answersQuery(packet, id, name, type)) done(null, packet);
    });
    socket.send(dnsPacket.encode(queryPacket(id, name, type)), server.port, server.host, (err) => {
      if (err) done(err);
    });
    return () => socket.close();
  });
}

function tcpExchange(
  server: DnsServer,
  name: string,
  type: RecordType,
  timeoutMs: number,
): Promise<DecodedPacket> {
  return exchange(
    timeoutMs,
    `DNS over TCP timeout after ${timeoutMs} ms from ${formatDnsServer(server)}`,
    (done) => {
      const id = randomInt(0, 65536);
      const socket = net.connect({ host: server.host, port: server.port });
      let buffer = Buffer.alloc(0);
      socket.on("error", (err) => done(err));
      socket.on("connect", () => socket.write(dnsPacket.streamEncode(queryPacket(id, name, type))));
      socket.on("data", (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (buffer.length < 2 || buffer.length < 2 + buffer.readUInt16BE(0)) return;
        try {
          const packet = decodeReply(buffer.subarray(2, 2 + buffer.readUInt16BE(0)));
          if (answersQuery(packet, id, name, type)) done(null, packet);
          else done(new Error(`DNS over TCP: unrelated answer from ${formatDnsServer(server)}`));
        } catch (err) {
          done(
            new Error(
              `DNS over TCP: malformed answer from ${formatDnsServer(server)}: ${(err as Error).message}`,
            ),
          );
        }
      });
      socket.on("end", () =>
        done(new Error(`DNS over TCP: ${formatDnsServer(server)} closed without an answer`)),
      );
      return () => socket.destroy();
    },
  );
}

/**
 * Asks the servers in order until one answers. A truncated UDP answer is asked again over TCP;
 * if TCP fails too, the truncated answer is used when it holds records (a partial set beats none),
 * and counts as a failure when it is empty.
 */
export async function queryDns(
  servers: readonly DnsServer[],
  name: string,
  type: RecordType,
  options: QueryOptions,
): Promise<DnsResponse> {
  if (servers.length === 0)
    throw new Error("no DNS server configured (none in /etc/resolv.conf and DNS_SERVER unset)");
  const errors: string[] = [];
  for (const server of servers) {
    try {
      options.onQuery?.();
      const udp = toResponse(await udpExchange(server, name, type, options.timeoutMs));
      if (!udp.truncated) return udp;
      options.onTruncated?.();
      try {
        options.onQuery?.();
        return toResponse(await tcpExchange(server, name, type, options.timeoutMs));
      } catch (err) {
        if (udp.answers.length > 0) return udp;
        throw new Error(`truncated answer and TCP failed: ${(err as Error).message}`, { cause: err });
      }
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  throw new Error(errors.join("; "));
}
