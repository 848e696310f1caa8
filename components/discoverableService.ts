import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CapacityProviderStrategyItem } from "./capacity";
import { APP_HEALTH_CHECK, APP_USER, containerDefinition } from "./containerDefinition";
import { cloudMapDnsName } from "./naming";
import { componentTags, TaggedArgs } from "./tags";
import {
  createFargateTask,
  createLogGroup,
  createSecurityGroup,
  egressTo,
  execPolicies,
  FargatePlacementArgs,
  httpsEgress,
  Scope,
  SecurityGroupMember,
  tcpRule,
} from "./taskResources";

/** DNS records of an app service: A for address lookups, SRV for the port (same TTL). */
export function discoveryRecords(ttlSeconds: number): { type: "A" | "SRV"; ttl: number }[] {
  return [
    { type: "A", ttl: ttlSeconds },
    { type: "SRV", ttl: ttlSeconds },
  ];
}

export interface AutoscalingArgs {
  readonly minCount: number;
  readonly maxCount: number;
  /** Average CPU percent to hold. */
  readonly cpuTargetPercent: number;
}

/** The port name Service Connect refers to. */
export const SERVICE_CONNECT_PORT_NAME = "http";

/** How the service takes part in ECS Service Connect. */
export interface ServiceConnectArgs {
  /** Cloud Map namespace (ARN) the proxies discover each other in. */
  readonly namespaceArn: pulumi.Input<string>;
  /** Publish `<serviceName>:<containerPort>` as a client alias (a server); false = client only. */
  readonly publish: boolean;
}

export interface DiscoverableServiceArgs extends FargatePlacementArgs, TaggedArgs {
  /** For the autoscaling resource id. */
  readonly clusterName: pulumi.Input<string>;
  readonly namespaceId: pulumi.Input<string>;
  readonly namespaceName: string;
  /** Cloud Map service name, the first DNS label. Default: the component name. */
  readonly serviceName?: string;
  /** Image by digest (`repo@sha256:…`). */
  readonly image: pulumi.Input<string>;
  readonly containerPort: number;
  /** Fargate cpu units and memory MiB; the pair must be one Fargate accepts (validated in settings). */
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  /** Plain environment. PORT is set from containerPort. Default: none. */
  readonly environment?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Variable -> Secrets Manager/SSM ARN; the execution role must be allowed to read them. Default: none. */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  readonly logRetentionDays: number;
  readonly region: string;
  /** TTL of the Cloud Map A records, seconds. Default: 10. */
  readonly dnsTtlSeconds?: number;
  readonly capacityProviderStrategies: readonly CapacityProviderStrategyItem[];
  /** Default: 100. */
  readonly minHealthyPercent?: number;
  /** Default: 200. */
  readonly maxPercent?: number;
  /** Seconds between SIGTERM and SIGKILL. Default: 30. */
  readonly stopTimeoutSeconds?: number;
  /** ECS Exec; adds the ssmmessages permissions to the task role. Default: false. */
  readonly enableExecuteCommand?: boolean;
  /** Target-tracking CPU autoscaling. Default: none (fixed desiredCount). */
  readonly autoscaling?: AutoscalingArgs;
  /** Register tasks as Cloud Map A + SRV records. Default: true. */
  readonly dnsRegistration?: boolean;
  /** Join ECS Service Connect (adds its Envoy proxy to every task). Default: none. */
  readonly serviceConnect?: ServiceConnectArgs;
  /** Register tasks in this ALB target group. Default: none. */
  readonly targetGroupArn?: pulumi.Input<string>;
  /**
   * Resources whose existence the service's first tasks need (capacity providers, listeners,
   * execution-role policies): the ECS service is created after them. Named apart from the
   * `dependsOn` resource option, which would order the whole component instead.
   * @default none (the service still waits for its own role policies and network rules)
   */
  readonly startAfter?: pulumi.Resource[];
  /**
   * Network rules this service's tasks need from the start (peers it calls, peers that call it),
   * created with its security group before its ECS service, which waits for them. Usually calls
   * to `allowFrom`/`allowTo` on this service or its peers. Default: none.
   */
  readonly connections?: (self: DiscoverableService) => pulumi.Resource[];
}

/**
 * A Fargate service in private subnets whose tasks register in Cloud Map as A and SRV records
 * and/or join ECS Service Connect. Its security group admits nothing until `allowFrom` is called.
 */
