/**
 * Small builders shared by the Fargate components: a log group with retention, a
 * task role with inline policies, and tcp-only security-group rules.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ecsTasksTrustPolicy, PolicyDocument } from "./policies";

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

export function createLogGroup(
  name: string,
  retentionDays: number,
  parent: pulumi.Resource,
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { name: `/ecs/${pulumi.getProject()}-${pulumi.getStack()}/${name}`, retentionInDays: retentionDays },
    { parent },
  );
}

export interface NamedPolicy {
  readonly name: string;
  readonly document: pulumi.Input<PolicyDocument>;
}

export interface TaskRole {
  readonly role: aws.iam.Role;
  /** The role's inline policies: an ECS service must wait for them, or its first tasks start without them. */
  readonly policies: aws.iam.RolePolicy[];
}

/** A role ECS tasks assume, with one inline policy per entry. */
export function createTaskRole(
  name: string,
  policies: readonly NamedPolicy[],
  parent: pulumi.Resource,
): TaskRole {
  const role = new aws.iam.Role(
    `${name}-task-role`,
    { assumeRolePolicy: JSON.stringify(ecsTasksTrustPolicy()) },
    { parent },
  );
  const created = policies.map(
    (policy) =>
      new aws.iam.RolePolicy(
        `${name}-${policy.name}`,
        { role: role.id, policy: pulumi.jsonStringify(policy.document) },
        { parent },
      ),
  );
  return { role, policies: created };
}

export interface FargateTaskArgs {
  /** Fargate cpu units and memory MiB (a pair Fargate accepts). */
  readonly cpu: number;
  readonly memory: number;
  readonly executionRoleArn: pulumi.Input<string>;
  readonly taskRoleArn: pulumi.Input<string>;
  /** JSON array of container definitions. */
  readonly containerDefinitions: pulumi.Input<string>;
  /** Task-local volumes. Default: none. */
  readonly volumes?: { readonly name: string }[];
}

/** A Linux/x86-64 Fargate task definition in awsvpc mode (the platform our images are built for). */
export function createFargateTaskDefinition(
  name: string,
  args: FargateTaskArgs,
  parent: pulumi.Resource,
): aws.ecs.TaskDefinition {
  return new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      family: `${pulumi.getProject()}-${pulumi.getStack()}-${name}`,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(args.cpu),
      memory: String(args.memory),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      executionRoleArn: args.executionRoleArn,
      taskRoleArn: args.taskRoleArn,
      volumes: args.volumes ? [...args.volumes] : [],
      containerDefinitions: args.containerDefinitions,
    },
    { parent },
  );
}

/** A security group whose rules are separate resources (none inline), so each can be asserted. */
export function createSecurityGroup(
  name: string,
  vpcId: pulumi.Input<string>,
  description: string,
  parent: pulumi.Resource,
): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId, description }, { parent });
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
}

/** A rule on exactly one tcp port (never protocol -1), as its own resource. */
export function tcpRule(
  direction: "ingress" | "egress",
  rule: TcpRule,
  parent: pulumi.Resource,
): pulumi.CustomResource {
  const args = {
    securityGroupId: rule.securityGroupId,
    ipProtocol: "tcp",
    fromPort: rule.port,
    toPort: rule.port,
    description: rule.description,
    ...peerArgs(rule.peer),
  };
  return direction === "ingress"
    ? new aws.vpc.SecurityGroupIngressRule(rule.name, args, { parent })
    : new aws.vpc.SecurityGroupEgressRule(rule.name, args, { parent });
}

/** 443 to anywhere: ECR, S3 layers, CloudWatch Logs, Secrets Manager and Cloud Map APIs via NAT or endpoints. */
export function httpsEgress(
  name: string,
  securityGroupId: pulumi.Input<string>,
  parent: pulumi.Resource,
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
    parent,
  );
}
