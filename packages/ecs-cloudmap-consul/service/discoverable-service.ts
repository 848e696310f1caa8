import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import {
  ArgNames,
  argName,
  ArgProblem,
  assertValidArgs,
  check,
  integerIn,
  logRetentionDays,
  oneOf,
  port,
} from "../shared/arg-checks";
import { CapacityProviderStrategyItem } from "./capacity";
import { APP_HEALTH_CHECK, APP_USER, containerDefinition } from "./container-definition";
import { allowedMemoryFor, FARGATE_CPU_VALUES, isValidFargateSize } from "./fargate-sizes";
import { cloudMapDnsName, serviceConnectCloudMapName } from "../shared/naming";
import {
  ConsulForwarderArgs,
  consulForwarderArgProblems,
  consulForwarderContainer,
  FORWARDER_CONTAINER,
  forwardedAddresses,
} from "../consul/consul-forwarder";
import { componentTags, TaggedArgs } from "../shared/tags";
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
  keepScope,
  scopeOf,
} from "./task-resources";

/** DNS records of an app service: A for address lookups, SRV for the port (same TTL). */
export function discoveryRecords(ttlSeconds: number): { type: "A" | "SRV"; ttl: number }[] {
  return [
    { type: "A", ttl: ttlSeconds },
    { type: "SRV", ttl: ttlSeconds },
  ];
}

/**
 * The apps' SIGTERM drain, fitted inside the container's stop timeout: ECS sends SIGKILL after
 * `stopTimeoutSeconds`, so the whole drain (DRAIN_TIMEOUT_MS) ends a second or two before it. The
 * apps keep serving for DRAIN_DELAY_MS while callers still send: hello's cached Cloud Map answer
 * lives one record TTL after ECS deregisters the task (an ALB has drained its target for the
 * deregistration delay before ECS sends SIGTERM). The delay is capped at half the drain, leaving
 * the rest for requests in flight.
 */
export function drainEnvironment(
  stopTimeoutSeconds: number,
  dnsTtlSeconds: number,
): { DRAIN_DELAY_MS: string; DRAIN_TIMEOUT_MS: string } {
  const timeoutMs = Math.max(1000, (stopTimeoutSeconds - 2) * 1000);
  const delayMs = Math.min(dnsTtlSeconds * 1000, Math.floor(timeoutMs / 2));
  return { DRAIN_DELAY_MS: String(delayMs), DRAIN_TIMEOUT_MS: String(timeoutMs) };
}

export interface AutoscalingArgs {
  /**
   * Fewest tasks the autoscaler keeps, 0 to 1000.
   * @default required
   */
  readonly minCount: number;
  /**
   * Most tasks the autoscaler starts, 1 to 1000, at least minCount.
   * @default required
   */
  readonly maxCount: number;
  /**
   * Average CPU percent to hold, 10 to 90.
   * @default required
   */
  readonly cpuTargetPercent: number;
}

/** The port name Service Connect refers to. */
export const SERVICE_CONNECT_PORT_NAME = "http";

/** How the service takes part in ECS Service Connect. */
export interface ServiceConnectArgs {
  /**
   * Cloud Map namespace (ARN) the proxies discover each other in.
   * @default required
   */
  readonly namespaceArn: pulumi.Input<string>;
  /**
   * Publish `<serviceName>:<containerPort>` as a client alias (a server); false = client only.
   * @default required
   */
  readonly publish: boolean;
}

