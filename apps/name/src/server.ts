import exit from "exit-x";
import os from "node:os";
import type { AddressInfo } from "node:net";
import { parseNameConfig, type NameConfig } from "./config";
import { createAppServer } from "./http-server";
import { MetricsReporter } from "./emf";
import { log } from "./log";
import { nameAnswer, pickName } from "./names";
import { drainOnSignals } from "./shutdown";

function startServer(config: NameConfig): void {
  let served = 0;
  const server = createAppServer(config, (req, res) => {
    drain.closeAfter(res);
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "Content-Type": "text/plain", Allow: "GET, HEAD" }).end("method not allowed\n");
    } else if (path === "/") {
      const answer = (): void => {
        served += 1;
        drain.closeAfter(res); // SIGTERM may have come while it waited
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
  // One EMF line per interval: GET / answered, the same count /metrics serves.
  const reporter = new MetricsReporter({
    service: "name",
    settings: config.metrics,
    task: config.taskName,
    read: () => served,
    values: (start: number, end: number) => ({ requests: end - start }),
  });
  const drain = drainOnSignals(server, {
    delayMs: config.drainDelayMs,
    timeoutMs: config.drainTimeoutMs,
    beforeExit: () => reporter.stop(),
  });
  server.on("error", (err) => {
    process.stderr.write(`name: cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { address, port } = server.address() as AddressInfo;
    log("listening", { app: "name", task: config.taskName, address, port, node: process.version });
  });
}

const parsed = parseNameConfig(process.env, os.hostname());
if (!parsed.ok) {
  process.stderr.write(`name: invalid configuration:\n${parsed.errors.map((e) => `  - ${e}`).join("\n")}\n`);
  exit(2);
} else {
  startServer(parsed.config);
}
