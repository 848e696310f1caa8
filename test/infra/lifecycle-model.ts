/**
 * What the Pulumi engine does between two graphs of this program, and what AWS says about each
 * step: a model of a user's journey (an `up` after a setting changed, a `destroy`), offline.
 *
 * The engine (Pulumi's documented step order): resources are visited in dependency order; a new
 * one is created, a changed one updated, or replaced when a changed property cannot be updated in
 * place; a replacement creates the new resource first and deletes the old one at the end, unless
 * the resource declares `deleteBeforeReplace`. Removed resources and replaced old ones are deleted
 * last, in reverse dependency order.
 *
 * AWS (its API models and documented rules): which properties force a replacement, which names
 * must be unique where, and what AWS itself creates outside Pulumi's state: Service Connect's
 * Cloud Map services and consul-aws's imported ones. At every step the model checks that no two
 * live things claim one name, that nothing is deleted while a live one still needs it, and (for
 * a destroy) that nothing is left that blocks the namespace, the VPC or the cluster, and that no
 * code runs on the operator's machine that needs more than AWS's public APIs.
 */
import type { ProgramRun, RecordedResource } from "./harness";
import { replaceKeysOf } from "./replace-rules";

export type StepOp = "create" | "update" | "replace" | "delete-before-replace" | "delete" | "delete-replaced";

export interface Step {
  readonly op: StepOp;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Top-level properties whose change made the step (update and replace). */
  readonly changed: readonly string[];
}

/** A name AWS allows once in a scope (a namespace, a cluster, an account and region, a VPC). */
export interface Claim {
  readonly kind: string;
  readonly scope: string;
  readonly name: string;
}

/** Who holds a claim: a resource in state (by URN) or something AWS or consul-aws made. */
export interface Holder {
  readonly owner: string;
  /** True for what lives outside Pulumi's state (Service Connect's and consul-aws's Cloud Map services). */
  readonly outOfState: boolean;
}

export interface Finding {
  readonly kind: "collision" | "orphan" | "deleted-while-needed" | "not-redeployed" | "operator-network";
  readonly step: number;
  readonly message: string;
}

/** What exists in the account between runs: claims carried from one run to the next. */
export interface World {
  readonly claims: Map<string, Holder>;
}

export function emptyWorld(): World {
  return { claims: new Map() };
}

const T = {
  cloudMapService: "aws:servicediscovery/service:Service",
  namespace: "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
  ecsService: "aws:ecs/service:Service",
  cluster: "aws:ecs/cluster:Cluster",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  role: "aws:iam/role:Role",
  secret: "aws:secretsmanager/secret:Secret",
  route: "aws:ec2/route:Route",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  tgwAttachment: "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
  peering: "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
  vpc: "awsx:ec2:Vpc",
} as const;

const DYNAMIC = /^pulumi-nodejs:dynamic\//;

function key(c: Claim): string {
  return `${c.kind}|${c.scope}|${c.name}`;
}

/** The resources the engine tracks: custom resources, and awsx's VPC (a remote component, opaque under mocks). */
function tracked(run: ProgramRun): Map<string, RecordedResource> {
  const out = new Map<string, RecordedResource>();
  for (const r of run.resources) {
    if (!r.urn || r.type.startsWith("pulumi:providers:")) continue;
    if (r.custom || r.type === T.vpc) out.set(r.urn, r);
  }
  return out;
}

/** Dependency order over `resources` (each after everything it depends on that is also tracked). */
function topological(resources: Map<string, RecordedResource>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (urn: string) => {
    if (state.get(urn) === "done" || state.get(urn) === "visiting") return;
    state.set(urn, "visiting");
    for (const dep of resources.get(urn)?.dependencies ?? []) if (resources.has(dep)) visit(dep);
    state.set(urn, "done");
    order.push(urn);
  };
  for (const urn of [...resources.keys()].sort()) visit(urn);
  return order;
}

