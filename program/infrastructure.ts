/**
 * The program as a function: typed settings in, the components built and wired, the stack's
 * outputs returned. index.ts calls it with the stack's settings; tests call it under Pulumi's
 * mocks with whatever settings a case needs.
 */
import {
  ApiGateway,
  CHECK_CONTAINER,
  type ConsulSync,
  DiscoverableService,
  DiscoveryEnvironment,
  environmentParts,
  type EnvironmentConsulArgs,
  type EnvironmentConsulParts,
  type EnvironmentParts,
  ServiceConnectArgs,
  ConsulForwarderArgs,
  type DeploymentAlarmsArgs,
  CatalogNames,
  namesOfCloudMapService,
  namesOfConsulService,
  namesOfServiceConnectService,
  serviceConnectCloudMapName,
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
  const base = environmentOf(settings, withAws);
  const images = appImages(settings, withAws);
  const alarms = discoveryAlarms(base);
  const services = appServices(base, images, alarms);
  const frontDoor = frontDoorOf(base, services.hello);
  const operations = operationsView(base, services, base.consul?.sync, alarms, frontDoor);
  return stackOutputs(base, images, services, frontDoor, operations);
}

/** What every step after the environment builds into: the settings, the provider, and the environment's parts all services share. */
interface Base extends EnvironmentParts {
  readonly settings: Settings;
  readonly withAws: pulumi.ComponentResourceOptions;
}

type App = "hello" | "name";
const APPS: readonly App[] = ["hello", "name"];

/** Every component's children use the tagging provider (awsx's VPC is handed it too). */
function taggedAwsProvider(settings: Settings): pulumi.ComponentResourceOptions {
  return { providers: [createTaggingProvider("aws", settings.region, pulumi.runtime.allConfig())] };
}

/**
 * The package's whole-pattern component: VPC, cluster, namespace, the ALB (front door alb), and the
 * Consul side. `adoptFromStackRoot`: this stack built those parts at its root before, under these names.
 */
function environmentOf(settings: Settings, withAws: pulumi.ComponentResourceOptions): Base {
  const sync = settings.consulSync;
  if (sync?.consul.kind === "external" && sync.consul.deregisterOnDestroy && !sync.consul.checkImage) {
    void pulumi.log.warn(
      "consulDeregisterOnDestroy needs consulImage: a destroy removes consul-aws's entries from Consul with a one-off task in the VPC that runs it. Without it they stay in Consul.",
    );
  }
  const environment = new DiscoveryEnvironment(
    "environment",
    {
      network: settings.network,
      cluster: settings.cluster,
      namespace: settings.namespace,
      // Both apps' names, whatever the mode: a stack switched back to dns still has them.
      namespaceCleanup: {
        region: settings.region,
        serviceConnectServices: APPS.map(serviceConnectCloudMapName),
        // Deployed stacks hold the 0.1.0 dynamic resource: switching would run its delete now (package README).
        runner: "dynamicProvider",
      },
      loadBalancer:
        settings.frontDoor.kind === "alb"
          ? { ...settings.frontDoor.loadBalancer, healthCheckPath: "/health" }
          : undefined,
      consul: sync ? consulArgs(settings, sync) : undefined,
      adoptFromStackRoot: true,
    },
    withAws,
  );
  return { settings, withAws, ...environmentParts(environment) };
}

/** The Consul side from the settings: consul-aws, the embedded server or the external Consul, the names the check expects. */
function consulArgs(settings: Settings, sync: ConsulSyncSettings): EnvironmentConsulArgs {
  const { consul } = sync;
  return {
    sync: sync.args,
    catalogCheckServices: APPS.map((app) => sync.args.prefixes.inConsul + cloudMapNameOf(settings, app)),
    embedded:
      consul.kind === "embedded" ? { ...consul.server, allowedCidrs: [...consul.allowedCidrs] } : undefined,
    external:
      consul.kind === "external"
        ? {
            httpAddr: consul.httpAddr,
            tokenSecretArn: consul.tokenSecretArn,
            caCertSecretArn: consul.caCertSecretArn,
            checkImage: consul.checkImage,
            deregisterOnDestroy: consul.deregisterOnDestroy,
            // Deployed stacks hold the 0.1.0 dynamic resource: switching would run its delete now (package README).
            deregistrationRunner: "dynamicProvider",
            consulCidr: consul.reach.consulCidr,
            route: consul.reach.route,
            dns: consul.reach.dns,
          }
        : undefined,
  };
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
function appServices(base: Base, images: AppImages, alarms: DiscoveryAlarms): AppServices {
  const name = appService(base, "name", images.name, alarms, nameWiring(base));
  const hello = appService(base, "hello", images.hello, alarms, helloWiring(base, images, name));
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
  { settings, namespace, loadBalancer: lb }: Base,
  images: AppImages,
  name: DiscoverableService,
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
  { settings, withAws, network, cluster, namespace, serviceStartAfter }: Base,
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
        // Capacity providers, execution-role policies, and the namespace cleanup: deleted before
        // it runs, so their Service Connect services are gone by then.
        ...serviceStartAfter,
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

/** The public way in: the environment's ALB, built before hello, or API Gateway, which needs hello's Cloud Map service. */
function frontDoorOf(base: Base, hello: DiscoverableService): FrontDoor {
  const lb = base.loadBalancer;
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
  operations: OperationsView,
) {
  const { cluster, namespace, consul, settings } = base;
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
      consulServer: consul?.server?.image,
    },
    consulCatalogCheck:
      consul && settings.consulSync
        ? catalogCheckOutput(base, services, settings.consulSync, consul)
        : undefined,
    consul: consul ? embeddedConsulOutput(consul) : undefined,
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
  sync: ConsulSyncSettings,
  { check, httpAddr }: EnvironmentConsulParts,
) {
  return {
    mode: sync.mode,
    region: settings.region,
    consulHttpAddr: httpAddr,
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
function embeddedConsulOutput({ server, token }: EnvironmentConsulParts) {
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
