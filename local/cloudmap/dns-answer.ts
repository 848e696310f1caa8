// Pure part of the local "Cloud Map": given the registry and one question, build the answer packet.
// No sockets here, so every rule (MULTIVALUE cap, rotation, NXDOMAIN, REFUSED) is tested directly.
import type { Answer, Packet, Question } from "dns-packet";
// The server compares names exactly as hello's client does (case-insensitive, trailing dot optional).
import { normalizeName } from "../../apps/hello/src/discovery/records";

/** Cloud Map returns at most 8 healthy records per MULTIVALUE answer. */
export const MULTIVALUE_MAX_RECORDS = 8;

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const AUTHORITATIVE_ANSWER = 1 << 10;
const RECURSION_DESIRED = 1 << 8;

export interface Instance {
  /** Instance id (the ECS task id); also the label of its own A name: <id>.<service>.<namespace>. */
  id: string;
  service: string;
  ip: string;
  port: number;
  healthy: boolean;
}

export interface ZoneSettings {
  namespace: string;
  ttlSeconds: number;
  /** SOA minimum: how long resolvers cache NXDOMAIN. Kept low so a new service shows up quickly. */
  negativeTtlSeconds: number;
  /** Services that exist even with no instance left: their names answer NODATA rather than NXDOMAIN. */
  services?: readonly string[];
  /**
   * Services created with an SRV record only, as consul-aws creates the ones it imports from Consul
   * (`DnsRecords: [{Type: SRV}]`): an A question for the service name answers NODATA. The A record
   * of each instance's own name (the SRV target) still exists, as Cloud Map creates it.
   */
  srvOnlyServices?: readonly string[];
}

/** Random source in [0, 1); injected so tests can make shuffles deterministic. */
export type Random = () => number;

/** True iff `name` is the namespace itself or a name below it. */
export function inNamespace(name: string, namespace: string): boolean {
  const n = normalizeName(name);
  const ns = normalizeName(namespace);
  return n === ns || n.endsWith(`.${ns}`);
}

/** Fisher-Yates on a copy: every answer gets a fresh order, so clients that take the first record still spread. */
export function shuffled<T>(items: readonly T[], random: Random = Math.random): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The healthy instances of a service as one MULTIVALUE answer would list them: shuffled, at most 8. */
export function selectMultivalue(instances: readonly Instance[], random: Random = Math.random): Instance[] {
  return shuffled(
    instances.filter((i) => i.healthy),
    random,
  ).slice(0, MULTIVALUE_MAX_RECORDS);
}

/** The zone's SOA record; its minimum (and TTL) is how long resolvers cache a negative answer. */
export function soaRecord(zone: string, minimum: number): Answer {
  return {
    type: "SOA",
    name: zone,
    ttl: minimum,
    data: {
      mname: `ns.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: 1,
      refresh: 7200,
      retry: 900,
      expire: 1209600,
      minimum,
    },
  };
}

function zoneSoa(zone: ZoneSettings): Answer {
  return soaRecord(normalizeName(zone.namespace), zone.negativeTtlSeconds);
}

export function aRecord(name: string, ip: string, ttl: number): Answer {
  return { type: "A", name, ttl, data: ip };
}

export function srvRecord(
  name: string,
  target: string,
  port: number,
  ttl: number,
  priority = 1,
  weight = 1,
): Answer {
  return { type: "SRV", name, ttl, data: { priority, weight, port, target } };
}

interface Records {
  answers: Answer[];
  additionals: Answer[];
}

/** Records for `name`/`type`, or undefined when the name does not exist (NXDOMAIN). */
function lookup(
  name: string,
  type: Question["type"],
  instances: readonly Instance[],
  zone: ZoneSettings,
  random: Random,
): Records | undefined {
  const ns = normalizeName(zone.namespace);
  const ttl = zone.ttlSeconds;
  const services = new Set([...(zone.services ?? []), ...instances.map((i) => i.service)].map(normalizeName));
  const serviceName = [...services].find((s) => name === `${s}.${ns}`);
  if (serviceName !== undefined) {
    const chosen = selectMultivalue(
      instances.filter((i) => normalizeName(i.service) === serviceName),
      random,
    );
    const srvOnly = (zone.srvOnlyServices ?? []).some((s) => normalizeName(s) === serviceName);
    if (type === "A" && !srvOnly)
      return { answers: chosen.map((i) => aRecord(name, i.ip, ttl)), additionals: [] };
    if (type === "SRV") {
      const target = (i: Instance) => `${normalizeName(i.id)}.${name}`;
      return {
        answers: chosen.map((i) => srvRecord(name, target(i), i.port, ttl)),
        additionals: chosen.map((i) => aRecord(target(i), i.ip, ttl)),
      };
    }
    return { answers: [], additionals: [] }; // name exists, no data of this type (NODATA)
  }
  const instance = instances.find((i) => name === `${normalizeName(i.id)}.${normalizeName(i.service)}.${ns}`);
  if (instance !== undefined) {
    // Like Route 53, the per-instance record stays while the instance is registered.
    return { answers: type === "A" ? [aRecord(name, instance.ip, ttl)] : [], additionals: [] };
  }
  if (name === ns) return { answers: type === "SOA" ? [zoneSoa(zone)] : [], additionals: [] };
  return undefined;
}

/**
 * The response to `query` (one question, as every real resolver sends) given the registered instances.
 * Not exactly one question -> FORMERR.
 * Outside the namespace -> REFUSED (this server is authoritative for one zone and does not recurse).
 */
export function buildResponse(
  query: Packet,
  instances: readonly Instance[],
  zone: ZoneSettings,
  random: Random = Math.random,
): Packet {
  const questions = query.questions ?? [];
  const recursion = (query.flags ?? 0) & RECURSION_DESIRED;
  const reply = (rcode: number, records: Partial<Records> & { authorities?: Answer[] } = {}): Packet => ({
    type: "response",
    id: query.id ?? 0,
    flags:
      rcode | recursion | (rcode === RCODE.NOERROR || rcode === RCODE.NXDOMAIN ? AUTHORITATIVE_ANSWER : 0),
    questions,
    answers: records.answers ?? [],
    additionals: records.additionals ?? [],
    authorities: records.authorities ?? [],
  });
  // Exactly one question, as real resolvers send and servers expect (RFC 9619), else FORMERR with
  // no question echoed: compressed names can make a few bytes of query expand into a huge reply.
  if (questions.length !== 1) return { ...reply(RCODE.FORMERR), questions: [] };
  const question = questions[0];
  const name = normalizeName(question.name);
  if (!inNamespace(name, zone.namespace)) return reply(RCODE.REFUSED);
  const records = lookup(name, question.type, instances, zone, random);
  if (records === undefined) return reply(RCODE.NXDOMAIN, { authorities: [zoneSoa(zone)] });
  // NODATA also carries the SOA so the empty answer is cached only for the negative TTL.
  const authorities = records.answers.length === 0 ? [zoneSoa(zone)] : [];
  return reply(RCODE.NOERROR, { ...records, authorities });
}

/** Key of the per-question counters: "name.internal A". */
export function questionKey(question: Question): string {
  return `${normalizeName(question.name)} ${question.type}`;
}
