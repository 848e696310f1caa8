/**
 * The stack's settings, read once and checked as a whole. Pulumi.yaml is the one source of each
 * setting's type, default and description (the Pulumi CLI applies its defaults before the program
 * runs); this file keeps only what Pulumi.yaml cannot say: formats, ranges and rules across
 * settings. The rules of one component's arguments live with the component (`xxxArgProblems`),
 * which checks them again when it is built; here they are named by the settings the arguments
 * come from. `parseSettings` is pure: raw config strings in, typed settings or every problem out.
 */
import {
  argName,
  ArgNames,
  ArgProblem,
  oneOf,
  parseIpv4Cidr,
  cidrsOverlap,
  IPV4,
  imageByTagOrDigest,
  matches,
  SECRET_ARN,
  SECRET_ARN_ALLOWED,
  shownValue,
  apiGatewayArgProblems,
  CAPACITY_STRATEGIES,
  CapacityStrategy,
  clusterArgProblems,
  ContainerInsights,
  ConsulDns,
  consulReachArgProblems,
  ConsulRoute,
  dnsServerProblems,
  ROUTE_ID,
  consulServerArgProblems,
  CONSUL_SERVICES_FORMAT,
  ConsulServiceArgs,
  parseConsulServices,
  consulAwsImage,
  consulAwsVersion,
  consulSyncArgProblems,
  imageDigest,
  parseConsulAddress,
  discoverableServiceArgProblems,
  loadBalancerArgProblems,
  namespaceArgProblems,
  DNS_LABEL,
  isDnsName,
  isUnderDomain,
  NatStrategy,
  networkArgProblems,
  capacityProviderStrategy,
  type ApiGatewayArgs,
  type ClusterArgs,
  type ConsulReachArgs,
  type ConsulServerOptions,
  type ConsulSyncArgs,
  type DiscoverableServiceArgs,
  type LoadBalancerOptions,
  type NamespaceOptions,
  type NetworkArgs,
} from "ecs-cloudmap-consul";
import { AppImageArgs, appImageArgProblems } from "./app-image";
import { alarmArgProblems } from "./observability";

export const PROJECT = "ecs-cloudmap-consul";
export const REGION_KEY = "aws:region";

export const DISCOVERY_MODES = ["dns", "serviceConnect"] as const;
export const FRONT_DOORS = ["alb", "apiGateway"] as const;
export type DiscoveryMode = (typeof DISCOVERY_MODES)[number];
export type FrontDoorKind = (typeof FRONT_DOORS)[number];

/** DiscoverableService's arguments that come from an app's settings and those all services share. */
export type AppServiceSettings = Pick<
  DiscoverableServiceArgs,
  | "containerPort"
  | "cpu"
  | "memory"
  | "desiredCount"
  | "autoscaling"
  | "capacityProviderStrategies"
  | "minHealthyPercent"
  | "maxPercent"
  | "stopTimeoutSeconds"
  | "enableExecuteCommand"
  | "dnsTtlSeconds"
  | "logRetentionDays"
  | "region"
>;

/** An app image's arguments (`app` is the program's). */
export type AppImageSettings = Omit<AppImageArgs, "app">;

/** The front door: which one, and the arguments of each (the stack's network and hello's Cloud Map service are added). */
export interface FrontDoorSettings {
  readonly kind: FrontDoorKind;
  readonly loadBalancer: LoadBalancerOptions;
  readonly apiGateway: Omit<ApiGatewayArgs, "vpcId" | "subnetIds" | "cloudMapServiceArn">;
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
  /** ConsulServer's arguments from the settings; its image (by version tag or digest) also runs the catalog check. */
  readonly server: ConsulServerOptions;
  /** Extra CIDRs admitted on the HTTP port. */
  readonly allowedCidrs: readonly string[];
}

/** An existing Consul reached over a peering or transit gateway (prod). */
export interface ExternalConsulSettings {
  readonly kind: "external";
  readonly httpAddr: string;
  readonly host: string;
  readonly tls: boolean;
  readonly port: number;
  readonly tokenSecretArn: string;
  readonly caCertSecretArn: string | undefined;
  /** ConsulReach's arguments from the settings: the network Consul lives in (consulCidr), the route and DNS to it. */
  readonly reach: Omit<ConsulReachArgs, "vpcId" | "privateSubnetIds">;
  readonly deregisterOnDestroy: boolean;
  /** Image (tag or digest) for the catalog check task; undefined: no check task. */
  readonly checkImage: string | undefined;
}

