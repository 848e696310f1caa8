/**
 * Adds one discoverable Fargate service and the consul-aws sync to existing infrastructure: the
 * VPC, subnets, cluster, namespace and Consul come from stack config.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConsulSync, DiscoverableService } from "ecs-cloudmap-consul";

const config = new pulumi.Config();
const vpcId = config.require("vpcId");
const subnetIds = config.requireObject<string[]>("subnetIds");
const clusterArn = config.require("clusterArn");
const executionRoleArn = config.require("executionRoleArn");
const namespaceId = config.require("namespaceId");
const namespaceName = config.require("namespaceName");
const region = config.require("region");

const web = new DiscoverableService("web", {
  vpcId,
  subnetIds,
  clusterArn,
  clusterName: config.require("clusterName"),
  executionRoleArn,
  namespaceId,
  namespaceName,
  serviceName: "web",
  image: "public.ecr.aws/nginx/nginx:1.27",
  containerPort: 80,
  cpu: 256,
  memory: 512,
  desiredCount: 2,
  logRetentionDays: 30,
  region,
  capacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
});

export const sync = new ConsulSync("sync", {
  vpcId,
  subnetIds,
  clusterArn,
  executionRoleArn,
  namespaceId,
  namespaceArn: config.require("namespaceArn"),
  namespaceName,
  hostedZoneId: config.require("hostedZoneId"),
  consulHttpAddr: config.require("consulHttpAddr"),
  consulPort: 8500,
  tls: false,
  tokenSecretArn: config.require("consulTokenSecretArn"),
  image: "public.ecr.aws/hashicorp/consul-aws:0.1.3",
  caInitImage: "public.ecr.aws/docker/library/busybox:1.36.1",
  prefixes: { inConsul: "", inCloudMap: "" },
  logRetentionDays: 30,
  region,
}).urn;

export const serviceDnsName = web.dnsName;
