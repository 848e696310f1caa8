/**
 * One Construct request per public component, as a Python program's request reaches the plugin:
 * the generated Python SDK sends the schema's (camelCase) names, leaves out what the program left
 * as None, sends numbers as doubles, and values that came from another resource as output values
 * carrying that resource's URN (secrets as secret output values). `fromResources` lists the inputs
 * a consuming program typically takes from its own resources; `secrets` those it marks secret.
 */
import { Json } from "./plugin-host";

export interface ConstructCase {
  /** The component's resource name. */
  readonly name: string;
  /** Its inputs under the schema's names. */
  readonly inputs: Record<string, Json>;
  /** Top-level inputs that arrive as output values of the program's own resources. */
  readonly fromResources?: readonly string[];
  /** Top-level inputs that arrive as secrets. */
  readonly secrets?: readonly string[];
  /** Resource types it must register (so a child dropped on both paths still fails). */
  readonly registers: readonly string[];
}

/** The URN a Python program's own resource has: what an output value's dependency names. */
export const programResourceUrn = (project: string, stack: string, type: string, name: string): string =>
  `urn:pulumi:${stack}::${project}::${type}::${name}`;

export const FIXTURE_CASES: Readonly<Record<string, ConstructCase>> = {
  "harness-fixture:index:AppPort": {
    name: "web",
    inputs: { vpcId: "vpc-0abc1234", port: 9090 },
    fromResources: ["vpcId"],
    registers: ["aws:ec2/securityGroup:SecurityGroup"],
  },
};

const PLACEMENT = {
  clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/platform",
  vpcId: "vpc-0abc1234def567890",
  subnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"],
  executionRoleArn: "arn:aws:iam::123456789012:role/platform-task-execution",
};
/** What a Python program takes from its own resources (a VPC, a cluster, a namespace it declares). */
const FROM_RESOURCES = [
  "clusterArn",
  "vpcId",
  "subnetIds",
  "executionRoleArn",
  "namespaceId",
  "namespaceArn",
];
const TOKEN_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-token-AbCdEf";
const pkg = (name: string) => `ecs-cloudmap-consul:index:${name}`;