export interface ConsulSyncSettings {
  readonly mode: "embedded" | "external";
  readonly consul: EmbeddedConsulSettings | ExternalConsulSettings;
  /** ConsulSync's arguments from the settings; `image` by tag, or by digest when consulAwsDigest is set. */
  readonly args: Pick<
    ConsulSyncArgs,
    "image" | "caInitImage" | "pollInterval" | "dnsTtlSeconds" | "prefixes" | "logRetentionDays" | "region"
  >;
  readonly knownServices: readonly string[];
}

/**
 * Each component's arguments that come from settings sit under one key, built where the settings
 * are read and handed to the component as they are; the program adds only what the stack creates
 * (ids, ARNs, images by digest).
 */
export interface Settings {
  readonly region: string;
  readonly production: boolean;
  readonly logRetentionDays: number;
  readonly network: NetworkArgs;
  /** The secrets ECS reads for tasks are the configured ones; the embedded Consul's are added where they are created. */
  readonly cluster: ClusterArgs & { readonly secretArns: string[] };
  /** Namespace's arguments but the VPC and the cleanup, which name what the stack creates. */
  readonly namespace: NamespaceOptions;
  readonly discoveryMode: DiscoveryMode;
  readonly frontDoor: FrontDoorSettings;
  readonly hello: AppServiceSettings;
  readonly name: AppServiceSettings;
  /** Prebuilt images by digest (helloImage, nameImage) in `image`; undefined: built from apps/<app>. */
  readonly images: {
    readonly hello: AppImageSettings;
    readonly name: AppImageSettings;
    readonly forwarder: AppImageSettings;
  };
  /** undefined when consulMode is off. */
  readonly consulSync: ConsulSyncSettings | undefined;
  /** Consul services hello's task reaches through the forwarder sidecar (helloConsulServices); empty: none. */
  readonly helloConsulServices: readonly ConsulServiceArgs[];
  /** What operators see: EMF metrics, alarms (and deployment rollback on them), the dashboard. */
  readonly observability: {
    readonly metrics: boolean;
    readonly alarms: boolean;
    readonly alarmRollback: boolean;
    readonly alarmTopicArn: string | undefined;
    readonly dashboard: boolean;
  };
}

export type SettingsResult =
  { readonly ok: true; readonly settings: Settings } | { readonly ok: false; readonly errors: string[] };

/** Raw config as Pulumi hands it over: fully-qualified key -> string. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

/** A project setting's name as Pulumi.yaml declares it (without the `ecs-cloudmap-consul:` prefix). */
export type SettingKey = string;

/** `ecs-cloudmap-consul:<key>`; keys of other namespaces (`aws:region`) stay as they are. */
export function qualifiedKey(key: SettingKey): string {
  return key.includes(":") ? key : `${PROJECT}:${key}`;
}

/** Which setting each argument of a component comes from: `arg path -> setting key`. */
type SettingsOf = Readonly<Record<string, SettingKey>>;

const CONSUL_IMAGE_EXAMPLE = "public.ecr.aws/hashicorp/consul:1.21.5";

// ---- reading raw values ----

class Reader {
  readonly errors: string[] = [];
  private readonly failed = new Set<string>();
  private readonly texts = new Map<string, string>();

  constructor(private readonly raw: RawConfig) {}

  fail(key: SettingKey, message: string): void {
    const qualified = qualifiedKey(key);
    this.failed.add(qualified);
    this.errors.push(`${qualified}: ${message}`);
  }

  /**
   * The raw text of a setting, trimmed. Under the Pulumi CLI every declared setting arrives, its
   * default filled in from Pulumi.yaml; a missing one means the program ran without that.
   */
  string(key: SettingKey): string {
    const value = this.raw[qualifiedKey(key)];
    if (value === undefined) {
      this.fail(key, "is not set: Pulumi.yaml declares its default, which the Pulumi CLI applies");
      return "";
    }
    const text = value.trim();
    this.texts.set(qualifiedKey(key), text);
    return text;
  }

