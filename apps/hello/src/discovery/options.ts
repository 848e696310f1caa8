// The client's options: their defaults and allowed ranges in one typed place (hello's environment
// parsing reads the same table), and the checks createServiceClient runs before doing anything.
import net from "node:net";
import type { DnsServer } from "./dns-servers";
import { InvalidOptionError } from "./errors";
import { silentLogger, type Logger } from "./logger";
import type { EjectionPolicy } from "./outlier";
import type { RecordType } from "./records";

/**
 * "dns": the client asks DNS itself (TTL-aware, SRV, one query per TTL) and balances over the
 * tasks, with retries on another task and ejection. "proxy": no DNS client of its own; every
 * request goes to the URL's host:port, resolved by the OS per connection (e.g. an ECS Service
 * Connect alias in /etc/hosts, whose proxy balances), through one keep-alive pool; timeouts,
 * deadline and tries still apply, ejection does not.
 */
export type DiscoveryMode = "dns" | "proxy";

export const RECORD_TYPES: readonly RecordType[] = ["A", "AAAA", "SRV"];
export const DISCOVERY_MODES: readonly DiscoveryMode[] = ["dns", "proxy"];

export interface ServiceClientOptions {
  /** Base URL of the service, e.g. http://name.internal:3000/ (http only). */
  url: string;
  /** Default "dns". */
  mode?: DiscoveryMode;
  /** A (default) or AAAA: port from the URL. SRV: port from each record, weights and priorities honoured. */
  recordType?: RecordType;
  /** DNS servers to ask, in order; default: the system resolvers. */
  dnsServers?: readonly DnsServer[];
  /** Lower clamp of the record TTL, seconds (a TTL of 0 would mean a query per request). */
  ttlMinSeconds?: number;
  /** Upper clamp of the record TTL, seconds. */
  ttlMaxSeconds?: number;
  /** Refresh after this fraction of the clamped TTL, 0.5..1 (1: one query per TTL). */
  refreshAt?: number;
  /** Per DNS exchange, per server. */
  dnsTimeoutMs?: number;
  /** Targets taken from one DNS answer at most (SRV: the lowest priorities; the rest are left out). */
  maxTargets?: number;
  /** SRV targets sent without an address are looked up, this many at once at most. */
  maxDnsLookupsInFlight?: number;
  /** Per try: until connected, or until a pooled connection is free. */
  connectTimeoutMs?: number;
  /** Per try: from connected to the whole response. */
  responseTimeoutMs?: number;
  /** Overall time for one request, all tries included. */
  deadlineMs?: number;
  /** Largest response body kept, bytes; a larger one ends the request with ResponseTooLargeError. */
  maxResponseBytes?: number;
  /** Tries per request, each on a different task (mode "dns"). */
  maxTries?: number;
  ejection?: Partial<EjectionPolicy>;
  /** Skip a target with this many more requests in flight than the least busy one. */
  busySlack?: number;
  /** Keep-alive connections per target at most. */
  maxSocketsPerTarget?: number;
  /** Where the client's few log lines go (target set changes, ejections, DNS failures). Default: nowhere. */
  log?: Logger;
  /** The clock (epoch ms) for ejections, deadlines and timestamps; timeouts still run on real timers. */
  now?: () => number;
  /** Uniform [0, 1) randomness for ejection jitter and SRV weighted choice. */
  random?: () => number;
}

export interface ResolvedOptions {
  url: string;
  mode: DiscoveryMode;
  recordType: RecordType;
  dnsServers: readonly DnsServer[] | undefined;
  ttlMinSeconds: number;
  ttlMaxSeconds: number;
  refreshAt: number;
  dnsTimeoutMs: number;
  maxTargets: number;
  maxDnsLookupsInFlight: number;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  deadlineMs: number;
  maxResponseBytes: number;
  maxTries: number;
  ejection: EjectionPolicy;
  busySlack: number;
  maxSocketsPerTarget: number;
  log: Logger;
  now: () => number;
  random: () => number;
}

