// Entry point of the "Cloud Map" container of `npm run images`: the local DNS server for the
// namespace on DNS_PORT (UDP+TCP), and Cloud Map's instance API on PORT for the orchestrator that
// plays ECS. It answers GET /health on PORT too, so the hello image's HEALTHCHECK (which it runs
// from) reports on it. Stops on SIGTERM/SIGINT.
import exit from "exit-x";
import * as http from "node:http";
import { cloudMapCall } from "./api";
import { DnsServer } from "./dns-server";

interface Settings {
  namespace: string;
  services: string[];
  /** Services with SRV records only, as consul-aws creates the ones it imports from Consul. */
  srvOnlyServices: string[];
  ttlSeconds: number;
  dnsPort: number;
  apiPort: number;
}

/** The settings, or every problem with them. */
function readSettings(env: NodeJS.ProcessEnv): Settings | { errors: string[] } {
  const errors: string[] = [];
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max)
      errors.push(`${key} must be an integer ${min}-${max}, got "${raw}"`);
    return value;
  };
  const list = (raw: string): string[] =>
    raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const settings = {
    namespace: env.NAMESPACE || "internal",
    services: list(env.SERVICES || "name"),
    srvOnlyServices: list(env.SRV_ONLY_SERVICES ?? ""),
    ttlSeconds: int("TTL_SECONDS", 5, 0, 3600),
    dnsPort: int("DNS_PORT", 53, 1, 65535),
    apiPort: int("PORT", 8080, 1, 65535),
  };
  const unknown = settings.srvOnlyServices.filter((s) => !settings.services.includes(s));
  if (unknown.length > 0)
    errors.push(
      `SRV_ONLY_SERVICES must name services of SERVICES (${settings.services.join(",")}), got ${unknown.join(",")}`,
    );
  return errors.length > 0 ? { errors } : settings;
}

const log = (msg: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), msg, app: "cloudmap", ...fields })}\n`,
  );
};

async function main(): Promise<void> {
  const s = readSettings(process.env);
  if ("errors" in s) {
    process.stderr.write(`cloudmap: invalid configuration:\n${s.errors.map((e) => `  - ${e}`).join("\n")}\n`);
    return exit(2);
  }
  const dns = new DnsServer({
    namespace: s.namespace,
    ttlSeconds: s.ttlSeconds,
    services: s.services,
    srvOnlyServices: s.srvOnlyServices,
    host: "0.0.0.0",
    port: s.dnsPort,
    log: (msg, fields) => log(msg, fields),
  });
  await dns.start();

  const api = http.createServer((req, res) => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { "Content-Type": "application/x-amz-json-1.1" }).end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/health") return reply(200, { status: "ok" });
    if (req.method !== "POST") return reply(405, { message: "POST / with X-Amz-Target" });
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (raw += chunk));
    req.on("end", () => {
      const target = req.headers["x-amz-target"];
      const result = cloudMapCall(dns, s.services, Array.isArray(target) ? target[0] : target, raw);
      if (result.status === 200 && !String(target).endsWith("ListInstances"))
        log(String(target).split(".").pop() ?? "", { body: raw });
      reply(result.status, result.body);
    });
  });
  await new Promise<void>((resolve) => api.listen(s.apiPort, "0.0.0.0", resolve));
  log("listening", { namespace: s.namespace, dnsPort: dns.port, apiPort: s.apiPort });

  const stop = (signal: string): void => {
    log("stopping", { signal });
    api.close();
    api.closeAllConnections();
    void dns.stop().then(() => exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((err: Error) => {
  process.stderr.write(`cloudmap: ${err.message}\n`);
  exit(1);
});