  /** Comma-separated values, trimmed, empty entries dropped. */
  list(key: SettingKey): string[] {
    return this.string(key)
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }

  /** The raw value of a key that no longer exists, if a stack still sets it. */
  retired(key: RetiredKey): string | undefined {
    return this.raw[qualifiedKey(key)];
  }

  /** An optional text: empty is undefined. */
  optional(key: SettingKey): string | undefined {
    const value = this.string(key);
    return value === "" ? undefined : value;
  }

  /** An integer, or NaN for any other text (the rule that checks it reports that). */
  int(key: SettingKey): number {
    const value = this.string(key);
    return /^-?\d+$/.test(value) ? Number(value) : NaN;
  }

  bool(key: SettingKey): boolean {
    const value = this.string(key);
    if (value !== "true" && value !== "false" && !this.failed.has(qualifiedKey(key))) {
      this.fail(key, `must be true or false, got "${value}"`);
    }
    return value === "true";
  }

  /** Names a component's arguments by the settings they come from. */
  names(settings: SettingsOf): ArgNames {
    return (arg) => settings[arg] ?? argName(arg);
  }

  /** Reports a component's problems under the settings they come from, one per setting. */
  report(problems: readonly ArgProblem[], settings: SettingsOf): void {
    for (const problem of problems) {
      const key = settings[problem.arg];
      if (key === undefined) throw new Error(`no setting feeds argument ${problem.arg}`);
      if (this.failed.has(qualifiedKey(key))) continue;
      // A number was parsed from text: show the text (a NaN came from "1.5", say).
      const shown = typeof problem.value === "number" ? this.texts.get(qualifiedKey(key)) : problem.value;
      this.fail(key, `${problem.message}${shownValue(shown)}`);
    }
  }

  /** Checks one setting with a rule of its own. */
  check<V>(key: SettingKey, value: V, rule: (value: V) => string | undefined): void {
    const message = rule(value);
    if (message !== undefined) this.report([{ arg: key, message, value }], { [key]: key });
  }
}

/** Each app's setting keys, spelled out so that searching for a key (`namePort`) finds where it is read. */
const APP_KEYS = {
  hello: {
    port: "helloPort",
    cpu: "helloCpu",
    memory: "helloMemory",
    desiredCount: "helloDesiredCount",
    minCount: "helloMinCount",
    maxCount: "helloMaxCount",
    image: "helloImage",
  },
  name: {
    port: "namePort",
    cpu: "nameCpu",
    memory: "nameMemory",
    desiredCount: "nameDesiredCount",
    minCount: "nameMinCount",
    maxCount: "nameMaxCount",
    image: "nameImage",
  },
} as const;

/** What every app service takes from the shared settings (deployment, DNS TTL, logs, capacity). */
type SharedServiceSettings = Omit<
  AppServiceSettings,
  "containerPort" | "cpu" | "memory" | "desiredCount" | "autoscaling"
>;

/** One app's DiscoverableService arguments, checked under the settings they come from. */
function readAppService(
  r: Reader,
  app: "hello" | "name",
  autoscaling: { readonly enabled: boolean; readonly cpuTargetPercent: number },
  shared: SharedServiceSettings,
): AppServiceSettings {
  const args: AppServiceSettings = {
    containerPort: r.int(APP_KEYS[app].port),
    cpu: r.int(APP_KEYS[app].cpu),
    memory: r.int(APP_KEYS[app].memory),
    desiredCount: r.int(APP_KEYS[app].desiredCount),
    // The bounds are read only when autoscaling uses them.
    autoscaling: autoscaling.enabled
      ? {
          minCount: r.int(APP_KEYS[app].minCount),
          maxCount: r.int(APP_KEYS[app].maxCount),
          cpuTargetPercent: autoscaling.cpuTargetPercent,
        }
      : undefined,
    ...shared,
  };
  const settings: SettingsOf = {
    containerPort: APP_KEYS[app].port,
    cpu: APP_KEYS[app].cpu,
    memory: APP_KEYS[app].memory,
    desiredCount: APP_KEYS[app].desiredCount,
    "autoscaling.minCount": APP_KEYS[app].minCount,
    "autoscaling.maxCount": APP_KEYS[app].maxCount,
    "autoscaling.cpuTargetPercent": "autoscalingCpuTarget",
    minHealthyPercent: "minHealthyPercent",
    maxPercent: "maxPercent",
    stopTimeoutSeconds: "stopTimeout",
    dnsTtlSeconds: "dnsTtl",
    logRetentionDays: "logRetentionDays",
  };
  r.report(discoverableServiceArgProblems(args, r.names(settings)), settings);
  return args;
}

