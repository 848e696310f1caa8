/**
 * Names of one service in the two catalogs. Cloud Map names a service
 * `<service>.<namespace>`; Consul's DNS interface names it `<service>.service.consul`.
 * consul-aws adds a prefix when it copies a service into the other catalog.
 */

/** Prefixes consul-aws adds to the names it creates, described by where the name lands. */
export interface SyncPrefixes {
  /** Prepended to Cloud Map services copied into Consul. */
  readonly inConsul: string;
  /** Prepended to Consul services copied into Cloud Map. */
  readonly inCloudMap: string;
}

/** One DNS label: lowercase letters, digits and inner hyphens, 1-63 characters. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The one DNS-name rule: a lowercase name of 1-253 characters made of valid labels, no trailing dot. */
export function isDnsName(value: string): boolean {
  return value.length > 0 && value.length <= 253 && value.split(".").every((label) => DNS_LABEL.test(label));
}

/** What `isDnsName` accepts, in words, for error messages. */
export const DNS_NAME_RULE =
  "a lowercase DNS name (labels of a-z, 0-9, -; 1-63 characters, no leading or trailing -)";

/** `host` is `domain` itself or a name under it (label-wise, so "xinternal" is not under "internal"). */
export function isUnderDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** The Consul DNS domain. consul-aws has no flag to change it, so neither do we. */
export const CONSUL_DOMAIN = "consul";

export function cloudMapDnsName(service: string, namespace: string): string {
  return `${service}.${namespace}`;
}

export function consulDnsName(service: string): string {
  return `${service}.service.${CONSUL_DOMAIN}`;
}

/**
 * consul-aws flags for the prefixes. The flags are named after the opposite
 * catalog from the one they affect (its code applies `-consul-service-prefix` to
 * names created in Cloud Map and `-aws-service-prefix` to names created in Consul),
 * so this is the one place that knows the inversion.
 */
export function syncPrefixFlags(prefixes: SyncPrefixes): string[] {
  const flags: string[] = [];
  if (prefixes.inConsul !== "") flags.push("-aws-service-prefix", prefixes.inConsul);
  if (prefixes.inCloudMap !== "") flags.push("-consul-service-prefix", prefixes.inCloudMap);
  return flags;
}

export interface SyncCommandOptions {
  readonly namespaceId: string;
  readonly pollInterval: string;
  readonly dnsTtlSeconds: number;
  readonly prefixes: SyncPrefixes;
}

/** The ECS `command` of the consul-aws container (its entrypoint is `consul-aws`). */
export function syncCatalogCommand(options: SyncCommandOptions): string[] {
  return [
    "sync-catalog",
    "-aws-namespace-id",
    options.namespaceId,
    "-to-aws",
    "-to-consul",
    "-aws-poll-interval",
    options.pollInterval,
    "-aws-dns-ttl",
    String(options.dnsTtlSeconds),
    ...syncPrefixFlags(options.prefixes),
  ];
}

/** How one service is reachable by DNS in each catalog. */
export interface CatalogNames {
  /** Where the service is registered first. */
  readonly origin: "cloudmap" | "consul";
  readonly cloudMapDnsName: string;
  /** `undefined` when the sync is off and the service exists in one catalog only. */
  readonly consulDnsName: string | undefined;
  /** Record types a Cloud Map lookup returns: consul-aws creates SRV-only services. */
  readonly cloudMapRecordTypes: readonly ("A" | "SRV")[];
}

/** Names of a service registered in Cloud Map by ECS (hello, name). */
export function namesOfCloudMapService(
  service: string,
  namespace: string,
  prefixes: SyncPrefixes | undefined,
): CatalogNames {
  return {
    origin: "cloudmap",
    cloudMapDnsName: cloudMapDnsName(service, namespace),
    consulDnsName: prefixes ? consulDnsName(prefixes.inConsul + service) : undefined,
    cloudMapRecordTypes: ["A", "SRV"],
  };
}

/**
 * The Cloud Map service ECS Service Connect creates for a service's endpoint (its discovery name).
 * It differs from the name ECS registers tasks under for DNS: switching discoveryMode on a live
 * stack then never asks Cloud Map for a name that still exists (Pulumi deletes the old service
 * only after it has updated the ECS service, and ECS's own service is not in Pulumi's state).
 */
export function serviceConnectCloudMapName(service: string): string {
  return `${service}-sc`;
}

/**
 * Names of a service that publishes a Service Connect endpoint: in Cloud Map it is ECS's
 * API-only service (no DNS records); consul-aws copies that one into Consul.
 */
export function namesOfServiceConnectService(
  service: string,
  namespace: string,
  prefixes: SyncPrefixes | undefined,
): CatalogNames {
  return {
    ...namesOfCloudMapService(serviceConnectCloudMapName(service), namespace, prefixes),
    cloudMapRecordTypes: [],
  };
}

/** Names of a service registered in Consul that consul-aws copies into Cloud Map. */
export function namesOfConsulService(
  service: string,
  namespace: string,
  prefixes: SyncPrefixes,
): CatalogNames {
  return {
    origin: "consul",
    cloudMapDnsName: cloudMapDnsName(prefixes.inCloudMap + service, namespace),
    consulDnsName: consulDnsName(service),
    cloudMapRecordTypes: ["SRV"],
  };
}
