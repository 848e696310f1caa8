import exit from "exit-x";
import http from "node:http";
import os from "node:os";
import type { AddressInfo } from "node:net";
import { parseHelloConfig, type HelloConfig } from "./config";
import { createAppServer } from "./http-server";
import { createServiceClient, type ServiceClient } from "./discovery";
import { ERROR_ANSWERS, errorAnswerFor, errorBody, type ErrorAnswerCode } from "./error-answers";
import { LatencyRecorder } from "./latency";
import { log } from "./log";
import { MetricsReporter } from "./emf";
import { helloIntervalValues, type HelloReading } from "./metrics-report";
import { drainOnSignals, type Drain } from "./shutdown";
import { throttle } from "./throttle";

const warnFailed = throttle(1000);
const TEXT = { "Content-Type": "text/plain; charset=utf-8" } as const;
const UNAVAILABLE = { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "1" } as const;

/** Answers with one of the fixed error codes; returns the status. */
function answerError(res: http.ServerResponse, code: ErrorAnswerCode): number {
  const { status } = ERROR_ANSWERS[code];
  res.writeHead(status, status === 503 ? UNAVAILABLE : TEXT).end(errorBody(code));
  return status;
}

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
  drain: Drain,
  stats: RootStats,
  startedMs: number,
): Promise<void> {
  let status: number;
  try {
    const answer = await client.request("/");
    drain.closeAfter(res); // SIGTERM may have come while name answered
    if (answer.status !== 200) {
      warnFailed((suppressed) =>
        log(
          "name answered with an error",
          { status: answer.status, target: answer.target, similarSinceLastLine: suppressed },
          "warn",
        ),
      );
      status = answerError(res, "NAME_BAD_STATUS");
    } else {
      res.writeHead((status = 200), TEXT).end(greeting(config.taskName, answer.body.toString("utf8").trim()));
    }
  } catch (err) {
    drain.closeAfter(res);
    const code = errorAnswerFor(err);
    // The detail (tasks, socket errors, limits) is for the log only.
    warnFailed((suppressed) =>
      log(
        "name call failed",
        {
          answer: code,
          error: err instanceof Error ? err.message : String(err),
          errorCode: (err as { code?: unknown }).code,
          similarSinceLastLine: suppressed,
        },
        code === "INTERNAL_ERROR" ? "error" : "warn",
      ),
    );
    status = answerError(res, code);
  }
  stats.answered(status, startedMs);
}

function clientFor(config: HelloConfig): ServiceClient {
  return createServiceClient({
    url: config.nameServer,
    ...config.discovery,
    dnsServers: config.dnsServer ? [config.dnsServer] : undefined,
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
  const server = createAppServer(config, (req, res) => {
    drain.closeAfter(res);
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "Content-Type": "text/plain", Allow: "GET, HEAD" }).end("method not allowed\n");
    } else if (path === "/health") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "ok" }));
    } else if (!client) {
      answerError(res, "STARTING");
    } else if (path === "/") {
      served += 1;
      void answerRoot(client, config, res, drain, rootStats, performance.now());
    } else if (path === "/metrics") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(reading(client)));
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
  });
  // The last partial interval's metrics are written before the process exits.
  const drain = drainOnSignals(server, {
    delayMs: config.drainDelayMs,
    timeoutMs: config.drainTimeoutMs,
    beforeExit: async () => {
      await reporter?.stop();
      await client?.close();
    },
  });
  server.on("error", (err) => {
    process.stderr.write(`hello: cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { address, port } = server.address() as AddressInfo;
    log("listening", {
      app: "hello",
      node: process.version,
      task: config.taskName,
      address,
      port,
      nameServer: config.nameServer,
      discoveryMode: config.discovery.mode,
      recordType: config.discovery.recordType,
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
    exit(2);
  } else {
    startServer(parsed.config);
  }
}
