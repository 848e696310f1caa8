// The forwarder's settings from the environment, checked all at once before anything starts.
// The discovery variables are read by the discovery library's own table and reader, as hello's are.
import net from "node:net";
import { EnvReader, type Env } from "../../hello/src/env";
import {
  CONNECTION_OPTION_NAMES,
  parseDnsServer,
  readOptionsFromEnv,
  type ConnectionOptionName,
  type DnsServer,
  type TableOptions,
} from "../../hello/src/discovery/connections";

/** One service to forward: connections to listenHost:port go to an instance of `name` (DNS SRV). */
export interface Forward {
  name: string;
  port: number;
}

/**
 * The discovery options the forwarder reads: every option of the target set (DNS, balancing,
 * ejection), plus the client's connect timeout and tries, which its own connects use.
 */
export const FORWARDER_DISCOVERY = {
  names: [...CONNECTION_OPTION_NAMES, "connectTimeoutMs", "maxTries"],
  // A TCP connect across the VPC, not an HTTP answer: a second before trying another instance.
  defaults: { connectTimeoutMs: 1000 },
} as const;

export type DiscoverySettings = Pick<TableOptions, ConnectionOptionName | "connectTimeoutMs" | "maxTries">;

export interface ForwarderConfig {
  forwards: Forward[];
  listenHost: string;
  adminPort: number;
  dnsServer: DnsServer | undefined;
  discovery: DiscoverySettings;
  maxConnections: number;
  idleTimeoutMs: number;
  drainTimeoutMs: number;
}

export type ConfigResult = { ok: true; config: ForwarderConfig } | { ok: false; errors: string[] };

export const MAX_FORWARDS = 32;
export const DEFAULT_ADMIN_PORT = 9901;
export const FORWARDS_FORMAT =
  'comma-separated "<service DNS name>=<local port>" pairs, e.g. "vault.internal=8200,consul.internal=8500" ' +
  `(at most ${MAX_FORWARDS}, ports 1-65535, each port and name once)`;

const DNS_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?";
/** A service name in a namespace: at least two labels (`vault.internal`), no trailing dot. */
const SERVICE_NAME = new RegExp(`^(?=.{1,253}$)${DNS_LABEL}(?:\\.${DNS_LABEL})+$`);

/** Parses FORWARDS; undefined when anything in it is malformed or repeated. */
export function parseForwards(raw: string): Forward[] | undefined {
  const entries = raw
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.length === 0 || entries.length > MAX_FORWARDS) return undefined;
  const forwards: Forward[] = [];
  for (const entry of entries) {
    const match = /^([^=\s]+)=(\d{1,5})$/.exec(entry);
    if (!match || !SERVICE_NAME.test(match[1])) return undefined;
    const port = Number(match[2]);
    if (port < 1 || port > 65535) return undefined;
    forwards.push({ name: match[1].toLowerCase(), port });
  }
  const unique = (values: unknown[]) => new Set(values).size === values.length;
  if (!unique(forwards.map((f) => f.port)) || !unique(forwards.map((f) => f.name))) return undefined;
  return forwards;
}

export function parseForwarderConfig(env: Env): ConfigResult {
  const read = new EnvReader(env);
  const forwards = read.parsed("FORWARDS", [], parseForwards, FORWARDS_FORMAT, true);
  const listenHost = read.parsed(
    "LISTEN_HOST",
    "127.0.0.1",
    (raw) => (net.isIP(raw) !== 0 ? raw : undefined),
    "an IP address (127.0.0.1: only the task's own containers can connect)",
  );
  const adminPort = read.int("ADMIN_PORT", DEFAULT_ADMIN_PORT, 0, 65535);
  if (forwards.some((f) => f.port === adminPort))
    read.errors.push(`ADMIN_PORT (${adminPort}) is invalid: expected a port that FORWARDS does not use`);
  const config: ForwarderConfig = {
    forwards,
    listenHost,
    adminPort,
    dnsServer: read.parsed<DnsServer | undefined>(
      "DNS_SERVER",
      undefined,
      parseDnsServer,
      'an IP address, "ip:port" or "[ipv6]:port"',
    ),
    discovery: readOptionsFromEnv(read, FORWARDER_DISCOVERY.names, FORWARDER_DISCOVERY.defaults),
    maxConnections: read.int("MAX_CONNECTIONS", 1024, 1, 65_535),
    idleTimeoutMs: read.int("IDLE_TIMEOUT_MS", 0, 0, 86_400_000),
    drainTimeoutMs: read.int("DRAIN_TIMEOUT_MS", 10_000, 0, 600_000),
  };
  return read.errors.length > 0 ? { ok: false, errors: read.errors } : { ok: true, config };
}
