/**
 * Composition root: read and validate the stack's settings, build the components,
 * export the outputs. Nothing is registered when a setting is invalid.
 */
import * as pulumi from "@pulumi/pulumi";
import { AppImage } from "./components/appImage";
import { capacityProviderStrategy } from "./components/capacity";
import { Cluster } from "./components/cluster";
import { ConsulSync } from "./components/consulSync";
import { DiscoverableService } from "./components/discoverableService";
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
    logRetentionDays: settings.logRetentionDays,
});

const namespace = new Namespace("discovery", {
    name: settings.discovery.namespaceName,
    vpcId: network.vpcId,
    soaTtlSeconds: settings.discovery.soaTtl,
});

const imageArgs = { baseImage: settings.images.baseImage, retainCount: settings.images.retainCount, tag: settings.images.tag, forceDelete: !settings.production };
const helloImage = new AppImage("hello-image", { app: "hello", ...imageArgs });
const nameImage = new AppImage("name-image", { app: "name", ...imageArgs });

const lb = new LoadBalancer("public", {
    vpcId: network.vpcId,
    publicSubnetIds: network.publicSubnetIds,
    targetPort: settings.hello.port,
    healthCheckPath: "/health",
    certificateArn: settings.loadBalancer.certificateArn,
    deregistrationDelaySeconds: settings.loadBalancer.deregistrationDelaySeconds,
    deletionProtection: settings.production,
});

interface AppServiceExtras {
    environment?: Record<string, string>;
    targetGroupArn?: pulumi.Input<string>;
    dependsOn?: pulumi.Resource[];
    connections?: (self: DiscoverableService) => pulumi.Resource[];
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
        targetGroupArn: extra.targetGroupArn,
        dependsOn: [cluster.capacityProviders, ...cluster.executionRolePolicies, ...(extra.dependsOn ?? [])],
        connections: extra.connections,
    });
}

const nameService = appService("name", nameImage, {});
appService("hello", helloImage, {
    environment: {
        NAME_SERVER: `http://${namesOfCloudMapService("name", settings.discovery.namespaceName, undefined).cloudMapDnsName}:${settings.name.port}/`,
        // SRV: each task's port comes from Cloud Map (ECS registers it), as it does for the SRV-only
        // services consul-aws copies from Consul; the port in NAME_SERVER then goes unused.
        DISCOVERY_RECORD_TYPE: "SRV",
    },
    targetGroupArn: lb.targetGroupArn,
    dependsOn: lb.listeners,
    // hello -> name and ALB -> hello exist before hello's first task starts.
    connections: (hello) => [...nameService.allowFrom("hello", hello), ...hello.allowFrom("alb", lb), lb.allowTo("hello", hello)],
});

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
          dependsOn: [cluster.capacityProviders, ...cluster.executionRolePolicies],
      })
    : undefined;
if (sync && !sync.image.includes("@sha256:")) {
    pulumi.log.warn(`consul-aws runs by tag (${sync.image}): set consulAwsDigest to pin it; the policy pack refuses a tag.`);
}

const ns = settings.discovery.namespaceName;
const catalog: Record<string, CatalogNames> = {
    hello: namesOfCloudMapService("hello", ns, sync?.prefixes),
    name: namesOfCloudMapService("name", ns, sync?.prefixes),
};
if (sync) {
    for (const service of sync.knownServices) catalog[`consul/${service}`] = namesOfConsulService(service, ns, sync.prefixes);
}

export const helloUrl = lb.url;
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
