/**
 * Composition root: read and validate the stack's settings, build the components,
 * export the outputs. Nothing is registered when a setting is invalid.
 */
import * as pulumi from "@pulumi/pulumi";
import { ApiGateway } from "./components/apiGateway";
import { AppImage } from "./components/appImage";
import { capacityProviderStrategy } from "./components/capacity";
import { Cluster } from "./components/cluster";
import { ConsulSync } from "./components/consulSync";
import { DiscoverableService, ServiceConnectArgs } from "./components/discoverableService";
import { LoadBalancer } from "./components/loadBalancer";
import { CatalogNames, namesOfCloudMapService, namesOfConsulService } from "./components/naming";
import { Namespace } from "./components/namespace";
import { Network } from "./components/network";
import { CONFIG_KEYS, ConfigKey, parseSettings, qualifiedKey, RawConfig, REGION_KEY, secretArnsOf, Settings, settingsErrorMessage } from "./components/settings";

function readSettings(): Settings {
    const project = new pulumi.Config();
    const raw: Record<string, string | undefined> = { [REGION_KEY]: new pulumi.Config("aws").get("region") };
    for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) raw[qualifiedKey(key)] = project.get(key);
    const result = parseSettings(raw as RawConfig);
    if (!result.ok) throw new Error(settingsErrorMessage(result.errors));
    return result.settings;
}

const settings = readSettings();
const appCapacity = capacityProviderStrategy(settings.cluster.capacityStrategy);

const network = new Network("net", {
    cidrBlock: settings.network.vpcCidr,
    availabilityZoneCount: settings.network.azCount,
    natGateways: settings.network.natGateways,
    vpcEndpoints: settings.network.vpcEndpoints,
    extraInterfaceEndpoints: settings.deployment.enableExecuteCommand ? ["ssmmessages"] : [],
    region: settings.region,
});

const cluster = new Cluster("ecs", {
    containerInsights: settings.cluster.containerInsights,
    defaultStrategy: appCapacity,
    secretArns: secretArnsOf(settings),
    secretsKmsKeyArn: settings.secretsKmsKeyArn,
    region: settings.region,
});

const namespace = new Namespace("discovery", {
    name: settings.discovery.namespaceName,
    vpcId: network.vpcId,
    soaTtlSeconds: settings.discovery.soaTtl,
});

const imageArgs = { baseImage: settings.images.baseImage, retainCount: settings.images.retainCount, tag: settings.images.tag, forceDelete: !settings.production };
const helloImage = new AppImage("hello-image", { app: "hello", ...imageArgs });
const nameImage = new AppImage("name-image", { app: "name", ...imageArgs });

const lb =
    settings.frontDoor.kind === "alb"
        ? new LoadBalancer("public", {
              vpcId: network.vpcId,
              publicSubnetIds: network.publicSubnetIds,
              targetPort: settings.hello.port,
              healthCheckPath: "/health",
              certificateArn: settings.loadBalancer.certificateArn,
              deregistrationDelaySeconds: settings.loadBalancer.deregistrationDelaySeconds,
              deletionProtection: settings.production,
          })
        : undefined;

interface AppServiceExtras {
    environment?: Record<string, string>;
    dnsRegistration?: boolean;
    serviceConnect?: ServiceConnectArgs;
    targetGroupArn?: pulumi.Input<string>;
    dependsOn?: pulumi.Resource[];
}

function appService(app: "hello" | "name", image: AppImage, extra: AppServiceExtras): DiscoverableService {
    const s = settings[app];
    return new DiscoverableService(app, {
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
        environment: extra.environment,
        logRetentionDays: settings.logRetentionDays,
        region: settings.region,
        dnsTtlSeconds: settings.discovery.dnsTtl,
        capacityProviderStrategies: appCapacity,
        minHealthyPercent: settings.deployment.minHealthyPercent,
        maxPercent: settings.deployment.maxPercent,
        stopTimeoutSeconds: settings.deployment.stopTimeoutSeconds,
        enableExecuteCommand: settings.deployment.enableExecuteCommand,
        autoscaling: settings.autoscaling.enabled
            ? { minCount: s.minCount, maxCount: s.maxCount, cpuTargetPercent: settings.autoscaling.cpuTargetPercent }
            : undefined,
        dnsRegistration: extra.dnsRegistration,
        serviceConnect: extra.serviceConnect,
        targetGroupArn: extra.targetGroupArn,
        dependsOn: [cluster.capacityProviders, ...(extra.dependsOn ?? [])],
    });
}