/** Keys that belong to one consulMode only, so a leftover is pointed out rather than silently ignored. */
const EMBEDDED_ONLY: readonly SettingKey[] = ["consulAllowedCidrs"];
const EXTERNAL_ONLY: readonly SettingKey[] = [
  "consulHttpAddr",
  "consulCidr",
  "consulTokenSecretArn",
  "consulCaCertSecretArn",
  "consulPeeringConnectionId",
  "consulTransitGatewayId",
  "consulDnsDomain",
  "consulDnsServers",
];

/** What the Consul side takes from the rest of the settings. */
interface ConsulContext {
  readonly namespaceName: string;
  readonly network: NetworkArgs;
  readonly logRetentionDays: number;
  readonly enableExecuteCommand: boolean;
}

function readEmbeddedConsul(r: Reader, context: ConsulContext): EmbeddedConsulSettings {
  const logDays = context.logRetentionDays;
  const serverImage = r.string("consulImage");
  if (serverImage === "") {
    r.fail(
      "consulImage",
      `is required when consulMode is embedded: the Consul image by version tag (resolved to its digest at deploy) or digest, e.g. ${CONSUL_IMAGE_EXAMPLE}`,
    );
  } else {
    r.report(consulServerArgProblems({ image: serverImage, logRetentionDays: logDays }), {
      image: "consulImage",
      logRetentionDays: "logRetentionDays",
    });
  }
  const allowedCidrs = r.list("consulAllowedCidrs");
  const badCidr = allowedCidrs.find((c) => !parseIpv4Cidr(c));
  if (badCidr !== undefined)
    r.fail(
      "consulAllowedCidrs",
      `must be comma-separated IPv4 network CIDRs like 10.0.0.0/16, got "${badCidr}"`,
    );
  for (const key of EXTERNAL_ONLY) {
    if (r.string(key) !== "")
      r.fail(
        key,
        "is for consulMode external only: the embedded Consul is reached inside the VPC; remove it",
      );
  }
  const server = {
    image: serverImage,
    logRetentionDays: logDays,
    region: context.network.region,
    enableExecuteCommand: context.enableExecuteCommand,
  };
  return { kind: "embedded", server, allowedCidrs };
}

