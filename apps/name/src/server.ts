import http from "node:http";
import os from "node:os";
import type { AddressInfo } from "node:net";
import { parseNameConfig, type NameConfig } from "./config";
import { MetricsReporter } from "./emf";
import { log } from "./log";
import { nameAnswer, pickName } from "./names";
import { drainOnSignals } from "./shutdown";

function startServer(config: NameConfig): void {
  let served = 0;
  const server = http.createServer((req, res) => {
    if (drain.draining) res.setHeader("Connection", "close");
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "Content-Type": "text/plain", Allow: "GET, HEAD" }).end("method not allowed\n");
    } else if (path === "/") {
      const answer = (): void => {
        served += 1;
        res
          .writeHead(200, { "Content-Type": "text/plain; charset=utf-8" })
          .end(nameAnswer(pickName(), config.taskName));
      };
      if (config.responseDelayMs > 0) setTimeout(answer, config.responseDelayMs);
      else answer();
    } else if (path === "/health") {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "ok" }));
    } else if (path === "/metrics") {
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify({ task: config.taskName, requests: served }));
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
  });
  // Longer than the callers' idle keep-alive so the server is not the side that closes a socket mid-reuse.
  server.keepAliveTimeout = 65_000;
  // One EMF line per interval: GET / answered, the same count /metrics serves.
  const reporter = new MetricsReporter({
    service: "name",
    settings: config.metrics,
    task: config.taskName,
    read: () => served,
    values: (start: number, end: number) => ({ requests: end - start }),
  });
  const drain = drainOnSignals(server, config.drainTimeoutMs, () => reporter.stop());
  server.on("error", (err) => {
    process.stderr.write(`name: cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { address, port } = server.address() as AddressInfo;
    log("listening", { app: "name", task: config.taskName, address, port });
  });
}

const parsed = parseNameConfig(process.env, os.hostname());
if (!parsed.ok) {
  process.stderr.write(`name: invalid configuration:\n${parsed.errors.map((e) => `  - ${e}`).join("\n")}\n`);
  process.exit(2);
}
startServer(parsed.config);
