// createServiceClient: HTTP calls to a service found through DNS, spread over its tasks, with
// timeouts, retries on another task, and passive outlier ejection.
import type http from "node:http";
import { tryOnce } from "./attempt";
import { systemDnsServers, formatDnsServer, type DnsServer } from "./dns-servers";
import { jsonLogger, type Logger } from "./logger";
import type { EjectionPolicy } from "./outlier";
import { TargetPool, type TargetMetrics } from "./pool";
import type { RecordType } from "./records";
import { TargetResolver, type DnsCounters, type ResolverStatus } from "./resolver";

export interface ServiceClientOptions {
  /** Base URL of the service, e.g. http://name.internal:3000/ (http only). */
  url: string;
  /** A (default): port from the URL. SRV: port from each record. */
  recordType?: RecordType;
  /** DNS servers to ask, in order; default: the system resolvers. */
  dnsServers?: readonly DnsServer[];
  ttlMinSeconds?: number;
  ttlMaxSeconds?: number;
  /** Refresh after this fraction of the clamped TTL, 0.5..1 (default 1: one query per TTL). */
  refreshAt?: number;
  dnsTimeoutMs?: number;
  connectTimeoutMs?: number;
  responseTimeoutMs?: number;
  /** Overall time for one request, all tries included. */
  deadlineMs?: number;
  maxTries?: number;
  ejection?: Partial<EjectionPolicy>;
  /** Skip a target with this many more requests in flight than the least busy one. */
  busySlack?: number;
  maxSocketsPerTarget?: number;
  log?: Logger;
}

export interface RequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: Buffer | string;
  deadlineMs?: number;
}

export interface ServiceResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** host:port of the task that answered. */
  target: string;
  tries: number;
}

export interface ClientMetrics extends DnsCounters {
  requests: number;
  retries: number;
  failures: number;
  ejections: number;
  discovery: ResolverStatus & { name: string; recordType: RecordType; dnsServers: string[]; targets: number };
  targets: Record<string, TargetMetrics>;
}

export interface ServiceClient {
  request(path: string, options?: RequestOptions): Promise<ServiceResponse>;
  metrics(): ClientMetrics;
  /** Resolves once the first DNS lookup finished (or after waitMs). */
  ready(waitMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** No task could answer: the message says why, for a 503 body. */
export class ServiceUnavailableError extends Error {
  constructor(
    message: string,
    readonly tries: number,
  ) {
    super(message);
    this.name = "ServiceUnavailableError";
  }
}

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

export const CLIENT_DEFAULTS = {
  recordType: "A" as RecordType,
  ttlMinSeconds: 1,
  ttlMaxSeconds: 60,
  refreshAt: 1,
  dnsTimeoutMs: 1000,
  connectTimeoutMs: 500,
  responseTimeoutMs: 1000,
  deadlineMs: 3000,
  maxTries: 3,
  busySlack: 8,
  maxSocketsPerTarget: 256,
  ejection: { consecutiveFailures: 3, baseMs: 2000, maxMs: 30_000, maxEjectionPercent: 50, jitter: 0.2 } as EjectionPolicy,
};

export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const o = { ...CLIENT_DEFAULTS, ...options, ejection: { ...CLIENT_DEFAULTS.ejection, ...options.ejection } };
  const log = options.log ?? jsonLogger;
  const base = new URL(o.url);
  if (base.protocol !== "http:") throw new Error(`service URL must be http://, got ${o.url}`);
  const hostname = base.hostname.replace(/^\[|\]$/g, "");
  const defaultPort = base.port === "" ? 80 : Number(base.port);
  const basePath = base.pathname.replace(/\/$/, "");
  const servers = options.dnsServers ?? systemDnsServers();

  const counters = { requests: 0, retries: 0, failures: 0, dnsQueries: 0, dnsRefreshes: 0, dnsFailures: 0, dnsTruncated: 0 };
  const pool = new TargetPool({ policy: o.ejection, busySlack: o.busySlack, maxSocketsPerTarget: o.maxSocketsPerTarget, log });
  const resolver = new TargetResolver({
    hostname,
    defaultPort,
    recordType: o.recordType,
    servers,
    ttlMinSeconds: o.ttlMinSeconds,
    ttlMaxSeconds: o.ttlMaxSeconds,
    refreshAt: o.refreshAt,
    dnsTimeoutMs: o.dnsTimeoutMs,
    onTargets: (targets) => pool.update(targets),
    log,
    counters,
  });
  resolver.start();

  async function request(path: string, ro: RequestOptions = {}): Promise<ServiceResponse> {
    counters.requests += 1;
    const started = Date.now();
    const deadline = started + (ro.deadlineMs ?? o.deadlineMs);
    const method = (ro.method ?? "GET").toUpperCase();
    const body = ro.body === undefined ? undefined : Buffer.from(ro.body);
    const headers = { ...ro.headers, host: base.host };
    const idempotent = IDEMPOTENT_METHODS.has(method);
    const reasons: string[] = [];
    const tried = new Set<string>();

    await resolver.ready(Math.max(0, deadline - Date.now()));
    for (let attempt = 0; attempt < o.maxTries; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        reasons.push(`deadline of ${ro.deadlineMs ?? o.deadlineMs} ms reached`);
        break;
      }
      const state = pool.pick(tried);
      if (!state) break;
      if (attempt > 0) counters.retries += 1;
      tried.add(state.key);
      pool.begin(state);
      const result = await tryOnce({
        host: state.target.host,
        port: state.target.port,
        agent: state.agent,
        method,
        path: basePath + (path.startsWith("/") ? path : `/${path}`),
        headers,
        body,
        connectTimeoutMs: Math.min(o.connectTimeoutMs, remaining),
        responseTimeoutMs: Math.min(o.responseTimeoutMs, remaining),
      });
      if (result.ok) {
        pool.succeed(state);
        return { ...result.response, target: state.key, tries: attempt + 1 };
      }
      pool.fail(state, result.reason);
      reasons.push(`${state.key}: ${result.reason}`);
      if (!idempotent && result.phase !== "connect") break; // it may have run: do not run it twice
    }
    counters.failures += 1;
    throw new ServiceUnavailableError(unavailableMessage(hostname, pool.size, resolver.status().lastError, reasons, Date.now() - started), tried.size);
  }

  return {
    request,
    ready: (waitMs = o.deadlineMs) => resolver.ready(waitMs),
    metrics: () => ({
      ...counters,
      ejections: pool.ejections,
      discovery: { name: hostname, recordType: o.recordType, dnsServers: servers.map(formatDnsServer), targets: pool.size, ...resolver.status() },
      targets: pool.metrics(),
    }),
    close: async () => {
      resolver.close();
      pool.close();
    },
  };
}

export function unavailableMessage(name: string, known: number, dnsError: string | null, reasons: readonly string[], elapsedMs: number): string {
  if (known === 0) {
    return dnsError ? `no ${name} task known: DNS lookup failed (${dnsError})` : `no ${name} task registered in DNS`;
  }
  return `no ${name} task answered (${reasons.length} ${reasons.length === 1 ? "try" : "tries"} in ${elapsedMs} ms: ${reasons.join("; ")})`;
}