/** Strings by which other resources' inputs refer to this one (the mock's id and ARN, and a few computed outputs). */
export function fingerprints(r: RecordedResource): string[] {
  const out = [`${r.name}-id`];
  for (const k of [
    "arn",
    "repositoryUrl",
    "dnsName",
    "hostedZone",
    "apiEndpoint",
    "invokeUrl",
    "repoDigest",
  ]) {
    const v = r.state[k];
    if (typeof v === "string" && v.length > 8) out.push(v);
  }
  if (r.type === T.vpc) {
    out.push("vpc-mock");
    for (const k of ["publicSubnetIds", "privateSubnetIds"])
      for (const id of (r.state[k] as string[] | undefined) ?? []) out.push(id);
  }
  return out;
}

function mentions(value: unknown, marks: readonly string[]): boolean {
  const text = JSON.stringify(value ?? null);
  return marks.some((m) => text.includes(m));
}

/**
 * A Cloud Map service created again with the same name in the same namespace gets the same ID
 * (terraform-provider-aws#46930): whoever refers to it by ID or ARN sees no change.
 */
function keepsIdentity(before: RecordedResource, after: RecordedResource): boolean {
  return (
    before.type === T.cloudMapService &&
    before.inputs.name === after.inputs.name &&
    before.inputs.namespaceId === after.inputs.namespaceId
  );
}

const SKIP = new Set(["__provider", "__defaults"]);

/** The engine's steps from graph `a` to graph `b` (`b` empty for a destroy). */
export function planSteps(a: ProgramRun, b: ProgramRun | undefined): Step[] {
  const before = tracked(a);
  const after = b ? tracked(b) : new Map<string, RecordedResource>();
  const steps: Step[] = [];
  const replaced = new Set<string>();
  /** Replaced resources whose outputs (ids, ARNs) change: dependents that mention them change too. */
  const renewed = new Set<string>();

  for (const urn of topological(after)) {
    const next = after.get(urn)!;
    const prev = before.get(urn);
    const base = { urn, type: next.type, name: next.name };
    if (!prev) {
      steps.push({ ...base, op: "create", changed: [] });
      continue;
    }
    const ignore = new Set(next.options?.ignoreChanges ?? []);
    const changed = new Set<string>();
    for (const k of new Set([...Object.keys(prev.inputs), ...Object.keys(next.inputs)])) {
      if (SKIP.has(k) || ignore.has(k)) continue;
      if (JSON.stringify(prev.inputs[k]) !== JSON.stringify(next.inputs[k])) changed.add(k);
    }
    // Outputs of a dependency that was replaced are new values: properties fed by them change.
    for (const dep of next.dependencies) {
      if (!renewed.has(dep)) continue;
      const marks = fingerprints(after.get(dep) ?? before.get(dep)!);
      for (const [k, v] of Object.entries(next.inputs))
        if (!SKIP.has(k) && mentions(v, marks)) changed.add(k);
    }
    if (changed.size === 0) continue;
    const forcing = new Set([...replaceKeysOf(prev, next), ...(next.options?.replaceOnChanges ?? [])]);
    const replace = [...changed].some((k) => forcing.has(k));
    if (!replace) {
      steps.push({ ...base, op: "update", changed: [...changed].sort() });
      continue;
    }
    replaced.add(urn);
    if (!keepsIdentity(prev, next)) renewed.add(urn);
    if (next.options?.deleteBeforeReplace)
      steps.push({ ...base, op: "delete-before-replace", changed: [...changed].sort() });
    steps.push({ ...base, op: "replace", changed: [...changed].sort() });
  }

  const gone = [...before.keys()].filter((urn) => !after.has(urn));
  for (const urn of [...topological(before)].reverse()) {
    const r = before.get(urn)!;
    if (gone.includes(urn)) steps.push({ op: "delete", urn, type: r.type, name: r.name, changed: [] });
    else if (replaced.has(urn) && !r.options?.deleteBeforeReplace)
      steps.push({ op: "delete-replaced", urn, type: r.type, name: r.name, changed: [] });
  }
  return steps;
}

/** The namespace a Cloud Map reference names (an id or an ARN), as the namespace resource's URN. */
function namespaceScope(ref: unknown, runs: readonly ProgramRun[]): string {
  for (const run of runs)
    for (const r of run.resources)
      if (r.type === T.namespace && (ref === `${r.name}-id` || ref === r.state.arn)) return r.urn ?? r.name;
  return String(ref);
}

