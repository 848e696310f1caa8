// Slow-header clients (slowloris): each connection sends a request line and then one header line
// every `dripMs`, never finishing its head. A server with a header timeout closes them.
import net from "node:net";

export interface SlowClientsResult {
  /** Connections the server closed within `limitMs`, and when (ms after they opened) the last one went. */
  closed: number;
  lastClosedMs: number;
  /** Connections still open at `limitMs` (the test then closes them). */
  stillOpen: number;
  /** What the server said before closing, if anything (e.g. "HTTP/1.1 408 Request Timeout"). */
  firstLine: string;
}

export async function slowHeaderClients(
  host: string,
  port: number,
  o: { count: number; dripMs: number; limitMs: number },
): Promise<SlowClientsResult> {
  const started = Date.now();
  const result: SlowClientsResult = { closed: 0, lastClosedMs: 0, stillOpen: 0, firstLine: "" };
  const sockets = await Promise.all(
    Array.from(
      { length: o.count },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(port, host, () => resolve(socket));
          socket.once("error", reject);
        }),
    ),
  );
  const open = new Set(sockets);
  for (const socket of sockets) {
    socket.on("error", () => undefined);
    socket.on("data", (d: Buffer) => (result.firstLine ||= d.toString("latin1").split("\r\n")[0]));
    socket.on("close", () => {
      if (!open.delete(socket)) return;
      result.closed += 1;
      result.lastClosedMs = Date.now() - started;
    });
    socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n`);
  }
  const drip = setInterval(() => {
    for (const socket of open) socket.write("X-Slow: 1\r\n");
  }, o.dripMs);
  while (open.size > 0 && Date.now() - started < o.limitMs) await new Promise((r) => setTimeout(r, 50));
  clearInterval(drip);
  result.stillOpen = open.size;
  for (const socket of [...open]) {
    open.delete(socket);
    socket.destroy();
  }
  return result;
}