function readExternalConsul(r: Reader, { namespaceName, network }: ConsulContext): ExternalConsulSettings {
  const vpcCidr = network.cidrBlock;
  const required = (key: SettingKey, what: string) =>
    r.fail(key, `is required when consulMode is external (${what})`);
  const addrText = r.string("consulHttpAddr");
  const addr = parseConsulAddress(addrText);
  if (addrText === "") required("consulHttpAddr", "http://host[:port] or https://host[:port]");
  else if (!addr)
    r.fail("consulHttpAddr", `must be http://host[:port] or https://host[:port], got "${addrText}"`);
  const shadowed =
    addr !== undefined && isDnsName(namespaceName) && isUnderDomain(addr.host.toLowerCase(), namespaceName);
  if (shadowed && addr) {
    r.fail(
      "consulHttpAddr",
      `host ${addr.host} lies under the Cloud Map namespace ${namespaceName}: Route 53 Resolver answers it from the namespace's private hosted zone, ` +
        `which shadows any other record of that name (NXDOMAIN); use a host outside ${namespaceName} or an IP address`,
    );
  }

  const cidr = r.string("consulCidr");
  if (cidr === "") required("consulCidr", "IPv4 CIDR of the Consul servers");
  else if (parseIpv4Cidr(cidr) && parseIpv4Cidr(vpcCidr) && cidrsOverlap(cidr, vpcCidr)) {
    r.fail(
      "consulCidr",
      `overlaps the VPC's ${vpcCidr}: traffic to it would never leave the VPC, got "${cidr}"`,
    );
  }

  const tokenSecretArn = r.optional("consulTokenSecretArn");
  if (tokenSecretArn === undefined) required("consulTokenSecretArn", "Secrets Manager secret ARN");
  else r.check("consulTokenSecretArn", tokenSecretArn, matches(SECRET_ARN, SECRET_ARN_ALLOWED));
  const caCertSecretArn = r.optional("consulCaCertSecretArn");
  if (caCertSecretArn !== undefined) {
    r.check("consulCaCertSecretArn", caCertSecretArn, matches(SECRET_ARN, SECRET_ARN_ALLOWED));
    if (addr && !addr.tls)
      r.fail(
        "consulCaCertSecretArn",
        "needs an https:// consulHttpAddr (a CA certificate only matters with TLS)",
      );
  }

  const peering = r.optional("consulPeeringConnectionId");
  const tgw = r.optional("consulTransitGatewayId");
  // The route takes the transit gateway when both are set: check the peering id on its own.
  if (peering !== undefined) r.check("consulPeeringConnectionId", peering, ROUTE_ID.peering);
  if (peering !== undefined && tgw !== undefined) {
    r.fail(
      "consulTransitGatewayId",
      "must be empty when consulPeeringConnectionId is set: Consul is reached through one of them",
    );
  } else if (peering === undefined && tgw === undefined) {
    r.fail(
      "consulPeeringConnectionId",
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
        "consulDnsDomain",
        `is required when consulHttpAddr names a host (${addr.host}): the domain a Route 53 Resolver rule forwards to consulDnsServers; or put an IP address in consulHttpAddr`,
      );
    } else if (isDnsName(domain) && !isUnderDomain(addr.host.toLowerCase(), domain)) {
      // (A domain under the namespace would hold a host under it: that host is refused above.)
      r.fail("consulDnsDomain", `must contain the Consul host ${addr.host}, got "${domain}"`);
    }
    if (servers.length === 0 && domain !== "")
      r.fail(
        "consulDnsServers",
        `is required with consulDnsDomain: the IPv4 addresses of the DNS servers for ${domain}`,
      );
    dns = { kind: "forward", domain, servers };
  } else if (domain !== "" || servers.length > 0) {
    r.fail(
      domain !== "" ? "consulDnsDomain" : "consulDnsServers",
      "must be empty when consulHttpAddr holds an IP address (nothing to resolve)",
    );
  }
  r.report(
    [
      ...consulReachArgProblems({ consulCidr: cidr, route, dns }),
      // ConsulReach sees the servers only when it forwards; the setting is checked whatever the address.
      ...dnsServerProblems(servers),
    ],
    {
      consulCidr: "consulCidr",
      "route.id": route.kind === "peering" ? "consulPeeringConnectionId" : "consulTransitGatewayId",
      "dns.domain": "consulDnsDomain",
      "dns.servers": "consulDnsServers",
    },
  );

  const checkImage = r.optional("consulImage");
  if (checkImage !== undefined) r.check("consulImage", checkImage, imageByTagOrDigest);
  for (const key of EMBEDDED_ONLY) {
    if (r.string(key) !== "") r.fail(key, "is for consulMode embedded only; remove it");
  }
  return {
    kind: "external",
    httpAddr: addrText,
    host: addr?.host ?? "",
    tls: addr?.tls ?? false,
    port: addr?.port ?? 8500,
    tokenSecretArn: tokenSecretArn ?? "",
    caCertSecretArn,
    reach: { routeTableCount: network.availabilityZoneCount, consulCidr: cidr, route, dns },
    deregisterOnDestroy: r.bool("consulDeregisterOnDestroy"),
    checkImage,
  };
}

