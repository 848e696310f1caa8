/** Queries over the resources a program run registered. */
import * as assert from "assert";
import { ProgramRun, RecordedResource } from "./harness";

export const T = {
  vpc: "awsx:ec2:Vpc",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  cluster: "aws:ecs/cluster:Cluster",
  capacityProviders: "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  ecsService: "aws:ecs/service:Service",
  namespace: "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
  discoveryService: "aws:servicediscovery/service:Service",
  record: "aws:route53/record:Record",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  policyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  repository: "aws:ecr/repository:Repository",
  lifecycle: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
  image: "docker:index/image:Image",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  scalingTarget: "aws:appautoscaling/target:Target",
  scalingPolicy: "aws:appautoscaling/policy:Policy",
} as const;

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function one(run: ProgramRun, type: string, name: string): RecordedResource {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  assert.strictEqual(found.length, 1, `expected one ${type} named ${name}, found ${found.length}`);
  return found[0];
}

/** The mock gives every resource the id `<name>-id`. */
export function idOf(name: string): string {
  return `${name}-id`;
}

export function str(value: unknown): string {
  assert.strictEqual(typeof value, "string", `expected a string, got ${JSON.stringify(value)}`);
  return value as string;
}

export interface Container {
  name: string;
  image: string;
  essential: boolean;
  command?: string[];
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  portMappings: { containerPort: number; hostPort: number; protocol: string }[];
  healthCheck?: { command: string[] };
  stopTimeout?: number;
  readonlyRootFilesystem?: boolean;
  user?: string;
  logConfiguration: { logDriver: string; options: Record<string, string> };
  mountPoints: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  dependsOn?: { containerName: string; condition: string }[];
}

export function containersOf(taskDefinition: RecordedResource): Container[] {
  return JSON.parse(str(taskDefinition.inputs.containerDefinitions)) as Container[];
}

export function envOf(container: Container): Record<string, string> {
  return Object.fromEntries(container.environment.map((e) => [e.name, e.value]));
}

export interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

export function policyOf(resource: RecordedResource): { Statement: Statement[] } {
  return JSON.parse(str(resource.inputs.policy)) as { Statement: Statement[] };
}

/** Rules attached to a security group, by the mock id of the group's resource. */
export function rulesOf(run: ProgramRun, type: string, securityGroupName: string): RecordedResource[] {
  return ofType(run, type).filter((r) => r.inputs.securityGroupId === idOf(securityGroupName));
}

/** `{port, peer}` summaries of rules, sorted, for exact comparisons. */
export function ruleSummary(rules: RecordedResource[]): string[] {
  return rules
    .map((r) => {
      const i = r.inputs;
      const peer = i.referencedSecurityGroupId
        ? `sg:${str(i.referencedSecurityGroupId)}`
        : `cidr:${String(i.cidrIpv4)}`;
      return `${String(i.ipProtocol)}/${String(i.fromPort)}-${String(i.toPort)} ${peer}`;
    })
    .sort();
}

/** The marker key Pulumi puts on serialized secret values. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && SECRET_SIG in value;
}

/** The value inside a secret (or the value itself). */
export function reveal<V>(value: unknown): V {
  return (isSecret(value) ? (value as { value: unknown }).value : value) as V;
}
