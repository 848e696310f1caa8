// The forwarder: for each service in FORWARDS, a listener on LISTEN_HOST:<port> whose connections go
// to an instance found through DNS SRV, plus an admin listener (GET /health, GET /metrics) on
// 127.0.0.1:ADMIN_PORT. On SIGTERM/SIGINT it stops accepting, lets open connections finish and
// exits 0 (1 when DRAIN_TIMEOUT_MS passes first). Bad configuration: every problem on stderr, exit 2.
import exit from "exit-x";
import http from "node:http";
import { parseForwarderConfig, type ForwarderConfig } from "./config";
import { createTargetSet } from "../../hello/src/discovery/connections";
import { ServiceForwarder } from "./forwarder";
import { log } from "./log";

function forwarders(config: ForwarderConfig): ServiceForwarder[] {
  return config.forwards.map(
    (f) =>
      new ServiceForwarder({
        name: f.name,
        targets: createTargetSet({
          name: f.name,
          recordType: "SRV",
          ...config.discovery,
          dnsServers: config.dnsServer ? [config.dnsServer] : undefined,
          log,
        }),
        listenHost: config.listenHost,
        listenPort: f.port,
        connectTimeoutMs: config.discovery.connectTimeoutMs,
        maxTries: config.discovery.maxTries,
        maxConnections: config.maxConnections,
        idleTimeoutMs: config.idleTimeoutMs,
        log,
      }),
  );
}

function adminServer(all: ServiceForwarder[], state: { ready: boolean; draining: boolean }): http.Server {
  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  return http.createServer((req, res) => {
    if (req.method !== "GET") return json(res, 405, { error: "GET only" });
    if (req.url === "/health")
      return state.ready && !state.draining
        ? json(res, 200, { status: "ok" })
        : json(res, 503, { status: state.draining ? "draining" : "starting" });
    if (req.url === "/metrics") return json(res, 200, { forwards: all.map((f) => f.metrics()) });
    json(res, 404, { error: "not found: GET /health or /metrics" });
  });
}

async function main(): Promise<void> {
  const parsed = parseForwarderConfig(process.env);
  if (!parsed.ok) {
    for (const e of parsed.errors) process.stderr.write(`${e}\n`);
    return exit(2);
  }
  const { config } = parsed;
  const all = forwarders(config);
  const state = { ready: false, draining: false };
  const admin = adminServer(all, state);
  await Promise.all(all.map((f) => f.listen()));
  await new Promise<void>((resolve) => admin.listen(config.adminPort, "127.0.0.1", resolve));
  const adminPort = (admin.address() as { port: number }).port;
  // The first lookups, so the app's first connection does not race them (healthy only after).
  await Promise.all(all.map((f) => f.ready(config.discovery.dnsTimeoutMs * 2)));
  state.ready = true;
  log("listening", {
    address: "127.0.0.1",
    port: adminPort,
    forwards: all.map((f) => ({ name: f.metrics().name, listen: f.metrics().listen, targets: f.targets })),
  });

  const drain = (signal: string): void => {
    if (state.draining) return;
    state.draining = true;
    const started = Date.now();
    const open = all.reduce((n, f) => n + f.metrics().active, 0);
    log("draining", { signal, timeoutMs: config.drainTimeoutMs, open });
    const timer = setTimeout(() => {
      log("drain timed out; closing remaining connections", { timeoutMs: config.drainTimeoutMs }, "warn");
      for (const f of all) f.destroyAll();
      exit(1);
    }, config.drainTimeoutMs);
    timer.unref();
    void Promise.all(all.map((f) => f.close())).then(() => {
      log("drained", { ms: Date.now() - started });
      exit(0);
    });
  };
  process.on("SIGTERM", () => drain("SIGTERM"));
  process.on("SIGINT", () => drain("SIGINT"));
}

main().catch((err: unknown) => {
  log("start failed", { error: err instanceof Error ? err.message : String(err) }, "error");
  exit(1);
});