function readConsulSync(r: Reader, context: ConsulContext): ConsulSyncSettings | undefined {
  for (const key of Object.keys(RETIRED_KEYS) as RetiredKey[]) {
    if (r.retired(key) !== undefined) r.fail(key, RETIRED_KEYS[key]);
  }
  const modeText = r.string("consulMode");
  r.check("consulMode", modeText, oneOf<string>(CONSUL_MODES));
  // Off, or an unknown mode (already reported): the sync's settings are not read, so not checked.
  if (modeText !== "embedded" && modeText !== "external") return undefined;
  const mode: "embedded" | "external" = modeText;

  const consul = mode === "embedded" ? readEmbeddedConsul(r, context) : readExternalConsul(r, context);
  const version = r.string("consulAwsVersion");
  r.check("consulAwsVersion", version, consulAwsVersion);
  const digest = r.optional("consulAwsDigest");
  if (digest !== undefined) r.check("consulAwsDigest", digest, imageDigest);
  const sync = {
    image: consulAwsImage(version, digest),
    caInitImage: r.string("consulCaInitImage"),
    pollInterval: r.string("consulSyncPollInterval"),
    dnsTtlSeconds: r.int("consulSyncDnsTtl"),
    prefixes: {
      inConsul: r.string("consulSyncPrefixInConsul"),
      inCloudMap: r.string("consulSyncPrefixInCloudMap"),
    },
    logRetentionDays: context.logRetentionDays,
    region: context.network.region,
  };
  // The image is checked above, by the two settings it is made of (consulAwsVersion, consulAwsDigest).
  r.report(consulSyncArgProblems({ ...sync, image: undefined }), {
    caInitImage: "consulCaInitImage",
    pollInterval: "consulSyncPollInterval",
    dnsTtlSeconds: "consulSyncDnsTtl",
    "prefixes.inConsul": "consulSyncPrefixInConsul",
    "prefixes.inCloudMap": "consulSyncPrefixInCloudMap",
    logRetentionDays: "logRetentionDays",
  });
  const knownServices = r.list("consulKnownServices");
  const badService = knownServices.find((s) => !DNS_LABEL.test(s));
  if (badService !== undefined)
    r.fail("consulKnownServices", `must be comma-separated DNS labels, got "${badService}"`);
  else if (sync.prefixes.inCloudMap === "" && knownServices.some((s) => s === "hello" || s === "name")) {
    r.fail(
      "consulKnownServices",
      "must not list hello or name without consulSyncPrefixInCloudMap: they would collide with the app services in Cloud Map",
    );
  }

  return { mode, consul, args: sync, knownServices };
}

/** Each part can be turned off alone, but an alarm needs what it watches. */
function readObservability(r: Reader): Settings["observability"] {
  const o = {
    metrics: r.bool("metrics"),
    alarms: r.bool("alarms"),
    alarmRollback: r.bool("alarmRollback"),
    alarmTopicArn: r.optional("alarmTopicArn"),
    dashboard: r.bool("dashboard"),
  };
  if (o.alarms && !o.metrics)
    r.fail(
      "alarms",
      "needs metrics: true (hello's alarms watch the metrics the apps write); set metrics to true, or alarms and alarmRollback to false",
    );
  if (o.alarmRollback && !o.alarms)
    r.fail(
      "alarmRollback",
      "needs alarms: true (ECS rolls back on the stack's alarms); set alarms to true or alarmRollback to false",
    );
  if (o.alarmTopicArn !== undefined && !o.alarms)
    r.fail(
      "alarmTopicArn",
      "needs alarms: true (it is told of alarms); set alarms to true or remove alarmTopicArn",
    );
  r.report(alarmArgProblems({ topicArn: o.alarmTopicArn }), { topicArn: "alarmTopicArn" });
  return o;
}

