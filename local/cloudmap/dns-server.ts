// A DNS server on loopback that plays Cloud Map for one namespace: UDP and TCP on one port
// (dns-transport.ts), a registry of instances, and counters of the questions it received.
// Packets go through dns-packet; what to answer is decided by the pure buildResponse.
import * as dnsPacket from "dns-packet";
import type { Answer, DecodedPacket, Packet } from "dns-packet";
import { buildResponse, questionKey, type Instance, type ZoneSettings } from "./dns-answer";
import { listenDns, MAX_MESSAGE_BYTES, type DnsListener, type DnsTransport } from "./dns-transport";

/** Without EDNS a UDP answer is limited to 512 bytes; longer ones are sent truncated (TC) so the client retries on TCP. */
const CLASSIC_UDP_LIMIT = 512;
/** The UDP payload this server offers with EDNS(0): DNS flag day 2020's size, which needs no IP fragments. */
const EDNS_UDP_LIMIT = 1232;
/** Distinct "name type" counters kept; a flood of random names cannot grow the map without end. */
export const MAX_COUNTED_QUESTIONS = 1000;
export const OTHER_QUESTIONS = "(other names)";

const RCODE = { SERVFAIL: 2, NOTIMP: 4 } as const;

const OPT_RECORD: Answer = {
  type: "OPT",
  name: ".",
  udpPayloadSize: EDNS_UDP_LIMIT,
  extendedRcode: 0,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options: [],
};

/**
 * The largest reply a query may get: 65 535 bytes on TCP; on UDP 512 bytes without EDNS, else
 * the size the client offers (RFC 6891: at least 512) up to the size this server offers.
 */
export function sizeLimit(transport: DnsTransport, clientUdpPayload: number | undefined): number {
  if (transport === "tcp") return MAX_MESSAGE_BYTES.tcp;
  if (clientUdpPayload === undefined) return CLASSIC_UDP_LIMIT;
  return Math.min(EDNS_UDP_LIMIT, Math.max(CLASSIC_UDP_LIMIT, clientUdpPayload));
}

/** A reply with only an rcode: the query's id and RD flag, its one question, no records. */
function errorReply(query: Packet, rcode: number): Packet {
  const questions = query.questions ?? [];
  return {
    type: "response",
    id: query.id ?? 0,
    flags: rcode | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED),
    questions: questions.length === 1 ? questions : [],
    answers: [],
    authorities: [],
    additionals: [],
  };
}

export type DnsServerLog = (msg: string, fields: Record<string, unknown>, level: "error") => void;

const logToStderr: DnsServerLog = (msg, fields) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg, app: "dns", ...fields })}\n`);

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
  /** Where a query the server failed to answer is reported; default: a JSON line on stderr. */
  log?: DnsServerLog;
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
  private readonly log: DnsServerLog;
  private distinctQuestions = 0;
  private listener?: DnsListener;
  /** Kept after stop(), so a stopped server can still be named (and restarted on the same port). */
  private boundPort?: number;

  constructor(private readonly options: DnsServerOptions) {
    if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds < 0) {
      throw new Error(`DNS ttlSeconds must be an integer >= 0, got ${options.ttlSeconds}`);
    }
    this.log = options.log ?? logToStderr;
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
    this.listener = await listenDns(
      this.host,
      this.options.port ?? 0,
      (message, transport) => this.answer(message, transport),
      (error, transport) => this.log("DNS reply not sent", { transport, error: error.message }, "error"),
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

  /**
   * Decodes one query and encodes its answer; undefined for packets that are not queries (dropped).
   * Never throws: a query that makes the answering fail gets SERVFAIL, and the failure is logged.
   */
  answer(message: Buffer, transport: DnsTransport): Buffer | undefined {
    let query: Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined; // garbage: drop, as real servers do
    }
    if (query.type !== "query") return undefined;
    try {
      return this.answerQuery(query, transport);
    } catch (err) {
      this.log("DNS query failed; answered SERVFAIL", { transport, error: (err as Error).message }, "error");
      try {
        return dnsPacket.encode(errorReply(query, RCODE.SERVFAIL));
      } catch {
        return dnsPacket.encode({ ...errorReply(query, RCODE.SERVFAIL), questions: [] });
      }
    }
  }

  private answerQuery(query: Packet, transport: DnsTransport): Buffer {
    this.counters.total++;
    const { opcode } = query as DecodedPacket & { opcode?: string };
    if (opcode !== undefined && opcode !== "QUERY") return dnsPacket.encode(errorReply(query, RCODE.NOTIMP));
    const questions = query.questions ?? [];
    if (questions.length === 1) this.count(questionKey(questions[0]));
    const response = buildResponse(query, [...this.registry.values()], this.zone);
    const opt = (query.additionals ?? []).find(
      (a): a is Extract<Answer, { type: "OPT" }> => a.type === "OPT",
    );
    if (opt) response.additionals = [...(response.additionals ?? []), OPT_RECORD];
    const encoded = dnsPacket.encode(response);
    if (encoded.length <= sizeLimit(transport, opt?.udpPayloadSize)) return encoded;
    // Too big for TCP (not with one question and at most 8 records, but the limit holds whatever
    // the records): SERVFAIL. Too big for UDP: the question alone, truncated, so the client asks on TCP.
    if (transport === "tcp") return dnsPacket.encode(errorReply(query, RCODE.SERVFAIL));
    return dnsPacket.encode({
      ...response,
      flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
      answers: [],
      additionals: opt ? [OPT_RECORD] : [],
      authorities: [],
    });
  }

  /** Counts a question; past MAX_COUNTED_QUESTIONS distinct names, new ones share one key. */
  private count(key: string): void {
    const byQuestion = this.counters.byQuestion;
    const known = Object.hasOwn(byQuestion, key);
    if (!known && this.distinctQuestions >= MAX_COUNTED_QUESTIONS) key = OTHER_QUESTIONS;
    else if (!known) this.distinctQuestions++;
    byQuestion[key] = (byQuestion[key] ?? 0) + 1;
  }
}
