// One discovery lookup: the service name -> targets and the TTL to keep them for.
import { queryDns, type QueryOptions } from "./dns-wire";
import type { DnsServer } from "./dns-servers";
import { CLIENT_DEFAULTS } from "./options";
import {
  addressesOf,
  classifyResponse,
  srvRecordsOf,
  srvTargets,
  uniqueTargets,
  zoneOf,
  type RecordType,
  type SrvRecord,
  type Target,
} from "./records";

/** Bounds on what one answer can make the client do (a hostile or broken DNS server sets the sizes). */
export interface LookupLimits {
  /** Targets taken from one answer; SRV records beyond it (the highest priorities) are not followed. */
  maxTargets: number;
  /** Follow-up queries (an SRV target's A or AAAA) in flight at once. */
  maxLookupsInFlight: number;
}

export const DEFAULT_LOOKUP_LIMITS: LookupLimits = {
  maxTargets: CLIENT_DEFAULTS.maxTargets,
  maxLookupsInFlight: CLIENT_DEFAULTS.maxDnsLookupsInFlight,
};

/** Like Promise.allSettled(items.map(task)), with at most `limit` tasks running at once. */
export async function settleLimited<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await task(items[i]) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const byPriority = (a: Target, b: Target): number => (a.priority ?? 0) - (b.priority ?? 0);

export interface LookupResult {
  targets: Target[];
  /** Raw TTL of the answer (smallest record TTL, or the negative TTL), before clamping. */
  ttlSeconds: number;
  /** Why the set is empty, when it is. */
  emptyReason?: string;
}

/** Addresses of `name` (CNAMEs followed within `zone`), at most `maxTargets` of them. */
async function lookupAddresses(
  servers: readonly DnsServer[],
  name: string,
  type: "A" | "AAAA",
  port: number,
  q: QueryOptions,
  zone: string,
  maxTargets: number,
): Promise<LookupResult> {
  const response = await queryDns(servers, name, type, q);
  const kind = classifyResponse(response);
  if (kind.kind === "failure") throw new Error(`${kind.reason} for ${type} ${name}`);
  if (kind.kind === "empty")
    return { targets: [], ttlSeconds: kind.ttlSeconds, emptyReason: `${kind.reason} for ${type} ${name}` };
  const { addresses, ttlSeconds } = addressesOf(name, response.answers, [type], zone);
  if (addresses.length === 0)
    return { targets: [], ttlSeconds: 0, emptyReason: `no ${type} record for ${name} (NODATA)` };
  return { targets: addresses.slice(0, maxTargets).map((host) => ({ host, port })), ttlSeconds };
}

/** An SRV target's address: A first, AAAA when it has no IPv4 address (an IPv6-only task). */
async function lookupSrvTarget(
  servers: readonly DnsServer[],
  r: SrvRecord,
  q: QueryOptions,
  zone: string,
  maxTargets: number,
): Promise<LookupResult> {
  let result = await lookupAddresses(servers, r.target, "A", r.port, q, zone, maxTargets);
  if (result.targets.length === 0)
    result = await lookupAddresses(servers, r.target, "AAAA", r.port, q, zone, maxTargets);
  return {
    ...result,
    targets: result.targets.map((t) => ({ ...t, priority: r.priority, weight: r.weight })),
  };
}

async function lookupSrv(
  servers: readonly DnsServer[],
  name: string,
  q: QueryOptions,
  limits: LookupLimits,
): Promise<LookupResult> {
  const response = await queryDns(servers, name, "SRV", q);
  const kind = classifyResponse(response);
  if (kind.kind === "failure") throw new Error(`${kind.reason} for SRV ${name}`);
  if (kind.kind === "empty")
    return { targets: [], ttlSeconds: kind.ttlSeconds, emptyReason: `${kind.reason} for SRV ${name}` };
  const srv = srvRecordsOf(name, response.answers).slice(0, limits.maxTargets);
  if (srv.length === 0)
    return { targets: [], ttlSeconds: 0, emptyReason: `no SRV record for ${name} (NODATA)` };
  const zone = zoneOf(name);
  const mapped = srvTargets(srv, [...response.additionals, ...response.answers], zone);
  // Targets the server sent no address for: ask for them, a few at a time.
  const followUps = await settleLimited(mapped.unresolved, limits.maxLookupsInFlight, (r) =>
    lookupSrvTarget(servers, r, q, zone, limits.maxTargets),
  );
  const resolved = followUps.flatMap((f, i) =>
    f.status === "fulfilled" && f.value.targets.length > 0
      ? [{ result: f.value, srvTtl: mapped.unresolved[i].ttlSeconds }]
      : [],
  );
  const targets = uniqueTargets([...mapped.targets, ...resolved.flatMap((r) => r.result.targets)])
    .sort(byPriority)
    .slice(0, limits.maxTargets);
  if (targets.length === 0) {
    const reasons = followUps.map((f) =>
      f.status === "rejected" ? (f.reason as Error).message : (f.value.emptyReason ?? "no address"),
    );
    throw new Error(`SRV ${name}: no target could be resolved (${reasons.join("; ")})`);
  }
  const ttls = [
    ...(mapped.targets.length > 0 ? [mapped.ttlSeconds] : []),
    ...resolved.flatMap((r) => [r.srvTtl, r.result.ttlSeconds]),
  ];
  return { targets, ttlSeconds: Math.min(...ttls) };
}

/**
 * Resolves `name` with the given record type; throws when DNS gave no usable answer. Records are
 * taken only when well-formed and within `name`'s zone (see records.ts), at most `limits.maxTargets`.
 */
export function lookupTargets(
  servers: readonly DnsServer[],
  name: string,
  type: RecordType,
  defaultPort: number,
  q: QueryOptions,
  limits: LookupLimits = DEFAULT_LOOKUP_LIMITS,
): Promise<LookupResult> {
  return type === "SRV"
    ? lookupSrv(servers, name, q, limits)
    : lookupAddresses(servers, name, type, defaultPort, q, zoneOf(name), limits.maxTargets);
}
