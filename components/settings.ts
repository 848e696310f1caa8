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
const CA_INIT_IMAGE = "public.ecr.aws/docker/library/busybox:1.36.1@sha256:73aaf090f3d85aa34ee199857f03fa3a95c8ede2ffd4cc2cdb5b94e566b11662";

/** Project config keys (without the `ecs-cloudmap-consul:` prefix); mirrored by Pulumi.yaml. */
export const CONFIG_KEYS = {
    vpcCidr: { type: "string", default: "10.0.0.0/16", description: "IPv4 CIDR of the VPC, /16 to /24." },
    azCount: { type: "integer", default: 2, description: "Availability zones to spread subnets over (2-6, at most the region's; an ALB needs two)." },
    natGateways: { type: "string", default: "Single", description: "NAT gateway strategy: Single or OnePerAz." },
    vpcEndpoints: { type: "boolean", default: false, description: "Create VPC endpoints (ECR, S3, logs, Secrets Manager, Cloud Map) so tasks reach AWS APIs without NAT." },
    containerInsights: { type: "string", default: "enabled", description: "ECS Container Insights: enabled, enhanced or disabled." },
    capacityStrategy: { type: "string", default: "ondemand", description: "Capacity for app services: ondemand (FARGATE), spot (FARGATE_SPOT) or mixed (1 on-demand task, then 1:3 on-demand:spot)." },
    namespaceName: { type: "string", default: "internal", description: "Cloud Map private DNS namespace (a DNS name, lowercase)." },
    namespaceSoaTtl: { type: "integer", default: 15, description: "SOA TTL and negative-answer TTL of the namespace, seconds (0-300)." },
    dnsTtl: { type: "integer", default: 10, description: "TTL of the A records Cloud Map serves for app services, seconds (0-300)." },
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
    autoscaling: { type: "boolean", default: false, description: "Target-tracking CPU autoscaling for hello and name." },
    autoscalingCpuTarget: { type: "integer", default: 60, description: "Average CPU percent autoscaling aims for (10-90)." },
    minHealthyPercent: { type: "integer", default: 100, description: "Deployment minimum healthy percent of app services (0-100)." },
    maxPercent: { type: "integer", default: 200, description: "Deployment maximum percent of app services (100-200, above minHealthyPercent)." },
    stopTimeout: { type: "integer", default: 30, description: "Seconds between SIGTERM and SIGKILL for app containers (2-120)." },
    enableExecuteCommand: { type: "boolean", default: false, description: "ECS Exec into app tasks (adds ssmmessages permissions)." },
    logRetentionDays: { type: "integer", default: 7, description: "CloudWatch log retention in days (one of the values CloudWatch allows)." },
    imageRetainCount: { type: "integer", default: 10, description: "Images kept per ECR repository (1-1000)." },
    baseImage: { type: "string", default: "public.ecr.aws/docker/library/node:20-bookworm-slim", description: "BASE_IMAGE build argument of the app Dockerfiles." },
    imageTag: { type: "string", default: "", description: "Tag pushed with the app images (e.g. the commit SHA); empty = the stack name. Tasks still run the digest." },
    production: { type: "boolean", default: false, description: "Production safeguards: ALB deletion protection on, ECR repositories not force-deleted." },
    certificateArn: { type: "string", default: "", description: "ACM certificate ARN for HTTPS on the ALB; empty = HTTP only." },
    deregistrationDelay: { type: "integer", default: 15, description: "Target group deregistration delay, seconds (0-300)." },
    secretsKmsKeyArn: { type: "string", default: "", description: "Customer-managed KMS key encrypting the secrets; empty = AWS-managed key." },
    consulSyncEnabled: { type: "boolean", default: false, description: "Run consul-aws to sync Cloud Map and Consul." },
    consulHttpAddr: { type: "string", default: "", description: "Consul HTTP address, http://host[:port] or https://host[:port] (https turns TLS on)." },
    consulCidr: { type: "string", default: "", description: "IPv4 CIDR the Consul servers live in: consul-aws may reach only this on the Consul port." },
    consulTokenSecretArn: { type: "string", default: "", description: "Secrets Manager ARN of the Consul ACL token." },
    consulCaCertSecretArn: { type: "string", default: "", description: "Secrets Manager ARN of the Consul CA certificate (PEM); https only." },
    consulAwsVersion: { type: "string", default: "0.1.3", description: "consul-aws image version (x.y.z)." },
    consulAwsDigest: { type: "string", default: "", description: "Digest of that consul-aws image (sha256:<64 hex>); empty = run it by tag (the policy pack refuses that)." },
    consulSyncPollInterval: { type: "string", default: "30s", description: "consul-aws -aws-poll-interval (Go duration, e.g. 30s, 1m)." },
    consulSyncDnsTtl: { type: "integer", default: 60, description: "consul-aws -aws-dns-ttl: TTL of records it creates in Cloud Map, seconds (0-3600)." },
    consulSyncPrefixInConsul: { type: "string", default: "", description: "Prefix of Cloud Map services' names in Consul (consul-aws flag -aws-service-prefix)." },
    consulSyncPrefixInCloudMap: { type: "string", default: "", description: "Prefix of Consul services' names in Cloud Map (consul-aws flag -consul-service-prefix)." },
    consulCaInitImage: { type: "string", default: CA_INIT_IMAGE, description: "Image of the init container that writes the Consul CA PEM to a file, by digest (name[:tag]@sha256:<64 hex>)." },
    consulKnownServices: { type: "string", default: "consul", description: "Comma-separated Consul services expected in Cloud Map (exported names only)." },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

export const NAT_STRATEGIES = ["Single", "OnePerAz"] as const;
export const CONTAINER_INSIGHTS = ["enabled", "enhanced", "disabled"] as const;
export const CAPACITY_STRATEGIES = ["ondemand", "spot", "mixed"] as const;
/** The retention values CloudWatch Logs accepts (0 = forever is excluded on purpose). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export type NatStrategy = (typeof NAT_STRATEGIES)[number];
export type CapacityStrategy = (typeof CAPACITY_STRATEGIES)[number];
export type ContainerInsights = (typeof CONTAINER_INSIGHTS)[number];

export interface AppServiceSettings {
    readonly port: number;
    readonly cpu: number;
    readonly memory: number;
    readonly desiredCount: number;
    readonly minCount: number;
    readonly maxCount: number;
}

export interface ConsulSyncSettings {
    readonly httpAddr: string;
    readonly tls: boolean;
    readonly port: number;
    readonly cidr: string;
    readonly tokenSecretArn: string;
    readonly caCertSecretArn: string | undefined;
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
    readonly cluster: { readonly containerInsights: ContainerInsights; readonly capacityStrategy: CapacityStrategy };
    readonly discovery: { readonly namespaceName: string; readonly soaTtl: number; readonly dnsTtl: number };
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
    readonly images: { readonly retainCount: number; readonly baseImage: string; readonly tag: string | undefined };
    readonly loadBalancer: { readonly certificateArn: string | undefined; readonly deregistrationDelaySeconds: number };
    readonly secretsKmsKeyArn: string | undefined;
    /** undefined when consul-aws is switched off. */
    readonly consulSync: ConsulSyncSettings | undefined;
}

