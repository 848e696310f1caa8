// Pure DNS answer handling: which records count, what targets they give, how long to keep them.
// Every record is checked before it becomes a target: the DNS server may be hostile or broken.
import net from "node:net";
import type { Answer, SrvAnswer, StringAnswer, SoaAnswer } from "dns-packet";

export type RecordType = "A" | "AAAA" | "SRV";

/** One task to send requests to. */
export interface Target {
  host: string;
  port: number;
  /** SRV priority: lower is used first, higher ones only when no lower one can be tried. */
  priority?: number;
  /** SRV weight: share of requests within one priority (RFC 2782). */
  weight?: number;
}

/** What a DNS exchange returned, reduced to what discovery needs. */
export interface DnsResponse {
  rcode: string;
  truncated: boolean;
  answers: readonly Answer[];
  additionals: readonly Answer[];
  authorities: readonly Answer[];
}

export function targetKey(target: Target): string {
  return target.host.includes(":") ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

/** Keeps the record TTL, within [min, max] seconds. */
export function clampTtl(ttlSeconds: number, minSeconds: number, maxSeconds: number): number {
  const ttl = Number.isFinite(ttlSeconds) && ttlSeconds > 0 ? ttlSeconds : 0;
  return Math.min(maxSeconds, Math.max(minSeconds, ttl));
}

/** When the next refresh is due after an answer, in ms: the clamped TTL times refreshAt (0.5..1]. */
export function refreshDelayMs(
  ttlSeconds: number,
  minSeconds: number,
  maxSeconds: number,
  refreshAt: number,
): number {
  return Math.max(1, Math.round(clampTtl(ttlSeconds, minSeconds, maxSeconds) * 1000 * refreshAt));
}

export type AddressType = "A" | "AAAA";

/** Longest CNAME chain followed within one answer (a loop or a longer chain ends there). */
export const MAX_CNAME_HOPS = 8;

/**
 * The zone a name's records must stay in: its parent domain, i.e. the namespace of a Cloud Map
 * name `service.namespace` (after RFC 2782's `_service._proto` labels, if any); a one-label name
 * is its own zone. SRV targets and CNAME chains outside it are not followed.
 */
export function zoneOf(name: string): string {
  const labels = normalizeName(name).split(".");
  while (labels.length > 1 && labels[0].startsWith("_")) labels.shift();
  return labels.length > 1 ? labels.slice(1).join(".") : labels.join(".");
}

/** True iff `name` is `zone` or below it (names compared case-insensitively). */
export function inZone(name: string, zone: string): boolean {
  const n = normalizeName(name);
  const z = normalizeName(zone);
  return n === z || n.endsWith(`.${z}`);
}

/** A host name as DNS carries it for a host: letters, digits, '-' and '_' in labels of 1-63, 253 in all. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$/i;

/** Addresses that name no single reachable host: "this network", multicast, reserved/broadcast. */
const NOT_A_HOST = new net.BlockList();
NOT_A_HOST.addSubnet("0.0.0.0", 8, "ipv4");
NOT_A_HOST.addSubnet("224.0.0.0", 3, "ipv4");
NOT_A_HOST.addAddress("::", "ipv6");
NOT_A_HOST.addSubnet("ff00::", 8, "ipv6");

/** A well-formed unicast address of the record's family (A: IPv4, AAAA: IPv6). */
export function isHostAddress(type: AddressType, data: unknown): data is string {
  if (typeof data !== "string") return false;
  const family = type === "A" ? "ipv4" : "ipv6";
  if (net.isIP(data) !== (type === "A" ? 4 : 6)) return false;
  return !NOT_A_HOST.check(data, family);
}

function isAddress(a: Answer): a is StringAnswer {
  return (a.type === "A" || a.type === "AAAA") && isHostAddress(a.type, a.data);
}

function isSrv(a: Answer): a is SrvAnswer {
  return a.type === "SRV";
}

function ttlOf(a: Answer): number {
  return "ttl" in a && typeof a.ttl === "number" ? a.ttl : 0;
}

/** Names `name` stands for in `records`, following CNAME chains within `zone` (bounded, so loops end). */
function aliasesOf(name: string, records: readonly Answer[], zone: string): Set<string> {
  const names = new Set([normalizeName(name)]);
  for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
    const before = names.size;
    for (const r of records) {
      if (
        r.type === "CNAME" &&
        typeof r.data === "string" &&
        names.has(normalizeName(r.name)) &&
        inZone(r.data, zone)
      )
        names.add(normalizeName(r.data));
    }
    if (names.size === before) break;
  }
  return names;
}

