// A DNS server on loopback whose every reply the test scripts byte for byte: wrong ids, other
// names or classes, replies from another address or port (spoofing), TCP replies cut into chunks,
// garbage, silence. For the wire-level checks that a friendly server cannot provoke.
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";
import type { Answer, Packet } from "dns-packet";

export interface UdpQuery {
  packet: Packet;
  /** Where the client sent from: where a reply must go. */
  client: dgram.RemoteInfo;
}

export class ScriptedDns {
  /** Scripts the UDP side; the default sends nothing. */
  onUdp: (query: UdpQuery) => void = () => {};
  /** Scripts the TCP side; the default closes the connection. */
  onTcp: (packet: Packet, socket: net.Socket) => void = (_p, socket) => socket.end();
  readonly udpQueries: Packet[] = [];
  readonly tcpQueries: Packet[] = [];
  private readonly extra: dgram.Socket[] = [];
  private readonly connections = new Set<net.Socket>();
  private stopped = false;

  private constructor(
    readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(host = "127.0.0.1"): Promise<ScriptedDns> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const udp = await bindUdp(host, 0);
      const port = udp.address().port;
      const tcp = net.createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once("error", reject);
          tcp.listen(port, host, () => resolve());
        });
        const server = new ScriptedDns(udp, tcp, host, port);
        server.wire();
        return server;
      } catch (err) {
        lastError = err;
        udp.close();
      }
    }
    throw lastError;
  }

  /** A UDP socket on another address or port, closed with the server: the spoofer's. */
  async socketAt(host: string, port = 0): Promise<dgram.Socket> {
    const socket = await bindUdp(host, port);
    this.extra.push(socket);
    return socket;
  }

  /** Sends a UDP reply; a no-op once stopped (a scripted late reply may fire after the test). */
  /** Stops listening on TCP only: a TCP retry is then refused. */
  async closeTcp(): Promise<void> {
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }

  send(message: Buffer, to: dgram.RemoteInfo, from: dgram.Socket = this.udp): void {
    if (!this.stopped) from.send(message, to.port, to.address);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const socket of this.connections) socket.destroy();
    await Promise.all([
      ...[this.udp, ...this.extra].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      new Promise<void>((resolve) => (this.tcp.listening ? this.tcp.close(() => resolve()) : resolve())),
    ]);
  }

  private wire(): void {
    this.udp.on("message", (message, client) => {
      const packet = dnsPacket.decode(message);
      this.udpQueries.push(packet);
      this.onUdp({ packet, client });
    });
    this.tcp.on("connection", (socket) => {
      this.connections.add(socket);
      socket.on("close", () => this.connections.delete(socket));
      socket.on("error", () => undefined);
      let buffer = Buffer.alloc(0);
      socket.on("data", (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (buffer.length < 2 || buffer.length < 2 + buffer.readUInt16BE(0)) return;
        const packet = dnsPacket.decode(buffer.subarray(2, 2 + buffer.readUInt16BE(0)));
        this.tcpQueries.push(packet);
        this.onTcp(packet, socket);
      });
    });
  }
}

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      socket.on("error", () => undefined);
      resolve(socket);
    });
  });
}

export interface ReplyShape {
  id?: number;
  /** The question echoed back; defaults to the query's. */
  question?: { name: string; type: string; class: string };
  questions?: Packet["questions"];
  type?: "response" | "query";
  rcode?: number;
  truncated?: boolean;
  answers?: Answer[];
  additionals?: Answer[];
  authorities?: Answer[];
}

/** The reply to `query`, or a deliberately wrong one. */
export function reply(query: Packet, shape: ReplyShape = {}): Buffer {
  const q = query.questions?.[0];
  const questions = shape.questions ?? [
    shape.question ?? { name: q?.name ?? "", type: q?.type ?? "A", class: q?.class ?? "IN" },
  ];
  return dnsPacket.encode({
    type: shape.type ?? "response",
    id: shape.id ?? query.id,
    flags: (shape.truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) | (shape.rcode ?? 0),
    questions: questions as Packet["questions"],
    answers: shape.answers ?? [],
    additionals: shape.additionals ?? [],
    authorities: shape.authorities ?? [],
  });
}

/** `message` as DNS over TCP sends it: a two-byte length, then the message. */
export function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}
