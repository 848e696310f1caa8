// A DNS server on loopback that plays Cloud Map for one namespace: UDP and TCP on the same port,
// a registry of instances, and counters of the questions it received. Packets go through dns-packet;
// what to answer is decided by the pure buildResponse.
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";
import type { Answer, Packet } from "dns-packet";
import { buildResponse, questionKey, type Instance, type ZoneSettings } from "./dns-answer";

/** Without EDNS a UDP answer is limited to 512 bytes; longer ones are sent truncated (TC) so the client retries on TCP. */
const CLASSIC_UDP_LIMIT = 512;
const TRUNCATED_RESPONSE = 1 << 9;

export interface DnsServerOptions {
  namespace: string;
  ttlSeconds: number;
  /** SOA minimum, i.e. how long NXDOMAIN is cached. Default 1 s. */
  negativeTtlSeconds?: number;
  /** Services whose name exists even with no instance (NODATA rather than NXDOMAIN). */
  services?: string[];
  host?: string;
  /** 0 = a free port (the same one is used for UDP and TCP). */
  port?: number;
}

export interface QueryCounters {
  total: number;
  /** Per "qname qtype", e.g. { "name.internal A": 12 }. */
  byQuestion: Record<string, number>;
}

export class DnsServer {
  private readonly registry = new Map<string, Instance>();
  private readonly zone: ZoneSettings;
  private readonly counters: QueryCounters = { total: 0, byQuestion: {} };
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly tcpConnections = new Set<net.Socket>();
  private boundPort?: number;

  constructor(private readonly options: DnsServerOptions) {
    if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds < 0) {
      throw new Error(`DNS ttlSeconds must be an integer >= 0, got ${options.ttlSeconds}`);
    }
    this.zone = {
      namespace: options.namespace,
      ttlSeconds: options.ttlSeconds,
      negativeTtlSeconds: options.negativeTtlSeconds ?? 1,
      services: options.services ?? [],
    };
  }

  get host(): string {
    return this.options.host ?? "127.0.0.1";
  }

  /** The bound port; throws before start(). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error("DNS server is not started");
    return this.boundPort;
  }

  get listening(): boolean {
    return this.udp !== undefined;
  }

  async start(): Promise<void> {
    if (this.udp) return;
    const wanted = this.options.port ?? 0;
    // With port 0, the free UDP port may be taken on TCP: try a few ports before giving up.
    let lastError: unknown;
    for (let attempt = 0; attempt < (wanted === 0 ? 5 : 1); attempt++) {
      const udp = await this.bindUdp(wanted);
      const port = (udp.address() as net.AddressInfo).port;
      try {
        this.tcp = await this.bindTcp(port);
        this.udp = udp;
        this.boundPort = port;
        return;
      } catch (err) {
        lastError = err;
        await new Promise<void>((resolve) => udp.close(() => resolve()));
      }
    }
    throw lastError;
  }

  async stop(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    for (const socket of this.tcpConnections) socket.destroy();
    this.tcpConnections.clear();
    await Promise.all([
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : undefined,
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
  }

  register(instance: Instance): void {
    this.registry.set(instance.id, { ...instance });
  }

  /** Returns whether the instance was registered. */
  deregister(id: string): boolean {
    return this.registry.delete(id);
  }

  setHealthy(id: string, healthy: boolean): void {
    const instance = this.registry.get(id);
    if (instance) instance.healthy = healthy;
  }

  instances(): Instance[] {
    return [...this.registry.values()].map((i) => ({ ...i }));
  }

  /** A copy of the counters; subtract two snapshots for a rate. */
  queries(): QueryCounters {
    return { total: this.counters.total, byQuestion: { ...this.counters.byQuestion } };
  }

  /** Decodes one query and encodes its answer; undefined for packets that are not queries (dropped). */
  answer(message: Buffer, transport: "udp" | "tcp"): Buffer | undefined {
    let query: Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined; // garbage: drop, as real servers do
    }
    if (query.type !== "query") return undefined;
    this.counters.total++;
    for (const q of query.questions ?? []) {
      const key = questionKey(q);
      this.counters.byQuestion[key] = (this.counters.byQuestion[key] ?? 0) + 1;
    }
    const response = buildResponse(query, [...this.registry.values()], this.zone);
    const opt = (query.additionals ?? []).find((a): a is Extract<Answer, { type: "OPT" }> => a.type === "OPT");
    if (opt) {
      response.additionals = [
        ...(response.additionals ?? []),
        { type: "OPT", name: ".", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] },
      ];
    }
    const encoded = dnsPacket.encode(response);
    const limit = opt ? Math.max(CLASSIC_UDP_LIMIT, opt.udpPayloadSize) : CLASSIC_UDP_LIMIT;
    if (transport === "tcp" || encoded.length <= limit) return encoded;
    return dnsPacket.encode({ ...response, flags: (response.flags ?? 0) | TRUNCATED_RESPONSE, answers: [], additionals: [], authorities: [] });
  }

  private bindUdp(port: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket("udp4");
      socket.once("error", reject);
      socket.bind(port, this.host, () => {
        socket.off("error", reject);
        socket.on("error", () => undefined); // e.g. ICMP errors after a client went away
        socket.on("message", (message, remote) => {
          const reply = this.answer(message, "udp");
          if (reply) socket.send(reply, remote.port, remote.address);
        });
        resolve(socket);
      });
    });
  }

  private bindTcp(port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.serveTcp(socket));
      server.once("error", reject);
      server.listen(port, this.host, () => {
        server.off("error", reject);
        resolve(server);
      });
    });
  }

  /** DNS over TCP: each message is prefixed with its 2-byte length; several may share a connection. */
  private serveTcp(socket: net.Socket): void {
    this.tcpConnections.add(socket);
    socket.on("close", () => this.tcpConnections.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(10_000, () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const reply = this.answer(message, "tcp");
        if (!reply) continue;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([prefix, reply]));
      }
    });
  }
}