/** consul-aws's task definitions: the container whose command is `sync-catalog`. */
function syncTaskNamespace(task: RecordedResource | undefined): string | undefined {
  if (!task) return undefined;
  const containers = JSON.parse(String(task.inputs.containerDefinitions)) as { command?: string[] }[];
  const command = containers.find((c) => c.command?.[0] === "sync-catalog")?.command;
  if (!command) return undefined;
  const i = command.indexOf("-aws-namespace-id");
  return i >= 0 ? command[i + 1] : undefined;
}

interface ScService {
  readonly discoveryName?: string;
  readonly portName: string;
  readonly clientAlias?: { port: number; dnsName?: string }[];
}

/** The names a resource claims while it exists (in state). */
export function claimsOf(r: RecordedResource, runs: readonly ProgramRun[]): Claim[] {
  const i = r.inputs;
  const named = (kind: string, scope: string) =>
    typeof i.name === "string" ? [{ kind, scope, name: i.name }] : []; // no name: Pulumi auto-names it uniquely
  switch (r.type) {
    case T.cloudMapService:
      return [
        { kind: "Cloud Map service", scope: namespaceScope(i.namespaceId, runs), name: String(i.name) },
      ];
    case T.ecsService:
      return [...named("ECS service", String(i.cluster)), ...endpointsOf(r, runs)];
    case T.logGroup:
      return named("log group", "account");
    case T.targetGroup:
      return named("target group", "account");
    case T.role:
      return named("IAM role", "account");
    case T.secret:
      return named("secret", "account");
    case T.route:
      return [{ kind: "route", scope: String(i.routeTableId), name: String(i.destinationCidrBlock) }];
    case T.tgwAttachment:
      return [
        { kind: "transit gateway attachment", scope: String(i.transitGatewayId), name: String(i.vpcId) },
      ];
    case T.peering:
      return [{ kind: "VPC peering", scope: String(i.vpcId), name: String(i.peerVpcId) }];
    case T.ingress:
    case T.egress:
      return [
        {
          kind: `${r.type === T.ingress ? "ingress" : "egress"} rule`,
          scope: String(i.securityGroupId),
          name: `${String(i.ipProtocol)}/${String(i.fromPort)}-${String(i.toPort)} ${String(i.referencedSecurityGroupId ?? i.cidrIpv4)}`,
        },
      ];
    default:
      return [];
  }
}

/** The Service Connect endpoints (client aliases) an ECS service publishes: unique in the namespace. */
function endpointsOf(r: RecordedResource, runs: readonly ProgramRun[]): Claim[] {
  const sc = r.inputs.serviceConnectConfiguration as
    { enabled?: boolean; namespace?: string; services?: ScService[] } | undefined;
  if (!sc?.enabled) return [];
  const scope = namespaceScope(sc.namespace, runs);
  return (sc.services ?? []).flatMap((s) =>
    (s.clientAlias ?? []).map((alias) => ({
      kind: "Service Connect endpoint",
      scope,
      name: `${alias.dnsName ?? s.portName}:${alias.port}`,
    })),
  );
}

/**
 * What AWS or consul-aws creates because this resource runs, outside Pulumi's state: the Cloud Map
 * service of each Service Connect endpoint (named by its discovery name, else its port name), and
 * the Cloud Map services consul-aws creates for the Consul services it copies.
 */
export function sideClaimsOf(r: RecordedResource, run: ProgramRun, runs: readonly ProgramRun[]): Claim[] {
  if (r.type !== T.ecsService) return [];
  const claims: Claim[] = [];
  const sc = r.inputs.serviceConnectConfiguration as
    { enabled?: boolean; namespace?: string; services?: ScService[] } | undefined;
  if (sc?.enabled) {
    const scope = namespaceScope(sc.namespace, runs);
    for (const s of sc.services ?? [])
      claims.push({ kind: "Cloud Map service", scope, name: s.discoveryName ?? s.portName });
  }
  const task = run.resources.find(
    (t) => t.type === T.taskDefinition && r.inputs.taskDefinition === t.state.arn,
  );
  const namespaceId = syncTaskNamespace(task);
  if (namespaceId) {
    const check = run.outputs.consulCatalogCheck as
      { inCloudMap: { services: { cloudMapName: string }[] } } | undefined;
    for (const s of check?.inCloudMap.services ?? [])
      claims.push({
        kind: "Cloud Map service",
        scope: namespaceScope(namespaceId, runs),
        name: s.cloudMapName,
      });
  }
  return claims;
}

