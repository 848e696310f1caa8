/**
 * Every stack setting, read once and validated as a whole. `parseSettings` is pure:
 * it takes the raw config strings and returns either typed settings or the complete
 * list of problems, each naming the key and what is allowed.
 */
import awsRegions from "aws-regions/regions.json";
import { allowedMemoryFor, FARGATE_CPU_VALUES, isValidFargateSize } from "./fargateSizes";
import { SyncPrefixes } from "./naming";

export const PROJECT = "ecs-cloudmap-consul";
export const REGION_KEY = "aws:region";

type KeyType = "string" | "integer" | "boolean";

export interface KeySpec {
  readonly type: KeyType;
  readonly default: string | number | boolean;
  readonly description: string;
}

/**
 * busybox 1.36.1 by the digest of its multi-platform index (the Docker Official Image, which the
 * ECR Public gallery mirrors under docker/library with the same digests).
 */
const CA_INIT_IMAGE =
  "public.ecr.aws/docker/library/busybox:1.36.1@sha256:73aaf090f3d85aa34ee199857f03fa3a95c8ede2ffd4cc2cdb5b94e566b11662";

/** Project config keys (without the `ecs-cloudmap-consul:` prefix); mirrored by Pulumi.yaml. */
export const CONFIG_KEYS = {
  vpcCidr: { type: "string", default: "10.0.0.0/16", description: "IPv4 CIDR of the VPC, /16 to /24." },
  azCount: {
    type: "integer",
    default: 2,
    description: "Availability zones to spread subnets over (2-6, at most the region's; an ALB needs two).",
  },
  natGateways: {
    type: "string",
    default: "Single",
    description: "NAT gateway strategy: Single or OnePerAz.",
  },
  vpcEndpoints: {
    type: "boolean",
    default: false,
    description:
      "Create VPC endpoints (ECR, S3, logs, Secrets Manager, Cloud Map) so tasks reach AWS APIs without NAT.",
  },
  containerInsights: {
    type: "string",
    default: "enabled",
    description: "ECS Container Insights: enabled, enhanced or disabled.",
  },
  capacityStrategy: {
    type: "string",
    default: "ondemand",
    description:
      "Capacity for app services: ondemand (FARGATE), spot (FARGATE_SPOT) or mixed (1 on-demand task, then 1:3 on-demand:spot).",
  },
  namespaceName: {
    type: "string",
    default: "internal",
    description: "Cloud Map private DNS namespace (a DNS name, lowercase).",
  },
  namespaceSoaTtl: {
    type: "integer",
    default: 15,
    description: "SOA TTL and negative-answer TTL of the namespace, seconds (0-300).",
  },
  dnsTtl: {
    type: "integer",
    default: 10,
    description: "TTL of the A records Cloud Map serves for app services, seconds (0-300).",
  },
  helloPort: { type: "integer", default: 3000, description: "Container port of hello." },
  helloCpu: { type: "integer", default: 256, description: "Fargate cpu units of a hello task." },
  helloMemory: { type: "integer", default: 512, description: "Fargate memory (MiB) of a hello task." },
  helloDesiredCount: { type: "integer", default: 2, description: "hello tasks to run." },
  helloMinCount: { type: "integer", default: 1, description: "Autoscaling minimum of hello." },
  helloMaxCount: { type: "integer", default: 4, description: "Autoscaling maximum of hello." },
  namePort: { type: "integer", default: 3000, description: "Container port of name." },
  nameCpu: { type: "integer", default: 256, description: "Fargate cpu units of a name task." },
  nameMemory: { type: "integer", default: 512, description: "Fargate memory (MiB) of a name task." },
  nameDesiredCount: { type: "integer", default: 2, description: "name tasks to run." },
  nameMinCount: { type: "integer", default: 1, description: "Autoscaling minimum of name." },
  nameMaxCount: { type: "integer", default: 4, description: "Autoscaling maximum of name." },
  autoscaling: {
    type: "boolean",
    default: false,
    description: "Target-tracking CPU autoscaling for hello and name.",
  },
  autoscalingCpuTarget: {
    type: "integer",
    default: 60,
    description: "Average CPU percent autoscaling aims for (10-90).",
  },
  minHealthyPercent: {
    type: "integer",
    default: 100,
    description: "Deployment minimum healthy percent of app services (0-100).",
  },
  maxPercent: {
    type: "integer",
    default: 200,
    description: "Deployment maximum percent of app services (100-200, above minHealthyPercent).",
  },
  stopTimeout: {
    type: "integer",
    default: 30,
    description: "Seconds between SIGTERM and SIGKILL for app containers (2-120).",
  },
  enableExecuteCommand: {
    type: "boolean",
    default: false,
    description: "ECS Exec into app tasks (adds ssmmessages permissions).",
  },
  logRetentionDays: {
    type: "integer",
    default: 7,
    description: "CloudWatch log retention in days (one of the values CloudWatch allows).",
  },
  imageRetainCount: { type: "integer", default: 10, description: "Images kept per ECR repository (1-1000)." },
  baseImage: {
    type: "string",
    default: "public.ecr.aws/docker/library/node:20-bookworm-slim",
    description: "BASE_IMAGE build argument of the app Dockerfiles.",
  },
  imageTag: {
    type: "string",
    default: "",
    description:
      "Tag pushed with the app images (e.g. the commit SHA); empty = the stack name. Tasks still run the digest.",
  },
  production: {
    type: "boolean",
    default: false,
    description: "Production safeguards: ALB deletion protection on, ECR repositories not force-deleted.",
  },
  certificateArn: {
    type: "string",
    default: "",
    description: "ACM certificate ARN for HTTPS on the ALB; empty = HTTP only.",
  },
  deregistrationDelay: {
    type: "integer",
    default: 15,
    description: "Target group deregistration delay, seconds (0-300).",
  },
  secretsKmsKeyArn: {
    type: "string",
    default: "",
    description: "Customer-managed KMS key encrypting the secrets; empty = AWS-managed key.",
  },
  consulMode: {
    type: "string",
    default: "off",
    description:
      "Consul to sync with: embedded (a single-server Consul the stack runs, for dev), external (an existing Consul, for prod) or off (no sync).",
  },
  consulImage: {
    type: "string",
    default: "",
    description:
      "Consul image by digest (registry/repo:x.y.z@sha256:<64 hex>): the embedded server and the catalog check task. Required when consulMode is embedded.",
  },
  consulAllowedCidrs: {
    type: "string",
    default: "",
    description:
      "embedded: comma-separated IPv4 CIDRs allowed to reach the Consul HTTP API on 8500 besides consul-aws and the catalog check.",
  },
  consulHttpAddr: {
    type: "string",
    default: "",
    description:
      "external: Consul HTTP address, http://host[:port] or https://host[:port] (https turns TLS on).",
  },
  consulCidr: {
    type: "string",
    default: "",
    description:
      "external: IPv4 CIDR the Consul servers live in: routed through the peering or transit gateway, and the only non-443 egress of consul-aws.",
  },
  consulTokenSecretArn: {
    type: "string",
    default: "",
    description: "external: Secrets Manager ARN of the Consul ACL token.",
  },
  consulCaCertSecretArn: {
    type: "string",
    default: "",
    description: "external: Secrets Manager ARN of the Consul CA certificate (PEM); https only.",
  },
  consulPeeringConnectionId: {
    type: "string",
    default: "",
    description:
      "external: VPC peering connection (pcx-...) the private route tables send consulCidr to. One of this or consulTransitGatewayId.",
  },
  consulTransitGatewayId: {
    type: "string",
    default: "",
    description:
      "external: transit gateway (tgw-...) the private route tables send consulCidr to. One of this or consulPeeringConnectionId.",
  },
  consulDnsDomain: {
    type: "string",
    default: "",
    description:
      "external: DNS domain of the Consul host, forwarded by a Route 53 Resolver rule to consulDnsServers; empty when consulHttpAddr holds an IP address.",
  },
  consulDnsServers: {
    type: "string",
    default: "",
    description:
      "external: comma-separated IPv4 addresses of the DNS servers that answer for consulDnsDomain (port 53).",
  },
  consulDeregisterOnDestroy: {
    type: "boolean",
    default: true,
    description:
      "external: on destroy, deregister consul-aws's node (and every entry it wrote) from Consul through its HTTP API.",
  },
  consulAwsVersion: { type: "string", default: "0.1.3", description: "consul-aws image version (x.y.z)." },
  consulAwsDigest: {
    type: "string",
    default: "",
    description:
      "Digest of that consul-aws image (sha256:<64 hex>); empty = run it by tag (the policy pack refuses that).",
  },
  consulSyncPollInterval: {
    type: "string",
    default: "30s",
    description: "consul-aws -aws-poll-interval (Go duration, e.g. 30s, 1m).",
  },
  consulSyncDnsTtl: {
    type: "integer",
    default: 60,
    description: "consul-aws -aws-dns-ttl: TTL of records it creates in Cloud Map, seconds (0-3600).",
  },
  consulSyncPrefixInConsul: {
    type: "string",
    default: "",
    description: "Prefix of Cloud Map services' names in Consul (consul-aws flag -aws-service-prefix).",
  },
  consulSyncPrefixInCloudMap: {
    type: "string",
    default: "",
    description: "Prefix of Consul services' names in Cloud Map (consul-aws flag -consul-service-prefix).",
  },
  consulCaInitImage: {
    type: "string",
    default: CA_INIT_IMAGE,
    description:
      "Image of the init container that writes the Consul CA PEM to a file, by digest (name[:tag]@sha256:<64 hex>).",
  },
  consulKnownServices: {
    type: "string",
    default: "consul",
    description: "Comma-separated Consul services expected in Cloud Map (exported names only).",
  },
  discoveryMode: {
    type: "string",
    default: "dns",
    description:
      "How hello reaches name: dns (Cloud Map A + SRV records, hello's own DNS client) or serviceConnect (ECS Service Connect proxy).",
  },
  frontDoor: {
    type: "string",
    default: "alb",
    description:
      "What faces the internet: alb (Application Load Balancer) or apiGateway (API Gateway HTTP API, VPC Link to hello's Cloud Map service).",
  },
  apiThrottleRateLimit: {
    type: "integer",
    default: 100,
    description: "API Gateway steady requests per second across the stage (frontDoor apiGateway; 1-10000).",
  },
  apiThrottleBurstLimit: {
    type: "integer",
    default: 200,
    description: "API Gateway burst of requests above the steady rate (frontDoor apiGateway; 1-5000).",
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

export const NAT_STRATEGIES = ["Single", "OnePerAz"] as const;
export const CONTAINER_INSIGHTS = ["enabled", "enhanced", "disabled"] as const;
export const CAPACITY_STRATEGIES = ["ondemand", "spot", "mixed"] as const;
export const DISCOVERY_MODES = ["dns", "serviceConnect"] as const;
export const FRONT_DOORS = ["alb", "apiGateway"] as const;
/** The retention values CloudWatch Logs accepts (0 = forever is excluded on purpose). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export type NatStrategy = (typeof NAT_STRATEGIES)[number];
export type CapacityStrategy = (typeof CAPACITY_STRATEGIES)[number];
export type ContainerInsights = (typeof CONTAINER_INSIGHTS)[number];
export type DiscoveryMode = (typeof DISCOVERY_MODES)[number];
export type FrontDoorKind = (typeof FRONT_DOORS)[number];

export interface AppServiceSettings {
  readonly port: number;
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  readonly minCount: number;
  readonly maxCount: number;
}

export const CONSUL_MODES = ["embedded", "external", "off"] as const;
export type ConsulMode = (typeof CONSUL_MODES)[number];

/** Keys that no longer exist: setting one is an error that names what replaced it. */
export const RETIRED_KEYS = {
  consulSyncEnabled:
    "consulSyncEnabled was replaced by consulMode: set consulMode to external (what consulSyncEnabled: true meant) or off (false), or embedded for a Consul the stack runs itself; then remove consulSyncEnabled",
} as const;
export type RetiredKey = keyof typeof RETIRED_KEYS;

/** A single Consul server the stack runs in its own VPC (dev). */
export interface EmbeddedConsulSettings {
  readonly kind: "embedded";
  /** Image by digest. */
  readonly serverImage: string;
  /** Extra CIDRs admitted on the HTTP port. */
  readonly allowedCidrs: readonly string[];
}

/** How DNS in the VPC finds the external Consul host. */
export type ConsulDns =
  | { readonly kind: "ip" }
  | { readonly kind: "forward"; readonly domain: string; readonly servers: readonly string[] };
/** Where the private route tables send consulCidr. */
export type ConsulRoute =
  | { readonly kind: "peering"; readonly id: string }
  | { readonly kind: "transitGateway"; readonly id: string };

/** An existing Consul reached over a peering or transit gateway (prod). */
export interface ExternalConsulSettings {
  readonly kind: "external";
  readonly httpAddr: string;
  readonly host: string;
  readonly tls: boolean;
  readonly port: number;
  readonly cidr: string;
  readonly tokenSecretArn: string;
  readonly caCertSecretArn: string | undefined;
  readonly route: ConsulRoute;
  readonly dns: ConsulDns;
  readonly deregisterOnDestroy: boolean;
  /** Image by digest for the catalog check task; undefined: no check task. */
  readonly checkImage: string | undefined;
}

export interface ConsulSyncSettings {
  readonly mode: "embedded" | "external";
  readonly consul: EmbeddedConsulSettings | ExternalConsulSettings;
  /** consul-aws image. */
  readonly image: string;
  readonly caInitImage: string;
  readonly pollInterval: string;
  readonly dnsTtl: number;
  readonly prefixes: SyncPrefixes;
  readonly knownServices: readonly string[];
}

export interface Settings {
  readonly region: string;
  readonly production: boolean;
  readonly network: {
    readonly vpcCidr: string;
    readonly azCount: number;
    readonly natGateways: NatStrategy;
    readonly vpcEndpoints: boolean;
  };
  readonly cluster: {
    readonly containerInsights: ContainerInsights;
    readonly capacityStrategy: CapacityStrategy;
  };
  readonly discovery: {
    readonly namespaceName: string;
    readonly soaTtl: number;
    readonly dnsTtl: number;
    readonly mode: DiscoveryMode;
  };
  /** The ALB or API Gateway; throttling applies to API Gateway only. */
  readonly frontDoor: {
    readonly kind: FrontDoorKind;
    readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  };
  readonly hello: AppServiceSettings;
  readonly name: AppServiceSettings;
  readonly autoscaling: { readonly enabled: boolean; readonly cpuTargetPercent: number };
  readonly deployment: {
    readonly minHealthyPercent: number;
    readonly maxPercent: number;
    readonly stopTimeoutSeconds: number;
    readonly enableExecuteCommand: boolean;
  };
  readonly logRetentionDays: number;
  /** `tag` undefined: the stack name is the tag. */
  readonly images: {
    readonly retainCount: number;
    readonly baseImage: string;
    readonly tag: string | undefined;
  };
  readonly loadBalancer: {
    readonly certificateArn: string | undefined;
    readonly deregistrationDelaySeconds: number;
  };
  readonly secretsKmsKeyArn: string | undefined;
  /** undefined when consulMode is off. */
  readonly consulSync: ConsulSyncSettings | undefined;
}

export type SettingsResult =
  { readonly ok: true; readonly settings: Settings } | { readonly ok: false; readonly errors: string[] };

/** Raw config as Pulumi hands it over: fully-qualified key -> string. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export function qualifiedKey(key: ConfigKey): string {
  return `${PROJECT}:${key}`;
}

// ---- format checks (pure, exported for direct tests) ----

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A lowercase DNS name of 1-253 characters made of valid labels. */
export function isDnsName(value: string): boolean {
  return value.length > 0 && value.length <= 253 && value.split(".").every((label) => DNS_LABEL.test(label));
}

/** Parses `a.b.c.d/n`; undefined unless it is a network address (host bits zero). */
export function parseIpv4Cidr(value: string): { readonly prefix: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostSize = 2 ** (32 - prefix);
  return address % hostSize === 0 ? { prefix } : undefined;
}

const ARN_PREFIX = "arn:aws(?:-[a-z]+)*";
/** A complete secret ARN: ECS refuses a partial one (without the 6 characters AWS appends) at task start. */
export const SECRET_ARN = new RegExp(
  `^${ARN_PREFIX}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`,
);
const SECRET_ARN_ALLOWED =
  "the complete Secrets Manager ARN, ending in the 6 characters AWS appends to the name (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf)";
export const CERTIFICATE_ARN = new RegExp(`^${ARN_PREFIX}:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f-]+$`);
export const KMS_KEY_ARN = new RegExp(`^${ARN_PREFIX}:kms:[a-z0-9-]+:\\d{12}:key/[0-9a-f-]+$`);
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const GO_DURATION = /^[1-9]\d*(ms|s|m|h)$/;
const VERSION = /^\d+\.\d+\.\d+$/;
const PREFIX = /^[a-z0-9-]{0,20}$/;
const IMAGE_REF = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._\/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/;
/** An image pinned by digest, with or without a tag: what a task runs can never move. */
export const IMAGE_BY_DIGEST = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._\/-]+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const CONSUL_IMAGE_EXAMPLE = "public.ecr.aws/hashicorp/consul:1.21.5@sha256:<64 hex>";
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PEERING_ID = /^pcx-[0-9a-f]{8,17}$/;
const TGW_ID = /^tgw-[0-9a-f]{8,17}$/;
/** Docker tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Splits `http(s)://host[:port]`; the port defaults to Consul's 8500 (http) / 8501 (https). */
export function parseConsulAddress(
  value: string,
): { readonly tls: boolean; readonly host: string; readonly port: number } | undefined {
  const match = /^(http|https):\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(value);
  if (!match) return undefined;
  const tls = match[1] === "https";
  const port = match[3] === undefined ? (tls ? 8501 : 8500) : Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { tls, host: match[2], port };
}

/** `host` is `domain` itself or a name under it (label-wise, so "xinternal" is not under "internal"). */
export function isUnderDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

function ipv4Range(cidr: string): [number, number] {
  const [address, prefix] = cidr.split("/");
  const start = address
    .split(".")
    .map(Number)
    .reduce((acc, o) => acc * 256 + o, 0);
  return [start, start + 2 ** (32 - Number(prefix)) - 1];
}

/** Whether two IPv4 network CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [aStart, aEnd] = ipv4Range(a);
  const [bStart, bEnd] = ipv4Range(b);
  return aStart <= bEnd && bStart <= aEnd;
}

/**
 * Availability zones an account gets in a region, from the aws-regions data set (its `zone_limit`
 * where new accounts see fewer than the region has); undefined for a region it does not list.
 */
export function availabilityZoneCount(region: string): number | undefined {
  const known = (awsRegions as { code: string; zones: string[]; zone_limit?: number }[]).find(
    (r) => r.code === region,
  );
  return known ? (known.zone_limit ?? known.zones.length) : undefined;
}

// ---- reading raw values ----

class Reader {
  readonly errors: string[] = [];

  constructor(private readonly raw: RawConfig) {}

  fail(key: string, message: string): void {
    this.errors.push(`${key}: ${message}`);
  }

  private text(key: ConfigKey): string {
    const value = this.raw[qualifiedKey(key)];
    return value === undefined ? String(CONFIG_KEYS[key].default) : value.trim();
  }

  string(key: ConfigKey): string {
    return this.text(key);
  }

  /** Comma-separated values, trimmed, empty entries dropped. */
  list(key: ConfigKey): string[] {
    return this.text(key)
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }

  /** The raw value of a key that no longer exists, if a stack still sets it. */
  retired(key: RetiredKey): string | undefined {
    return this.raw[`${PROJECT}:${key}`];
  }

  optional(key: ConfigKey, pattern: RegExp, allowed: string): string | undefined {
    const value = this.text(key);
    if (value === "") return undefined;
    if (!pattern.test(value)) this.fail(qualifiedKey(key), `must be ${allowed}, got "${value}"`);
    return value;
  }

  int(key: ConfigKey, min: number, max: number): number {
    const value = this.text(key);
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      this.fail(qualifiedKey(key), `must be an integer from ${min} to ${max}, got "${value}"`);
      return Number(CONFIG_KEYS[key].default);
    }
    return n;
  }

  bool(key: ConfigKey): boolean {
    const value = this.text(key);
    if (value !== "true" && value !== "false") {
      this.fail(qualifiedKey(key), `must be true or false, got "${value}"`);
      return false;
    }
    return value === "true";
  }

  oneOf<T extends string | number>(key: ConfigKey, allowed: readonly T[], parse: (s: string) => T): T {
    const value = this.text(key);
    const parsed = parse(value);
    if (!allowed.includes(parsed)) {
      this.fail(qualifiedKey(key), `must be one of ${allowed.join(", ")}, got "${value}"`);
      return allowed[0];
    }
    return parsed;
  }
}