/** Reads and checks every setting; never throws. */
export function parseSettings(raw: RawConfig): SettingsResult {
  const r = new Reader(raw);
  const region = (raw[REGION_KEY] ?? "").trim();

  const network: NetworkArgs = {
    cidrBlock: r.string("vpcCidr"),
    availabilityZoneCount: r.int("azCount"),
    natGateways: r.string("natGateways") as NatStrategy,
    vpcEndpoints: r.bool("vpcEndpoints"),
    region,
  };
  r.report(networkArgProblems(network), {
    region: REGION_KEY,
    cidrBlock: "vpcCidr",
    availabilityZoneCount: "azCount",
    natGateways: "natGateways",
  });

  const logDays = r.int("logRetentionDays");
  const secretsKmsKeyArn = r.optional("secretsKmsKeyArn");
  const containerInsights = r.string("containerInsights") as ContainerInsights;
  r.report(
    clusterArgProblems({
      containerInsights,
      secretsKmsKeyArn,
      logRetentionDays: logDays,
      defaultStrategy: [],
      region,
    }),
    {
      containerInsights: "containerInsights",
      secretsKmsKeyArn: "secretsKmsKeyArn",
      logRetentionDays: "logRetentionDays",
    },
  );
  const capacityStrategy = r.string("capacityStrategy") as CapacityStrategy;
  r.check("capacityStrategy", capacityStrategy, oneOf(CAPACITY_STRATEGIES));

  const namespaceName = r.string("namespaceName");
  const namespace = { name: namespaceName, soaTtlSeconds: r.int("namespaceSoaTtl") };
  r.report(namespaceArgProblems(namespace), { name: "namespaceName", soaTtlSeconds: "namespaceSoaTtl" });
  const dnsTtl = r.int("dnsTtl");
  const discoveryMode = r.string("discoveryMode") as DiscoveryMode;
  r.check("discoveryMode", discoveryMode, oneOf(DISCOVERY_MODES));
  const frontDoor = r.string("frontDoor") as FrontDoorKind;
  r.check("frontDoor", frontDoor, oneOf(FRONT_DOORS));
  const throttle = { rateLimit: r.int("apiThrottleRateLimit"), burstLimit: r.int("apiThrottleBurstLimit") };
  const helloPort = r.int("helloPort");
  const apiGateway = { targetPort: helloPort, throttle, logRetentionDays: logDays };
  if (frontDoor === "apiGateway") {
    r.report(apiGatewayArgProblems(apiGateway), {
      targetPort: "helloPort",
      "throttle.rateLimit": "apiThrottleRateLimit",
      "throttle.burstLimit": "apiThrottleBurstLimit",
      logRetentionDays: "logRetentionDays",
    });
  }

  const autoscalingEnabled = r.bool("autoscaling");
  const cpuTargetPercent = r.int("autoscalingCpuTarget");
  const minHealthyPercent = r.int("minHealthyPercent");
  const maxPercent = r.int("maxPercent");
  const stopTimeoutSeconds = r.int("stopTimeout");
  const enableExecuteCommand = r.bool("enableExecuteCommand");
  const sharedService: SharedServiceSettings = {
    minHealthyPercent,
    maxPercent,
    stopTimeoutSeconds,
    enableExecuteCommand,
    capacityProviderStrategies: capacityProviderStrategy(capacityStrategy),
    dnsTtlSeconds: dnsTtl,
    logRetentionDays: logDays,
    region,
  };
  const autoscaling = { enabled: autoscalingEnabled, cpuTargetPercent };
  const hello = readAppService(r, "hello", autoscaling, sharedService);
  const name = readAppService(r, "name", autoscaling, sharedService);

  const image = {
    retainCount: r.int("imageRetainCount"),
    baseImage: r.string("baseImage"),
    tag: r.optional("imageTag"),
  };
  const prebuilt = { hello: r.optional("helloImage"), name: r.optional("nameImage") };
  r.report(appImageArgProblems(image), {
    retainCount: "imageRetainCount",
    baseImage: "baseImage",
    tag: "imageTag",
  });
  for (const app of ["hello", "name"] as const) {
    r.report(appImageArgProblems({ image: prebuilt[app] }), { image: APP_KEYS[app].image });
  }

  const production = r.bool("production");
  const loadBalancer = {
    targetPort: helloPort,
    certificateArn: r.optional("certificateArn"),
    deregistrationDelaySeconds: r.int("deregistrationDelay"),
    domainName: r.optional("domainName"),
    hostedZoneId: r.optional("hostedZoneId"),
    deletionProtection: production,
  };
  if (frontDoor === "alb") {
    r.report(loadBalancerArgProblems(loadBalancer), {
      targetPort: "helloPort",
      certificateArn: "certificateArn",
      deregistrationDelaySeconds: "deregistrationDelay",
      domainName: "domainName",
      hostedZoneId: "hostedZoneId",
    });
  }

  const consulSync = readConsulSync(r, {
    namespaceName,
    network,
    logRetentionDays: logDays,
    enableExecuteCommand,
  });
  const helloConsulServices = readHelloConsulServices(r, consulSync, helloPort, network.cidrBlock);
  const observability = readObservability(r);
  // The images the stack builds share these; forceDelete lets a destroy remove a non-production repository with its images.
  const images = { ...image, forceDelete: !production };

  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  return {
    ok: true,
    settings: {
      region,
      production,
      logRetentionDays: logDays,
      // ECS Exec's agent reaches SSM through the ssmmessages endpoint when the VPC has endpoints.
      network: {
        ...network,
        extraInterfaceEndpoints: enableExecuteCommand ? ["ssmmessages"] : [],
      },
      cluster: {
        containerInsights,
        defaultStrategy: capacityProviderStrategy(capacityStrategy),
        secretArns: configuredSecretArns(consulSync),
        secretsKmsKeyArn,
        region,
        logRetentionDays: logDays,
      },
      namespace,
      discoveryMode,
      frontDoor: { kind: frontDoor, loadBalancer, apiGateway },
      hello,
      name,
      images: {
        hello: { ...images, image: prebuilt.hello },
        name: { ...images, image: prebuilt.name },
        forwarder: images,
      },
      consulSync,
      helloConsulServices,
      observability,
    },
  };
}

