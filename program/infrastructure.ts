/**
 * The program as a function: typed settings in, the components built and wired, the stack's
 * outputs returned. index.ts calls it with the stack's settings; tests call it under Pulumi's
 * mocks with whatever settings a case needs.
 */
import {
  ApiGateway,
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
  ConsulForwarderArgs,
  type DeploymentAlarmsArgs,
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
  type TaskCountSource,
} from "./observability";
import { METRIC_INTERVAL_SECONDS } from "../apps/hello/src/metric-names";
import {
  ConsulSyncSettings,
  EmbeddedConsulSettings,
  ExternalConsulSettings,
  parseSettings,
  RawConfig,
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

/**
 * Builds the whole stack for these settings and returns its outputs. Read it as a table of contents:
 * each step is one function below, in the order the stack is built.
 */
export function createInfrastructure(settings: Settings) {
  const withAws = taggedAwsProvider(settings);
  const consulToken = embeddedConsulToken(settings, withAws);
  const network = vpc(settings, withAws);
  const cluster = ecsCluster(settings, consulToken, withAws);
  const namespace = discoveryNamespace(settings, network, withAws);
  const base: Base = { settings, withAws, network, cluster, namespace };
  const images = appImages(settings, withAws);
  const loadBalancer = albFrontDoor(base);
  const alarms = discoveryAlarms(base);
  const services = appServices(base, images, loadBalancer, alarms);
  const frontDoor = frontDoorOf(base, services.hello, loadBalancer);
  const consul = consulSide(base, consulToken);
  const operations = operationsView(base, services, consul?.sync, alarms, frontDoor);
  return stackOutputs(base, images, services, frontDoor, consul, operations);
}

/** What every step after the cluster builds into: the settings, the provider, and the network, cluster and namespace all services share. */
interface Base {
  readonly settings: Settings;
  readonly withAws: pulumi.ComponentResourceOptions;
  readonly network: Network;
  readonly cluster: Cluster;
  readonly namespace: Namespace;
}

type App = "hello" | "name";
const APPS: readonly App[] = ["hello", "name"];

/** Every component's children use the tagging provider (awsx's VPC is handed it too). */
function taggedAwsProvider(settings: Settings): pulumi.ComponentResourceOptions {
  return { providers: [createTaggingProvider("aws", settings.region, pulumi.runtime.allConfig())] };
}

/** The embedded Consul's token comes before the cluster: the tasks' execution role reads its secrets. */
function embeddedConsulToken(
  settings: Settings,
  withAws: pulumi.ComponentResourceOptions,
): ConsulManagementToken | undefined {
  if (settings.consulSync?.consul.kind !== "embedded") return undefined;
  return new ConsulManagementToken("consul-token", { kmsKeyArn: settings.cluster.secretsKmsKeyArn }, withAws);
}

/** The VPC: private subnets for the tasks, public ones for the ALB, endpoints when asked. */
function vpc(settings: Settings, withAws: pulumi.ComponentResourceOptions): Network {
  return new Network("net", settings.network, withAws);
}

/** The ECS cluster and the one execution role, which may read only the secrets the tasks are given. */
function ecsCluster(
  settings: Settings,
  consulToken: ConsulManagementToken | undefined,
  withAws: pulumi.ComponentResourceOptions,
): Cluster {
  const tokenSecrets = consulToken ? [consulToken.tokenSecretArn, consulToken.serverConfigSecretArn] : [];
  return new Cluster(
    "ecs",
    { ...settings.cluster, secretArns: [...settings.cluster.secretArns, ...tokenSecrets] },
    withAws,
  );
}

/** The Cloud Map namespace the apps register in and consul-aws syncs with Consul. */
function discoveryNamespace(
  settings: Settings,
  network: Network,
  withAws: pulumi.ComponentResourceOptions,
): Namespace {
  return new Namespace(
    "discovery",
    {
      ...settings.namespace,
      vpcId: network.vpcId,
      // Whatever runs in the namespace and leaves Cloud Map services no stack owns (consul-aws,
      // ECS Service Connect) is deleted before this cleanup runs, which empties it for the namespace.
      cleanupOnDelete: {
        region: settings.region,
        // Both apps' names, whatever the mode: a stack switched back to dns still has them.
        serviceConnectServices: APPS.map(serviceConnectCloudMapName),
        // Deployed stacks hold the 0.1.0 dynamic resource: switching would run its delete now (package README).
        runner: "dynamicProvider",
      },
    },
    withAws,
  );
}

interface AppImages {
  readonly hello: AppImage;
  readonly name: AppImage;
  /** The forwarder sidecar; undefined when hello reaches no Consul service. */
  readonly forwarder: AppImage | undefined;
}

/** The apps' images, built from apps/<app> or taken by digest (helloImage, nameImage). */
function appImages(settings: Settings, withAws: pulumi.ComponentResourceOptions): AppImages {
  const hello = new AppImage("hello-image", { app: "hello", ...settings.images.hello }, withAws);
  const name = new AppImage("name-image", { app: "name", ...settings.images.name }, withAws);
  if (settings.helloConsulServices.length === 0) return { hello, name, forwarder: undefined };
  const forwarder = new AppImage(
    "forwarder-image",
    { app: "forwarder", ...settings.images.forwarder },
    withAws,
  );
  return { hello, name, forwarder };
}

/** The ALB comes before hello, whose tasks register in its target group; undefined: API Gateway instead. */
function albFrontDoor({ settings, network, withAws }: Base): LoadBalancer | undefined {
  if (settings.frontDoor.kind !== "alb") return undefined;
  return new LoadBalancer(
    "public",
    {
      ...settings.frontDoor.loadBalancer,
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      healthCheckPath: "/health",
    },
    withAws,
  );
}

interface DiscoveryAlarms {
  readonly alarms: Alarms | undefined;
  /** What the apps' deployments watch (alarmRollback); undefined: nothing. */
  readonly deployment: DeploymentAlarmsArgs | undefined;
}

/** hello's alarms exist before the services whose deployments watch them. */
function discoveryAlarms({ settings, withAws }: Base): DiscoveryAlarms {
  const obs = settings.observability;
  if (!obs.alarms) return { alarms: undefined, deployment: undefined };
  const alarms = new Alarms(
    "discovery-alarms",
    {
      specs: discoveryAlarmSpecs(pulumi.getStack()),
      namePrefix: observabilityName(pulumi.getProject(), pulumi.getStack()),
      topicArn: obs.alarmTopicArn,
    },
    withAws,
  );
  const deployment = obs.alarmRollback
    ? { alarmNames: DEPLOYMENT_ALARM_KEYS.map((key) => alarms.names[key]), rollback: true }
    : undefined;
  return { alarms, deployment };
}

interface AppServices {
  readonly hello: DiscoverableService;
  readonly name: DiscoverableService;
}

/** name first: hello calls it, and in serviceConnect mode learns its alias when hello's tasks start. */
function appServices(
  base: Base,
  images: AppImages,
  lb: LoadBalancer | undefined,
  alarms: DiscoveryAlarms,
): AppServices {
  const name = appService(base, "name", images.name, alarms, nameWiring(base));
  const hello = appService(base, "hello", images.hello, alarms, helloWiring(base, images, name, lb));
  return { hello, name };
}

/** How one app differs from the other: its discovery, its callers and what it waits for. */
interface AppWiring {
  readonly environment?: Record<string, string>;
  readonly dnsRegistration?: boolean;
  readonly serviceConnect?: ServiceConnectArgs;
  readonly targetGroupArn?: pulumi.Input<string>;
  readonly startAfter?: pulumi.Resource[];
  readonly connections?: (self: DiscoverableService) => pulumi.Resource[];
  readonly consulForwarder?: ConsulForwarderArgs;
}

/** In serviceConnect mode name publishes the alias `name:<port>` and leaves DNS. */
function nameWiring({ settings, namespace }: Base): AppWiring {
  if (settings.discoveryMode !== "serviceConnect") return {};
  return { dnsRegistration: false, serviceConnect: { namespaceArn: namespace.namespaceArn, publish: true } };
}

/** hello calls name, sits behind the front door, and reaches Consul services through the forwarder. */
function helloWiring(
  { settings, namespace }: Base,
  images: AppImages,
  name: DiscoverableService,
  lb: LoadBalancer | undefined,
): AppWiring {
  const serviceConnect = settings.discoveryMode === "serviceConnect";
  return {
    consulForwarder: images.forwarder
      ? { image: images.forwarder.imageDigestRef, services: [...settings.helloConsulServices] }
      : undefined,
    environment: serviceConnect ? proxyDiscoveryEnvironment(name) : dnsDiscoveryEnvironment(name),
    // hello keeps its A + SRV records in both modes: API Gateway and consul-aws find it there.
    serviceConnect: serviceConnect ? { namespaceArn: namespace.namespaceArn, publish: false } : undefined,
    targetGroupArn: lb?.targetGroupArn,
    // A Service Connect client learns aliases when its tasks start: name's endpoint must exist first.
    startAfter: [...(lb?.listeners ?? []), ...(serviceConnect ? [name] : [])],
    // hello -> name (and ALB -> hello) exist before hello's first task starts.
    connections: (hello) => [
      ...name.allowFrom(hello),
      // The ALB component is "public"; this rule was named after a free-form "alb" before.
      ...(lb ? [...hello.allowFrom(lb, { formerNames: ["hello-from-alb"] }), lb.allowTo(hello)] : []),
    ],
  };
}

/** serviceConnect: the alias `name:<port>` lives in hello's hosts file; the local proxy balances and retries. */
function proxyDiscoveryEnvironment(name: DiscoverableService): Record<string, string> {
  return { NAME_SERVER: `http://name:${name.containerPort}/`, DISCOVERY_MODE: "proxy" };
}

/**
 * dns: hello resolves name's SRV records itself; each task's port comes from Cloud Map (ECS registers
 * it), as it does for the SRV-only services consul-aws copies from Consul, so NAME_SERVER's port goes unused.
 */
function dnsDiscoveryEnvironment(name: DiscoverableService): Record<string, string> {
  return { NAME_SERVER: `http://${name.dnsName}:${name.containerPort}/`, DISCOVERY_RECORD_TYPE: "SRV" };
}

/** One app as a discoverable Fargate service: its settings' arguments as they are, placed in the stack and wired. */
function appService(
  { settings, withAws, network, cluster, namespace }: Base,
  app: App,
  image: AppImage,
  alarms: DiscoveryAlarms,
  wiring: AppWiring,
): DiscoverableService {
  return new DiscoverableService(
    app,
    {
      ...settings[app],
      clusterArn: cluster.clusterArn,
      clusterName: cluster.clusterName,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      namespaceId: namespace.namespaceId,
      namespaceName: namespace.namespaceName,
      executionRoleArn: cluster.executionRoleArn,
      image: image.imageDigestRef,
      environment: { ...wiring.environment, ...metricsEnvironment(settings) },
      dnsRegistration: wiring.dnsRegistration,
      serviceConnect: wiring.serviceConnect,
      targetGroupArn: wiring.targetGroupArn,
      startAfter: [
        cluster.capacityProviders,
        ...cluster.executionRolePolicies,
        // Deleted before the namespace cleanup runs: their Service Connect services are gone by then.
        ...(namespace.cleanup ? [namespace.cleanup] : []),
        ...(alarms.alarms?.alarms ?? []),
        ...(wiring.startAfter ?? []),
      ],
      consulForwarder: wiring.consulForwarder,
      deploymentAlarms: alarms.deployment,
    },
    withAws,
    { connections: wiring.connections },
  );
}

/** The apps' EMF lines: the Stack dimension, and one line a minute (0: none). */
function metricsEnvironment(settings: Settings): Record<string, string> {
  return {
    METRICS_STACK: pulumi.getStack(),
    METRICS_INTERVAL_MS: settings.observability.metrics ? String(METRIC_INTERVAL_SECONDS * 1000) : "0",
  };
}

interface FrontDoor {
  readonly url: pulumi.Output<string>;
  readonly metrics: pulumi.Output<DashboardInputs["frontDoor"]>;
}

/** The public way in: the ALB built before hello, or API Gateway, which needs hello's Cloud Map service. */
function frontDoorOf(base: Base, hello: DiscoverableService, lb: LoadBalancer | undefined): FrontDoor {
  if (!lb) return apiGatewayFrontDoor(base, hello);
  return {
    url: lb.url,
    metrics: lb.metricDimensions.apply((d) => ({
      kind: "alb" as const,
      loadBalancer: d.LoadBalancer,
      targetGroup: d.TargetGroup,
    })),
  };
}

/** An HTTP API whose VPC link integration finds hello's tasks in Cloud Map; it (and its one rule) comes after hello. */
function apiGatewayFrontDoor({ settings, network, withAws }: Base, hello: DiscoverableService): FrontDoor {
  const helloCloudMapArn = hello.cloudMapServiceArn;
  if (!helloCloudMapArn) throw new Error("frontDoor apiGateway needs hello registered in Cloud Map");
  const api = new ApiGateway(
    "api",
    {
      ...settings.frontDoor.apiGateway,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      cloudMapServiceArn: helloCloudMapArn,
    },
    withAws,
  );
  hello.allowFrom(api);
  api.allowTo(hello);
  return { url: api.url, metrics: api.apiId.apply((apiId) => ({ kind: "apiGateway" as const, apiId })) };
}

/** The Cloud Map service each app's tasks are registered in, which consul-aws copies into Consul. */
function cloudMapNameOf(settings: Settings, app: App): string {
  return app === "name" && settings.discoveryMode === "serviceConnect"
    ? serviceConnectCloudMapName(app)
    : app;
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
  /** The embedded server's management token (its ARN is an output, never the token). */
  readonly token: ConsulManagementToken | undefined;
}

interface ConsulSide {
  readonly settings: ConsulSyncSettings;
  readonly at: ConsulLocation;
  readonly check: ConsulCatalogCheck | undefined;
  readonly sync: ConsulSync;
}

/** consul-aws and the catalog check against wherever Consul is; undefined when consulMode is off. */
function consulSide(base: Base, token: ConsulManagementToken | undefined): ConsulSide | undefined {
  const sync = base.settings.consulSync;
  if (!sync) return undefined;
  const at = consulLocation(base, sync.consul, token);
  const check = consulCatalogCheck(base, sync, at);
  if (at.server && check) at.server.allowFrom(check);
  if (sync.consul.kind === "external" && sync.consul.deregisterOnDestroy && !check) {
    void pulumi.log.warn(
      "consulDeregisterOnDestroy needs consulImage: a destroy removes consul-aws's entries from Consul with a one-off task in the VPC that runs it. Without it they stay in Consul.",
    );
  }
  return { settings: sync, at, check, sync: consulAwsSync(base, sync, at, check) };
}

/** One description of where Consul is, whichever kind: the rest of the Consul side reads only this. */
function consulLocation(
  base: Base,
  consul: ConsulSyncSettings["consul"],
  token: ConsulManagementToken | undefined,
): ConsulLocation {
  if (consul.kind === "external") return externalConsul(base, consul);
  if (!token) throw new Error("the embedded Consul needs its management token, created before the cluster");
  return embeddedConsul(base, consul, token);
}

/** A single Consul server in the stack's own VPC, admitting the extra CIDRs the settings name. */
function embeddedConsul(
  { network, cluster, namespace, withAws }: Base,
  embedded: EmbeddedConsulSettings,
  token: ConsulManagementToken,
): ConsulLocation {
  const server = new ConsulServer(
    "consul-server",
    {
      ...embedded.server,
      clusterArn: cluster.clusterArn,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      executionRoleArn: cluster.executionRoleArn,
      namespaceId: namespace.namespaceId,
      namespaceName: namespace.namespaceName,
      serverConfigSecretArn: token.serverConfigSecretArn,
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
    checkImage: embedded.server.image,
    server,
    reach: undefined,
    token,
  };
}

/** An existing Consul in another network: routes (and DNS forwarding) to it from the private subnets. */
function externalConsul({ network, withAws }: Base, external: ExternalConsulSettings): ConsulLocation {
  const reach = new ConsulReach(
    "consul-reach",
    { ...external.reach, vpcId: network.vpcId, privateSubnetIds: network.privateSubnetIds },
    withAws,
  );
  return {
    httpAddr: external.httpAddr,
    tls: external.tls,
    port: external.port,
    cidr: external.reach.consulCidr,
    securityGroupId: undefined,
    tokenSecretArn: pulumi.output(external.tokenSecretArn),
    caCertSecretArn: external.caCertSecretArn,
    checkImage: external.checkImage,
    server: undefined,
    reach,
    token: undefined,
  };
}

/** The one-off task that reads Consul's catalog from inside the VPC; undefined without an image to run it. */
function consulCatalogCheck(
  { settings, network, cluster, withAws }: Base,
  sync: ConsulSyncSettings,
  at: ConsulLocation,
): ConsulCatalogCheck | undefined {
  if (!at.checkImage) return undefined;
  const external = sync.consul.kind === "external" ? sync.consul : undefined;
  return new ConsulCatalogCheck(
    "consul-check",
    {
      vpcId: network.vpcId,
      executionRoleArn: cluster.executionRoleArn,
      image: at.checkImage,
      consulHttpAddr: at.httpAddr,
      tokenSecretArn: at.tokenSecretArn,
      caCertSecretArn: at.caCertSecretArn,
      services: APPS.map((app) => sync.args.prefixes.inConsul + cloudMapNameOf(settings, app)),
      logRetentionDays: settings.logRetentionDays,
      region: settings.region,
      consulCidr: at.cidr,
      consulPort: at.port,
      // An external Consul keeps consul-aws's entries after a destroy unless they are
      // removed; only a task inside the VPC reaches it.
      deregisterOnDelete: external
        ? {
            enabled: external.deregisterOnDestroy,
            clusterArn: cluster.clusterArn,
            subnetIds: network.privateSubnetIds,
            after: [cluster, network, ...(at.reach?.paths ?? [])],
            // Deployed stacks hold the 0.1.0 dynamic resource: switching would run its delete now (package README).
            runner: "dynamicProvider",
          }
        : undefined,
    },
    withAws,
  );
}

/** consul-aws itself, between the namespace and Consul. */
function consulAwsSync(
  { network, cluster, namespace, withAws }: Base,
  sync: ConsulSyncSettings,
  at: ConsulLocation,
  check: ConsulCatalogCheck | undefined,
): ConsulSync {
  return new ConsulSync(
    "consul-sync",
    {
      ...sync.args,
      clusterArn: cluster.clusterArn,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      namespaceId: namespace.namespaceId,
      namespaceArn: namespace.namespaceArn,
      namespaceName: namespace.namespaceName,
      hostedZoneId: namespace.hostedZoneId,
      executionRoleArn: cluster.executionRoleArn,
      consulHttpAddr: at.httpAddr,
      tls: at.tls,
      consulPort: at.port,
      consulCidr: at.cidr,
      consulSecurityGroupId: at.securityGroupId,
      tokenSecretArn: at.tokenSecretArn,
      caCertSecretArn: at.caCertSecretArn,
      // consul-aws stops before the namespace cleanup runs, so it cannot re-create what was
      // removed; it starts once the embedded server is healthy (it exits after 11 errors).
      startAfter: [
        cluster.capacityProviders,
        ...cluster.executionRolePolicies,
        ...(namespace.cleanup ? [namespace.cleanup] : []),
        ...(at.server ? [at.server.ready] : []),
        // Deleted before consul-aws's entries are removed from an external Consul.
        ...(check?.deregistration ? [check.deregistration] : []),
      ],
    },
    withAws,
    // consul-aws opens its own egress to the server; the server admits it before it starts.
    { connections: (self) => at.server?.allowFrom(self, { callerEgress: false }) ?? [] },
  );
}

interface OperationsView {
  readonly taskAlarms: Alarms | undefined;
  readonly dashboard: StackDashboard | undefined;
}

/** Task-state alarms and the dashboard name the ECS services, so they come after them. */
function operationsView(
  base: Base,
  services: AppServices,
  consulSync: ConsulSync | undefined,
  alarms: DiscoveryAlarms,
  frontDoor: FrontDoor,
): OperationsView {
  const taskAlarms = taskStateAlarms(base, services.name, consulSync);
  return {
    taskAlarms,
    dashboard: operationsDashboard(base, services, consulSync, frontDoor, [alarms.alarms, taskAlarms]),
  };
}

/**
 * Where name's running-task count comes from: Container Insights when on; otherwise hello's record
 * set, which counts name's tasks only in DNS mode (in Service Connect mode it holds the proxy).
 */
function taskCountSourceOf(settings: Settings): TaskCountSource | undefined {
  if (settings.cluster.containerInsights !== "disabled") return "containerInsights";
  if (settings.discoveryMode === "serviceConnect") return undefined;
  return "helloTargets";
}

/** name below its minimum and consul-aws not running. */
function taskStateAlarms(
  { settings, cluster, withAws }: Base,
  name: DiscoverableService,
  consulSync: ConsulSync | undefined,
): Alarms | undefined {
  const taskCountSource = taskCountSourceOf(settings);
  const nameMinimum = settings.name.autoscaling?.minCount ?? settings.name.desiredCount;
  if (settings.observability.alarms && taskCountSource === undefined && nameMinimum > 0) {
    void pulumi.log.warn(
      "no alarm on name's task count: with discoveryMode serviceConnect it needs containerInsights enabled or enhanced (RunningTaskCount).",
    );
  }
  if (!settings.observability.alarms) return undefined;
  return new Alarms(
    "task-alarms",
    {
      specs: taskAlarmSpecs<pulumi.Input<string>>({
        stack: pulumi.getStack(),
        clusterName: cluster.clusterName,
        nameServiceName: name.serviceName,
        nameMinimum,
        taskCountSource,
        consulSyncServiceName: consulSync?.serviceName,
      }),
      namePrefix: observabilityName(pulumi.getProject(), pulumi.getStack()),
      topicArn: settings.observability.alarmTopicArn,
    },
    withAws,
  );
}

/** The CloudWatch dashboard of the services, the front door and every alarm; undefined when `dashboard` is off. */
function operationsDashboard(
  { settings, cluster, withAws }: Base,
  services: AppServices,
  consulSync: ConsulSync | undefined,
  frontDoor: FrontDoor,
  alarms: readonly (Alarms | undefined)[],
): StackDashboard | undefined {
  if (!settings.observability.dashboard) return undefined;
  return new StackDashboard(
    "operations",
    {
      dashboardName: observabilityName(pulumi.getProject(), pulumi.getStack()),
      inputs: pulumi.output({
        region: settings.region,
        stack: pulumi.getStack(),
        clusterName: cluster.clusterName,
        services: {
          hello: services.hello.serviceName,
          name: services.name.serviceName,
          consulSync: consulSync?.serviceName,
        },
        frontDoor: frontDoor.metrics,
        serviceConnectName:
          settings.discoveryMode === "serviceConnect" ? services.name.discoveryName : undefined,
        containerInsights: settings.cluster.containerInsights !== "disabled",
        appMetrics: settings.observability.metrics,
        alarmArns: pulumi.all(alarms.map((a) => a?.arns ?? [])).apply((arns) => arns.flat()),
      }),
    },
    withAws,
  );
}

/** What the stack exports. */
function stackOutputs(
  base: Base,
  images: AppImages,
  services: AppServices,
  frontDoor: FrontDoor,
  consul: ConsulSide | undefined,
  operations: OperationsView,
) {
  const { cluster, namespace } = base;
  return {
    helloUrl: frontDoor.url,
    clusterName: cluster.clusterName,
    namespaceId: namespace.namespaceId,
    namespaceName: namespace.namespaceName,
    /** Per service: its Cloud Map DNS name and its Consul DNS name (with the sync prefixes applied). */
    serviceDnsNames: serviceCatalog(base),
    /** What runs, by digest. */
    images: {
      hello: images.hello.imageDigestRef,
      name: images.name.imageDigestRef,
      consulAws: consul?.sync.image,
      consulServer: consul?.at.server?.image,
    },
    consulCatalogCheck: consul ? catalogCheckOutput(base, services, consul) : undefined,
    consul: consul ? embeddedConsulOutput(consul.at) : undefined,
    /** The CloudWatch dashboard's name; undefined when `dashboard` is off. */
    dashboardName: operations.dashboard?.dashboardName,
  };
}

/** Each app's (and each known Consul service's) names in Cloud Map and in Consul. */
function serviceCatalog({ settings, namespace }: Base): Record<string, CatalogNames> {
  const ns = namespace.namespaceName;
  const prefixes = settings.consulSync?.args.prefixes;
  const catalog: Record<string, CatalogNames> = {
    hello: namesOfCloudMapService("hello", ns, prefixes),
    // With Service Connect, name is in Cloud Map as API-only instances: no DNS records.
    name:
      settings.discoveryMode === "serviceConnect"
        ? namesOfServiceConnectService("name", ns, prefixes)
        : namesOfCloudMapService("name", ns, prefixes),
  };
  const sync = settings.consulSync;
  if (sync) {
    for (const service of sync.knownServices)
      catalog[`consul/${service}`] = namesOfConsulService(service, ns, sync.args.prefixes);
  }
  return catalog;
}

/**
 * What the driver's Consul smoke check needs: the one-off task that reads Consul's catalog from
 * inside the VPC (absent for an external Consul without consulImage), and the names to expect in
 * each catalog.
 */
function catalogCheckOutput(
  { settings, network, cluster, namespace }: Base,
  services: AppServices,
  consul: ConsulSide,
) {
  const { settings: sync, check } = consul;
  return {
    mode: sync.mode,
    region: settings.region,
    consulHttpAddr: consul.at.httpAddr,
    clusterName: cluster.clusterName,
    subnetIds: network.privateSubnetIds,
    task: check
      ? {
          taskDefinitionArn: check.taskDefinitionArn,
          securityGroupId: check.securityGroupId,
          logGroupName: check.logGroupName,
          logStreamPrefix: "check",
          containerName: CHECK_CONTAINER,
        }
      : undefined,
    inConsul: APPS.map((app) => ({
      service: app,
      consulName: sync.args.prefixes.inConsul + cloudMapNameOf(settings, app),
      port: services[app].containerPort,
    })),
    inCloudMap: {
      namespaceId: namespace.namespaceId,
      services: sync.knownServices.map((service) => ({
        consulName: service,
        cloudMapName: sync.args.prefixes.inCloudMap + service,
      })),
    },
  };
}

/** The embedded Consul server, for the UI through ECS Exec port forwarding (see the README); the token's ARN, never the token. */
function embeddedConsulOutput({ server, token }: ConsulLocation) {
  if (!server || !token) return undefined;
  return {
    serviceName: server.serviceName,
    dnsName: server.dnsName,
    httpAddr: server.httpAddr,
    tokenSecretArn: token.tokenSecretArn,
  };
}

/** What the stack exports. */
export type StackOutputs = ReturnType<typeof createInfrastructure>;