type NumericOption =
  | "ttlMinSeconds"
  | "ttlMaxSeconds"
  | "refreshAt"
  | "dnsTimeoutMs"
  | "maxTargets"
  | "maxDnsLookupsInFlight"
  | "connectTimeoutMs"
  | "responseTimeoutMs"
  | "deadlineMs"
  | "maxResponseBytes"
  | "maxTries"
  | "busySlack"
  | "maxSocketsPerTarget";

export interface Range {
  min: number;
  max: number;
  integer: boolean;
}

export const CLIENT_DEFAULTS = {
  mode: "dns" as DiscoveryMode,
  recordType: "A" as RecordType,
  ttlMinSeconds: 1,
  ttlMaxSeconds: 60,
  refreshAt: 1,
  dnsTimeoutMs: 1000,
  // Cloud Map answers with 8 records at most; room for plain DNS with more, not for thousands.
  maxTargets: 64,
  // One round for Cloud Map's 8 SRV records when the answer carries no addresses (consul-aws's).
  maxDnsLookupsInFlight: 8,
  connectTimeoutMs: 500,
  responseTimeoutMs: 1000,
  deadlineMs: 3000,
  maxResponseBytes: 1_048_576,
  maxTries: 3,
  busySlack: 8,
  maxSocketsPerTarget: 256,
  ejection: {
    consecutiveFailures: 3,
    baseMs: 2000,
    maxMs: 30_000,
    maxEjectionPercent: 50,
    jitter: 0.2,
  },
} as const;

const int = (min: number, max: number): Range => ({ min, max, integer: true });

/** Allowed values of every numeric option (hello's variables use the same bounds). */
export const OPTION_LIMITS: { readonly [K in NumericOption]: Range } & {
  readonly ejection: { readonly [K in keyof EjectionPolicy]: Range };
} = {
  ttlMinSeconds: int(1, 3600),
  ttlMaxSeconds: int(1, 86_400),
  refreshAt: { min: 0.5, max: 1, integer: false },
  dnsTimeoutMs: int(10, 30_000),
  maxTargets: int(1, 1000),
  maxDnsLookupsInFlight: int(1, 64),
  connectTimeoutMs: int(1, 60_000),
  responseTimeoutMs: int(1, 600_000),
  deadlineMs: int(1, 600_000),
  maxResponseBytes: int(1, 268_435_456),
  maxTries: int(1, 10),
  busySlack: int(0, 1_000_000),
  maxSocketsPerTarget: int(1, 65_536),
  ejection: {
    consecutiveFailures: int(1, 1000),
    baseMs: int(1, 3_600_000),
    maxMs: int(1, 3_600_000),
    maxEjectionPercent: int(0, 100),
    jitter: { min: 0, max: 1, integer: false },
  },
};

export function describeRange(r: Range): string {
  return `${r.integer ? "an integer" : "a number"} from ${r.min} to ${r.max}`;
}

function checkNumber(option: string, value: unknown, r: Range): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < r.min ||
    value > r.max ||
    (r.integer && !Number.isInteger(value))
  ) {
    throw new InvalidOptionError(option, describeRange(r), value);
  }
  return value;
}

function checkFunction<T>(option: string, value: T | undefined, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "function") throw new InvalidOptionError(option, "a function", value);
  return value;
}

function checkChoice<T extends string>(
  option: string,
  value: T | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value)) throw new InvalidOptionError(option, `one of ${choices.join(", ")}`, value);
  return value;
}

/** An http:// URL with a host, no credentials, query or fragment; normalized, or undefined. */
export function parseServiceUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (
    url.protocol !== "http:" ||
    url.hostname === "" ||
    url.username !== "" ||
    url.password !== "" ||
    url.search !== "" ||
    url.hash !== ""
  )
    return undefined;
  return url.toString();
}

