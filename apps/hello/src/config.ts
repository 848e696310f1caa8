// Hello's settings from the environment, checked all at once before anything starts.
import { EnvReader, type Env } from "./env";
import { parseDnsServer, type DnsServer, type RecordType } from "./discovery";
import type { EjectionPolicy } from "./discovery";

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
  const ttlMinSeconds = read.int("DISCOVERY_TTL_MIN_SECONDS", 1, 1, 3600);
  const ttlMaxSeconds = read.int("DISCOVERY_TTL_MAX_SECONDS", 60, 1, 86_400);
  if (ttlMinSeconds > ttlMaxSeconds) {
    read.errors.push(`DISCOVERY_TTL_MIN_SECONDS (${ttlMinSeconds}) is invalid: expected at most DISCOVERY_TTL_MAX_SECONDS (${ttlMaxSeconds})`);
  }
  const ejectionBaseMs = read.int("EJECTION_BASE_MS", 2000, 1, 3_600_000);
  const ejectionMaxMs = read.int("EJECTION_MAX_MS", 30_000, 1, 3_600_000);
  if (ejectionBaseMs > ejectionMaxMs) {
    read.errors.push(`EJECTION_BASE_MS (${ejectionBaseMs}) is invalid: expected at most EJECTION_MAX_MS (${ejectionMaxMs})`);
  }
  const config: HelloConfig = {
    port: read.int("PORT", 3000, 0, 65535),
    host: read.word("HOST", "0.0.0.0"),
    taskName: read.word("TASK_NAME", hostname),
    nameServer: read.parsed("NAME_SERVER", "", parseServiceUrl, "an http:// URL such as http://name.internal:3000/", true),
    dnsServer: read.parsed<DnsServer | undefined>("DNS_SERVER", undefined, parseDnsServer, 'an IP address, "ip:port" or "[ipv6]:port"'),
    recordType: read.oneOf<RecordType>("DISCOVERY_RECORD_TYPE", "A", ["A", "SRV"]),
    ttlMinSeconds,
    ttlMaxSeconds,
    refreshAt: read.int("DISCOVERY_REFRESH_AT_PERCENT", 100, 50, 100) / 100,
    dnsTimeoutMs: read.int("DNS_TIMEOUT_MS", 1000, 10, 30_000),
    connectTimeoutMs: read.int("CONNECT_TIMEOUT_MS", 500, 1, 60_000),
    responseTimeoutMs: read.int("RESPONSE_TIMEOUT_MS", 1000, 1, 600_000),
    deadlineMs: read.int("REQUEST_DEADLINE_MS", 3000, 1, 600_000),
    maxTries: read.int("MAX_TRIES", 3, 1, 10),
    busySlack: read.int("BALANCER_BUSY_SLACK", 4, 0, 1_000_000),
    ejection: {
      consecutiveFailures: read.int("EJECTION_CONSECUTIVE_FAILURES", 3, 1, 1000),
      baseMs: ejectionBaseMs,
      maxMs: ejectionMaxMs,
      maxEjectionPercent: read.int("EJECTION_MAX_PERCENT", 50, 0, 100),
      jitter: 0.2,
    },
    drainTimeoutMs: read.int("DRAIN_TIMEOUT_MS", 10_000, 0, 600_000),
  };
  return read.errors.length > 0 ? { ok: false, errors: read.errors } : { ok: true, config };
}