/** The configured secrets ECS must read for tasks (execution role scope); the embedded Consul's own are added where they are created. */
function configuredSecretArns(sync: ConsulSyncSettings | undefined): string[] {
  const consul = sync?.consul;
  if (consul?.kind !== "external") return [];
  return [consul.tokenSecretArn, ...(consul.caCertSecretArn ? [consul.caCertSecretArn] : [])];
}

/**
 * helloConsulServices: what consul-aws imports has SRV records only, so hello's task reaches it through
 * the forwarder at 127.0.0.1:<port>. The instances live where Consul does: consulCidr (external) or
 * the stack's VPC (embedded).
 */
function readHelloConsulServices(
  r: Reader,
  sync: ConsulSyncSettings | undefined,
  helloPort: number,
  vpcCidr: string,
): readonly ConsulServiceArgs[] {
  const entries = r.list("helloConsulServices");
  if (entries.length === 0) return [];
  if (!sync) {
    r.fail(
      "helloConsulServices",
      "needs consulMode embedded or external: the services are Consul's, imported by consul-aws",
    );
    return [];
  }
  const { prefixes } = sync.args;
  const remoteCidr = sync.consul.kind === "external" ? sync.consul.reach.consulCidr : vpcCidr;
  const parsed = parseConsulServices(entries, { prefix: prefixes.inCloudMap, remoteCidr });
  if ("bad" in parsed) {
    r.fail("helloConsulServices", `must be ${CONSUL_SERVICES_FORMAT}, got "${parsed.bad}"`);
    return [];
  }
  const exported = (s: ConsulServiceArgs) => s.name.slice(prefixes.inCloudMap.length);
  const unknown = parsed.services.find((s) => !sync.knownServices.includes(exported(s)));
  if (unknown)
    r.fail(
      "helloConsulServices",
      `lists ${exported(unknown)}, which consulKnownServices (${sync.knownServices.join(",")}) does not: list it there too, so the catalog check expects it in Cloud Map`,
    );
  const onHelloPort = parsed.services.find((s) => s.localPort === helloPort);
  if (onHelloPort)
    r.fail(
      "helloConsulServices",
      `port ${helloPort} is hello's own (helloPort): choose another for ${exported(onHelloPort)}`,
    );
  return parsed.services;
}

/** Formats all problems as one error message. */
export function settingsErrorMessage(errors: readonly string[]): string {
  return `Invalid stack configuration (${errors.length} problem${errors.length === 1 ? "" : "s"}):\n${errors.map((e) => `  - ${e}`).join("\n")}`;
}