export type SettingsResult = { readonly ok: true; readonly settings: Settings } | { readonly ok: false; readonly errors: string[] };

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
export const SECRET_ARN = new RegExp(`^${ARN_PREFIX}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`);
const SECRET_ARN_ALLOWED = "the complete Secrets Manager ARN, ending in the 6 characters AWS appends to the name (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf)";
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
/** Docker tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Splits `http(s)://host[:port]`; the port defaults to Consul's 8500 (http) / 8501 (https). */
export function parseConsulAddress(value: string): { readonly tls: boolean; readonly host: string; readonly port: number } | undefined {
    const match = /^(http|https):\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(value);
    if (!match) return undefined;
    const tls = match[1] === "https";
    const port = match[3] === undefined ? (tls ? 8501 : 8500) : Number(match[3]);
    if (port < 1 || port > 65535) return undefined;
    return { tls, host: match[2], port };
}

/**
 * Availability zones an account gets in a region, from the aws-regions data set (its `zone_limit`
 * where new accounts see fewer than the region has); undefined for a region it does not list.
 */
export function availabilityZoneCount(region: string): number | undefined {
    const known = (awsRegions as { code: string; zones: string[]; zone_limit?: number }[]).find((r) => r.code === region);
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
        r.fail(qualifiedKey(`${app}Memory`), `Fargate cpu ${cpu} allows memory ${allowedMemoryFor(cpu)} MiB, got ${memory}`);
    }
    const desiredCount = r.int(`${app}DesiredCount`, 0, MAX_TASKS);
    const minCount = r.int(`${app}MinCount`, 0, MAX_TASKS);
    const maxCount = r.int(`${app}MaxCount`, 1, MAX_TASKS);
    if (autoscaling) {
        if (minCount > maxCount) {
            r.fail(qualifiedKey(`${app}MinCount`), `must not exceed ${app}MaxCount (${minCount} > ${maxCount})`);
        } else if (desiredCount < minCount || desiredCount > maxCount) {
            r.fail(qualifiedKey(`${app}DesiredCount`), `must lie within ${app}MinCount..${app}MaxCount (${minCount}..${maxCount}) when autoscaling is on, got ${desiredCount}`);
        }
    }
    return { port, cpu, memory, desiredCount, minCount, maxCount };
}