const MAX_TASKS = 1000;
const MAX_PORT = 65535;

function readAppService(r: Reader, app: "hello" | "name", autoscaling: boolean): AppServiceSettings {
  const port = r.int(`${app}Port`, 1, MAX_PORT);
  const cpu = r.oneOf(`${app}Cpu`, FARGATE_CPU_VALUES, Number);
  const memory = r.int(`${app}Memory`, 512, 122880);
  if (FARGATE_CPU_VALUES.includes(cpu) && !isValidFargateSize(cpu, memory)) {
    r.fail(
      qualifiedKey(`${app}Memory`),
      `Fargate cpu ${cpu} allows memory ${allowedMemoryFor(cpu)} MiB, got ${memory}`,
    );
  }
  const desiredCount = r.int(`${app}DesiredCount`, 0, MAX_TASKS);
  const minCount = r.int(`${app}MinCount`, 0, MAX_TASKS);
  const maxCount = r.int(`${app}MaxCount`, 1, MAX_TASKS);
  if (autoscaling) {
    if (minCount > maxCount) {
      r.fail(qualifiedKey(`${app}MinCount`), `must not exceed ${app}MaxCount (${minCount} > ${maxCount})`);
    } else if (desiredCount < minCount || desiredCount > maxCount) {
      r.fail(
        qualifiedKey(`${app}DesiredCount`),
        `must lie within ${app}MinCount..${app}MaxCount (${minCount}..${maxCount}) when autoscaling is on, got ${desiredCount}`,
      );
    }
  }
  return { port, cpu, memory, desiredCount, minCount, maxCount };
}

