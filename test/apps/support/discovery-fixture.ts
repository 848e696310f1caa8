// One discovery client test's world: a real DNS server on 127.0.0.1, task servers on 127.0.0.2+,
// and the client under test, started before and torn down after each test of the suite.
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  createServiceClient,
  type ServiceClient,
  type ServiceClientOptions,
} from "../../../apps/hello/src/discovery";
import { startTaskGroup, type TaskServer } from "./http-servers";
import { aRecord, soaRecord, TestDnsServer } from "./test-dns-server";

export const SERVICE = "name.internal";
export const quiet = (): void => {};

export class DiscoveryFixture {
  private server: TestDnsServer | undefined;
  /** Task servers closed after the test (a test that closes some itself may drop them from here). */
  tasks: TaskServer[] = [];
  /** Plain HTTP servers closed after the test. */
  servers: http.Server[] = [];
  client: ServiceClient | undefined;

  get dns(): TestDnsServer {
    if (!this.server) throw new Error("the fixture's DNS server runs only during a test");
    return this.server;
  }

  async setUp(): Promise<void> {
    this.server = await new TestDnsServer().start();
  }

  async tearDown(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
    await Promise.all(this.tasks.map((t) => t.close()));
    this.tasks = [];
    for (const s of this.servers) {
      s.closeAllConnections();
      s.close();
    }
    this.servers = [];
    await this.server?.stop();
    this.server = undefined;
  }

  async startTasks(n: number): Promise<TaskServer[]> {
    const group = await startTaskGroup(n);
    this.tasks.push(...group);
    return group;
  }

  /** DNS answers SERVICE's A query with the hosts `list` gives at the time; anything else NXDOMAIN. */
  serveA(list: () => readonly { host: string }[], ttl = 30): void {
    this.dns.handler = (q) =>
      q.type === "A" && q.name === SERVICE
        ? { answers: list().map((t) => aRecord(SERVICE, t.host, ttl)) }
        : { rcode: "NXDOMAIN", authorities: [soaRecord("internal", 1)] };
  }

  /** The client under test for http://SERVICE:port/, asking the fixture's DNS server. */
  connect(port: number, extra: Partial<ServiceClientOptions> = {}): ServiceClient {
    this.client = createServiceClient({
      url: `http://${SERVICE}:${port}/`,
      dnsServers: [{ host: "127.0.0.1", port: this.dns.port }],
      log: quiet,
      ...extra,
    });
    return this.client;
  }
}

/** A fixture set up before and torn down after each test of the calling suite. */
export function useDiscoveryFixture(): DiscoveryFixture {
  const fixture = new DiscoveryFixture();
  beforeEach(() => fixture.setUp());
  afterEach(() => fixture.tearDown());
  return fixture;
}

/** What a scripted task saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ScriptedTask {
  host: string;
  port: number;
  key: string;
  /** Every request that reached the task, whole body read, in arrival order. */
  seen: SeenRequest[];
}

/**
 * A task on `host` answering through `handler` once a request's body has arrived (a handler that
 * does not answer leaves the request hanging until the fixture closes the server).
 */
export async function startScriptedTask(
  fixture: DiscoveryFixture,
  host: string,
  handler: (seen: SeenRequest, res: http.ServerResponse) => void,
  port = 0,
): Promise<ScriptedTask> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  fixture.servers.push(server);
  const bound = (server.address() as AddressInfo).port;
  return { host, port: bound, key: `${host.includes(":") ? `[${host}]` : host}:${bound}`, seen };
}

/**
 * `count` scripted tasks on 127.0.0.2, .3, ... sharing one port (an A record carries no port);
 * a new port for all when another process holds it on a later address (bounded).
 */
export async function startScriptedGroup(
  fixture: DiscoveryFixture,
  count: number,
  handler: (task: number, seen: SeenRequest, res: http.ServerResponse) => void,
): Promise<ScriptedTask[]> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const first = await startScriptedTask(fixture, "127.0.0.2", (s, res) => handler(0, s, res));
    const group = [first];
    try {
      for (let i = 1; i < count; i++)
        group.push(
          await startScriptedTask(fixture, `127.0.0.${2 + i}`, (s, res) => handler(i, s, res), first.port),
        );
      return group;
    } catch (err) {
      lastError = err; // the servers started so far are closed with the fixture
    }
  }
  throw lastError;
}
