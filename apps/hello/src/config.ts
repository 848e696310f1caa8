// Hello's settings from the environment, checked all at once before anything starts. The discovery
// client's variables, defaults and bounds come from the client's own table, so the two cannot drift apart.
import { readMetricsSettings, type MetricsSettings } from "./emf";
import { EnvReader, type Env } from "./env";
import {
  ENV_OPTION_NAMES,
  parseDnsServer,
  parseServiceUrl,
  readOptionsFromEnv,
  type DnsServer,
  type EnvOptionName,
  type TableOptions,
} from "./discovery";

/**
 * The client options hello reads from its environment: every option of the client's table
 * (discovery/options.ts) that has a variable, with the table's default and bounds.
 */
export type DiscoverySettings = Pick<TableOptions, EnvOptionName>;

/** The discovery options hello reads, and its own defaults for them (none: the table's). */
export const HELLO_DISCOVERY = { names: ENV_OPTION_NAMES, defaults: {} } as const;

export interface HelloConfig {
  port: number;
  host: string;
  taskName: string;
  nameServer: string;
  /** undefined: the system resolvers. */
  dnsServer: DnsServer | undefined;
  /** The discovery client's options (mode dns: hello's own DNS client; proxy: the OS resolves NAME_SERVER). */
  discovery: DiscoverySettings;
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
    dnsServer: read.parsed<DnsServer | undefined>(
      "DNS_SERVER",
      undefined,
      parseDnsServer,
      'an IP address, "ip:port" or "[ipv6]:port"',
    ),
    discovery: readOptionsFromEnv(read, HELLO_DISCOVERY.names, HELLO_DISCOVERY.defaults),
    ...read.drain(),
    ...read.serverTimeouts(),
    metrics: readMetricsSettings(read),
  };
  return read.errors.length > 0 ? { ok: false, errors: read.errors } : { ok: true, config };
}