/** Keys that belong to one consulMode only, so a leftover is pointed out rather than silently ignored. */
const EMBEDDED_ONLY: readonly ConfigKey[] = ["consulAllowedCidrs"];
const EXTERNAL_ONLY: readonly ConfigKey[] = [
  "consulHttpAddr",
  "consulCidr",
  "consulTokenSecretArn",
  "consulCaCertSecretArn",
  "consulPeeringConnectionId",
  "consulTransitGatewayId",
  "consulDnsDomain",
  "consulDnsServers",
];

function readEmbeddedConsul(r: Reader): EmbeddedConsulSettings {
  const serverImage = r.string("consulImage");
  if (serverImage === "") {
    r.fail(
      qualifiedKey("consulImage"),
      `is required when consulMode is embedded: the Consul image by digest, e.g. ${CONSUL_IMAGE_EXAMPLE} (docker buildx imagetools inspect public.ecr.aws/hashicorp/consul:<version> prints the digest)`,
    );
  } else if (!IMAGE_BY_DIGEST.test(serverImage)) {
    r.fail(
      qualifiedKey("consulImage"),
      `must be an image pinned by digest, registry/repo[:tag]@sha256:<64 hex>, got "${serverImage}"`,
    );
  }
  const allowedCidrs = r.list("consulAllowedCidrs");
  const badCidr = allowedCidrs.find((c) => !parseIpv4Cidr(c));
  if (badCidr !== undefined)
    r.fail(
      qualifiedKey("consulAllowedCidrs"),
      `must be comma-separated IPv4 network CIDRs like 10.0.0.0/16, got "${badCidr}"`,
    );
  for (const key of EXTERNAL_ONLY) {
    if (r.string(key) !== "")
      r.fail(
        qualifiedKey(key),
        "is for consulMode external only: the embedded Consul is reached inside the VPC; remove it",
      );
  }
  return { kind: "embedded", serverImage, allowedCidrs };
}