/** Whether a cleanup resource's delete removes this out-of-state Cloud Map service (judged from its stored inputs). */
export type CleanupReach = (cleanup: RecordedResource, holder: Holder, claim: Claim) => boolean;

export interface Simulation {
  readonly steps: Step[];
  readonly findings: Finding[];
  readonly world: World;
}

/** Node modules whose use means a connection to something other than AWS's public APIs. */
const RAW_NETWORK = /require\("(http|https|net|tls|dns|dgram)"\)/;

function parseClaimKey(k: string): Claim {
  const [kind, scope, name] = k.split("|");
  return { kind, scope, name };
}

function syncNamespaceOf(r: RecordedResource, run: ProgramRun | undefined): string | undefined {
  const task = run?.resources.find(
    (t) => t.type === T.taskDefinition && r.inputs.taskDefinition === t.state.arn,
  );
  return syncTaskNamespace(task);
}

/**
 * Runs the steps from `a` to `b` (`a` undefined: a first deploy; `b` undefined: destroy) against
 * the world earlier runs left, and reports every collision, every out-of-state service that blocks
 * the namespace, every resource deleted while a live one refers to it, every replaced Cloud Map
 * service whose ECS services are not redeployed, and every delete that needs the operator's
 * machine to reach more than AWS's APIs.
 */
