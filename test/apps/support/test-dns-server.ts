// A small real DNS server for the apps' tests (UDP + TCP on 127.0.0.1, the local topology's
// transport), answering from a handler the test sets, so each test can play the answers it needs (SRV without additional
// records, truncation, silence, NXDOMAIN).
import * as dnsPacket from "dns-packet";
import type { Answer, Packet, Question } from "dns-packet";
import { listenDns, type DnsListener, type DnsTransport } from "../../../local/cloudmap/dns-transport";

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
  private listener?: DnsListener;

  get port(): number {
    if (!this.listener) throw new Error("test DNS server is not started");
    return this.listener.port;
  }

  get queries(): number {
    return this.udpQueries + this.tcpQueries;
  }

  async start(): Promise<this> {
    this.listener = await listenDns("127.0.0.1", 0, (message, transport) => this.reply(message, transport));
    return this;
  }

  async stop(): Promise<void> {
    await this.listener?.close();
    this.listener = undefined;
  }

  private reply(message: Buffer, transport: DnsTransport): Buffer | undefined {
    let query: Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    if (transport === "udp") this.udpQueries += 1;
    else this.tcpQueries += 1;
    return this.silent ? undefined : this.answer(query, transport === "udp");
  }

  private answer(query: Packet, overUdp: boolean): Buffer {
    const question = query.questions?.[0] as Question;
    const reply = this.handler(question);
    const truncated = overUdp && reply.truncateUdp === true;
    const flags =
      dnsPacket.AUTHORITATIVE_ANSWER |
      (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) |
      RCODES[reply.rcode ?? "NOERROR"];
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
}

// Record builders: the local DNS server's, plus AAAA which it does not serve.
export { aRecord, soaRecord, srvRecord } from "../../../local/cloudmap/dns-answer";

export function aaaaRecord(name: string, ip: string, ttl: number): Answer {
  return { type: "AAAA", name, ttl, data: ip };
}