function readExternalConsul(r: Reader, namespaceName: string, vpcCidr: string): ExternalConsulSettings {
  const required = (key: ConfigKey, what: string) =>
    r.fail(qualifiedKey(key), `is required when consulMode is external (${what})`);
  const addrText = r.string("consulHttpAddr");
  const addr = parseConsulAddress(addrText);
  if (addrText === "") required("consulHttpAddr", "http://host[:port] or https://host[:port]");
  else if (!addr)
    r.fail(
      qualifiedKey("consulHttpAddr"),
      `must be http://host[:port] or https://host[:port], got "${addrText}"`,
    );
  const shadowed =
    addr !== undefined && isDnsName(namespaceName) && isUnderDomain(addr.host.toLowerCase(), namespaceName);
  if (shadowed && addr) {
    r.fail(
      qualifiedKey("consulHttpAddr"),
      `host ${addr.host} lies under the Cloud Map namespace ${namespaceName}: Route 53 Resolver answers it from the namespace's private hosted zone, ` +
        `which shadows any other record of that name (NXDOMAIN); use a host outside ${namespaceName} or an IP address`,
    );
  }

  const cidr = r.string("consulCidr");
  if (cidr === "") required("consulCidr", "IPv4 CIDR of the Consul servers");
  else if (!parseIpv4Cidr(cidr))
    r.fail(qualifiedKey("consulCidr"), `must be an IPv4 network CIDR like 10.20.0.0/16, got "${cidr}"`);
  else if (parseIpv4Cidr(vpcCidr) && cidrsOverlap(cidr, vpcCidr)) {
    r.fail(
      qualifiedKey("consulCidr"),
      `overlaps the VPC's ${vpcCidr}: traffic to it would never leave the VPC, got "${cidr}"`,
    );
  }

  const tokenSecretArn = r.optional("consulTokenSecretArn", SECRET_ARN, SECRET_ARN_ALLOWED);
  if (r.string("consulTokenSecretArn") === "") required("consulTokenSecretArn", "Secrets Manager secret ARN");
  const caCertSecretArn = r.optional("consulCaCertSecretArn", SECRET_ARN, SECRET_ARN_ALLOWED);
  if (caCertSecretArn !== undefined && addr && !addr.tls) {
    r.fail(
      qualifiedKey("consulCaCertSecretArn"),
      "needs an https:// consulHttpAddr (a CA certificate only matters with TLS)",
    );
  }

  const peering = r.optional(
    "consulPeeringConnectionId",
    PEERING_ID,
    "a VPC peering connection id pcx-<hex>",
  );
  const tgw = r.optional("consulTransitGatewayId", TGW_ID, "a transit gateway id tgw-<hex>");
  if (r.string("consulPeeringConnectionId") !== "" && r.string("consulTransitGatewayId") !== "") {
    r.fail(
      qualifiedKey("consulTransitGatewayId"),
      "must be empty when consulPeeringConnectionId is set: Consul is reached through one of them",
    );
  } else if (r.string("consulPeeringConnectionId") === "" && r.string("consulTransitGatewayId") === "") {
    r.fail(
      qualifiedKey("consulPeeringConnectionId"),
      "or consulTransitGatewayId is required when consulMode is external: the private route tables need a next hop for consulCidr",
    );
  }
  const route: ConsulRoute =
    tgw !== undefined ? { kind: "transitGateway", id: tgw } : { kind: "peering", id: peering ?? "" };

  const domain = r.string("consulDnsDomain").toLowerCase();
  const servers = r.list("consulDnsServers");
  let dns: ConsulDns = { kind: "ip" };
  if (!addr || shadowed) {
    // The address itself is already reported; DNS advice would only add noise.
  } else if (!IPV4.test(addr.host)) {
    if (domain === "") {
      r.fail(
        qualifiedKey("consulDnsDomain"),
        `is required when consulHttpAddr names a host (${addr.host}): the domain a Route 53 Resolver rule forwards to consulDnsServers; or put an IP address in consulHttpAddr`,
      );
    } else if (!isDnsName(domain)) {
      r.fail(qualifiedKey("consulDnsDomain"), `must be a lowercase DNS name, got "${domain}"`);
    } else if (!isUnderDomain(addr.host.toLowerCase(), domain)) {
      r.fail(qualifiedKey("consulDnsDomain"), `must contain the Consul host ${addr.host}, got "${domain}"`);
    } else if (isDnsName(namespaceName) && isUnderDomain(domain, namespaceName)) {
      r.fail(
        qualifiedKey("consulDnsDomain"),
        `lies under the Cloud Map namespace ${namespaceName}, whose private hosted zone shadows it; got "${domain}"`,
      );
    }
    if (servers.length === 0 && domain !== "")
      r.fail(
        qualifiedKey("consulDnsServers"),
        `is required with consulDnsDomain: the IPv4 addresses of the DNS servers for ${domain}`,
      );
    dns = { kind: "forward", domain, servers };
  } else if (domain !== "" || servers.length > 0) {
    r.fail(
      qualifiedKey(domain !== "" ? "consulDnsDomain" : "consulDnsServers"),
      "must be empty when consulHttpAddr holds an IP address (nothing to resolve)",
    );
  }
  const badServer = servers.find((ip) => !IPV4.test(ip));
  if (badServer !== undefined)
    r.fail(qualifiedKey("consulDnsServers"), `must be comma-separated IPv4 addresses, got "${badServer}"`);

  const checkImage = r.optional(
    "consulImage",
    IMAGE_BY_DIGEST,
    "an image pinned by digest, registry/repo[:tag]@sha256:<64 hex>",
  );
  for (const key of EMBEDDED_ONLY) {
    if (r.string(key) !== "") r.fail(qualifiedKey(key), "is for consulMode embedded only; remove it");
  }
  return {
    kind: "external",
    httpAddr: addrText,
    host: addr?.host ?? "",
    tls: addr?.tls ?? false,
    port: addr?.port ?? 8500,
    cidr,
    tokenSecretArn: tokenSecretArn ?? "",
    caCertSecretArn,
    route,
    dns,
    deregisterOnDestroy: r.bool("consulDeregisterOnDestroy"),
    checkImage,
  };
}

