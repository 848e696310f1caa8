// Real HTTP servers on loopback addresses (127.0.0.2, .3, ...) standing in for name tasks inside
// one test process.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface TaskServer {
  host: string;
  port: number;
  key: string;
  /** GET / served. */
  served: number;
  /** While true the server accepts requests and never answers them (a hung task). */
  hang: boolean;
  close(): Promise<void>;
}

/** Starts a task answering "<name> (from <host>)"; port 0 = a free one. */
export async function startTaskServer(host: string, port = 0): Promise<TaskServer> {
  const stuck = new Set<http.ServerResponse>();
  const task: TaskServer = {
    host,
    port: 0,
    key: "",
    served: 0,
    hang: false,
    close: async () => {
      for (const res of stuck) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    if (task.hang) {
      stuck.add(res);
      return;
    }
    if (req.method === "POST") {
      res.writeHead(500).end("boom");
      return;
    }
    task.served += 1;
    res.writeHead(200, { "Content-Type": "text/plain" }).end(`Test (from ${host})`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  task.port = (server.address() as AddressInfo).port;
  task.key = `${host}:${task.port}`;
  return task;
}

/**
 * Tasks on consecutive loopback addresses sharing one port, like the topology's name tasks. The
 * port is free on the first address only, so another process may hold it on the next ones: then
 * all start again on a new port (bounded).
 */
export async function startTaskGroup(count: number, firstHost = 2): Promise<TaskServer[]> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const group: TaskServer[] = [await startTaskServer(`127.0.0.${firstHost}`)];
    try {
      for (let i = 1; i < count; i++)
        group.push(await startTaskServer(`127.0.0.${firstHost + i}`, group[0].port));
      return group;
    } catch (err) {
      lastError = err;
      await Promise.all(group.map((t) => t.close()));
    }
  }
  throw lastError;
}