export interface DiscoverableServiceArgs extends FargatePlacementArgs, TaggedArgs {
  /**
   * Cluster name, for the autoscaling resource id.
   * @default required
   */
  readonly clusterName: pulumi.Input<string>;
  /**
   * Cloud Map namespace the tasks register in.
   * @default required
   */
  readonly namespaceId: pulumi.Input<string>;
  /**
   * DNS name of that namespace, for `dnsName`.
   * @default required
   * @example "internal"
   */
  readonly namespaceName: string;
  /**
   * Cloud Map service name, the first DNS label.
   * Default: the component name.
   * @default the component name
   */
  readonly serviceName?: string;
  /**
   * Image by digest.
   * @default required
   * @example "111111111111.dkr.ecr.eu-west-1.amazonaws.com/hello@sha256:<64 hex>"
   */
  readonly image: pulumi.Input<string>;
  /**
   * Port the container listens on (1-65535); PORT is set to it.
   * @default required
   */
  readonly containerPort: number;
  /**
   * Fargate cpu units: 256, 512, 1024, 2048, 4096, 8192 or 16384.
   * @default required
   */
  readonly cpu: number;
  /**
   * Fargate memory in MiB, a size Fargate pairs with `cpu` (256: 512, 1024-2048; 512: 1024-4096; …).
   * @default required
   */
  readonly memory: number;
  /**
   * Tasks to run, 0 to 1000 (within the autoscaling bounds when autoscaling is on).
   * @default required
   */
  readonly desiredCount: number;
  /**
   * Plain environment; PORT is set from containerPort.
   * Default: {}.
   * @default {}
   */
  readonly environment?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Variable -> Secrets Manager/SSM ARN; the execution role must be allowed to read them.
   * Default: {}.
   * @default {}
   */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Retention of the service's log group, days (a value CloudWatch accepts).
   * @default required
   */
  readonly logRetentionDays: number;
  /**
   * Region of the awslogs driver.
   * @default required
   * @example "eu-west-1"
   */
  readonly region: string;
  /**
   * TTL of the Cloud Map A and SRV records, seconds (0-300).
   * Default: 10.
   * @default 10
   */
  readonly dnsTtlSeconds?: number;
  /**
   * Capacity-provider strategy of the ECS service.
   * @default required
   */
  readonly capacityProviderStrategies: CapacityProviderStrategyItem[];
  /**
   * Deployment minimum healthy percent, 0 to 100.
   * Default: 100.
   * @default 100
   */
  readonly minHealthyPercent?: number;
  /**
   * Deployment maximum percent, 100 to 200, above minHealthyPercent.
   * Default: 200.
   * @default 200
   */
  readonly maxPercent?: number;
  /**
   * Seconds between SIGTERM and SIGKILL, 2 to 120.
   * Default: 30.
   * @default 30
   */
  readonly stopTimeoutSeconds?: number;
  /**
   * ECS Exec; adds the ssmmessages permissions to the task role.
   * Default: false.
   * @default false
   */
  readonly enableExecuteCommand?: boolean;
  /**
   * Target-tracking CPU autoscaling.
   * @default undefined (a fixed desiredCount)
   */
  readonly autoscaling?: AutoscalingArgs;
  /**
   * Register tasks as Cloud Map A + SRV records.
   * Default: true.
   * @default true
   */
  readonly dnsRegistration?: boolean;
  /**
   * Join ECS Service Connect (adds its Envoy proxy to every task).
   * @default undefined (no Service Connect)
   */
  readonly serviceConnect?: ServiceConnectArgs;
  /**
   * Register tasks in this ALB target group.
   * @default undefined (no load balancer)
   */
  readonly targetGroupArn?: pulumi.Input<string>;
  /**
   * Resources whose existence the service's first tasks need (capacity providers, listeners,
   * execution-role policies): the ECS service is created after them. Named apart from the
   * `dependsOn` resource option, which would order the whole component instead.
   * For TypeScript programs: the schema can type these only as objects with a `urn`, which order
   * nothing. From Python, Go, C# or YAML leave it unset and give the component the `dependsOn`
   * resource option instead: the engine then constructs it, service included, after those resources.
   * @default none (the service still waits for its own role policies and network rules)
   */
  readonly startAfter?: pulumi.Resource[];
  /**
   * Services imported from Consul (SRV records only) that the app reaches at 127.0.0.1:<localPort>:
   * adds the forwarder container, which the app starts after (once healthy), one address
   * variable per service (e.g. VAULT_ADDR) and a tcp egress rule per service. No IAM permission.
   * @default undefined (no forwarder)
   */
  readonly consulForwarder?: ConsulForwarderArgs;
  /**
   * CloudWatch alarms ECS watches during a deployment and its bake time; one in ALARM fails the
   * deployment (and rolls it back with `rollback`). The alarms must exist first (see `startAfter`).
   * @default undefined (the circuit breaker alone)
   */
  readonly deploymentAlarms?: DeploymentAlarmsArgs;
}