function readConsulSync(r: Reader, namespaceName: string, vpcCidr: string): ConsulSyncSettings | undefined {
  for (const key of Object.keys(RETIRED_KEYS) as RetiredKey[]) {
    if (r.retired(key) !== undefined) r.fail(`${PROJECT}:${key}`, RETIRED_KEYS[key]);
  }
  const mode = r.oneOf("consulMode", CONSUL_MODES, (s) => s as ConsulMode);
  const version = r.string("consulAwsVersion");
  const digest = r.optional("consulAwsDigest", DIGEST, "an image digest sha256:<64 hex>");
  const pollInterval = r.string("consulSyncPollInterval");
  const dnsTtl = r.int("consulSyncDnsTtl", 0, 3600);
  const inConsul = r.string("consulSyncPrefixInConsul");
  const inCloudMap = r.string("consulSyncPrefixInCloudMap");
  const caInitImage = r.string("consulCaInitImage");
  const knownServices = r.list("consulKnownServices");
  // An unknown mode is already reported; don't pile the first mode's requirements on top.
  if (mode === "off" || !(CONSUL_MODES as readonly string[]).includes(r.string("consulMode")))
    return undefined;

  const consul = mode === "embedded" ? readEmbeddedConsul(r) : readExternalConsul(r, namespaceName, vpcCidr);
  if (!VERSION.test(version))
    r.fail(qualifiedKey("consulAwsVersion"), `must be a version x.y.z, got "${version}"`);
  if (!GO_DURATION.test(pollInterval))
    r.fail(
      qualifiedKey("consulSyncPollInterval"),
      `must be a duration like 30s, 1m, 500ms, got "${pollInterval}"`,
    );
  for (const [key, value] of [
    ["consulSyncPrefixInConsul", inConsul],
    ["consulSyncPrefixInCloudMap", inCloudMap],
  ] as const) {
    if (!PREFIX.test(value))
      r.fail(qualifiedKey(key), `must be up to 20 characters of a-z, 0-9 and -, got "${value}"`);
  }
  if (!IMAGE_BY_DIGEST.test(caInitImage))
    r.fail(
      qualifiedKey("consulCaInitImage"),
      `must be an image by digest registry/repo[:tag]@sha256:<64 hex>, got "${caInitImage}"`,
    );
  const badService = knownServices.find((s) => !DNS_LABEL.test(s));
  if (badService !== undefined)
    r.fail(qualifiedKey("consulKnownServices"), `must be comma-separated DNS labels, got "${badService}"`);

  return {
    mode,
    consul,
    image: `public.ecr.aws/hashicorp/consul-aws:${version}${digest ? `@${digest}` : ""}`,
    caInitImage,
    pollInterval,
    dnsTtl,
    prefixes: { inConsul, inCloudMap },
    knownServices,
  };
}

