// One discovery lookup: the service name -> targets and the TTL to keep them for.
import { queryDns, type QueryOptions } from "./dns-wire";
import type { DnsServer } from "./dns-servers";
import {
  addressesOf,
  classifyResponse,
  srvRecordsOf,
  srvTargets,
  uniqueTargets,
  type RecordType,
  type SrvRecord,
  type Target,
} from "./records";

export interface LookupResult {
  targets: Target[];
  /** Raw TTL of the answer (smallest record TTL, or the negative TTL), before clamping. */
  ttlSeconds: number;
  /** Why the set is empty, when it is. */
  emptyReason?: string;
}

async function lookupAddresses(
  servers: readonly DnsServer[],
  name: string,
  type: "A" | "AAAA",
  port: number,
  q: QueryOptions,
): Promise<LookupResult> {
  const response = await queryDns(servers, name, type, q);
  const kind = classifyResponse(response);
  if (kind.kind === "failure") throw new Error(`${kind.reason} for ${type} ${name}`);
  if (kind.kind === "empty")
    return { targets: [], ttlSeconds: kind.ttlSeconds, emptyReason: `${kind.reason} for ${type} ${name}` };
  const { addresses, ttlSeconds } = addressesOf(name, response.answers, [type]);
  if (addresses.length === 0)
    return { targets: [], ttlSeconds: 0, emptyReason: `no ${type} record for ${name} (NODATA)` };
  return { targets: addresses.map((host) => ({ host, port })), ttlSeconds };
}

/** An SRV target's address: A first, AAAA when it has no IPv4 address (an IPv6-only task). */
async function lookupSrvTarget(
  servers: readonly DnsServer[],
  r: SrvRecord,
  q: QueryOptions,
): Promise<LookupResult> {
  let result = await lookupAddresses(servers, r.target, "A", r.port, q);
  if (result.targets.length === 0) result = await lookupAddresses(servers, r.target, "AAAA", r.port, q);
  return {
    ...result,
    targets: result.targets.map((t) => ({ ...t, priority: r.priority, weight: r.weight })),
  };
}

async function lookupSrv(
  servers: readonly DnsServer[],
  name: string,
  q: QueryOptions,
): Promise<LookupResult> {
  const response = await queryDns(servers, name, "SRV", q);
  const kind = classifyResponse(response);
  if (kind.kind === "failure") throw new Error(`${kind.reason} for SRV ${name}`);
  if (kind.kind === "empty")
    return { targets: [], ttlSeconds: kind.ttlSeconds, emptyReason: `${kind.reason} for SRV ${name}` };
  const srv = srvRecordsOf(name, response.answers);
  if (srv.length === 0)
    return { targets: [], ttlSeconds: 0, emptyReason: `no SRV record for ${name} (NODATA)` };
  const mapped = srvTargets(srv, [...response.additionals, ...response.answers]);
  // Targets the server sent no address for: ask for them, all at once.
  const followUps = await Promise.allSettled(mapped.unresolved.map((r) => lookupSrvTarget(servers, r, q)));
  const resolved = followUps.flatMap((f, i) =>
    f.status === "fulfilled" && f.value.targets.length > 0
      ? [{ result: f.value, srvTtl: mapped.unresolved[i].ttlSeconds }]
      : [],
  );
  const targets = uniqueTargets([...mapped.targets, ...resolved.flatMap((r) => r.result.targets)]);
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

/** Resolves `name` with the given record type; throws when DNS gave no usable answer. */
export function lookupTargets(
  servers: readonly DnsServer[],
  name: string,
  type: RecordType,
  defaultPort: number,
  q: QueryOptions,
): Promise<LookupResult> {
  return type === "SRV" ? lookupSrv(servers, name, q) : lookupAddresses(servers, name, type, defaultPort, q);
}
