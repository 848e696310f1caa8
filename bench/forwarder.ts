// `npm run bench:forwarder`: new TCP connections per second and their latency through the
// forwarder, through HAProxy doing the same SRV forwarding (server-template + resolvers), and
// straight to the instances, side by side in one run on loopback; medians over --runs.
//
// Each connection: connect, send "ping\n", read "pong <instance>\n", close (closed loop,
// --connections at once). Three instances on 127.0.1.1-3 in one process; the service registered in
// the Cloud Map stand-in as consul-aws registers it (SRV only). HAProxy resolves SRV only for a
// name that starts with "_" (`_service._proto.name`), which neither Cloud Map nor consul-aws
// creates (aws/containers-roadmap#448): for HAProxy the stand-in also answers the same records
// under `_vault._tcp.vault.internal`, a bench-only alias.
import exit from "exit-x";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { AppProcess } from "../local/topology/app-process";
import { consulAwsInstanceId } from "../local/topology/consul-import";
import { DnsServer } from "../local/cloudmap/dns-server";
import { freePort, waitUntil } from "../local/net-util";
import { median, table } from "./stats";

const INSTANCES = ["127.0.1.1", "127.0.1.2", "127.0.1.3"];
const TARGETS = ["direct", "forwarder", "haproxy"] as const;
type TargetName = (typeof TARGETS)[number];
const SERVICE_ID = "srv-benchforwarder01";
const ALIAS_SERVICE_ID = "srv-benchhaproxyal01";

interface Options {
  durationS: number;
  warmUpS: number;
  connections: number;
  runs: number;
}

interface Figures {
  perSecond: number;
  /** CPU ms the proxy process spent per connection (0 for direct). */
  cpuMsPerConnection: number;
  p50: number;
  p99: number;
  failed: number;
  spreadPercent: number;
}

const USAGE = `Usage: npm run bench:forwarder -- [--duration 5] [--warmup 1] [--connections 16] [--runs 3]`;

