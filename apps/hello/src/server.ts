import http from "node:http";
import os from "node:os";
import type { AddressInfo } from "node:net";
import { parseHelloConfig, type HelloConfig } from "./config";
import { createServiceClient, ServiceUnavailableError, type ServiceClient } from "./discovery";
import { LatencyRecorder } from "./latency";
import { log } from "./log";
import { drainOnSignals } from "./shutdown";
import { throttle } from "./throttle";

const warnUnavailable = throttle(1000);

export function greeting(taskName: string, nameAnswer: string): string {
  return `Hello (from ${taskName}) ${nameAnswer}`;
}

/** GET / answers by status and their latency, for /metrics (the live view reads them). */
class RootStats {
  readonly latency = new LatencyRecorder();
  readonly responses: Record<string, number> = {};

  watch(res: http.ServerResponse): void {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      this.latency.record(Number(process.hrtime.bigint() - started) / 1e6);
      this.responses[res.statusCode] = (this.responses[res.statusCode] ?? 0) + 1;
    });
  }
}

async function answerRoot(client: ServiceClient, config: HelloConfig, res: http.ServerResponse): Promise<void> {
  try {
    const answer = await client.request("/");
    if (answer.status !== 200) {
      res.writeHead(502, { "Content-Type": "text/plain; charset=utf-8" }).end(`name answered HTTP ${answer.status}\n`);
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end(greeting(config.taskName, answer.body.toString("utf8").trim()));
  } catch (err) {
    const message = err instanceof ServiceUnavailableError ? err.message : `unexpected error: ${(err as Error).message}`;
    warnUnavailable((suppressed) => log("name unavailable", { error: message, similarSinceLastLine: suppressed }, "warn"));
    res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "1" }).end(`503 Service Unavailable: ${message}\n`);
  }
}

function clientFor(config: HelloConfig): ServiceClient {
  return createServiceClient({
    url: config.nameServer,
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
  let served = 0;
  const rootStats = new RootStats();
  const server = http.createServer((req, res) => {
    if (drain.draining) res.setHeader("Connection", "close");
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "Content-Type": "text/plain", Allow: "GET, HEAD" }).end("method not allowed\n");
    } else if (path === "/health") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "ok" }));
    } else if (!client) {
      res.writeHead(503, { "Content-Type": "text/plain" }).end("starting\n");
    } else if (path === "/") {
      served += 1;
      rootStats.watch(res);
      void answerRoot(client, config, res);
    } else if (path === "/metrics") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ task: config.taskName, served, ...client.metrics(), responses: rootStats.responses, latencyMs: rootStats.latency.snapshot() }));
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
  });
  server.keepAliveTimeout = 65_000;
  const drain = drainOnSignals(server, config.drainTimeoutMs, async () => client?.close());
  server.on("error", (err) => {
    process.stderr.write(`hello: cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { address, port } = server.address() as AddressInfo;
    log("listening", { app: "hello", task: config.taskName, address, port, nameServer: config.nameServer, recordType: config.recordType });
    client = clientFor(config);
  });
}

if (require.main === module) {
  const parsed = parseHelloConfig(process.env, os.hostname());
  if (!parsed.ok) {
    process.stderr.write(`hello: invalid configuration:\n${parsed.errors.map((e) => `  - ${e}`).join("\n")}\n`);
    process.exit(2);
  }
  startServer(parsed.config);
}