function checkDnsServers(value: readonly DnsServer[] | undefined): readonly DnsServer[] | undefined {
  if (value === undefined) return undefined;
  const expected = "an array of { host: an IP address, port: 1-65535 }";
  if (!Array.isArray(value)) throw new InvalidOptionError("dnsServers", expected, value);
  value.forEach((s: DnsServer, i) => {
    if (
      typeof s !== "object" ||
      s === null ||
      net.isIP(String(s.host)) === 0 ||
      !Number.isInteger(s.port) ||
      s.port < 1 ||
      s.port > 65535
    ) {
      throw new InvalidOptionError(`dnsServers[${i}]`, "{ host: an IP address, port: 1-65535 }", s);
    }
  });
  return value as readonly DnsServer[]; // Array.isArray narrowed it to any[]
}

/** Defaults applied and every option checked; throws InvalidOptionError naming the first bad one. */
export function resolveOptions(options: ServiceClientOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null)
    throw new InvalidOptionError("options", "an object with at least url", options);
  const D = CLIENT_DEFAULTS;
  const L = OPTION_LIMITS;
  const url = typeof options.url === "string" ? parseServiceUrl(options.url) : undefined;
  if (url === undefined)
    throw new InvalidOptionError(
      "url",
      "an http:// URL with a host and no credentials, query or fragment, e.g. http://name.internal:3000/",
      options.url,
    );
  const num = (option: NumericOption): number =>
    options[option] === undefined ? D[option] : checkNumber(option, options[option], L[option]);
  const e = options.ejection ?? {};
  if (typeof e !== "object" || e === null) throw new InvalidOptionError("ejection", "an object", e);
  const ejectionNum = (key: keyof EjectionPolicy): number =>
    e[key] === undefined ? D.ejection[key] : checkNumber(`ejection.${key}`, e[key], L.ejection[key]);

  const resolved: ResolvedOptions = {
    url,
    mode: checkChoice("mode", options.mode, DISCOVERY_MODES, D.mode),
    recordType: checkChoice("recordType", options.recordType, RECORD_TYPES, D.recordType),
    dnsServers: checkDnsServers(options.dnsServers),
    ttlMinSeconds: num("ttlMinSeconds"),
    ttlMaxSeconds: num("ttlMaxSeconds"),
    refreshAt: num("refreshAt"),
    dnsTimeoutMs: num("dnsTimeoutMs"),
    maxTargets: num("maxTargets"),
    maxDnsLookupsInFlight: num("maxDnsLookupsInFlight"),
    connectTimeoutMs: num("connectTimeoutMs"),
    responseTimeoutMs: num("responseTimeoutMs"),
    deadlineMs: num("deadlineMs"),
    maxResponseBytes: num("maxResponseBytes"),
    maxTries: num("maxTries"),
    busySlack: num("busySlack"),
    maxSocketsPerTarget: num("maxSocketsPerTarget"),
    ejection: {
      consecutiveFailures: ejectionNum("consecutiveFailures"),
      baseMs: ejectionNum("baseMs"),
      maxMs: ejectionNum("maxMs"),
      maxEjectionPercent: ejectionNum("maxEjectionPercent"),
      jitter: ejectionNum("jitter"),
    },
    log: checkFunction("log", options.log, silentLogger),
    now: checkFunction("now", options.now, Date.now),
    random: checkFunction("random", options.random, Math.random),
  };
  if (resolved.ttlMinSeconds > resolved.ttlMaxSeconds) {
    throw new InvalidOptionError(
      "ttlMinSeconds",
      `at most ttlMaxSeconds (${resolved.ttlMaxSeconds})`,
      resolved.ttlMinSeconds,
    );
  }
  if (resolved.ejection.baseMs > resolved.ejection.maxMs) {
    throw new InvalidOptionError(
      "ejection.baseMs",
      `at most ejection.maxMs (${resolved.ejection.maxMs})`,
      resolved.ejection.baseMs,
    );
  }
  return resolved;
}