// dns: hello resolves name.<namespace> itself (A/SRV). serviceConnect: name publishes the alias
// `name:<port>`, which lives in hello's hosts file (not in DNS), and hello sends every request
// to it through the local Service Connect proxy, which balances and retries.
const serviceConnect = settings.discovery.mode === "serviceConnect";
const scNamespace = { namespaceArn: namespace.namespaceArn };
const nameService = appService("name", nameImage, serviceConnect ? { dnsRegistration: false, serviceConnect: { ...scNamespace, publish: true } } : {});
const helloService = appService("hello", helloImage, {
    environment: serviceConnect
        ? { NAME_SERVER: `http://name:${settings.name.port}/`, DISCOVERY_MODE: "proxy" }
        : { NAME_SERVER: `http://${namesOfCloudMapService("name", settings.discovery.namespaceName, undefined).cloudMapDnsName}:${settings.name.port}/` },
    // hello keeps its A + SRV records in both modes: API Gateway and consul-aws find it there.
    serviceConnect: serviceConnect ? { ...scNamespace, publish: false } : undefined,
    targetGroupArn: lb?.targetGroupArn,
    // A Service Connect client learns aliases when its tasks start: name's endpoint must exist first.
    dependsOn: [...(lb?.listeners ?? []), ...(serviceConnect ? [nameService] : [])],
});
nameService.allowFrom("hello", helloService);

let helloUrlOutput: pulumi.Output<string>;
if (lb) {
    helloService.allowFrom("alb", lb);
    lb.allowTo("hello", helloService);
    helloUrlOutput = lb.url;
} else {
    const helloCloudMapArn = helloService.cloudMapServiceArn;
    if (!helloCloudMapArn) throw new Error("frontDoor apiGateway needs hello registered in Cloud Map");
    const api = new ApiGateway("api", {
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        cloudMapServiceArn: helloCloudMapArn,
        targetPort: settings.hello.port,
        throttle: settings.frontDoor.throttle,
        logRetentionDays: settings.logRetentionDays,
    });
    helloService.allowFrom("api", api);
    api.allowTo("hello", helloService);
    helloUrlOutput = api.url;
}

const sync = settings.consulSync;
const consulSync = sync
    ? new ConsulSync("consul-sync", {
          clusterArn: cluster.clusterArn,
          vpcId: network.vpcId,
          subnetIds: network.privateSubnetIds,
          namespaceId: namespace.namespaceId,
          namespaceArn: namespace.namespaceArn,
          namespaceName: namespace.namespaceName,
          hostedZoneId: namespace.hostedZoneId,
          executionRoleArn: cluster.executionRoleArn,
          image: sync.image,
          consulHttpAddr: sync.httpAddr,
          tls: sync.tls,
          consulPort: sync.port,
          consulCidr: sync.cidr,
          tokenSecretArn: sync.tokenSecretArn,
          caCertSecretArn: sync.caCertSecretArn,
          caInitImage: sync.caInitImage,
          pollInterval: sync.pollInterval,
          dnsTtlSeconds: sync.dnsTtl,
          prefixes: sync.prefixes,
          logRetentionDays: settings.logRetentionDays,
          region: settings.region,
          dependsOn: [cluster.capacityProviders],
      })
    : undefined;

const ns = settings.discovery.namespaceName;
const catalog: Record<string, CatalogNames> = {
    hello: namesOfCloudMapService("hello", ns, sync?.prefixes),
    // With Service Connect, name is in Cloud Map as API-only instances: no DNS records.
    name: serviceConnect ? { ...namesOfCloudMapService("name", ns, sync?.prefixes), cloudMapRecordTypes: [] } : namesOfCloudMapService("name", ns, sync?.prefixes),
};
if (sync) {
    for (const service of sync.knownServices) catalog[`consul/${service}`] = namesOfConsulService(service, ns, sync.prefixes);
}

export const helloUrl = helloUrlOutput;
export const clusterName = cluster.clusterName;
export const namespaceId = namespace.namespaceId;
export const namespaceName = namespace.namespaceName;
/** Per service: its Cloud Map DNS name and its Consul DNS name (with the sync prefixes applied). */
export const serviceDnsNames = catalog;
/** What runs, by digest. */
export const images = {
    hello: helloImage.imageDigestRef,
    name: nameImage.imageDigestRef,
    consulAws: consulSync?.image,
};