export class DiscoverableService extends pulumi.ComponentResource implements SecurityGroupMember {
  public readonly componentName: string;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly containerPort: number;
  public readonly serviceName: pulumi.Output<string>;
  /** The Cloud Map service ECS registers tasks in; undefined without DNS registration. */
  public readonly cloudMapServiceArn: pulumi.Output<string> | undefined;
  /** `<service>.<namespace>`, what clients in the VPC resolve. */
  public readonly dnsName: string;
  public readonly taskRoleArn: pulumi.Output<string>;
  private readonly scope: Scope;

  constructor(name: string, args: DiscoverableServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecs-cloudmap-consul:discoverableService:DiscoverableService", name, {}, opts);
    this.componentName = name;
    this.containerPort = args.containerPort;
    const scope: Scope = { parent: this, tags: componentTags(name, args.tags) };
    this.scope = scope;
    const discoveryName = args.serviceName ?? name;

    const securityGroup = createSecurityGroup(name, args.vpcId, `${name} tasks`, scope);
    this.securityGroupId = securityGroup.id;
    const rules = [httpsEgress(name, securityGroup.id, scope), ...(args.connections?.(this) ?? [])];

    const logGroup = createLogGroup(name, args.logRetentionDays, scope);
    const { taskDefinition, taskRole } = createFargateTask(
      name,
      {
        cpu: args.cpu,
        memory: args.memory,
        executionRoleArn: args.executionRoleArn,
        taskPolicies: execPolicies(args.enableExecuteCommand),
        containerDefinitions: pulumi.jsonStringify([
          containerDefinition<pulumi.Input<string>>({
            name,
            image: args.image,
            containerPort: args.containerPort,
            namedPort: args.serviceConnect
              ? { name: SERVICE_CONNECT_PORT_NAME, appProtocol: "http" }
              : undefined,
            environment: { ...args.environment, PORT: String(args.containerPort) },
            secrets: args.secrets,
            healthCheck: APP_HEALTH_CHECK,
            user: APP_USER,
            // ECS Exec's agent writes inside the container (aws/containers-roadmap#1359).
            readonlyRootFilesystem: !args.enableExecuteCommand,
            stopTimeoutSeconds: args.stopTimeoutSeconds ?? 30,
            log: { group: logGroup.name, region: args.region, streamPrefix: name },
          }),
        ]),
      },
      scope,
    );

    const discovery =
      args.dnsRegistration === false
        ? undefined
        : createCloudMapService(
            name,
            {
              serviceName: discoveryName,
              namespaceId: args.namespaceId,
              ttlSeconds: args.dnsTtlSeconds ?? 10,
            },
            scope,
          );

    const service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: args.clusterArn,
        taskDefinition: taskDefinition.arn,
        desiredCount: args.desiredCount,
        capacityProviderStrategies: args.capacityProviderStrategies.map((s) => ({ ...s })),
        networkConfiguration: {
          subnets: args.subnetIds,
          securityGroups: [securityGroup.id],
          assignPublicIp: false,
        },
        // containerName + containerPort: required for the SRV record, and what sets AWS_INSTANCE_PORT.
        serviceRegistries: discovery
          ? { registryArn: discovery.arn, containerName: name, containerPort: args.containerPort }
          : undefined,
        serviceConnectConfiguration: args.serviceConnect
          ? serviceConnectConfiguration(discoveryName, args.containerPort, args.serviceConnect, {
              group: logGroup.name,
              region: args.region,
            })
          : undefined,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: args.minHealthyPercent ?? 100,
        deploymentMaximumPercent: args.maxPercent ?? 200,
        enableExecuteCommand: args.enableExecuteCommand ?? false,
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        loadBalancers: args.targetGroupArn
          ? [{ targetGroupArn: args.targetGroupArn, containerName: name, containerPort: args.containerPort }]
          : [],
        healthCheckGracePeriodSeconds: args.targetGroupArn ? 30 : undefined,
        tags: scope.tags,
      },
      {
        parent: this,
        // Tasks start only once their permissions and network rules exist (a first deploy would race them).
        dependsOn: [...(args.startAfter ?? []), ...taskRole.policies, ...rules],
        // The autoscaler owns the task count once it exists.
        ignoreChanges: args.autoscaling ? ["desiredCount"] : [],
      },
    );

    if (args.autoscaling) createAutoscaling(name, args.clusterName, service.name, args.autoscaling, scope);

    this.serviceName = service.name;
    this.cloudMapServiceArn = discovery?.arn;
    this.dnsName = cloudMapDnsName(discoveryName, args.namespaceName);
    this.taskRoleArn = taskRole.role.arn;
    this.registerOutputs({
      componentName: this.componentName,
      containerPort: this.containerPort,
      securityGroupId: this.securityGroupId,
      serviceName: this.serviceName,
      cloudMapServiceArn: this.cloudMapServiceArn,
      dnsName: this.dnsName,
      taskRoleArn: this.taskRoleArn,
    });
  }

  /**
   * Admit `peer` on this service's container port over tcp only. When the peer is another
   * DiscoverableService, also open the peer's egress to this service on that port.
   * Returns the rules, for a service that must wait for them (see `connections`).
   */
  public allowFrom(
    peer: SecurityGroupMember,
    options: {
      /** Names the ingress rule had before, kept as aliases. Default: none. */
      readonly formerNames?: readonly string[];
    } = {},
  ): pulumi.Resource[] {
    const port = this.containerPort;
    const description = `${peer.componentName} to ${this.componentName} on ${port}/tcp`;
    const rules = [
      tcpRule(
        "ingress",
        {
          name: `${this.componentName}-from-${peer.componentName}`,
          securityGroupId: this.securityGroupId,
          port,
          peer: { securityGroupId: peer.securityGroupId },
          description,
          formerNames: options.formerNames,
        },
        this.scope,
      ),
    ];
    if (peer instanceof DiscoverableService) rules.push(egressTo(peer, this, port, description, this.scope));
    return rules;
  }
}