/**
 * What a TypeScript program can add when it builds a DiscoverableService: code, which no schema
 * carries, so it is the constructor's fourth argument rather than part of DiscoverableServiceArgs.
 */
export interface DiscoverableServiceWiring {
  /**
   * Network rules this service's tasks need from the start (peers it calls, peers that call it),
   * created with its security group before its ECS service, which waits for them. Usually calls
   * to `allowFrom`/`allowTo` on this service or its peers.
   * @default undefined (none)
   */
  readonly connections?: (self: DiscoverableService) => pulumi.Resource[];
}

/** ECS deployment alarms of a service. */
export interface DeploymentAlarmsArgs {
  /**
   * Names of the CloudWatch alarms, at least one.
   * @default required
   */
  readonly alarmNames: string[];
  /**
   * Roll a failed deployment back to the last one that completed.
   * @default required
   */
  readonly rollback: boolean;
}

// #region argument checks
const MAX_TASKS = 1000;

/** What is wrong with DiscoverableService's arguments; empty when nothing is. */
export function discoverableServiceArgProblems(
  args: Pick<
    DiscoverableServiceArgs,
    | "containerPort"
    | "cpu"
    | "memory"
    | "desiredCount"
    | "autoscaling"
    | "minHealthyPercent"
    | "maxPercent"
    | "stopTimeoutSeconds"
    | "dnsTtlSeconds"
    | "logRetentionDays"
    | "consulForwarder"
    | "environment"
  >,
  names: ArgNames = argName,
): ArgProblem[] {
  const problems = [
    ...(args.consulForwarder
      ? consulForwarderArgProblems("consulForwarder", args.consulForwarder, {
          containerPort: args.containerPort,
          environment: Object.keys(args.environment ?? {}),
        })
      : []),
    ...check("containerPort", args.containerPort, port),
    ...check("cpu", args.cpu, oneOf(FARGATE_CPU_VALUES)),
    ...check("memory", args.memory, integerIn(512, 122880)),
    ...check("desiredCount", args.desiredCount, integerIn(0, MAX_TASKS)),
    ...check("minHealthyPercent", args.minHealthyPercent, integerIn(0, 100)),
    ...check("maxPercent", args.maxPercent, integerIn(100, 200)),
    ...check("stopTimeoutSeconds", args.stopTimeoutSeconds, integerIn(2, 120)),
    ...check("dnsTtlSeconds", args.dnsTtlSeconds, integerIn(0, 300)),
    ...check("logRetentionDays", args.logRetentionDays, logRetentionDays),
  ];
  if (FARGATE_CPU_VALUES.includes(args.cpu) && !isValidFargateSize(args.cpu, args.memory)) {
    problems.push({
      arg: "memory",
      message: `Fargate cpu ${args.cpu} allows memory ${allowedMemoryFor(args.cpu)} MiB`,
      value: args.memory,
    });
  }
  const minHealthy = args.minHealthyPercent ?? 100;
  const maxPercent = args.maxPercent ?? 200;
  if (maxPercent <= minHealthy) {
    problems.push({
      arg: "maxPercent",
      message: `must exceed ${names("minHealthyPercent")} (${minHealthy}) or deployments cannot start a new task`,
      value: maxPercent,
    });
  }
  const scaling = args.autoscaling;
  if (scaling) {
    problems.push(
      ...check("autoscaling.minCount", scaling.minCount, integerIn(0, MAX_TASKS)),
      ...check("autoscaling.maxCount", scaling.maxCount, integerIn(1, MAX_TASKS)),
      ...check("autoscaling.cpuTargetPercent", scaling.cpuTargetPercent, integerIn(10, 90)),
    );
    if (scaling.minCount > scaling.maxCount) {
      problems.push({
        arg: "autoscaling.minCount",
        message: `must not exceed ${names("autoscaling.maxCount")} (${scaling.minCount} > ${scaling.maxCount})`,
      });
    } else if (args.desiredCount < scaling.minCount || args.desiredCount > scaling.maxCount) {
      problems.push({
        arg: "desiredCount",
        message: `must lie within ${names("autoscaling.minCount")}..${names("autoscaling.maxCount")} (${scaling.minCount}..${scaling.maxCount}) when autoscaling is on`,
        value: args.desiredCount,
      });
    }
  }
  return problems;
}
// #endregion

