/**
 * Small builders shared by the components: a log group with retention, a Fargate task with its
 * role, a one-task service, and tcp-only security-group rules. Each takes the `Scope` its
 * resources go in: the parent component and the tags they carry.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ecsExecTaskPolicy, ecsTasksTrustPolicy, PolicyDocument } from "../shared/policies";
import { Tags } from "../shared/tags";

/** Where a builder's resources go: their parent component and the tags every taggable one carries. */
export interface Scope {
  readonly parent: pulumi.Resource;
  readonly tags: Tags;
}

const scopes = new WeakMap<pulumi.ComponentResource, Scope>();
/**
 * Keeps a component's scope off its fields: every field of a component, private ones too, is an
 * output in the package's schema.
 */
export function keepScope(component: pulumi.ComponentResource, scope: Scope): void {
  scopes.set(component, scope);
}
/** The scope `keepScope` kept for this component. */
export function scopeOf(component: pulumi.ComponentResource): Scope {
  const scope = scopes.get(component);
  if (!scope) throw new Error(`${component.constructor.name}: scope used before the constructor kept it`);
  return scope;
}

/** `<project>-<stack>-<name>`: a name AWS requires unique per account and region. */
export function stackScopedName(name: string): string {
  return `${pulumi.getProject()}-${pulumi.getStack()}-${name}`;
}

/** Where a Fargate service runs and the role ECS uses to start its tasks. */
export interface FargatePlacementArgs {
  /**
   * ECS cluster the service runs in.
   * @default required
   */
  readonly clusterArn: pulumi.Input<string>;
  /**
   * VPC of the tasks' security group.
   * @default required
   */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Private subnets: tasks never get a public IP.
   * @default required
   */
  readonly subnetIds: pulumi.Input<string[]>;
  /**
   * Task execution role (image pull, logs, secrets injection).
   * @default required
   */
  readonly executionRoleArn: pulumi.Input<string>;
}

/** A log group `<prefix>/<project>-<stack>/<name>` with retention, named `<name><suffix>` in the stack. */
export function createLogGroup(
  name: string,
  retentionDays: number,
  scope: Scope,
  kind: { readonly prefix: string; readonly suffix: string } = { prefix: "/ecs", suffix: "-logs" },
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(
    `${name}${kind.suffix}`,
    {
      name: `${kind.prefix}/${pulumi.getProject()}-${pulumi.getStack()}/${name}`,
      retentionInDays: retentionDays,
      tags: scope.tags,
    },
    { parent: scope.parent },
  );
}

export interface NamedPolicy {
  readonly name: string;
  readonly document: pulumi.Input<PolicyDocument>;
}

/** The ECS Exec permissions a task role needs when exec is on; none otherwise. */
export function execPolicies(enableExecuteCommand: boolean | undefined): NamedPolicy[] {
  return enableExecuteCommand ? [{ name: "ecs-exec", document: ecsExecTaskPolicy() }] : [];
}

export interface TaskRole {
  readonly role: aws.iam.Role;
  /** The role's inline policies: an ECS service must wait for them, or its first tasks start without them. */
  readonly policies: aws.iam.RolePolicy[];
}

/** A role ECS tasks assume, with one inline policy per entry. */
function createTaskRole(name: string, policies: readonly NamedPolicy[], scope: Scope): TaskRole {
  const role = new aws.iam.Role(
    `${name}-task-role`,
    { assumeRolePolicy: JSON.stringify(ecsTasksTrustPolicy()), tags: scope.tags },
    { parent: scope.parent },
  );
  const created = policies.map(
    (policy) =>
      new aws.iam.RolePolicy(
        `${name}-${policy.name}`,
        { role: role.id, policy: pulumi.jsonStringify(policy.document) },
        { parent: scope.parent },
      ),
  );
  return { role, policies: created };
}