/**
 * The Cloud Map service ECS registers a service's tasks in: A + SRV records, MULTIVALUE
 * answers, task health from ECS.
 */
export function createCloudMapService(
  name: string,
  args: {
    /** The first DNS label. */
    readonly serviceName: string;
    readonly namespaceId: pulumi.Input<string>;
    readonly ttlSeconds: number;
  },
  scope: Scope,
): aws.servicediscovery.Service {
  return new aws.servicediscovery.Service(
    `${name}-discovery`,
    {
      name: args.serviceName,
      namespaceId: args.namespaceId,
      dnsConfig: {
        namespaceId: args.namespaceId,
        routingPolicy: "MULTIVALUE",
        // SRV carries the port: ECS then puts AWS_INSTANCE_PORT on each instance, which
        // consul-aws copies into Consul (A alone registers the service without a port),
        // and API Gateway's Cloud Map integration reads it.
        dnsRecords: discoveryRecords(args.ttlSeconds),
      },
      // Route 53 health checks are not allowed in private namespaces; ECS reports task health.
      // An empty block is never sent by the provider (the service would get no custom health
      // and every later update would plan a replacement), so set the deprecated field AWS
      // fixes at 1 anyway.
      healthCheckCustomConfig: { failureThreshold: 1 },
      forceDestroy: true,
      tags: scope.tags,
    },
    { parent: scope.parent, deleteBeforeReplace: true },
  );
}

function createAutoscaling(
  name: string,
  clusterName: pulumi.Input<string>,
  serviceName: pulumi.Output<string>,
  scaling: AutoscalingArgs,
  scope: Scope,
): void {
  const target = new aws.appautoscaling.Target(
    `${name}-scaling-target`,
    {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: pulumi.interpolate`service/${clusterName}/${serviceName}`,
      minCapacity: scaling.minCount,
      maxCapacity: scaling.maxCount,
      tags: scope.tags,
    },
    { parent: scope.parent },
  );
  new aws.appautoscaling.Policy(
    `${name}-scaling-cpu`,
    {
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        targetValue: scaling.cpuTargetPercent,
        scaleInCooldown: 120,
        scaleOutCooldown: 30,
      },
    },
    { parent: scope.parent },
  );
}

/**
 * Service Connect settings of one ECS service: a server publishes `<name>:<port>` (clients
 * reach it at that alias through their proxy); the proxy's own logs go to the service's group.
 */
export function serviceConnectConfiguration(
  discoveryName: string,
  port: number,
  args: ServiceConnectArgs,
  log: { readonly group: pulumi.Input<string>; readonly region: string },
): aws.types.input.ecs.ServiceServiceConnectConfiguration {
  return {
    enabled: true,
    namespace: args.namespaceArn,
    services: args.publish
      ? // ECS takes exactly one client alias per Service Connect service.
        [
          {
            portName: SERVICE_CONNECT_PORT_NAME,
            discoveryName,
            clientAlias: [{ port, dnsName: discoveryName }],
          },
        ]
      : [],
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": log.group,
        "awslogs-region": log.region,
        "awslogs-stream-prefix": "service-connect",
      },
    },
  };
}
