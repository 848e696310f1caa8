// A DNS server on loopback that plays Cloud Map for one namespace: UDP and TCP on one port
// (dns-transport.ts), a registry of instances, and counters of the questions it received.
// Packets go through dns-packet; what to answer is decided by the pure buildResponse.
import * as dnsPacket from "dns-packet";
import type { Answer, Packet } from "dns-packet";
import { buildResponse, questionKey, type Instance, type ZoneSettings } from "./dns-answer";
import { listenDns, type DnsListener, type DnsTransport } from "./dns-transport";

/** Without EDNS a UDP answer is limited to 512 bytes; longer ones are sent truncated (TC) so the client retries on TCP. */
const CLASSIC_UDP_LIMIT = 512;

export interface DnsServerOptions {
  namespace: string;
  ttlSeconds: number;
  /** SOA minimum, i.e. how long NXDOMAIN is cached. Default 1 s. */
  negativeTtlSeconds?: number;
  /** Services whose name exists even with no instance (NODATA rather than NXDOMAIN). */
  services?: string[];
  /** Services with an SRV record only (consul-aws's imports): no A answer for the service name. */
  srvOnlyServices?: string[];
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
  private listener?: DnsListener;
  /** Kept after stop(), so a stopped server can still be named (and restarted on the same port). */
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
      srvOnlyServices: options.srvOnlyServices ?? [],
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
    return this.listener !== undefined;
  }

  async start(): Promise<void> {
    if (this.listener) return;
    this.listener = await listenDns(this.host, this.options.port ?? 0, (message, transport) =>
      this.answer(message, transport),
    );
    this.boundPort = this.listener.port;
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
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
  answer(message: Buffer, transport: DnsTransport): Buffer | undefined {
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
    const opt = (query.additionals ?? []).find(
      (a): a is Extract<Answer, { type: "OPT" }> => a.type === "OPT",
    );
    if (opt) {
      response.additionals = [
        ...(response.additionals ?? []),
        {
          type: "OPT",
          name: ".",
          udpPayloadSize: 1232,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ];
    }
    const encoded = dnsPacket.encode(response);
    const limit = opt ? Math.max(CLASSIC_UDP_LIMIT, opt.udpPayloadSize) : CLASSIC_UDP_LIMIT;
    if (transport === "tcp" || encoded.length <= limit) return encoded;
    return dnsPacket.encode({
      ...response,
      flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
      answers: [],
      additionals: [],
      authorities: [],
    });
  }
}