export interface FargateTaskArgs {
  /**
   * Fargate cpu units (with `memory`, a pair Fargate accepts).
   * Default: 256, the smallest.
   * @default 256, the smallest
   */
  readonly cpu?: number;
  /**
   * Fargate memory, MiB.
   * Default: 512, the smallest with 256 cpu.
   * @default 512, the smallest with 256 cpu
   */
  readonly memory?: number;
  /**
   * Task execution role (image pull, logs, secrets injection).
   * @default required
   */
  readonly executionRoleArn: pulumi.Input<string>;
  /**
   * Inline policies of the task role.
   * Default: [] (a role with no permissions).
   * @default [] (a role with no permissions)
   */
  readonly taskPolicies?: readonly NamedPolicy[];
  /**
   * JSON array of container definitions.
   * @default required
   */
  readonly containerDefinitions: pulumi.Input<string>;
  /**
   * Task-local volumes.
   * Default: [].
   * @default []
   */
  readonly volumes?: { readonly name: string }[];
}

export interface FargateTask {
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly taskRole: TaskRole;
}

/**
 * A Linux/x86-64 Fargate task definition in awsvpc mode (the platform our images are built for)
 * and the role its containers run as.
 */
export function createFargateTask(name: string, args: FargateTaskArgs, scope: Scope): FargateTask {
  const taskRole = createTaskRole(name, args.taskPolicies ?? [], scope);
  const taskDefinition = new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      family: stackScopedName(name),
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(args.cpu ?? 256),
      memory: String(args.memory ?? 512),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      executionRoleArn: args.executionRoleArn,
      taskRoleArn: taskRole.role.arn,
      volumes: args.volumes ? [...args.volumes] : [],
      containerDefinitions: args.containerDefinitions,
      tags: scope.tags,
    },
    { parent: scope.parent },
  );
  return { taskDefinition, taskRole };
}

export interface SingletonServiceArgs {
  /**
   * The task to run; the service waits for its role's policies.
   * @default required
   */
  readonly task: FargateTask;
  /**
   * The task's security group.
   * @default required
   */
  readonly securityGroupId: pulumi.Input<string>;
  /**
   * Cloud Map registration of the task.
   * @default undefined (not registered)
   */
  readonly serviceRegistries?: aws.types.input.ecs.ServiceServiceRegistries;
  /**
   * ECS Exec.
   * @default undefined (off)
   */
  readonly enableExecuteCommand?: boolean;
  /**
   * What else the task must not start before (capacity providers, network rules).
   * @default required
   */
  readonly startAfter: pulumi.Resource[];
  /**
   * Extra ECS service inputs (e.g. the redeploy triggers of its Cloud Map service).
   * @default none
   */
  readonly extra?: Pick<aws.ecs.ServiceArgs, "forceNewDeployment" | "triggers" | "waitForSteadyState">;
}

/**
 * An ECS service of exactly one task on on-demand Fargate (a Spot reclaim would pause it), for
 * processes that must never run twice: a deployment stops the old task before it starts the new
 * one (max 100 %, min 0 %).
 */
export function createSingletonService(
  name: string,
  placement: Pick<FargatePlacementArgs, "clusterArn" | "subnetIds">,
  args: SingletonServiceArgs,
  scope: Scope,
): aws.ecs.Service {
  return new aws.ecs.Service(
    `${name}-service`,
    {
      cluster: placement.clusterArn,
      taskDefinition: args.task.taskDefinition.arn,
      desiredCount: 1,
      deploymentMaximumPercent: 100,
      deploymentMinimumHealthyPercent: 0,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      capacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 1 }],
      networkConfiguration: {
        subnets: placement.subnetIds,
        securityGroups: [args.securityGroupId],
        assignPublicIp: false,
      },
      serviceRegistries: args.serviceRegistries,
      ...args.extra,
      enableExecuteCommand: args.enableExecuteCommand,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      tags: scope.tags,
    },
    { parent: scope.parent, dependsOn: [...args.startAfter, ...args.task.taskRole.policies] },
  );
}

