/**
 * Which property changes force the engine to replace a resource rather than update it.
 *
 * For ECS services and Cloud Map services this is derived from AWS's own API model (the aws-sdk
 * package's `apis/`): a member of the Create call that the Update call does not take can only be
 * changed by creating the resource again. The provider's property names map onto those members
 * below. For the other types the list is the provider's: the properties terraform-provider-aws
 * marks ForceNew (RequiresReplace), which pulumi-aws inherits; kept to the types the journeys touch.
 */
import type { RecordedResource } from "./harness";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

interface MinModel {
  operations: Record<string, { input: { members?: Record<string, unknown>; shape?: string } }>;
  shapes: Record<string, { members?: Record<string, unknown> }>;
}

/** Members of an operation's input in an aws-sdk v2 model. */
export function inputMembers(model: string, operation: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require(`aws-sdk/apis/${model}.min.json`) as MinModel;
  const input = m.operations[operation].input;
  return Object.keys((input.shape ? m.shapes[input.shape].members : input.members) ?? {});
}

/** Provider property -> API member of the Create call (ECS CreateService). */
const ECS_SERVICE_MEMBERS: Record<string, string> = {
  name: "serviceName",
  cluster: "cluster",
  launchType: "launchType",
  iamRole: "role",
  schedulingStrategy: "schedulingStrategy",
  deploymentController: "deploymentController",
  taskDefinition: "taskDefinition",
  desiredCount: "desiredCount",
  networkConfiguration: "networkConfiguration",
  serviceRegistries: "serviceRegistries",
  serviceConnectConfiguration: "serviceConnectConfiguration",
  loadBalancers: "loadBalancers",
  capacityProviderStrategies: "capacityProviderStrategy",
  deploymentCircuitBreaker: "deploymentConfiguration",
  deploymentMinimumHealthyPercent: "deploymentConfiguration",
  deploymentMaximumPercent: "deploymentConfiguration",
  enableExecuteCommand: "enableExecuteCommand",
  propagateTags: "propagateTags",
  enableEcsManagedTags: "enableECSManagedTags",
  healthCheckGracePeriodSeconds: "healthCheckGracePeriodSeconds",
};
/** The service is named by its cluster: a service in another cluster is another service. */
const ECS_IDENTITY = new Set(["cluster"]);

/** Provider property -> member of Cloud Map CreateService; UpdateService takes a ServiceChange. */
const CLOUD_MAP_MEMBERS: Record<string, string> = {
  name: "Name",
  namespaceId: "NamespaceId",
  description: "Description",
  dnsConfig: "DnsConfig",
  healthCheckConfig: "HealthCheckConfig",
  healthCheckCustomConfig: "HealthCheckCustomConfig",
  type: "Type",
};