function readConsulSync(r: Reader): ConsulSyncSettings | undefined {
    const enabled = r.bool("consulSyncEnabled");
    const addrText = r.string("consulHttpAddr");
    const cidr = r.string("consulCidr");
    const tokenSecretArn = r.optional("consulTokenSecretArn", SECRET_ARN, SECRET_ARN_ALLOWED);
    const caCertSecretArn = r.optional("consulCaCertSecretArn", SECRET_ARN, SECRET_ARN_ALLOWED);
    const version = r.string("consulAwsVersion");
    const digest = r.optional("consulAwsDigest", DIGEST, "an image digest sha256:<64 hex>");
    const pollInterval = r.string("consulSyncPollInterval");
    const dnsTtl = r.int("consulSyncDnsTtl", 0, 3600);
    const inConsul = r.string("consulSyncPrefixInConsul");
    const inCloudMap = r.string("consulSyncPrefixInCloudMap");
    const caInitImage = r.string("consulCaInitImage");
    const knownServices = r.string("consulKnownServices").split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (!enabled) return undefined;

    const addr = parseConsulAddress(addrText);
    if (addrText === "") r.fail(qualifiedKey("consulHttpAddr"), "is required when consulSyncEnabled is true (http://host[:port] or https://host[:port])");
    else if (!addr) r.fail(qualifiedKey("consulHttpAddr"), `must be http://host[:port] or https://host[:port], got "${addrText}"`);
    if (cidr === "") r.fail(qualifiedKey("consulCidr"), "is required when consulSyncEnabled is true (IPv4 CIDR of the Consul servers)");
    else if (!parseIpv4Cidr(cidr)) r.fail(qualifiedKey("consulCidr"), `must be an IPv4 network CIDR like 10.20.0.0/16, got "${cidr}"`);
    if (tokenSecretArn === undefined && r.string("consulTokenSecretArn") === "") {
        r.fail(qualifiedKey("consulTokenSecretArn"), "is required when consulSyncEnabled is true (Secrets Manager secret ARN)");
    }
    if (caCertSecretArn !== undefined && addr && !addr.tls) {
        r.fail(qualifiedKey("consulCaCertSecretArn"), "needs an https:// consulHttpAddr (a CA certificate only matters with TLS)");
    }
    if (!VERSION.test(version)) r.fail(qualifiedKey("consulAwsVersion"), `must be a version x.y.z, got "${version}"`);
    if (!GO_DURATION.test(pollInterval)) r.fail(qualifiedKey("consulSyncPollInterval"), `must be a duration like 30s, 1m, 500ms, got "${pollInterval}"`);
    for (const [key, value] of [["consulSyncPrefixInConsul", inConsul], ["consulSyncPrefixInCloudMap", inCloudMap]] as const) {
        if (!PREFIX.test(value)) r.fail(qualifiedKey(key), `must be up to 20 characters of a-z, 0-9 and -, got "${value}"`);
    }
    if (!IMAGE_BY_DIGEST.test(caInitImage)) r.fail(qualifiedKey("consulCaInitImage"), `must be an image by digest registry/repo[:tag]@sha256:<64 hex>, got "${caInitImage}"`);
    const badService = knownServices.find((s) => !DNS_LABEL.test(s));
    if (badService !== undefined) r.fail(qualifiedKey("consulKnownServices"), `must be comma-separated DNS labels, got "${badService}"`);

    return {
        httpAddr: addrText,
        tls: addr?.tls ?? false,
        port: addr?.port ?? 8500,
        cidr,
        tokenSecretArn: tokenSecretArn ?? "",
        caCertSecretArn,
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
        r.fail(qualifiedKey("vpcCidr"), `must be an IPv4 network CIDR from /16 to /24 like 10.0.0.0/16, got "${vpcCidr}"`);
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
        r.fail(qualifiedKey("namespaceName"), `must be a lowercase DNS name (labels of a-z, 0-9, -; 1-63 characters, no leading or trailing -), got "${namespaceName}"`);
    }
    const soaTtl = r.int("namespaceSoaTtl", 0, 300);
    const dnsTtl = r.int("dnsTtl", 0, 300);

    const autoscalingEnabled = r.bool("autoscaling");
    const cpuTargetPercent = r.int("autoscalingCpuTarget", 10, 90);
    const hello = readAppService(r, "hello", autoscalingEnabled);
    const name = readAppService(r, "name", autoscalingEnabled);

    const minHealthyPercent = r.int("minHealthyPercent", 0, 100);
    const maxPercent = r.int("maxPercent", 100, 200);
    if (maxPercent <= minHealthyPercent) {
        r.fail(qualifiedKey("maxPercent"), `must exceed minHealthyPercent (${minHealthyPercent}) or deployments cannot start a new task, got ${maxPercent}`);
    }
    const stopTimeoutSeconds = r.int("stopTimeout", 2, 120);
    const enableExecuteCommand = r.bool("enableExecuteCommand");

    const logRetentionDays = r.oneOf("logRetentionDays", LOG_RETENTION_DAYS, Number);
    const retainCount = r.int("imageRetainCount", 1, 1000);
    const baseImage = r.string("baseImage");
    if (!IMAGE_REF.test(baseImage)) r.fail(qualifiedKey("baseImage"), `must be an image reference registry/repo:tag, got "${baseImage}"`);
    const imageTag = r.optional("imageTag", IMAGE_TAG, "a Docker tag (letters, digits, _ . -; at most 128, not starting with . or -)");

    const production = r.bool("production");
    const certificateArn = r.optional("certificateArn", CERTIFICATE_ARN, "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)");
    const deregistrationDelaySeconds = r.int("deregistrationDelay", 0, 300);
    const secretsKmsKeyArn = r.optional("secretsKmsKeyArn", KMS_KEY_ARN, "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)");

    const consulSync = readConsulSync(r);
    if (consulSync && consulSync.prefixes.inCloudMap === "" && consulSync.knownServices.some((s) => s === "hello" || s === "name")) {
        r.fail(qualifiedKey("consulKnownServices"), "must not list hello or name without consulSyncPrefixInCloudMap: they would collide with the app services in Cloud Map");
    }

    if (r.errors.length > 0) return { ok: false, errors: r.errors };
    return {
        ok: true,
        settings: {
            region,
            production,
            network: { vpcCidr, azCount, natGateways, vpcEndpoints },
            cluster: { containerInsights, capacityStrategy },
            discovery: { namespaceName, soaTtl, dnsTtl },
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

/** The secrets ECS must read for tasks (execution role scope). */
export function secretArnsOf(settings: Settings): string[] {
    const sync = settings.consulSync;
    if (!sync) return [];
    return [sync.tokenSecretArn, ...(sync.caCertSecretArn ? [sync.caCertSecretArn] : [])];
}

/** Formats all problems as one error message. */
export function settingsErrorMessage(errors: readonly string[]): string {
    return `Invalid stack configuration (${errors.length} problem${errors.length === 1 ? "" : "s"}):\n${errors.map((e) => `  - ${e}`).join("\n")}`;
}
