// A small real DNS server for the apps' tests (UDP + TCP on 127.0.0.1), answering from a
// handler the test sets, so each test can play the answers it needs (SRV without additional
// records, truncation, silence, NXDOMAIN).
import dgram from "node:dgram";
import net from "node:net";
import * as dnsPacket from "dns-packet";
import type { Answer, Packet, Question } from "dns-packet";

export interface Reply {
  rcode?: "NOERROR" | "NXDOMAIN" | "SERVFAIL" | "REFUSED";
  answers?: Answer[];
  additionals?: Answer[];
  authorities?: Answer[];
  /** Over UDP, answer with TC set and no records (the client must retry over TCP). */
  truncateUdp?: boolean;
}

export type Handler = (question: Question) => Reply;

const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export class TestDnsServer {
  handler: Handler = () => ({ rcode: "NXDOMAIN" });
  /** When true, queries are read and never answered (a DNS outage). */
  silent = false;
  udpQueries = 0;
  tcpQueries = 0;
  private udp!: dgram.Socket;
  private readonly tcp = net.createServer((socket) => this.serveTcp(socket));
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  get queries(): number {
    return this.udpQueries + this.tcpQueries;
  }

  async start(): Promise<this> {
    // UDP and TCP on one port: the port is free for UDP only, so TCP may find it taken (by a
    // client connection's local port): then both try again on a new one (bounded).
    let lastError: unknown;
    for (let attempt = 0; attempt < 10; attempt++) {
      this.udp = dgram.createSocket("udp4");
      await new Promise<void>((resolve, reject) => {
        this.udp.once("error", reject);
        this.udp.bind(0, "127.0.0.1", () => resolve());
      });
      this.port = this.udp.address().port;
      try {
        await new Promise<void>((resolve, reject) => {
          this.tcp.once("error", reject);
          this.tcp.listen(this.port, "127.0.0.1", () => resolve());
        });
      } catch (err) {
        lastError = err;
        await new Promise<void>((resolve) => this.udp.close(() => resolve()));
        continue;
      }
      this.udp.on("message", (msg, rinfo) => {
        const query = this.decode(msg);
        if (!query) return;
        this.udpQueries += 1;
        if (this.silent) return;
        this.udp.send(this.answer(query, true), rinfo.port, rinfo.address);
      });
      return this;
    }
    throw lastError;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }

  private decode(msg: Buffer): Packet | undefined {
    try {
      return dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
  }

  private answer(query: Packet, overUdp: boolean): Buffer {
    const question = query.questions?.[0] as Question;
    const reply = this.handler(question);
    const truncated = overUdp && reply.truncateUdp === true;
    const flags = dnsPacket.AUTHORITATIVE_ANSWER | (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) | RCODES[reply.rcode ?? "NOERROR"];
    return dnsPacket.encode({
      type: "response",
      id: query.id,
      flags,
      questions: [question],
      answers: truncated ? [] : (reply.answers ?? []),
      additionals: truncated ? [] : (reply.additionals ?? []),
      authorities: truncated ? [] : (reply.authorities ?? []),
    });
  }

  private serveTcp(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 2 || buffer.length < 2 + buffer.readUInt16BE(0)) return;
      const query = this.decode(buffer.subarray(2, 2 + buffer.readUInt16BE(0)));
      buffer = Buffer.alloc(0);
      if (!query) return;
      this.tcpQueries += 1;
      if (this.silent) return;
      const body = this.answer(query, false);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(body.length);
      socket.write(Buffer.concat([length, body]));
    });
  }
}

export function aRecord(name: string, ip: string, ttl: number): Answer {
  return { type: "A", name, ttl, data: ip };
}

export function srvRecord(name: string, target: string, port: number, ttl: number, priority = 1): Answer {
  return { type: "SRV", name, ttl, data: { priority, weight: 1, port, target } };
}

export function soaRecord(zone: string, minimum: number): Answer {
  return { type: "SOA", name: zone, ttl: minimum, data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 60, retry: 60, expire: 60, minimum } };
}