/** A security group whose rules are separate resources (none inline), so each can be asserted. */
export function createSecurityGroup(
  name: string,
  vpcId: pulumi.Input<string>,
  description: string,
  scope: Scope,
): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(
    `${name}-sg`,
    { vpcId, description, tags: scope.tags },
    { parent: scope.parent },
  );
}

/**
 * A component whose tasks or network interfaces sit in one security group: what `allowFrom` and
 * `allowTo` take. The rules' resource names and descriptions derive from its name.
 */
export interface SecurityGroupMember {
  /** The component's name. */
  readonly componentName: string;
  readonly securityGroupId: pulumi.Output<string>;
}

/** Where a rule points: another security group or a CIDR. */
export type Peer =
  { readonly securityGroupId: pulumi.Input<string> } | { readonly cidr: pulumi.Input<string> };

function peerArgs(peer: Peer): {
  referencedSecurityGroupId?: pulumi.Input<string>;
  cidrIpv4?: pulumi.Input<string>;
} {
  return "securityGroupId" in peer
    ? { referencedSecurityGroupId: peer.securityGroupId }
    : { cidrIpv4: peer.cidr };
}

export interface TcpRule {
  /** Resource name of the rule. */
  readonly name: string;
  readonly securityGroupId: pulumi.Input<string>;
  readonly port: number;
  readonly peer: Peer;
  readonly description: string;
  /** Names the rule had before (kept as aliases, so a rename never replaces it). Default: none. */
  readonly formerNames?: readonly string[];
}

/** A rule on exactly one tcp port (never protocol -1), as its own resource. */
export function tcpRule(direction: "ingress" | "egress", rule: TcpRule, scope: Scope): pulumi.CustomResource {
  const args = {
    securityGroupId: rule.securityGroupId,
    ipProtocol: "tcp",
    fromPort: rule.port,
    toPort: rule.port,
    description: rule.description,
    tags: scope.tags,
    ...peerArgs(rule.peer),
  };
  const opts: pulumi.CustomResourceOptions = {
    parent: scope.parent,
    aliases: rule.formerNames?.map((name) => ({ name })),
  };
  return direction === "ingress"
    ? new aws.vpc.SecurityGroupIngressRule(rule.name, args, opts)
    : new aws.vpc.SecurityGroupEgressRule(rule.name, args, opts);
}

/**
 * Egress from `from` to `to` on one tcp port, named `<from>-to-<to>`: a front door's way to its
 * targets, or a client's way to a server.
 */
export function egressTo(
  from: SecurityGroupMember,
  to: SecurityGroupMember,
  port: number,
  description: string,
  scope: Scope,
): pulumi.CustomResource {
  return tcpRule(
    "egress",
    {
      name: `${from.componentName}-to-${to.componentName}`,
      securityGroupId: from.securityGroupId,
      port,
      peer: { securityGroupId: to.securityGroupId },
      description,
    },
    scope,
  );
}

/** 443 to anywhere: ECR, S3 layers, CloudWatch Logs, Secrets Manager and Cloud Map APIs via NAT or endpoints. */
export function httpsEgress(
  name: string,
  securityGroupId: pulumi.Input<string>,
  scope: Scope,
): pulumi.CustomResource {
  return tcpRule(
    "egress",
    {
      name: `${name}-egress-https`,
      securityGroupId,
      port: 443,
      peer: { cidr: "0.0.0.0/0" },
      description: "AWS APIs (ECR, S3, logs, secrets, Cloud Map) over HTTPS",
    },
    scope,
  );
}

/** Egress on the Consul port to where Consul is (a CIDR or the embedded server's group). */
export function consulEgress(
  name: string,
  securityGroupId: pulumi.Input<string>,
  port: number,
  consul: Peer,
  scope: Scope,
): pulumi.CustomResource {
  return tcpRule(
    "egress",
    { name: `${name}-egress-consul`, securityGroupId, port, peer: consul, description: "Consul HTTP API" },
    scope,
  );
}
