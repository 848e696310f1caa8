// DNS over UDP and TCP on one loopback port, with the answering left to the caller: the local
// "Cloud Map" server and the apps' scripted test server share it.
import * as dgram from "node:dgram";
import * as net from "node:net";

export type DnsTransport = "udp" | "tcp";

/** Turns one query message into its reply; undefined sends nothing (garbage, or a simulated outage). */
export type AnswerMessage = (message: Buffer, transport: DnsTransport) => Buffer | undefined;

/** Told when a message could not be answered (the answerer threw, or its reply cannot be sent). */
export type TransportError = (error: Error, transport: DnsTransport) => void;

/** The largest DNS message each transport carries: TCP's 2-byte length prefix, UDP over IPv4. */
export const MAX_MESSAGE_BYTES: Readonly<Record<DnsTransport, number>> = { tcp: 65_535, udp: 65_507 };

/**
 * The reply to one message, or undefined: whatever a request makes the answerer do (throw, or
 * return more than the transport can carry) is reported and costs that request only.
 */
function replyTo(
  answer: AnswerMessage,
  onError: TransportError,
  message: Buffer,
  transport: DnsTransport,
): Buffer | undefined {
  let reply: Buffer | undefined;
  try {
    reply = answer(message, transport);
  } catch (err) {
    onError(err instanceof Error ? err : new Error(String(err)), transport);
    return undefined;
  }
  if (reply !== undefined && reply.length > MAX_MESSAGE_BYTES[transport]) {
    onError(new Error(`reply of ${reply.length} bytes is over the ${transport} limit, not sent`), transport);
    return undefined;
  }
  return reply;
}

const reportToStderr: TransportError = (error, transport) =>
  process.stderr.write(`dns (${transport}): request not answered: ${error.message}\n`);

export interface DnsListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Binds UDP and TCP on the same port. With port 0 the free UDP port may be taken on TCP (by a
 * client connection's local port), so a few ports are tried before giving up.
 */
export async function listenDns(
  host: string,
  port: number,
  answer: AnswerMessage,
  onError: TransportError = reportToStderr,
): Promise<DnsListener> {
  let lastError: unknown;
  for (let attempt = 0; attempt < (port === 0 ? 5 : 1); attempt++) {
    const udp = await bindUdp(host, port, answer, onError);
    const bound = udp.address().port;
    const connections = new Set<net.Socket>();
    try {
      const tcp = await bindTcp(host, bound, answer, onError, connections);
      return {
        port: bound,
        close: async () => {
          for (const socket of connections) socket.destroy();
          connections.clear();
          await Promise.all([
            new Promise<void>((resolve) => udp.close(() => resolve())),
            new Promise<void>((resolve) => tcp.close(() => resolve())),
          ]);
        },
      };
    } catch (err) {
      lastError = err;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  }
  throw lastError;
}

function bindUdp(
  host: string,
  port: number,
  answer: AnswerMessage,
  onError: TransportError,
): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      socket.on("error", () => undefined); // e.g. ICMP errors after a client went away
      socket.on("message", (message, remote) => {
        const reply = replyTo(answer, onError, message, "udp");
        if (reply) socket.send(reply, remote.port, remote.address);
      });
      resolve(socket);
    });
  });
}

function bindTcp(
  host: string,
  port: number,
  answer: AnswerMessage,
  onError: TransportError,
  connections: Set<net.Socket>,
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => serveTcp(socket, answer, onError, connections));
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/**
 * DNS over TCP: each message is prefixed with its 2-byte length; several may share a connection.
 * A client that sends queries without reading the replies is not read from until it catches up.
 */
function serveTcp(
  socket: net.Socket,
  answer: AnswerMessage,
  onError: TransportError,
  connections: Set<net.Socket>,
): void {
  connections.add(socket);
  socket.on("close", () => connections.delete(socket));
  socket.on("error", () => socket.destroy());
  socket.setTimeout(10_000, () => socket.destroy());
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const message = pending.subarray(2, 2 + length);
      pending = pending.subarray(2 + length);
      const reply = replyTo(answer, onError, message, "tcp");
      if (!reply) continue;
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(reply.length);
      if (!socket.write(Buffer.concat([prefix, reply])) && !socket.isPaused()) {
        socket.pause();
        socket.once("drain", () => socket.resume());
      }
    }
  });
}
