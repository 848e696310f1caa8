/**
 * The program as a function: typed settings in, the components built and wired, the stack's
 * outputs returned. index.ts calls it with the stack's settings; tests call it under Pulumi's
 * mocks with whatever settings a case needs.
 */
import {
  ApiGateway,
  capacityProviderStrategy,
  Cluster,
  CHECK_CONTAINER,
  ConsulCatalogCheck,
  ConsulReach,
  CONSUL_HTTP_PORT,
  ConsulManagementToken,
  ConsulServer,
  ConsulSync,
  DiscoverableService,
  ServiceConnectArgs,
  LoadBalancer,
  CatalogNames,
  namesOfCloudMapService,
  namesOfConsulService,
  namesOfServiceConnectService,
  serviceConnectCloudMapName,
  Namespace,
  Network,
  createTaggingProvider,
} from "ecs-cloudmap-consul";
import * as pulumi from "@pulumi/pulumi";
import { AppImage } from "./app-image";
import { placeholderMessage, placeholdersIn } from "./placeholders";
import {
  Alarms,
  DEPLOYMENT_ALARM_KEYS,
  discoveryAlarmSpecs,
  observabilityName,
  StackDashboard,
  taskAlarmSpecs,
  type DashboardInputs,
} from "./observability";
import { METRIC_INTERVAL_SECONDS } from "../apps/hello/src/metric-names";
import {
  EmbeddedConsulSettings,
  ExternalConsulSettings,
  parseSettings,
  RawConfig,
  secretArnsOf,
  Settings,
  settingsErrorMessage,
} from "./stack-settings";

/** The stack's settings from raw config (`project:key` -> text), or one error naming every problem. */
export function settingsFrom(raw: RawConfig): Settings {
  const result = parseSettings(raw);
  if (!result.ok) throw new Error(settingsErrorMessage(result.errors));
  return result.settings;
}

/**
 * The program index.ts runs: every setting checked, then the placeholder gate, then the stack.
 * `dryRun` is `pulumi.runtime.isDryRun()`: an update (`up`) with a placeholder left stops before
 * anything is registered; a preview warns (through `warn`, Pulumi's log by default) and builds the graph.
 */
export function stackProgram(
  raw: RawConfig,
  run: { readonly dryRun: boolean; readonly warn?: (message: string) => void },
): StackOutputs {
  const settings = settingsFrom(raw);
  const placeholders = placeholdersIn(raw);
  if (placeholders.length > 0) {
    if (!run.dryRun) throw new Error(placeholderMessage(placeholders, "up"));
    (run.warn ?? ((message: string) => void pulumi.log.warn(message)))(
      placeholderMessage(placeholders, "preview"),
    );
  }
  return createInfrastructure(settings);
}