export interface AddressSet {
  addresses: string[];
  ttlSeconds: number;
}

/**
 * Addresses of `name` (through CNAMEs within `zone`) of the given types, well-formed host
 * addresses only, deduplicated, with the smallest TTL among them. An A or AAAA answer passes its
 * own type only, so a record of a type not asked for neither becomes a target nor shortens the
 * TTL; an SRV additional section may carry both.
 */
export function addressesOf(
  name: string,
  records: readonly Answer[],
  types: readonly AddressType[] = ["A", "AAAA"],
  zone: string = zoneOf(name),
): AddressSet {
  const names = aliasesOf(name, records, zone);
  const matching = records
    .filter(isAddress)
    .filter((r) => types.includes(r.type as AddressType) && names.has(normalizeName(r.name)));
  const addresses = [...new Set(matching.map((r) => r.data))];
  const ttlSeconds = matching.length > 0 ? Math.min(...matching.map(ttlOf)) : 0;
  return { addresses, ttlSeconds };
}

export interface SrvRecord {
  target: string;
  port: number;
  priority: number;
  weight: number;
  ttlSeconds: number;
}

/**
 * SRV records of `name`, lowest priority first (RFC 2782: a higher priority is a fallback). Only
 * usable ones: a port other than 0, a target that is a host name inside `name`'s zone.
 */
export function srvRecordsOf(name: string, answers: readonly Answer[]): SrvRecord[] {
  const wanted = normalizeName(name);
  const zone = zoneOf(name);
  const all = answers
    .filter(isSrv)
    .filter(
      (r) =>
        normalizeName(r.name) === wanted &&
        Number.isInteger(r.data.port) &&
        r.data.port > 0 &&
        r.data.port <= 65535 &&
        typeof r.data.target === "string" &&
        HOST_NAME.test(normalizeName(r.data.target)) &&
        inZone(r.data.target, zone),
    )
    .map((r) => ({
      target: normalizeName(r.data.target),
      port: r.data.port,
      priority: r.data.priority ?? 0,
      weight: r.data.weight ?? 0,
      ttlSeconds: ttlOf(r),
    }));
  return all.sort((a, b) => a.priority - b.priority);
}

export interface SrvMapping {
  targets: Target[];
  /** SRV targets without an address in `additionals`: resolve them with A queries. */
  unresolved: SrvRecord[];
  ttlSeconds: number;
}

/**
 * SRV -> targets: the port from each SRV record, the address from the additional section (CNAMEs
 * followed within `zone`, the queried name's).
 */
export function srvTargets(
  srv: readonly SrvRecord[],
  additionals: readonly Answer[],
  zone: string,
): SrvMapping {
  const targets: Target[] = [];
  const unresolved: SrvRecord[] = [];
  const ttls: number[] = [];
  for (const record of srv) {
    const { addresses, ttlSeconds } = addressesOf(record.target, additionals, ["A", "AAAA"], zone);
    if (addresses.length === 0) {
      unresolved.push(record);
      continue;
    }
    ttls.push(record.ttlSeconds, ttlSeconds);
    for (const host of addresses)
      targets.push({ host, port: record.port, priority: record.priority, weight: record.weight });
  }
  return { targets: uniqueTargets(targets), unresolved, ttlSeconds: ttls.length > 0 ? Math.min(...ttls) : 0 };
}

export function uniqueTargets(targets: readonly Target[]): Target[] {
  const seen = new Map<string, Target>();
  for (const t of targets) if (!seen.has(targetKey(t))) seen.set(targetKey(t), t);
  return [...seen.values()];
}

/** RFC 2308: a negative answer is cached for min(SOA TTL, SOA minimum); 0 without an SOA. */
export function negativeTtlSeconds(authorities: readonly Answer[]): number {
  const soa = authorities.find((a): a is SoaAnswer => a.type === "SOA");
  if (!soa) return 0;
  return Math.min(ttlOf(soa), soa.data.minimum ?? ttlOf(soa));
}

/** How an answer is to be treated: records, an authoritative "nothing there", or a failure. */
export type AnswerKind =
  | { kind: "ok" }
  | { kind: "empty"; ttlSeconds: number; reason: string }
  | { kind: "failure"; reason: string };

export function classifyResponse(response: DnsResponse): AnswerKind {
  if (response.rcode === "NXDOMAIN") {
    return { kind: "empty", ttlSeconds: negativeTtlSeconds(response.authorities), reason: "NXDOMAIN" };
  }
  if (response.rcode !== "NOERROR") return { kind: "failure", reason: `DNS answered ${response.rcode}` };
  return { kind: "ok" };
}
