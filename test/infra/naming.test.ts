/** The two catalogs' names and the consul-aws flag mapping, called directly. */
import * as assert from "assert";
import { consulSyncContainers } from "../../packages/ecs-cloudmap-consul/consul/consul-sync";
import {
  CONSUL_DOMAIN,
  cloudMapDnsName,
  consulDnsName,
  namesOfCloudMapService,
  namesOfConsulService,
  syncCatalogCommand,
  syncPrefixFlags,
} from "../../packages/ecs-cloudmap-consul/shared/naming";
import { privateZoneSoa } from "../../packages/ecs-cloudmap-consul/network/namespace";

describe("infra naming", () => {
  it("Cloud Map names a service <svc>.<namespace>, Consul <svc>.service.consul", () => {
    assert.strictEqual(cloudMapDnsName("name", "internal"), "name.internal");
    assert.strictEqual(consulDnsName("name"), "name.service.consul");
  });

  it("maps prefixes to consul-aws's inverted flags: -aws-service-prefix lands in Consul, -consul-service-prefix in Cloud Map", () => {
    assert.deepStrictEqual(syncPrefixFlags({ inConsul: "", inCloudMap: "" }), []);
    assert.deepStrictEqual(syncPrefixFlags({ inConsul: "aws-", inCloudMap: "" }), [
      "-aws-service-prefix",
      "aws-",
    ]);
    assert.deepStrictEqual(syncPrefixFlags({ inConsul: "", inCloudMap: "consul-" }), [
      "-consul-service-prefix",
      "consul-",
    ]);
  });

  it("names a Cloud Map service in Consul with the in-Consul prefix, and none without sync", () => {
    const prefixes = { inConsul: "aws-", inCloudMap: "consul-" };
    assert.deepStrictEqual(namesOfCloudMapService("hello", "internal", prefixes), {
      origin: "cloudmap",
      cloudMapDnsName: "hello.internal",
      consulDnsName: "aws-hello.service.consul",
      cloudMapRecordTypes: ["A", "SRV"],
    });
    assert.strictEqual(namesOfCloudMapService("hello", "internal", undefined).consulDnsName, undefined);
  });

  it("names a Consul service in Cloud Map with the in-Cloud-Map prefix, SRV only", () => {
    assert.deepStrictEqual(
      namesOfConsulService("payments", "internal", { inConsul: "aws-", inCloudMap: "consul-" }),
      {
        origin: "consul",
        cloudMapDnsName: "consul-payments.internal",
        consulDnsName: "payments.service.consul",
        cloudMapRecordTypes: ["SRV"],
      },
    );
  });

  it("builds the sync-catalog command with both directions and never -consul-domain", () => {
    const command = syncCatalogCommand({
      namespaceId: "ns-1",
      pollInterval: "15s",
      dnsTtlSeconds: 5,
      prefixes: { inConsul: "aws-", inCloudMap: "" },
    });
    assert.deepStrictEqual(command, [
      "sync-catalog",
      "-aws-namespace-id",
      "ns-1",
      "-to-aws",
      "-to-consul",
      "-aws-poll-interval",
      "15s",
      "-aws-dns-ttl",
      "5",
      "-aws-service-prefix",
      "aws-",
    ]);
    assert.ok(!command.some((arg) => arg.includes("domain")));
  });

  it("consul-aws containers without a CA: one container, token only through secrets", () => {
    const [container, ...rest] = consulSyncContainers({
      namespaceId: "ns-1",
      logGroupName: "/ecs/x/consul-sync",
      region: "us-east-1",
      image: "public.ecr.aws/hashicorp/consul-aws:0.1.3",
      consulHttpAddr: "http://consul:8500",
      tls: false,
      tokenSecretArn: "arn:aws:secretsmanager:us-east-1:111111111111:secret:t-AbCdEf",
      caInitImage: "public.ecr.aws/docker/library/busybox:1.36.1",
      prefixes: { inConsul: "", inCloudMap: "" },
    });
    assert.deepStrictEqual(rest, []);
    assert.deepStrictEqual(container.environment, [
      { name: "AWS_REGION", value: "us-east-1" },
      { name: "CONSUL_HTTP_ADDR", value: "http://consul:8500" },
    ]);
    assert.deepStrictEqual(container.secrets, [
      {
        name: "CONSUL_HTTP_TOKEN",
        valueFrom: "arn:aws:secretsmanager:us-east-1:111111111111:secret:t-AbCdEf",
      },
    ]);
    assert.strictEqual(container.healthCheck, undefined, "distroless image: no shell for a health check");
  });

  it("the namespace SOA carries the negative TTL in its last field", () => {
    assert.strictEqual(
      privateZoneSoa(5),
      "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 5",
    );
  });
});

describe("infra naming: both prefixes and the Consul domain", () => {
  it("both prefixes give both flags, in-Consul first", () => {
    assert.deepStrictEqual(syncPrefixFlags({ inConsul: "a-", inCloudMap: "c-" }), [
      "-aws-service-prefix",
      "a-",
      "-consul-service-prefix",
      "c-",
    ]);
    assert.deepStrictEqual(
      syncCatalogCommand({
        namespaceId: "ns-2",
        pollInterval: "1m",
        dnsTtlSeconds: 0,
        prefixes: { inConsul: "", inCloudMap: "" },
      }),
      [
        "sync-catalog",
        "-aws-namespace-id",
        "ns-2",
        "-to-aws",
        "-to-consul",
        "-aws-poll-interval",
        "1m",
        "-aws-dns-ttl",
        "0",
      ],
    );
    assert.strictEqual(CONSUL_DOMAIN, "consul");
    assert.strictEqual(
      namesOfCloudMapService("name", "svc.local", { inConsul: "", inCloudMap: "x-" }).consulDnsName,
      "name.service.consul",
    );
  });
});