export const PACKAGE_CASES: Readonly<Record<string, ConstructCase>> = {
  [pkg("Network")]: {
    name: "net",
    registers: ["awsx:ec2:Vpc"],
    inputs: {
      cidrBlock: "10.0.0.0/16",
      availabilityZoneCount: 2,
      natGateways: "Single",
      region: "eu-west-1",
    },
  },
  [pkg("Cluster")]: {
    name: "ecs",
    registers: ["aws:ecs/cluster:Cluster"],
    inputs: {
      region: "eu-west-1",
      logRetentionDays: 30,
      defaultStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    },
  },
  [pkg("Namespace")]: {
    name: "discovery",
    registers: ["aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace"],
    inputs: { vpcId: PLACEMENT.vpcId, name: "internal.example" },
    fromResources: ["vpcId"],
  },
  [pkg("LoadBalancer")]: {
    name: "public",
    registers: ["aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"],
    inputs: { vpcId: PLACEMENT.vpcId, publicSubnetIds: PLACEMENT.subnetIds, targetPort: 3000 },
    fromResources: ["vpcId", "publicSubnetIds"],
  },
  [pkg("ApiGateway")]: {
    name: "api",
    registers: ["aws:apigatewayv2/api:Api"],
    inputs: {
      vpcId: PLACEMENT.vpcId,
      subnetIds: PLACEMENT.subnetIds,
      cloudMapServiceArn: "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-0123456789abcdef",
      targetPort: 3000,
      logRetentionDays: 30,
      throttle: { rateLimit: 100, burstLimit: 200 },
    },
    fromResources: ["vpcId", "subnetIds", "cloudMapServiceArn"],
  },
  [pkg("DiscoverableService")]: {
    name: "web",
    registers: [
      "aws:ecs/service:Service",
      "aws:servicediscovery/service:Service",
      "aws:ecs/taskDefinition:TaskDefinition",
    ],
    inputs: {
      ...PLACEMENT,
      clusterName: "platform",
      namespaceId: "ns-abcdef1234567890",
      namespaceName: "internal.example",
      serviceName: "web",
      image: "public.ecr.aws/nginx/nginx:1.27",
      containerPort: 80,
      cpu: 256,
      memory: 512,
      desiredCount: 2,
      logRetentionDays: 30,
      region: "eu-west-1",
      capacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    },
    fromResources: FROM_RESOURCES,
  },
  [pkg("ConsulSync")]: {
    name: "sync",
    registers: ["aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition"],
    inputs: {
      ...PLACEMENT,
      namespaceId: "ns-abcdef1234567890",
      namespaceArn: "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abcdef1234567890",
      namespaceName: "internal.example",
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
      consulHttpAddr: "http://consul.internal.example:8500",
      consulPort: 8500,
      tls: false,
      tokenSecretArn: TOKEN_ARN,
      image: "public.ecr.aws/hashicorp/consul-aws:0.1.3",
      caInitImage: "public.ecr.aws/docker/library/busybox:1.36.1",
      prefixes: { inConsul: "", inCloudMap: "" },
      logRetentionDays: 30,
      region: "eu-west-1",
    },
    fromResources: FROM_RESOURCES,
    secrets: ["tokenSecretArn"],
  },
  [pkg("ConsulServer")]: {
    name: "consul-server",
    registers: ["aws:ecs/service:Service"],
    inputs: {
      ...PLACEMENT,
      namespaceId: "ns-abcdef1234567890",
      namespaceName: "internal.example",
      serverConfigSecretArn: TOKEN_ARN,
      image: "public.ecr.aws/hashicorp/consul:1.20.1",
      logRetentionDays: 30,
      region: "eu-west-1",
    },
    fromResources: FROM_RESOURCES,
  },
  [pkg("ConsulManagementToken")]: {
    name: "consul-token",
    registers: ["aws:secretsmanager/secret:Secret"],
    inputs: {},
  },
  [pkg("ConsulReach")]: {
    name: "consul-reach",
    registers: ["aws:ec2/route:Route"],
    inputs: {
      vpcId: PLACEMENT.vpcId,
      privateSubnetIds: PLACEMENT.subnetIds,
      routeTableCount: 2,
      consulCidr: "10.60.0.0/16",
      route: { kind: "transitGateway", id: "tgw-0123456789abcdef0" },
      dns: { kind: "forward", domain: "consul.example", servers: ["10.60.0.10"] },
    },
    fromResources: ["vpcId", "privateSubnetIds"],
  },
  [pkg("ConsulCatalogCheck")]: {
    name: "consul-check",
    registers: ["aws:ecs/taskDefinition:TaskDefinition"],
    inputs: {
      vpcId: PLACEMENT.vpcId,
      executionRoleArn: PLACEMENT.executionRoleArn,
      consulHttpAddr: "http://10.0.0.1:8500",
      tokenSecretArn: TOKEN_ARN,
      services: ["web"],
      consulPort: 8500,
      image: "public.ecr.aws/hashicorp/consul:1.20.1",
      logRetentionDays: 30,
      region: "eu-west-1",
    },
    fromResources: ["vpcId", "executionRoleArn"],
  },
  [pkg("DiscoveryEnvironment")]: {
    name: "env",
    registers: [
      "ecs-cloudmap-consul:index:Network",
      "ecs-cloudmap-consul:index:Cluster",
      "ecs-cloudmap-consul:index:Namespace",
      "ecs-cloudmap-consul:index:LoadBalancer",
      "ecs-cloudmap-consul:index:ConsulManagementToken",
      "ecs-cloudmap-consul:index:ConsulServer",
      "ecs-cloudmap-consul:index:ConsulCatalogCheck",
      "ecs-cloudmap-consul:index:ConsulSync",
      "aws:ecs/service:Service",
    ],
    inputs: {
      network: {
        cidrBlock: "10.0.0.0/16",
        availabilityZoneCount: 2,
        natGateways: "Single",
        region: "eu-west-1",
      },
      cluster: {
        region: "eu-west-1",
        logRetentionDays: 30,
        defaultStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
      },
      namespace: { name: "internal.example" },
      loadBalancer: { targetPort: 3000 },
      consul: {
        sync: {
          image: "public.ecr.aws/hashicorp/consul-aws:0.1.3",
          caInitImage: "public.ecr.aws/docker/library/busybox:1.36.1",
          prefixes: { inConsul: "aws-", inCloudMap: "consul-" },
          logRetentionDays: 30,
          region: "eu-west-1",
        },
        embedded: {
          image: "public.ecr.aws/hashicorp/consul:1.20.1",
          logRetentionDays: 30,
          region: "eu-west-1",
          allowedCidrs: ["10.99.0.0/16"],
        },
        catalogCheckServices: ["aws-web"],
      },
      tags: { team: "platform" },
    },
  },
};