export function simulate(
  world: World,
  a: ProgramRun | undefined,
  b: ProgramRun | undefined,
  cleanupReach: CleanupReach,
): Simulation {
  const empty: ProgramRun = { resources: [], outputs: {}, secretOutputs: [] };
  const from = a ?? empty;
  const steps = planSteps(from, b);
  const runs = [from, ...(b ? [b] : [])];
  const claims = new Map(world.claims);
  const findings: Finding[] = [];
  const original = tracked(from);
  const live = new Map(original);
  const newer = b ? tracked(b) : new Map<string, RecordedResource>();

  const claim = (c: Claim, holder: Holder, n: number) => {
    const held = claims.get(key(c));
    if (held && held.owner !== holder.owner) {
      findings.push({
        kind: "collision",
        step: n,
        message: `${c.kind} "${c.name}": ${holder.owner} claims it while ${held.owner}${held.outOfState ? " (outside Pulumi's state)" : ""} holds it`,
      });
      return;
    }
    claims.set(key(c), holder);
  };
  const releaseState = (urn: string) => {
    for (const [k, h] of [...claims]) if (h.owner === urn) claims.delete(k);
  };

  steps.forEach((step, n) => {
    if (step.op === "create" || step.op === "replace" || step.op === "update") {
      const r = newer.get(step.urn)!;
      if (step.op === "update") releaseState(step.urn); // an in-place rename gives up the old name first
      // Create-before-delete: the replacement claims its names while the old resource still holds them.
      const twin = step.op === "replace" && !r.options?.deleteBeforeReplace;
      for (const c of claimsOf(r, runs))
        claim(c, { owner: twin ? `${step.urn} (replacement)` : step.urn, outOfState: false }, n);
      const sync = syncNamespaceOf(r, b) !== undefined;
      for (const c of sideClaimsOf(r, b!, runs)) {
        const by = c.kind === "Cloud Map service" && sync ? "consul-aws" : "ECS Service Connect";
        claim(c, { owner: `${by} (${r.name})`, outOfState: true }, n);
      }
      if (step.op === "update" && r.type === T.vpc) checkSubnetLayout(original.get(step.urn)!, r, n);
      live.set(step.urn, r);
      if (step.op === "replace") checkRedeployed(r, n);
      return;
    }
    const r = step.op === "delete-replaced" ? original.get(step.urn)! : live.get(step.urn)!;
    if (step.op !== "delete-replaced") checkNotNeeded(r, step, n);
    if (r.type === T.namespace) checkEmpty(r, step, n);
    if (DYNAMIC.test(r.type) && step.op !== "delete-before-replace") {
      const provider = typeof r.inputs.__provider === "string" ? r.inputs.__provider : "";
      const raw = RAW_NETWORK.exec(provider);
      if (raw)
        findings.push({
          kind: "operator-network",
          step: n,
          message: `deleting ${r.name} runs code on the operator's machine that opens its own ${raw[1]} connections (not an AWS API call)`,
        });
      for (const [k, h] of [...claims])
        if (h.outOfState && cleanupReach(r, h, parseClaimKey(k))) claims.delete(k);
    }
    releaseState(step.urn);
    if (step.op === "delete-replaced") {
      for (const [k, h] of [...claims])
        if (h.owner === `${step.urn} (replacement)`) claims.set(k, { ...h, owner: step.urn });
      return;
    }
    live.delete(step.urn);
  });

  function checkNotNeeded(r: RecordedResource, step: Step, n: number) {
    if (step.op === "delete-before-replace") return;
    const marks = fingerprints(r);
    for (const [urn, other] of live)
      if (urn !== step.urn && mentions(other.inputs, marks))
        findings.push({
          kind: "deleted-while-needed",
          step: n,
          message: `${step.op} of ${r.type} ${r.name} while ${other.name} still refers to it`,
        });
  }

  function checkEmpty(r: RecordedResource, step: Step, n: number) {
    for (const [k, h] of claims) {
      const c = parseClaimKey(k);
      if (c.kind === "Cloud Map service" && c.scope === step.urn)
        findings.push({
          kind: "orphan",
          step: n,
          message: `namespace ${r.name} cannot be deleted: Cloud Map service "${c.name}" of ${h.owner} is still in it`,
        });
    }
  }

  /**
   * awsx's VPC lays its subnets out per AZ: each AZ gets the block vpc-prefix +
   * ceil(log2(AZ count)) unless availabilityZoneCidrMask fixes it (awsx ec2/subnetDistributorNew.ts).
   * A new AZ count that changes that block gives every existing subnet a new CIDR: a subnet is
   * replaced create-before-delete, and the new block overlaps the old one (InvalidSubnet.Conflict).
   */
  function checkSubnetLayout(prev: RecordedResource, next: RecordedResource, n: number) {
    const block = (r: RecordedResource) => {
      if (typeof r.inputs.availabilityZoneCidrMask === "number") return r.inputs.availabilityZoneCidrMask;
      const prefix = Number(String(r.inputs.cidrBlock).split("/")[1]);
      return prefix + Math.ceil(Math.log2(Number(r.inputs.numberOfAvailabilityZones)));
    };
    if (block(prev) !== block(next))
      findings.push({
        kind: "collision",
        step: n,
        message: `subnets of ${next.name}: each AZ's block changes from /${block(prev)} to /${block(next)}, so every subnet is replaced by one that overlaps it`,
      });
  }

  /** terraform-provider-aws#46930: the same name in the same namespace comes back with the same ID. */
  function checkRedeployed(r: RecordedResource, n: number) {
    const prev = original.get(r.urn ?? "");
    if (!prev || !keepsIdentity(prev, r)) return;
    const marks = fingerprints(r);
    for (const other of newer.values()) {
      if (other.type !== T.ecsService || !mentions(other.inputs.serviceRegistries, marks)) continue;
      const update = steps.find((s) => s.urn === other.urn && (s.op === "update" || s.op === "replace"));
      const forced =
        update?.op === "replace" ||
        (update?.changed.includes("triggers") && other.inputs.forceNewDeployment === true);
      if (!forced)
        findings.push({
          kind: "not-redeployed",
          step: n,
          message: `Cloud Map service ${r.name} is replaced under the same ID, but ECS service ${other.name} is not redeployed: its tasks stay deregistered`,
        });
    }
  }

  if (!b)
    for (const [k, h] of claims)
      if (h.outOfState)
        findings.push({
          kind: "orphan",
          step: steps.length,
          message: `left in the account: ${parseClaimKey(k).name} (${h.owner})`,
        });

  return { steps, findings, world: { claims } };
}

/** What earlier runs left outside Pulumi's state. */
export function leftovers(world: World): string[] {
  return [...world.claims.entries()]
    .filter(([, h]) => h.outOfState)
    .map(([k, h]) => `${parseClaimKey(k).name} (${h.owner})`)
    .sort();
}