/** Builds the whole stack for these settings and returns its outputs. */
export function createInfrastructure(settings: Settings) {
  // Every component's children use the tagging provider (awsx's VPC is handed it too).
  const withAws: pulumi.ComponentResourceOptions = {
    providers: [createTaggingProvider("aws", settings.region, pulumi.runtime.allConfig())],
  };
  const appCapacity = capacityProviderStrategy(settings.cluster.capacityStrategy);

  const network = new Network(
    "net",
    {
      cidrBlock: settings.network.vpcCidr,
      availabilityZoneCount: settings.network.azCount,
      natGateways: settings.network.natGateways,
      vpcEndpoints: settings.network.vpcEndpoints,
      extraInterfaceEndpoints: settings.deployment.enableExecuteCommand ? ["ssmmessages"] : [],
      region: settings.region,
    },
    withAws,
  );

  const sync = settings.consulSync;
  const embedded = sync?.consul.kind === "embedded" ? sync.consul : undefined;
  const external = sync?.consul.kind === "external" ? sync.consul : undefined;
  const consulToken = embedded
    ? new ConsulManagementToken("consul-token", { kmsKeyArn: settings.secretsKmsKeyArn }, withAws)
    : undefined;

  const cluster = new Cluster(
    "ecs",
    {
      containerInsights: settings.cluster.containerInsights,
      defaultStrategy: appCapacity,
      secretArns: [
        ...secretArnsOf(settings),
        ...(consulToken ? [consulToken.tokenSecretArn, consulToken.serverConfigSecretArn] : []),
      ],
      secretsKmsKeyArn: settings.secretsKmsKeyArn,
      region: settings.region,
      logRetentionDays: settings.logRetentionDays,
    },
    withAws,
  );

  const namespace = new Namespace(
    "discovery",
    {
      name: settings.discovery.namespaceName,
      vpcId: network.vpcId,
      soaTtlSeconds: settings.discovery.soaTtl,
      // Whatever runs in the namespace and leaves Cloud Map services no stack owns (consul-aws,
      // ECS Service Connect) is deleted before this cleanup runs, which empties it for the namespace.
      cleanupOnDelete: {
        region: settings.region,
        // Both apps' names, whatever the mode: a stack switched back to dns still has them.
        serviceConnectServices: (["hello", "name"] as const).map(serviceConnectCloudMapName),
      },
    },
    withAws,
  );

  const imageArgs = {
    baseImage: settings.images.baseImage,
    retainCount: settings.images.retainCount,
    tag: settings.images.tag,
    forceDelete: !settings.production,
  };
  const { prebuilt } = settings.images;
  const helloImage = new AppImage(
    "hello-image",
    { app: "hello", ...imageArgs, image: prebuilt.hello },
    withAws,
  );
  const nameImage = new AppImage("name-image", { app: "name", ...imageArgs, image: prebuilt.name }, withAws);

  const lb =
    settings.frontDoor.kind === "alb"
      ? new LoadBalancer(
          "public",
          {
            vpcId: network.vpcId,
            publicSubnetIds: network.publicSubnetIds,
            targetPort: settings.hello.port,
            healthCheckPath: "/health",
            certificateArn: settings.loadBalancer.certificateArn,
            domainName: settings.loadBalancer.domainName,
            hostedZoneId: settings.loadBalancer.hostedZoneId,
            deregistrationDelaySeconds: settings.loadBalancer.deregistrationDelaySeconds,
            deletionProtection: settings.production,
          },
          withAws,
        )
      : undefined;

  // What operators see: hello's alarms exist before the services whose deployments watch them.
  const obs = settings.observability;
  const observedAs = observabilityName(pulumi.getProject(), pulumi.getStack());
  const discoveryAlarms = obs.alarms
    ? new Alarms(
        "discovery-alarms",
        {
          specs: discoveryAlarmSpecs(pulumi.getStack()),
          namePrefix: observedAs,
          topicArn: obs.alarmTopicArn,
        },
        withAws,
      )
    : undefined;
  const deploymentAlarms =
    discoveryAlarms && obs.alarmRollback
      ? { alarmNames: DEPLOYMENT_ALARM_KEYS.map((key) => discoveryAlarms.names[key]), rollback: true }
      : undefined;
  /** The apps' EMF lines: the Stack dimension, and one line a minute (0: none). */
  const metricsEnvironment = {
    METRICS_STACK: pulumi.getStack(),
    METRICS_INTERVAL_MS: obs.metrics ? String(METRIC_INTERVAL_SECONDS * 1000) : "0",
  };

  interface AppServiceExtras {
    environment?: Record<string, string>;
    dnsRegistration?: boolean;
    serviceConnect?: ServiceConnectArgs;
    targetGroupArn?: pulumi.Input<string>;
    startAfter?: pulumi.Resource[];
    connections?: (self: DiscoverableService) => pulumi.Resource[];
  }

  function appService(app: "hello" | "name", image: AppImage, extra: AppServiceExtras): DiscoverableService {
    const s = settings[app];
    return new DiscoverableService(
      app,
      {
        clusterArn: cluster.clusterArn,
        clusterName: cluster.clusterName,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        namespaceId: namespace.namespaceId,
        namespaceName: namespace.namespaceName,
        executionRoleArn: cluster.executionRoleArn,
        image: image.imageDigestRef,
        containerPort: s.port,
        cpu: s.cpu,
        memory: s.memory,
        desiredCount: s.desiredCount,
        environment: { ...extra.environment, ...metricsEnvironment },
        logRetentionDays: settings.logRetentionDays,
        region: settings.region,
        dnsTtlSeconds: settings.discovery.dnsTtl,
        capacityProviderStrategies: appCapacity,
        minHealthyPercent: settings.deployment.minHealthyPercent,
        maxPercent: settings.deployment.maxPercent,
        stopTimeoutSeconds: settings.deployment.stopTimeoutSeconds,
        enableExecuteCommand: settings.deployment.enableExecuteCommand,
        autoscaling: settings.autoscaling.enabled
          ? {
              minCount: s.minCount,
              maxCount: s.maxCount,
              cpuTargetPercent: settings.autoscaling.cpuTargetPercent,
            }
          : undefined,
        dnsRegistration: extra.dnsRegistration,
        serviceConnect: extra.serviceConnect,
        targetGroupArn: extra.targetGroupArn,
        startAfter: [
          cluster.capacityProviders,
          ...cluster.executionRolePolicies,
          // Deleted before the namespace cleanup runs: their Service Connect services are gone by then.
          ...(namespace.cleanup ? [namespace.cleanup] : []),
          ...(discoveryAlarms?.alarms ?? []),
          ...(extra.startAfter ?? []),
        ],
        deploymentAlarms,
      },
      withAws,
      { connections: extra.connections },
    );
  }

  // dns: hello resolves name.<namespace> itself (SRV). serviceConnect: name publishes the alias
  // `name:<port>`, which lives in hello's hosts file (not in DNS), and hello sends every request
  // to it through the local Service Connect proxy, which balances and retries.
  const serviceConnect = settings.discovery.mode === "serviceConnect";
  const scNamespace = { namespaceArn: namespace.namespaceArn };
  const nameService = appService(
    "name",
    nameImage,
    serviceConnect ? { dnsRegistration: false, serviceConnect: { ...scNamespace, publish: true } } : {},
  );
  const helloService = appService("hello", helloImage, {
    environment: serviceConnect
      ? { NAME_SERVER: `http://name:${nameService.containerPort}/`, DISCOVERY_MODE: "proxy" }
      : {
          NAME_SERVER: `http://${nameService.dnsName}:${nameService.containerPort}/`,
          // SRV: each task's port comes from Cloud Map (ECS registers it), as it does for the SRV-only
          // services consul-aws copies from Consul; the port in NAME_SERVER then goes unused.
          DISCOVERY_RECORD_TYPE: "SRV",
        },
    // hello keeps its A + SRV records in both modes: API Gateway and consul-aws find it there.
    serviceConnect: serviceConnect ? { ...scNamespace, publish: false } : undefined,
    targetGroupArn: lb?.targetGroupArn,
    // A Service Connect client learns aliases when its tasks start: name's endpoint must exist first.
    startAfter: [...(lb?.listeners ?? []), ...(serviceConnect ? [nameService] : [])],
    // hello -> name (and ALB -> hello) exist before hello's first task starts.
    connections: (hello) => [
      ...nameService.allowFrom(hello),
      // The ALB component is "public"; this rule was named after a free-form "alb" before.
      ...(lb ? [...hello.allowFrom(lb, { formerNames: ["hello-from-alb"] }), lb.allowTo(hello)] : []),
    ],
  });

  const appServices = { hello: helloService, name: nameService };
  /** The Cloud Map service each app's tasks are registered in, which consul-aws copies into Consul. */
  const cloudMapNameOf = (app: "hello" | "name") =>
    app === "name" && serviceConnect ? serviceConnectCloudMapName(app) : app;

  let helloUrlOutput: pulumi.Output<string>;
  let frontDoorMetrics: pulumi.Output<DashboardInputs["frontDoor"]>;
  if (lb) {
    helloUrlOutput = lb.url;
    frontDoorMetrics = lb.metricDimensions.apply((d) => ({
      kind: "alb" as const,
      loadBalancer: d.LoadBalancer,
      targetGroup: d.TargetGroup,
    }));
  } else {
    // The integration needs hello's Cloud Map service, so the API (and its one rule) comes after hello.
    const helloCloudMapArn = helloService.cloudMapServiceArn;
    if (!helloCloudMapArn) throw new Error("frontDoor apiGateway needs hello registered in Cloud Map");
    const api = new ApiGateway(
      "api",
      {
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        cloudMapServiceArn: helloCloudMapArn,
        targetPort: settings.hello.port,
        throttle: settings.frontDoor.throttle,
        logRetentionDays: settings.logRetentionDays,
      },
      withAws,
    );
    helloService.allowFrom(api);
    api.allowTo(helloService);
    helloUrlOutput = api.url;
    frontDoorMetrics = api.apiId.apply((apiId) => ({ kind: "apiGateway" as const, apiId }));
  }

  // The Consul side: one description of where Consul is, whichever kind.
  const consulPlace = { settings, network, cluster, namespace, withAws };
  const consulAt: ConsulLocation | undefined =
    embedded && consulToken
      ? embeddedConsul(embedded, consulToken, consulPlace)
      : external
        ? externalConsul(external, consulPlace)
        : undefined;
  const consulServer = consulAt?.server;
  const reach = consulAt?.reach;
  const checkImage = consulAt?.checkImage;
  const consulCheck =
    sync && consulAt && checkImage
      ? new ConsulCatalogCheck(
          "consul-check",
          {
            vpcId: network.vpcId,
            executionRoleArn: cluster.executionRoleArn,
            image: checkImage,
            consulHttpAddr: consulAt.httpAddr,
            tokenSecretArn: consulAt.tokenSecretArn,
            caCertSecretArn: consulAt.caCertSecretArn,
            services: (["hello", "name"] as const).map((app) => sync.prefixes.inConsul + cloudMapNameOf(app)),
            logRetentionDays: settings.logRetentionDays,
            region: settings.region,
            consulCidr: consulAt.cidr,
            consulPort: consulAt.port,
            // An external Consul keeps consul-aws's entries after a destroy unless they are
            // removed; only a task inside the VPC reaches it.
            deregisterOnDelete: external
              ? {
                  enabled: external.deregisterOnDestroy,
                  clusterArn: cluster.clusterArn,
                  subnetIds: network.privateSubnetIds,
                  after: [cluster, network, ...(reach?.paths ?? [])],
                }
              : undefined,
          },
          withAws,
        )
      : undefined;
  if (consulServer && consulCheck) consulServer.allowFrom(consulCheck);
  if (external?.deregisterOnDestroy && !consulCheck) {
    void pulumi.log.warn(
      "consulDeregisterOnDestroy needs consulImage: a destroy removes consul-aws's entries from Consul with a one-off task in the VPC that runs it. Without it they stay in Consul.",
    );
  }

  const consulSync =
    sync && consulAt
      ? new ConsulSync(
          "consul-sync",
          {
            clusterArn: cluster.clusterArn,
            vpcId: network.vpcId,
            subnetIds: network.privateSubnetIds,
            namespaceId: namespace.namespaceId,
            namespaceArn: namespace.namespaceArn,
            namespaceName: namespace.namespaceName,
            hostedZoneId: namespace.hostedZoneId,
            executionRoleArn: cluster.executionRoleArn,
            image: sync.image,
            consulHttpAddr: consulAt.httpAddr,
            tls: consulAt.tls,
            consulPort: consulAt.port,
            consulCidr: consulAt.cidr,
            consulSecurityGroupId: consulAt.securityGroupId,
            tokenSecretArn: consulAt.tokenSecretArn,
            caCertSecretArn: consulAt.caCertSecretArn,
            caInitImage: sync.caInitImage,
            pollInterval: sync.pollInterval,
            dnsTtlSeconds: sync.dnsTtl,
            prefixes: sync.prefixes,
            logRetentionDays: settings.logRetentionDays,
            region: settings.region,
            // consul-aws stops before the namespace cleanup runs, so it cannot re-create what was
            // removed; it starts once the embedded server is healthy (it exits after 11 errors).
            startAfter: [
              cluster.capacityProviders,
              ...cluster.executionRolePolicies,
              ...(namespace.cleanup ? [namespace.cleanup] : []),
              ...(consulServer ? [consulServer.ready] : []),
              // Deleted before consul-aws's entries are removed from an external Consul.
              ...(consulCheck?.deregistration ? [consulCheck.deregistration] : []),
            ],
          },
          withAws,
          // consul-aws opens its own egress to the server; the server admits it before it starts.
          { connections: (self) => consulServer?.allowFrom(self, { callerEgress: false }) ?? [] },
        )
      : undefined;

  // Task-state alarms and the dashboard name the ECS services, so they come after them.
  const insights = settings.cluster.containerInsights !== "disabled";
  // hello's record set counts name's tasks only in DNS mode (in Service Connect mode it holds the proxy).
  const taskCountSource = insights ? "containerInsights" : serviceConnect ? undefined : "helloTargets";
  const nameMinimum = settings.autoscaling.enabled ? settings.name.minCount : settings.name.desiredCount;
  if (obs.alarms && taskCountSource === undefined && nameMinimum > 0) {
    void pulumi.log.warn(
      "no alarm on name's task count: with discoveryMode serviceConnect it needs containerInsights enabled or enhanced (RunningTaskCount).",
    );
  }
  const taskAlarms = obs.alarms
    ? new Alarms(
        "task-alarms",
        {
          specs: taskAlarmSpecs<pulumi.Input<string>>({
            stack: pulumi.getStack(),
            clusterName: cluster.clusterName,
            nameServiceName: nameService.serviceName,
            nameMinimum,
            taskCountSource,
            consulSyncServiceName: consulSync?.serviceName,
          }),
          namePrefix: observedAs,
          topicArn: obs.alarmTopicArn,
        },
        withAws,
      )
    : undefined;
  const dashboard = obs.dashboard
    ? new StackDashboard(
        "operations",
        {
          dashboardName: observedAs,
          inputs: pulumi.output({
            region: settings.region,
            stack: pulumi.getStack(),
            clusterName: cluster.clusterName,
            services: {
              hello: helloService.serviceName,
              name: nameService.serviceName,
              consulSync: consulSync?.serviceName,
            },
            frontDoor: frontDoorMetrics,
            serviceConnectName: serviceConnect ? nameService.discoveryName : undefined,
            containerInsights: insights,
            appMetrics: obs.metrics,
            alarmArns: pulumi
              .all([discoveryAlarms?.arns ?? [], taskAlarms?.arns ?? []])
              .apply(([a, b]) => [...a, ...b]),
          }),
        },
        withAws,
      )
    : undefined;

  const ns = namespace.namespaceName;
  const catalog: Record<string, CatalogNames> = {
    hello: namesOfCloudMapService("hello", ns, sync?.prefixes),
    // With Service Connect, name is in Cloud Map as API-only instances: no DNS records.
    name: serviceConnect
      ? namesOfServiceConnectService("name", ns, sync?.prefixes)
      : namesOfCloudMapService("name", ns, sync?.prefixes),
  };
  if (sync) {
    for (const service of sync.knownServices)
      catalog[`consul/${service}`] = namesOfConsulService(service, ns, sync.prefixes);
  }

  /** What runs, by digest. */
  const images = {
    hello: helloImage.imageDigestRef,
    name: nameImage.imageDigestRef,
    consulAws: consulSync?.image,
    consulServer: consulServer?.image,
  };
  /**
   * What the driver's Consul smoke check needs: the one-off task that reads Consul's catalog from
   * inside the VPC (absent for an external Consul without consulImage), and the names to expect in
   * each catalog. Undefined when consulMode is off.
   */
  const consulCatalogCheck = sync
    ? {
        mode: sync.mode,
        region: settings.region,
        consulHttpAddr: consulAt?.httpAddr,
        clusterName: cluster.clusterName,
        subnetIds: network.privateSubnetIds,
        task: consulCheck
          ? {
              taskDefinitionArn: consulCheck.taskDefinitionArn,
              securityGroupId: consulCheck.securityGroupId,
              logGroupName: consulCheck.logGroupName,
              logStreamPrefix: "check",
              containerName: CHECK_CONTAINER,
            }
          : undefined,
        inConsul: (["hello", "name"] as const).map((app) => ({
          service: app,
          consulName: sync.prefixes.inConsul + cloudMapNameOf(app),
          port: appServices[app].containerPort,
        })),
        inCloudMap: {
          namespaceId: namespace.namespaceId,
          services: sync.knownServices.map((service) => ({
            consulName: service,
            cloudMapName: sync.prefixes.inCloudMap + service,
          })),
        },
      }
    : undefined;
  /** The embedded Consul server, for the UI through ECS Exec port forwarding (see the README); the token's ARN, never the token. */
  const consul =
    consulServer && consulToken
      ? {
          serviceName: consulServer.serviceName,
          dnsName: consulServer.dnsName,
          httpAddr: consulServer.httpAddr,
          tokenSecretArn: consulToken.tokenSecretArn,
        }
      : undefined;

  return {
    helloUrl: helloUrlOutput,
    clusterName: cluster.clusterName,
    namespaceId: namespace.namespaceId,
    namespaceName: namespace.namespaceName,
    /** Per service: its Cloud Map DNS name and its Consul DNS name (with the sync prefixes applied). */
    serviceDnsNames: catalog,
    images,
    consulCatalogCheck,
    consul,
    /** The CloudWatch dashboard's name; undefined when `dashboard` is off. */
    dashboardName: dashboard?.dashboardName,
  };
}