/** The options, or "help" for --help; a bad value throws, naming the flag and what is allowed. */
function options(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      connections: { type: "string", default: "16" },
      runs: { type: "string", default: "3" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";
  const int = (name: string, raw: string, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} ${raw} is invalid: expected an integer from ${min} to ${max}`);
    return n;
  };
  return {
    durationS: int("duration", values.duration, 1, 300),
    warmUpS: int("warmup", values.warmup, 0, 60),
    connections: int("connections", values.connections, 1, 512),
    runs: int("runs", values.runs, 1, 20),
  };
}

/** One connection's exchange; resolves with its latency in ms and the instance that answered. */
function exchange(host: string, port: number): Promise<{ ms: number; instance: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = net.connect({ host, port });
    let reply = "";
    socket.setEncoding("utf8");
    socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
    socket.once("connect", () => socket.write("ping\n"));
    socket.on("data", (d: string) => (reply += d));
    socket.once("error", reject);
    socket.once("close", () => {
      if (!reply.startsWith("pong ")) return reject(new Error(`no pong: ${JSON.stringify(reply)}`));
      resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, instance: reply.slice(5).trim() });
    });
  });
}

/** Closed loop: `connections` workers, each opening one connection after another until `until`. */
async function load(
  next: () => { host: string; port: number },
  connections: number,
  until: number,
): Promise<{ latencies: number[]; failed: number; byInstance: Map<string, number> }> {
  const latencies: number[] = [];
  const byInstance = new Map<string, number>();
  let failed = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) {
        const { host, port } = next();
        try {
          const { ms, instance } = await exchange(host, port);
          latencies.push(ms);
          byInstance.set(instance, (byInstance.get(instance) ?? 0) + 1);
        } catch {
          failed += 1;
        }
      }
    }),
  );
  return { latencies, failed, byInstance };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function haproxyConfig(dnsPort: number, listenPort: number, maxConnections: number): string {
  return `global
  maxconn ${maxConnections * 4}
defaults
  mode tcp
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
resolvers cloudmap
  nameserver standin 127.0.0.1:${dnsPort}
  accepted_payload_size 1232
  hold valid 5s
  timeout resolve 1s
  timeout retry 1s
frontend vault
  bind 127.0.0.1:${listenPort}
  default_backend vault
backend vault
  balance roundrobin
  server-template vault ${INSTANCES.length} _vault._tcp.vault.internal resolvers cloudmap init-addr none
`;
}

/** CPU seconds (user + system) a process has used, from /proc; 0 when it cannot be read. */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

/** Resident and peak memory of a process, kB, from /proc. */
function memoryOf(pid: number | undefined): { rssKb: number; peakKb: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssKb: field("VmRSS"), peakKb: field("VmHWM") };
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  let o: Options | "help";
  try {
    o = options(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (o === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-forwarder-"));
  const dns = new DnsServer({
    namespace: "internal",
    ttlSeconds: 5,
    services: ["vault", "_vault._tcp.vault"],
    srvOnlyServices: ["vault", "_vault._tcp.vault"],
    host: "127.0.0.1",
  });
  let backends: AppProcess | undefined;
  let forwarder: AppProcess | undefined;
  let haproxy: ChildProcess | undefined;
  const cleanup = async (): Promise<void> => {
    haproxy?.kill("SIGKILL");
    await Promise.all([backends?.kill(), forwarder?.kill()]);
    await dns.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await dns.start();
    const port = await freePort(INSTANCES[0]);
    backends = new AppProcess({
      label: "instances",
      script: path.join(__dirname, "tcp-backends.ts"),
      nodeArgs: ["-r", "ts-node/register/transpile-only"],
      env: { ADDRESSES: INSTANCES.join(","), PORT: String(port) },
      startTimeoutMs: 20_000,
    });
    await backends.listening;
    for (const ip of INSTANCES) {
      dns.register({
        id: consulAwsInstanceId(SERVICE_ID, ip, port),
        service: "vault",
        ip,
        port,
        healthy: true,
      });
      // The alias is another Cloud Map service (ids are per registry entry), the same instances.
      const aliasId = consulAwsInstanceId(ALIAS_SERVICE_ID, ip, port);
      dns.register({ id: aliasId, service: "_vault._tcp.vault", ip, port, healthy: true });
    }

    const forwarderPort = await freePort("127.0.0.1");
    forwarder = new AppProcess({
      label: "forwarder",
      script: path.resolve(__dirname, "..", "apps", "forwarder", "dist", "server.js"),
      nodeArgs: ["--max-old-space-size=64"], // as the image runs it
      env: {
        FORWARDS: `vault.internal=${forwarderPort}`,
        ADMIN_PORT: String(await freePort("127.0.0.1")),
        DNS_SERVER: `127.0.0.1:${dns.port}`,
      },
      startTimeoutMs: 20_000,
    });
    await forwarder.listening;

    const haproxyPort = await freePort("127.0.0.1");
    const cfg = path.join(dir, "haproxy.cfg");
    fs.writeFileSync(cfg, haproxyConfig(dns.port, haproxyPort, o.connections));
    haproxy = spawn("haproxy", ["-db", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
    let haproxyErr = "";
    haproxy.stderr?.on("data", (d: Buffer) => (haproxyErr += d.toString()));
    const ready = await waitUntil(
      async () => {
        try {
          await exchange("127.0.0.1", haproxyPort);
          return true;
        } catch {
          return false;
        }
      },
      15_000,
      200,
    );
    if (!ready) throw new Error(`HAProxy did not forward within 15 s:\n${haproxyErr}`);
    const haproxyVersion = /HAProxy version (\S+)/.exec(
      await new Promise<string>((resolve) => {
        const v = spawn("haproxy", ["-v"]);
        let out = "";
        v.stdout.on("data", (d: Buffer) => (out += d.toString()));
        v.on("close", () => resolve(out));
      }),
    )?.[1];

    let rr = 0;
    const endpoints: Record<TargetName, () => { host: string; port: number }> = {
      direct: () => ({ host: INSTANCES[rr++ % INSTANCES.length], port }),
      forwarder: () => ({ host: "127.0.0.1", port: forwarderPort }),
      haproxy: () => ({ host: "127.0.0.1", port: haproxyPort }),
    };
    const runs: Record<TargetName, Figures[]> = { direct: [], forwarder: [], haproxy: [] };
    for (let run = 0; run < o.runs; run++) {
      // The order rotates per run, so no target always runs on the warmest (or busiest) machine.
      const order = TARGETS.map((_, i) => TARGETS[(i + run) % TARGETS.length]);
      for (const target of order) {
        if (o.warmUpS > 0) await load(endpoints[target], o.connections, Date.now() + o.warmUpS * 1000);
        const proxyPid =
          target === "forwarder" ? forwarder.pid : target === "haproxy" ? haproxy.pid : undefined;
        const cpuBefore = cpuSecondsOf(proxyPid);
        const started = Date.now();
        const r = await load(endpoints[target], o.connections, started + o.durationS * 1000);
        const elapsedS = (Date.now() - started) / 1000;
        const sorted = r.latencies.sort((a, b) => a - b);
        const counts = INSTANCES.map((ip) => r.byInstance.get(ip) ?? 0);
        const even = sorted.length / INSTANCES.length;
        runs[target].push({
          perSecond: sorted.length / elapsedS,
          cpuMsPerConnection:
            sorted.length === 0 ? 0 : ((cpuSecondsOf(proxyPid) - cpuBefore) * 1000) / sorted.length,
          p50: quantile(sorted, 0.5),
          p99: quantile(sorted, 0.99),
          failed: r.failed,
          spreadPercent: even === 0 ? 0 : (Math.max(...counts.map((c) => Math.abs(c - even))) / even) * 100,
        });
        process.stdout.write(
          `run ${run + 1}/${o.runs} ${target}: ${(sorted.length / elapsedS).toFixed(0)} conn/s, p50 ${quantile(sorted, 0.5).toFixed(2)} ms\n`,
        );
        await sleep(300);
      }
    }

    const med = (t: TargetName, k: keyof Figures) => median(runs[t].map((f) => f[k]));
    const rows = [
      [
        "target",
        "conn/s",
        "of direct",
        "p50 ms",
        "+p50 ms",
        "p99 ms",
        "+p99 ms",
        "failed",
        "spread %",
        "proxy CPU ms/conn",
      ],
      ...TARGETS.map((t) => [
        t === "haproxy" ? `haproxy ${haproxyVersion ?? ""}`.trim() : t,
        med(t, "perSecond").toFixed(0),
        `${((med(t, "perSecond") / med("direct", "perSecond")) * 100).toFixed(0)} %`,
        med(t, "p50").toFixed(2),
        t === "direct" ? "–" : (med(t, "p50") - med("direct", "p50")).toFixed(2),
        med(t, "p99").toFixed(2),
        t === "direct" ? "–" : (med(t, "p99") - med("direct", "p99")).toFixed(2),
        String(med(t, "failed")),
        med(t, "spreadPercent").toFixed(1),
        t === "direct" ? "–" : med(t, "cpuMsPerConnection").toFixed(3),
      ]),
    ];
    process.stdout.write(
      `\nNew TCP connections (connect, one exchange, close), ${o.connections} at once, ${o.durationS} s per target, medians of ${o.runs} run(s), loopback, load average ${os.loadavg()[0].toFixed(1)}:\n${table(rows)}\n`,
    );
    const fm = memoryOf(forwarder.pid);
    const hm = memoryOf(haproxy.pid);
    if (fm)
      process.stdout.write(
        `forwarder memory: RSS ${(fm.rssKb / 1024).toFixed(1)} MiB, peak ${(fm.peakKb / 1024).toFixed(1)} MiB\n`,
      );
    if (hm)
      process.stdout.write(
        `haproxy memory:   RSS ${(hm.rssKb / 1024).toFixed(1)} MiB, peak ${(hm.peakKb / 1024).toFixed(1)} MiB\n`,
      );
  } finally {
    await cleanup();
  }
  return 0;
}

main().then(exit, (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  exit(1);
});