/**
 * A Fargate service in private subnets whose tasks register in Cloud Map as A and SRV records
 * and/or join ECS Service Connect. Its security group admits nothing until `allowFrom` is called.
 */
export class DiscoverableService extends pulumi.ComponentResource implements SecurityGroupMember {
  /** Name this component was given; its children's names start with it. */
  public readonly componentName: string;
  /** Security group of the tasks; admit other members on `containerPort` through it. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Port the container listens on (its PORT variable). */
  public readonly containerPort: number;
  /** Name of the ECS service. */
  public readonly serviceName: pulumi.Output<string>;
  /** The Cloud Map service ECS registers tasks in; undefined without DNS registration. */
  public readonly cloudMapServiceArn: pulumi.Output<string> | undefined;
  /** `<service>.<namespace>`, what clients in the VPC resolve. */
  public readonly dnsName: string;
  /** The Cloud Map / Service Connect discovery name (the DiscoveryName of Service Connect's metrics). */
  public readonly discoveryName: string;
  /** Role the tasks run as; attach the app's own permissions to it. */
  public readonly taskRoleArn: pulumi.Output<string>;
  private get scope(): Scope {
    return scopeOf(this);
  }

  constructor(
    name: string,
    args: DiscoverableServiceArgs,
    opts?: pulumi.ComponentResourceOptions,
    wiring: DiscoverableServiceWiring = {},
  ) {
    assertValidArgs("DiscoverableService", name, discoverableServiceArgProblems(args));
    super(
      packageType("DiscoverableService"),
      name,
      {},
      withFormerType(opts, FORMER_TYPES.DiscoverableService),
    );
    this.componentName = name;
    this.containerPort = args.containerPort;
    const scope: Scope = { parent: this, tags: componentTags(name, args.tags) };
    keepScope(this, scope);
    const discoveryName = args.serviceName ?? name;

    const securityGroup = createSecurityGroup(name, args.vpcId, `${name} tasks`, scope);
    this.securityGroupId = securityGroup.id;
    const forwarder = args.consulForwarder;
    const rules = [
      httpsEgress(name, securityGroup.id, scope),
      ...(forwarder?.services ?? []).map((s) =>
        tcpRule(
          "egress",
          {
            name: `${name}-egress-${s.name}`,
            securityGroupId: securityGroup.id,
            port: s.remotePort,
            peer: { cidr: s.remoteCidr },
            description: `forwarder to ${s.name} (imported from Consul) on ${s.remotePort}/tcp`,
          },
          scope,
        ),
      ),
      ...(wiring.connections?.(this) ?? []),
    ];

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
            environment: {
              ...args.environment,
              ...(forwarder ? forwardedAddresses(forwarder.services) : {}),
              PORT: String(args.containerPort),
              ...drainEnvironment(args.stopTimeoutSeconds ?? 30, args.dnsTtlSeconds ?? 10),
            },
            secrets: args.secrets,
            healthCheck: APP_HEALTH_CHECK,
            user: APP_USER,
            // ECS Exec's agent writes inside the container (aws/containers-roadmap#1359).
            readonlyRootFilesystem: !args.enableExecuteCommand,
            stopTimeoutSeconds: args.stopTimeoutSeconds ?? 30,
            log: { group: logGroup.name, region: args.region, streamPrefix: name },
            // The app's first connection must find the forwarder listening.
            dependsOn: forwarder ? [{ containerName: FORWARDER_CONTAINER, condition: "HEALTHY" }] : undefined,
          }),
          ...(forwarder
            ? [
                containerDefinition<pulumi.Input<string>>(
                  consulForwarderContainer<pulumi.Input<string>>({
                    forwarder,
                    image: forwarder.image,
                    namespaceName: args.namespaceName,
                    stopTimeoutSeconds: args.stopTimeoutSeconds ?? 30,
                    log: { group: logGroup.name, region: args.region, streamPrefix: name },
                    value: (v) => v,
                  }),
                ),
              ]
            : []),
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
        // A Cloud Map service created again keeps its ID: only these make ECS register the tasks anew.
        ...(discovery ? redeployOnNewCloudMapService(discovery) : {}),
        deploymentCircuitBreaker: { enable: true, rollback: true },
        alarms: args.deploymentAlarms
          ? {
              alarmNames: [...args.deploymentAlarms.alarmNames],
              enable: true,
              rollback: args.deploymentAlarms.rollback,
            }
          : undefined,
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
    this.discoveryName = discoveryName;
    this.taskRoleArn = taskRole.role.arn;
    this.registerOutputs({
      componentName: this.componentName,
      containerPort: this.containerPort,
      securityGroupId: this.securityGroupId,
      serviceName: this.serviceName,
      cloudMapServiceArn: this.cloudMapServiceArn,
      dnsName: this.dnsName,
      discoveryName: this.discoveryName,
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

/** What decides whether a Cloud Map service must be created again (AWS's UpdateService cannot change it). */
export interface CloudMapIdentity {
  readonly name: string;
  readonly namespaceId: string;
  readonly dnsConfig?: {
    readonly routingPolicy?: string;
    readonly dnsRecords?: readonly { readonly type: string }[];
  };
  readonly healthCheckCustomConfig?: unknown;
}

/**
 * A key that changes whenever the Cloud Map service is replaced. AWS gives a service created again
 * with the same name in the same namespace the same ID (terraform-provider-aws#46930), so the
 * registry ARN the ECS service holds stays the same and ECS, seeing no change, keeps its tasks
 * registered in the deleted service. The properties that force the replacement are what change.
 */
export function cloudMapRedeployKey(service: CloudMapIdentity): string {
  return JSON.stringify([
    service.name,
    service.namespaceId,
    service.dnsConfig?.routingPolicy ?? null,
    (service.dnsConfig?.dnsRecords ?? []).map((r) => r.type),
    service.healthCheckCustomConfig ?? null,
  ]);
}

/** ECS service inputs that redeploy its tasks when their Cloud Map service is replaced (see cloudMapRedeployKey). */
export function redeployOnNewCloudMapService(service: aws.servicediscovery.Service): {
  forceNewDeployment: boolean;
  triggers: pulumi.Output<{ cloudMapService: string }>;
} {
  return {
    forceNewDeployment: true,
    triggers: pulumi
      .all([service.name, service.namespaceId, service.dnsConfig, service.healthCheckCustomConfig])
      .apply(([name, namespaceId, dnsConfig, healthCheckCustomConfig]) => ({
        cloudMapService: cloudMapRedeployKey({ name, namespaceId, dnsConfig, healthCheckCustomConfig }),
      })),
  };
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
      ? // ECS takes exactly one client alias per Service Connect service. Clients call the alias
        // (`<name>:<port>`); ECS's Cloud Map service gets a name of its own (see serviceConnectCloudMapName).
        [
          {
            portName: SERVICE_CONNECT_PORT_NAME,
            discoveryName: serviceConnectCloudMapName(discoveryName),
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
