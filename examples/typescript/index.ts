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
  consulAddress: config.require("consulAddress"),
  tokenSecretArn: config.require("consulTokenSecretArn"),
}).urn;

export const serviceDnsName = web.dnsName;
