// Hello's settings from the environment, checked all at once before anything starts.
import { EnvReader, type Env } from "./env";
import { CLIENT_DEFAULTS as D, parseDnsServer, type DnsServer, type EjectionPolicy, type RecordType } from "./discovery";

export interface HelloConfig {
  port: number;
  host: string;
  taskName: string;
  nameServer: string;
  /** undefined: the system resolvers. */
  dnsServer: DnsServer | undefined;
  recordType: RecordType;
  ttlMinSeconds: number;
  ttlMaxSeconds: number;
  refreshAt: number;
  dnsTimeoutMs: number;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  deadlineMs: number;
  maxTries: number;
  busySlack: number;
  ejection: EjectionPolicy;
  drainTimeoutMs: number;
}

export type ConfigResult = { ok: true; config: HelloConfig } | { ok: false; errors: string[] };

/** An http:// URL with a host name or address, no credentials, query or fragment. */
export function parseServiceUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" || url.hostname === "" || url.username !== "" || url.search !== "" || url.hash !== "") return undefined;
  return url.toString();
}

export function parseHelloConfig(env: Env, hostname: string): ConfigResult {
  const read = new EnvReader(env);
  const ttlMinSeconds = read.int("DISCOVERY_TTL_MIN_SECONDS", D.ttlMinSeconds, 1, 3600);
  const ttlMaxSeconds = read.int("DISCOVERY_TTL_MAX_SECONDS", D.ttlMaxSeconds, 1, 86_400);
  if (ttlMinSeconds > ttlMaxSeconds) {
    read.errors.push(`DISCOVERY_TTL_MIN_SECONDS (${ttlMinSeconds}) is invalid: expected at most DISCOVERY_TTL_MAX_SECONDS (${ttlMaxSeconds})`);
  }
  const ejectionBaseMs = read.int("EJECTION_BASE_MS", D.ejection.baseMs, 1, 3_600_000);
  const ejectionMaxMs = read.int("EJECTION_MAX_MS", D.ejection.maxMs, 1, 3_600_000);
  if (ejectionBaseMs > ejectionMaxMs) {
    read.errors.push(`EJECTION_BASE_MS (${ejectionBaseMs}) is invalid: expected at most EJECTION_MAX_MS (${ejectionMaxMs})`);
  }
  const config: HelloConfig = {
    port: read.int("PORT", 3000, 0, 65535),
    host: read.word("HOST", "0.0.0.0"),
    taskName: read.word("TASK_NAME", hostname),
    nameServer: read.parsed("NAME_SERVER", "", parseServiceUrl, "an http:// URL such as http://name.internal:3000/", true),
    dnsServer: read.parsed<DnsServer | undefined>("DNS_SERVER", undefined, parseDnsServer, 'an IP address, "ip:port" or "[ipv6]:port"'),
    recordType: read.oneOf<RecordType>("DISCOVERY_RECORD_TYPE", D.recordType, ["A", "SRV"]),
    ttlMinSeconds,
    ttlMaxSeconds,
    refreshAt: read.int("DISCOVERY_REFRESH_AT_PERCENT", D.refreshAt * 100, 50, 100) / 100,
    dnsTimeoutMs: read.int("DNS_TIMEOUT_MS", D.dnsTimeoutMs, 10, 30_000),
    connectTimeoutMs: read.int("CONNECT_TIMEOUT_MS", D.connectTimeoutMs, 1, 60_000),
    responseTimeoutMs: read.int("RESPONSE_TIMEOUT_MS", D.responseTimeoutMs, 1, 600_000),
    deadlineMs: read.int("REQUEST_DEADLINE_MS", D.deadlineMs, 1, 600_000),
    maxTries: read.int("MAX_TRIES", D.maxTries, 1, 10),
    busySlack: read.int("BALANCER_BUSY_SLACK", D.busySlack, 0, 1_000_000),
    ejection: {
      consecutiveFailures: read.int("EJECTION_CONSECUTIVE_FAILURES", D.ejection.consecutiveFailures, 1, 1000),
      baseMs: ejectionBaseMs,
      maxMs: ejectionMaxMs,
      maxEjectionPercent: read.int("EJECTION_MAX_PERCENT", D.ejection.maxEjectionPercent, 0, 100),
      jitter: D.ejection.jitter,
    },
    drainTimeoutMs: read.int("DRAIN_TIMEOUT_MS", 10_000, 0, 600_000),
  };
  return read.errors.length > 0 ? { ok: false, errors: read.errors } : { ok: true, config };
}