/** Reads and validates every setting; never throws. */
export function parseSettings(raw: RawConfig): SettingsResult {
  const r = new Reader(raw);

  const region = (raw[REGION_KEY] ?? "").trim();
  if (!REGION.test(region)) r.fail(REGION_KEY, `must be an AWS region like us-east-1, got "${region}"`);

  const vpcCidr = r.string("vpcCidr");
  const cidr = parseIpv4Cidr(vpcCidr);
  if (!cidr || cidr.prefix < 16 || cidr.prefix > 24) {
    r.fail(
      qualifiedKey("vpcCidr"),
      `must be an IPv4 network CIDR from /16 to /24 like 10.0.0.0/16, got "${vpcCidr}"`,
    );
  }
  const azCount = r.int("azCount", 2, 6);
  const regionAzs = availabilityZoneCount(region);
  if (regionAzs !== undefined && azCount > regionAzs) {
    r.fail(qualifiedKey("azCount"), `${region} has ${regionAzs} availability zones, got ${azCount}`);
  }
  const natGateways = r.oneOf("natGateways", NAT_STRATEGIES, (s) => s as NatStrategy);
  const vpcEndpoints = r.bool("vpcEndpoints");

  const containerInsights = r.oneOf("containerInsights", CONTAINER_INSIGHTS, (s) => s as ContainerInsights);
  const capacityStrategy = r.oneOf("capacityStrategy", CAPACITY_STRATEGIES, (s) => s as CapacityStrategy);

  const namespaceName = r.string("namespaceName");
  if (!isDnsName(namespaceName)) {
    r.fail(
      qualifiedKey("namespaceName"),
      `must be a lowercase DNS name (labels of a-z, 0-9, -; 1-63 characters, no leading or trailing -), got "${namespaceName}"`,
    );
  }
  const soaTtl = r.int("namespaceSoaTtl", 0, 300);
  const dnsTtl = r.int("dnsTtl", 0, 300);
  const discoveryMode = r.oneOf("discoveryMode", DISCOVERY_MODES, (s) => s as DiscoveryMode);
  const frontDoor = r.oneOf("frontDoor", FRONT_DOORS, (s) => s as FrontDoorKind);
  // API Gateway's account-level defaults are 10 000 rps and a 5 000 burst: a stage cannot exceed them.
  const throttle = {
    rateLimit: r.int("apiThrottleRateLimit", 1, 10000),
    burstLimit: r.int("apiThrottleBurstLimit", 1, 5000),
  };

  const autoscalingEnabled = r.bool("autoscaling");
  const cpuTargetPercent = r.int("autoscalingCpuTarget", 10, 90);
  const hello = readAppService(r, "hello", autoscalingEnabled);
  const name = readAppService(r, "name", autoscalingEnabled);

  const minHealthyPercent = r.int("minHealthyPercent", 0, 100);
  const maxPercent = r.int("maxPercent", 100, 200);
  if (maxPercent <= minHealthyPercent) {
    r.fail(
      qualifiedKey("maxPercent"),
      `must exceed minHealthyPercent (${minHealthyPercent}) or deployments cannot start a new task, got ${maxPercent}`,
    );
  }
  const stopTimeoutSeconds = r.int("stopTimeout", 2, 120);
  const enableExecuteCommand = r.bool("enableExecuteCommand");

  const logRetentionDays = r.oneOf("logRetentionDays", LOG_RETENTION_DAYS, Number);
  const retainCount = r.int("imageRetainCount", 1, 1000);
  const baseImage = r.string("baseImage");
  if (!IMAGE_REF.test(baseImage))
    r.fail(qualifiedKey("baseImage"), `must be an image reference registry/repo:tag, got "${baseImage}"`);
  const imageTag = r.optional(
    "imageTag",
    IMAGE_TAG,
    "a Docker tag (letters, digits, _ . -; at most 128, not starting with . or -)",
  );

  const production = r.bool("production");
  const certificateArn = r.optional(
    "certificateArn",
    CERTIFICATE_ARN,
    "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
  );
  const deregistrationDelaySeconds = r.int("deregistrationDelay", 0, 300);
  const secretsKmsKeyArn = r.optional(
    "secretsKmsKeyArn",
    KMS_KEY_ARN,
    "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)",
  );

  const consulSync = readConsulSync(r, namespaceName, vpcCidr);
  if (
    consulSync &&
    consulSync.prefixes.inCloudMap === "" &&
    consulSync.knownServices.some((s) => s === "hello" || s === "name")
  ) {
    r.fail(
      qualifiedKey("consulKnownServices"),
      "must not list hello or name without consulSyncPrefixInCloudMap: they would collide with the app services in Cloud Map",
    );
  }

  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  return {
    ok: true,
    settings: {
      region,
      production,
      network: { vpcCidr, azCount, natGateways, vpcEndpoints },
      cluster: { containerInsights, capacityStrategy },
      discovery: { namespaceName, soaTtl, dnsTtl, mode: discoveryMode },
      frontDoor: { kind: frontDoor, throttle },
      hello,
      name,
      autoscaling: { enabled: autoscalingEnabled, cpuTargetPercent },
      deployment: { minHealthyPercent, maxPercent, stopTimeoutSeconds, enableExecuteCommand },
      logRetentionDays,
      images: { retainCount, baseImage, tag: imageTag },
      loadBalancer: { certificateArn, deregistrationDelaySeconds },
      secretsKmsKeyArn,
      consulSync,
    },
  };
}

/** The configured secrets ECS must read for tasks (execution role scope); the embedded Consul's own are added where they are created. */
export function secretArnsOf(settings: Settings): string[] {
  const consul = settings.consulSync?.consul;
  if (consul?.kind !== "external") return [];
  return [consul.tokenSecretArn, ...(consul.caCertSecretArn ? [consul.caCertSecretArn] : [])];
}

/** Formats all problems as one error message. */
export function settingsErrorMessage(errors: readonly string[]): string {
  return `Invalid stack configuration (${errors.length} problem${errors.length === 1 ? "" : "s"}):\n${errors.map((e) => `  - ${e}`).join("\n")}`;
}