/** Where consul-aws and the catalog check find Consul: the one object both read, whichever kind of Consul. */
interface ConsulLocation {
  readonly httpAddr: string;
  readonly tls: boolean;
  readonly port: number;
  /** The network Consul lives in (external); undefined: the embedded server, reached by security group. */
  readonly cidr: string | undefined;
  readonly securityGroupId: pulumi.Output<string> | undefined;
  readonly tokenSecretArn: pulumi.Output<string>;
  readonly caCertSecretArn: string | undefined;
  /** The image the catalog check runs; undefined: no check task. */
  readonly checkImage: string | undefined;
  /** The server the stack runs (embedded). */
  readonly server: ConsulServer | undefined;
  /** Routes and DNS forwarding to an external Consul. */
  readonly reach: ConsulReach | undefined;
}

/** What the Consul side is built into. */
interface ConsulPlace {
  readonly settings: Settings;
  readonly network: Network;
  readonly cluster: Cluster;
  readonly namespace: Namespace;
  readonly withAws: pulumi.ComponentResourceOptions;
}

/** A single Consul server in the stack's own VPC, admitting the extra CIDRs the settings name. */
function embeddedConsul(
  embedded: EmbeddedConsulSettings,
  token: ConsulManagementToken,
  { settings, network, cluster, namespace, withAws }: ConsulPlace,
): ConsulLocation {
  const server = new ConsulServer(
    "consul-server",
    {
      clusterArn: cluster.clusterArn,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      executionRoleArn: cluster.executionRoleArn,
      namespaceId: namespace.namespaceId,
      namespaceName: namespace.namespaceName,
      image: embedded.serverImage,
      serverConfigSecretArn: token.serverConfigSecretArn,
      logRetentionDays: settings.logRetentionDays,
      region: settings.region,
      enableExecuteCommand: settings.deployment.enableExecuteCommand,
      startAfter: [cluster.capacityProviders, ...cluster.executionRolePolicies],
    },
    withAws,
  );
  embedded.allowedCidrs.forEach((cidr, i) => server.allowCidr(i, cidr));
  return {
    httpAddr: server.httpAddr,
    tls: false,
    port: CONSUL_HTTP_PORT,
    cidr: undefined,
    securityGroupId: server.securityGroupId,
    tokenSecretArn: token.tokenSecretArn,
    caCertSecretArn: undefined,
    checkImage: embedded.serverImage,
    server,
    reach: undefined,
  };
}

/** An existing Consul in another network: routes (and DNS forwarding) to it from the private subnets. */
function externalConsul(
  external: ExternalConsulSettings,
  { settings, network, withAws }: ConsulPlace,
): ConsulLocation {
  const reach = new ConsulReach(
    "consul-reach",
    {
      vpcId: network.vpcId,
      privateSubnetIds: network.privateSubnetIds,
      routeTableCount: settings.network.azCount,
      consulCidr: external.cidr,
      route: external.route,
      dns: external.dns,
    },
    withAws,
  );
  return {
    httpAddr: external.httpAddr,
    tls: external.tls,
    port: external.port,
    cidr: external.cidr,
    securityGroupId: undefined,
    tokenSecretArn: pulumi.output(external.tokenSecretArn),
    caCertSecretArn: external.caCertSecretArn,
    checkImage: external.checkImage,
    server: undefined,
    reach,
  };
}

/** What the stack exports. */
export type StackOutputs = ReturnType<typeof createInfrastructure>;