/** ForceNew properties of terraform-provider-aws's schemas, for the other types the journeys touch. */
export const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  "aws:ecs/taskDefinition:TaskDefinition": [
    // RegisterTaskDefinition has no update: every change is a new revision (a new resource).
    "family",
    "containerDefinitions",
    "cpu",
    "memory",
    "networkMode",
    "requiresCompatibilities",
    "runtimePlatform",
    "executionRoleArn",
    "taskRoleArn",
    "volumes",
  ],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix", "logGroupClass"],
  "aws:lb/targetGroup:TargetGroup": [
    "name",
    "namePrefix",
    "port",
    "protocol",
    "protocolVersion",
    "targetType",
    "vpcId",
  ],
  "aws:lb/loadBalancer:LoadBalancer": ["name", "namePrefix", "internal", "loadBalancerType"],
  "aws:lb/listener:Listener": ["loadBalancerArn"],
  "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "description", "vpcId"],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["securityGroupId"],
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["securityGroupId"],
  "aws:ec2/route:Route": ["routeTableId", "destinationCidrBlock"],
  "aws:ec2/vpcEndpoint:VpcEndpoint": ["vpcId", "serviceName", "vpcEndpointType"],
  "aws:ec2transitgateway/vpcAttachment:VpcAttachment": ["transitGatewayId", "vpcId"],
  "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": ["vpcId", "peerVpcId", "peerOwnerId", "peerRegion"],
  "aws:route53/resolverEndpoint:ResolverEndpoint": ["direction", "securityGroupIds"],
  "aws:route53/resolverRule:ResolverRule": ["domainName", "ruleType"],
  "aws:route53/resolverRuleAssociation:ResolverRuleAssociation": ["resolverRuleId", "vpcId"],
  "aws:route53/record:Record": ["zoneId", "name"],
  "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": ["name", "vpc"],
  "aws:apigatewayv2/vpcLink:VpcLink": ["subnetIds", "securityGroupIds"],
  "aws:apigatewayv2/integration:Integration": ["apiId"],
  "aws:apigatewayv2/route:Route": ["apiId"],
  "aws:apigatewayv2/stage:Stage": ["apiId", "name"],
  "aws:iam/role:Role": ["name", "namePrefix"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["role", "policyArn"],
  "aws:secretsmanager/secret:Secret": ["name", "namePrefix"],
  "aws:secretsmanager/secretVersion:SecretVersion": ["secretId", "secretString"],
  "aws:ecr/repository:Repository": ["name"],
  "aws:appautoscaling/target:Target": ["resourceId", "scalableDimension", "serviceNamespace"],
  "aws:appautoscaling/policy:Policy": ["name", "resourceId", "scalableDimension", "serviceNamespace"],
  // A remote component: a new CIDR is a new VPC (its subnets are checked apart, see subnetLayout).
  "awsx:ec2:Vpc": ["cidrBlock"],
  // Our dynamic provider's diff (packages/ecs-cloudmap-consul/network/namespace-cleanup.ts): a new namespace is a new cleanup.
  "pulumi-nodejs:dynamic/namespaceCleanup:NamespaceCleanup": ["namespaceId"],
};

let derived: { ecs: Set<string>; cloudMap: Set<string> } | undefined;

/** Properties whose change AWS's API cannot apply in place, from the Create and Update calls' members. */
export function derivedReplaceKeys(): { ecs: Set<string>; cloudMap: Set<string> } {
  if (!derived) {
    const ecsUpdate = new Set(inputMembers("ecs-2014-11-13", "UpdateService"));
    const ecsCreate = new Set(inputMembers("ecs-2014-11-13", "CreateService"));
    const ecs = new Set(
      Object.entries(ECS_SERVICE_MEMBERS)
        .filter(([, member]) => ecsCreate.has(member) && (!ecsUpdate.has(member) || ECS_IDENTITY.has(member)))
        .map(([prop]) => prop),
    );
    // UpdateService's ServiceChange: Description, DnsConfig (records only), HealthCheckConfig.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sd = require("aws-sdk/apis/servicediscovery-2017-03-14.min.json") as MinModel;
    const change = Object.keys(
      (sd.operations.UpdateService.input.members as { Service: { members: Record<string, unknown> } }).Service
        .members,
    );
    const cloudMap = new Set(
      Object.entries(CLOUD_MAP_MEMBERS)
        .filter(([, member]) => !change.includes(member))
        .map(([prop]) => prop),
    );
    derived = { ecs, cloudMap };
  }
  return derived;
}

interface DnsConfig {
  namespaceId?: string;
  routingPolicy?: string;
  dnsRecords?: { type: string; ttl: number }[];
}

/** Keys of `next` whose change (from `prev`) forces a replacement. */
export function replaceKeysOf(prev: RecordedResource, next: RecordedResource): string[] {
  const { ecs, cloudMap } = derivedReplaceKeys();
  switch (next.type) {
    case "aws:ecs/service:Service":
      return [...ecs];
    case "aws:servicediscovery/service:Service": {
      const keys = [...cloudMap];
      // DnsConfig may change in place only in its records' TTLs (ServiceChange takes DnsRecords
      // alone); the namespace, the routing policy and the record types are fixed at creation.
      const a = (prev.inputs.dnsConfig ?? {}) as DnsConfig;
      const b = (next.inputs.dnsConfig ?? {}) as DnsConfig;
      const types = (c: DnsConfig) => JSON.stringify((c.dnsRecords ?? []).map((r) => r.type));
      if (a.namespaceId !== b.namespaceId || a.routingPolicy !== b.routingPolicy || types(a) !== types(b))
        keys.push("dnsConfig");
      return keys;
    }
    default:
      return [...(FORCE_NEW[next.type] ?? [])];
  }
}
