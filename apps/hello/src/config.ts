// Hello's settings from the environment, checked all at once before anything starts. Defaults and
// bounds come from the discovery client's own table, so the two cannot drift apart.
import { readMetricsSettings, type MetricsSettings } from "./emf";
import { EnvReader, type Env } from "./env";
import {
  CLIENT_DEFAULTS as D,
  OPTION_LIMITS as L,
  DISCOVERY_MODES,
  RECORD_TYPES,
  parseDnsServer,
  parseServiceUrl,
  type DiscoveryMode,
  type DnsServer,
  type RecordType,
  type ResolvedOptions,
} from "./discovery";

/**
 * The client options hello reads from its environment, names and types the client's own. An option
 * the client gains is a HelloConfig field too (the type check then asks for its variable), unless
 * it is left out here: what hello sets another way (URL, mode, DNS server) or never (the rest).
 */
export type ClientSettings = Omit<
  ResolvedOptions,
  "url" | "mode" | "dnsServers" | "maxSocketsPerTarget" | "log" | "now" | "random"
>;

export interface HelloConfig extends ClientSettings {
  port: number;
  host: string;
  taskName: string;
  nameServer: string;
  /** dns: hello's own DNS client; proxy: NAME_SERVER's host resolved by the OS (Service Connect). */
  discoveryMode: DiscoveryMode;
  /** undefined: the system resolvers. */
  dnsServer: DnsServer | undefined;
  /** Keep serving this long after SIGTERM (each answer closing its connection). */
  drainDelayMs: number;
  /** Bounds on a client sending its request head, and its whole request. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  drainTimeoutMs: number;
  /** EMF metrics on stdout (METRICS_INTERVAL_MS, METRICS_STACK). */
  metrics: MetricsSettings;
}

export type ConfigResult = { ok: true; config: HelloConfig } | { ok: false; errors: string[] };

export function parseHelloConfig(env: Env, hostname: string): ConfigResult {
  const read = new EnvReader(env);
  const int = (name: string, fallback: number, range: { min: number; max: number }): number =>
    read.int(name, fallback, range.min, range.max);
  const ttlMinSeconds = int("DISCOVERY_TTL_MIN_SECONDS", D.ttlMinSeconds, L.ttlMinSeconds);
  const ttlMaxSeconds = int("DISCOVERY_TTL_MAX_SECONDS", D.ttlMaxSeconds, L.ttlMaxSeconds);
  if (ttlMinSeconds > ttlMaxSeconds) {
    read.errors.push(
      `DISCOVERY_TTL_MIN_SECONDS (${ttlMinSeconds}) is invalid: expected at most DISCOVERY_TTL_MAX_SECONDS (${ttlMaxSeconds})`,
    );
  }
  const ejectionBaseMs = int("EJECTION_BASE_MS", D.ejection.baseMs, L.ejection.baseMs);
  const ejectionMaxMs = int("EJECTION_MAX_MS", D.ejection.maxMs, L.ejection.maxMs);
  if (ejectionBaseMs > ejectionMaxMs) {
    read.errors.push(
      `EJECTION_BASE_MS (${ejectionBaseMs}) is invalid: expected at most EJECTION_MAX_MS (${ejectionMaxMs})`,
    );
  }
  const config: HelloConfig = {
    port: read.int("PORT", 3000, 0, 65535),
    host: read.word("HOST", "0.0.0.0"),
    taskName: read.word("TASK_NAME", hostname),
    nameServer: read.parsed(
      "NAME_SERVER",
      "",
      parseServiceUrl,
      "an http:// URL such as http://name.internal:3000/",
      true,
    ),
    discoveryMode: read.oneOf<DiscoveryMode>("DISCOVERY_MODE", D.mode, DISCOVERY_MODES),
    dnsServer: read.parsed<DnsServer | undefined>(
      "DNS_SERVER",
      undefined,
      parseDnsServer,
      'an IP address, "ip:port" or "[ipv6]:port"',
    ),
    recordType: read.oneOf<RecordType>("DISCOVERY_RECORD_TYPE", D.recordType, RECORD_TYPES),
    ttlMinSeconds,
    ttlMaxSeconds,
    // A percentage in the environment, a fraction in the client.
    refreshAt:
      read.int(
        "DISCOVERY_REFRESH_AT_PERCENT",
        D.refreshAt * 100,
        L.refreshAt.min * 100,
        L.refreshAt.max * 100,
      ) / 100,
    dnsTimeoutMs: int("DNS_TIMEOUT_MS", D.dnsTimeoutMs, L.dnsTimeoutMs),
    maxTargets: int("DISCOVERY_MAX_TARGETS", D.maxTargets, L.maxTargets),
    maxDnsLookupsInFlight: int("DNS_MAX_LOOKUPS_IN_FLIGHT", D.maxDnsLookupsInFlight, L.maxDnsLookupsInFlight),
    connectTimeoutMs: int("CONNECT_TIMEOUT_MS", D.connectTimeoutMs, L.connectTimeoutMs),
    responseTimeoutMs: int("RESPONSE_TIMEOUT_MS", D.responseTimeoutMs, L.responseTimeoutMs),
    deadlineMs: int("REQUEST_DEADLINE_MS", D.deadlineMs, L.deadlineMs),
    maxResponseBytes: int("MAX_RESPONSE_BYTES", D.maxResponseBytes, L.maxResponseBytes),
    maxTries: int("MAX_TRIES", D.maxTries, L.maxTries),
    busySlack: int("BALANCER_BUSY_SLACK", D.busySlack, L.busySlack),
    ejection: {
      consecutiveFailures: int(
        "EJECTION_CONSECUTIVE_FAILURES",
        D.ejection.consecutiveFailures,
        L.ejection.consecutiveFailures,
      ),
      baseMs: ejectionBaseMs,
      maxMs: ejectionMaxMs,
      maxEjectionPercent: int(
        "EJECTION_MAX_PERCENT",
        D.ejection.maxEjectionPercent,
        L.ejection.maxEjectionPercent,
      ),
      jitter: D.ejection.jitter,
    },
    ...read.drain(),
    ...read.serverTimeouts(),
    metrics: readMetricsSettings(read),
  };
  return read.errors.length > 0 ? { ok: false, errors: read.errors } : { ok: true, config };
}
