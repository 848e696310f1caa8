import http from "node:http";
import os from "node:os";
import type { AddressInfo } from "node:net";
import { parseHelloConfig, type HelloConfig } from "./config";
import { createServiceClient, ServiceUnavailableError, type ServiceClient } from "./discovery";
import { LatencyRecorder } from "./latency";
import { log } from "./log";
import { MetricsReporter } from "./emf";
import { helloIntervalValues, type HelloReading } from "./metrics-report";
import { drainOnSignals } from "./shutdown";
import { throttle } from "./throttle";

const warnUnavailable = throttle(1000);
const TEXT = { "Content-Type": "text/plain; charset=utf-8" } as const;
const UNAVAILABLE = { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "1" } as const;

export function greeting(taskName: string, nameAnswer: string): string {
  return `Hello (from ${taskName}) ${nameAnswer}`;
}

/**
 * GET / answers by status and their latency, for /metrics (the live view reads them). Counted
 * where the answer is written, from a plain millisecond clock: no listener, closure or BigInt
 * per request.
 */
class RootStats {
  readonly latency = new LatencyRecorder();
  private readonly byStatus = new Float64Array(600);

  answered(status: number, startedMs: number): void {
    this.latency.record(performance.now() - startedMs);
    this.byStatus[status] += 1;
  }

  /** { "200": n, ... } for the statuses answered so far. */
  responses(): Record<string, number> {
    const out: Record<string, number> = {};
    this.byStatus.forEach((n, status) => {
      if (n > 0) out[status] = n;
    });
    return out;
  }
}

async function answerRoot(
  client: ServiceClient,
  config: HelloConfig,
  res: http.ServerResponse,
  stats: RootStats,
  startedMs: number,
): Promise<void> {
  let status: number;
  try {
    const answer = await client.request("/");
    if (answer.status !== 200) {
      res.writeHead((status = 502), TEXT).end(`name answered HTTP ${answer.status}\n`);
    } else {
      res.writeHead((status = 200), TEXT).end(greeting(config.taskName, answer.body.toString("utf8").trim()));
    }
  } catch (err) {
    const message =
      err instanceof ServiceUnavailableError ? err.message : `unexpected error: ${(err as Error).message}`;
    warnUnavailable((suppressed) =>
      log("name unavailable", { error: message, similarSinceLastLine: suppressed }, "warn"),
    );
    res.writeHead((status = 503), UNAVAILABLE).end(`503 Service Unavailable: ${message}\n`);
  }
  stats.answered(status, startedMs);
}

function clientFor(config: HelloConfig): ServiceClient {
  return createServiceClient({
    url: config.nameServer,
    mode: config.discoveryMode,
    recordType: config.recordType,
    dnsServers: config.dnsServer ? [config.dnsServer] : undefined,
    ttlMinSeconds: config.ttlMinSeconds,
    ttlMaxSeconds: config.ttlMaxSeconds,
    refreshAt: config.refreshAt,
    dnsTimeoutMs: config.dnsTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    responseTimeoutMs: config.responseTimeoutMs,
    deadlineMs: config.deadlineMs,
    maxTries: config.maxTries,
    busySlack: config.busySlack,
    ejection: config.ejection,
    log,
  });
}

function startServer(config: HelloConfig): void {
  // Created once bound, so "listening" is the first log line; no request can arrive before that.
  let client: ServiceClient | undefined;
  let reporter: MetricsReporter<HelloReading> | undefined;
  let served = 0;
  const rootStats = new RootStats();
  /** What /metrics serves; the EMF lines are differences of two of these. */
  const reading = (c: ServiceClient) => ({
    task: config.taskName,
    served,
    ...c.metrics(),
    responses: rootStats.responses(),
    latencyMs: rootStats.latency.snapshot(),
  });
  const server = http.createServer((req, res) => {
    if (drain.draining) res.setHeader("Connection", "close");
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "Content-Type": "text/plain", Allow: "GET, HEAD" }).end("method not allowed\n");
    } else if (path === "/health") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "ok" }));
    } else if (!client) {
      res.writeHead(503, { "Content-Type": "text/plain" }).end("starting\n");
    } else if (path === "/") {
      served += 1;
      void answerRoot(client, config, res, rootStats, performance.now());
    } else if (path === "/metrics") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(reading(client)));
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
  });
  server.keepAliveTimeout = 65_000;
  // The last partial interval's metrics are written before the process exits.
  const drain = drainOnSignals(server, config.drainTimeoutMs, async () => {
    await reporter?.stop();
    await client?.close();
  });
  server.on("error", (err) => {
    process.stderr.write(`hello: cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { address, port } = server.address() as AddressInfo;
    log("listening", {
      app: "hello",
      task: config.taskName,
      address,
      port,
      nameServer: config.nameServer,
      discoveryMode: config.discoveryMode,
      recordType: config.recordType,
    });
    const started = clientFor(config);
    client = started;
    reporter = new MetricsReporter<HelloReading>({
      service: "hello",
      settings: config.metrics,
      task: config.taskName,
      read: () => reading(started),
      values: helloIntervalValues,
    });
  });
}

if (require.main === module) {
  const parsed = parseHelloConfig(process.env, os.hostname());
  if (!parsed.ok) {
    process.stderr.write(
      `hello: invalid configuration:\n${parsed.errors.map((e) => `  - ${e}`).join("\n")}\n`,
    );
    process.exit(2);
  }
  startServer(parsed.config);
}
