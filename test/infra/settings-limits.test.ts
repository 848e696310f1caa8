/**
 * Every setting's limits, formats and defaults, called directly: one value past each edge, junk
 * around a valid value (anchors), and the error text that names the key and what is allowed.
 */
import * as assert from "assert";
import {
  assertValidArgs,
  CERTIFICATE_ARN,
  KMS_KEY_ARN,
  parseIpv4Cidr,
  SECRET_ARN,
  shownValue,
} from "../../packages/ecs-cloudmap-consul/shared/arg-checks";
import { capacityProviderStrategy } from "../../packages/ecs-cloudmap-consul/service/capacity";
import { allowedMemoryFor } from "../../packages/ecs-cloudmap-consul/service/fargate-sizes";
import { parseConsulAddress } from "../../packages/ecs-cloudmap-consul/consul/consul-sync";
import { isDnsName } from "../../packages/ecs-cloudmap-consul/shared/naming";
import { qualifiedKey, RawConfig, settingsErrorMessage } from "../../program/stack-settings";
import { CA, errorsOf, externalOf, ok, onlyError, PCX, REGION, set, SYNC, TOKEN } from "./settings-fixtures";

type ConfigKey = string;

describe("infra settings: every integer range, at both edges", () => {
  const RANGES: Array<[ConfigKey, number, number]> = [
    ["azCount", 2, 6],
    ["namespaceSoaTtl", 0, 300],
    ["dnsTtl", 0, 300],
    ["helloPort", 1, 65535],
    ["namePort", 1, 65535],
    ["helloDesiredCount", 0, 1000],
    ["nameDesiredCount", 0, 1000],
    ["minHealthyPercent", 0, 100],
    ["stopTimeout", 2, 120],
    ["imageRetainCount", 1, 1000],
    ["deregistrationDelay", 0, 300],
  ];
  for (const [key, min, max] of RANGES) {
    it(`${key}: ${min}..${max}`, () => {
      ok(set({ [key]: String(min) }));
      ok(set({ [key]: String(max) }));
      for (const bad of [min - 1, max + 1]) {
        assert.strictEqual(
          onlyError(set({ [key]: String(bad) })),
          `${qualifiedKey(key)}: must be an integer from ${min} to ${max}, got "${bad}"`,
        );
      }
    });
  }

  it("autoscaling bounds and CPU target: checked (and read) only when autoscaling is on", () => {
    const on = { autoscaling: "true" };
    for (const app of ["hello", "name"]) {
      ok(set({ ...on, [`${app}MinCount`]: "0", [`${app}DesiredCount`]: "0" }));
      ok(
        set({
          ...on,
          [`${app}MinCount`]: "1000",
          [`${app}MaxCount`]: "1000",
          [`${app}DesiredCount`]: "1000",
        }),
      );
      ok(set({ ...on, [`${app}MinCount`]: "1", [`${app}MaxCount`]: "1", [`${app}DesiredCount`]: "1" }));
      ok(set({ ...on, [`${app}MaxCount`]: "1000" }));
      for (const [key, min, max] of [
        [`${app}MinCount`, 0, 1000],
        [`${app}MaxCount`, 1, 1000],
      ] as const) {
        for (const bad of [min - 1, max + 1]) {
          assert.ok(
            errorsOf(set({ ...on, [key]: String(bad) })).includes(
              `${qualifiedKey(key)}: must be an integer from ${min} to ${max}, got "${bad}"`,
            ),
            `${key} ${bad}`,
          );
          ok(set({ [key]: String(bad) }));
        }
      }
    }
    ok(set({ ...on, autoscalingCpuTarget: "10" }));
    ok(set({ ...on, autoscalingCpuTarget: "90" }));
    for (const bad of ["9", "91"]) {
      assert.strictEqual(
        onlyError(set({ ...on, autoscalingCpuTarget: bad })),
        `${qualifiedKey("autoscalingCpuTarget")}: must be an integer from 10 to 90, got "${bad}"`,
      );
      ok(set({ autoscalingCpuTarget: bad }));
    }
  });

  it("maxPercent: 100..200 and above minHealthyPercent", () => {
    ok(set({ maxPercent: "200", minHealthyPercent: "0" }));
    ok(set({ maxPercent: "100", minHealthyPercent: "99" }));
    assert.strictEqual(
      onlyError(set({ maxPercent: "201" })),
      `${qualifiedKey("maxPercent")}: must be an integer from 100 to 200, got "201"`,
    );
    assert.match(
      onlyError(set({ maxPercent: "99", minHealthyPercent: "0" })),
      /maxPercent: must be an integer from 100 to 200/,
    );
    assert.strictEqual(
      onlyError(set({ maxPercent: "100", minHealthyPercent: "100" })),
      `${qualifiedKey("maxPercent")}: must exceed minHealthyPercent (100) or deployments cannot start a new task, got "100"`,
    );
  });

  it("consulSyncDnsTtl and consulAwsDigest: checked while a sync runs, ignored while consulMode is off", () => {
    const sync = { ...REGION, ...SYNC };
    ok(set({ consulSyncDnsTtl: "0" }, sync));
    ok(set({ consulSyncDnsTtl: "3600" }, sync));
    assert.strictEqual(
      onlyError(set({ consulSyncDnsTtl: "3601" }, sync)),
      `${qualifiedKey("consulSyncDnsTtl")}: must be an integer from 0 to 3600, got "3601"`,
    );
    assert.match(onlyError(set({ consulSyncDnsTtl: "-1" }, sync)), /from 0 to 3600/);
    assert.strictEqual(ok(set({ consulSyncDnsTtl: "0" }, sync)).consulSync?.args.dnsTtlSeconds, 0);
    assert.strictEqual(
      onlyError(set({ consulAwsDigest: "sha256:abc" }, sync)),
      `${qualifiedKey("consulAwsDigest")}: must be an image digest sha256:<64 hex>, got "sha256:abc"`,
    );
    // Off: neither is read, so neither can fail the stack (consulAwsDigest did before).
    assert.strictEqual(
      ok(set({ consulSyncDnsTtl: "3601", consulAwsDigest: "sha256:abc" })).consulSync,
      undefined,
    );
  });

  it("integers: fractions, exponents and junk are not; surrounding spaces are trimmed", () => {
    assert.strictEqual(ok(set({ dnsTtl: " 42 " })).hello.dnsTtlSeconds, 42);
    for (const bad of ["1.5", "1e2", "0x10", "10s", "s10", "", "ten"]) {
      assert.strictEqual(
        onlyError(set({ dnsTtl: bad })),
        `${qualifiedKey("dnsTtl")}: must be an integer from 0 to 300, got "${bad}"`,
        bad,
      );
    }
  });
});

describe("infra settings: values and defaults reach the settings", () => {
  it("every default, as documented", () => {
    const defaultImage = {
      retainCount: 10,
      baseImage:
        "public.ecr.aws/docker/library/node:24.18.0-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d",
      tag: undefined,
      forceDelete: true,
    };
    const service = {
      minHealthyPercent: 100,
      maxPercent: 200,
      stopTimeoutSeconds: 30,
      enableExecuteCommand: false,
      capacityProviderStrategies: capacityProviderStrategy("ondemand"),
      dnsTtlSeconds: 10,
      logRetentionDays: 7,
      region: "us-east-1",
    };
    assert.deepStrictEqual(ok(REGION), {
      region: "us-east-1",
      production: false,
      logRetentionDays: 7,
      network: {
        cidrBlock: "10.0.0.0/16",
        availabilityZoneCount: 2,
        natGateways: "Single",
        vpcEndpoints: false,
        region: "us-east-1",
        extraInterfaceEndpoints: [],
      },
      cluster: {
        containerInsights: "enabled",
        defaultStrategy: capacityProviderStrategy("ondemand"),
        secretArns: [],
        secretsKmsKeyArn: undefined,
        region: "us-east-1",
        logRetentionDays: 7,
      },
      namespace: { name: "internal", soaTtlSeconds: 15 },
      discoveryMode: "dns",
      frontDoor: {
        kind: "alb",
        loadBalancer: {
          targetPort: 3000,
          certificateArn: undefined,
          deregistrationDelaySeconds: 15,
          domainName: undefined,
          hostedZoneId: undefined,
          deletionProtection: false,
        },
        apiGateway: { targetPort: 3000, throttle: { rateLimit: 100, burstLimit: 200 }, logRetentionDays: 7 },
      },
      hello: {
        containerPort: 3000,
        cpu: 256,
        memory: 512,
        desiredCount: 2,
        autoscaling: undefined,
        ...service,
      },
      name: {
        containerPort: 3000,
        cpu: 256,
        memory: 512,
        desiredCount: 2,
        autoscaling: undefined,
        ...service,
      },
      images: {
        hello: { ...defaultImage, image: undefined },
        name: { ...defaultImage, image: undefined },
        forwarder: defaultImage,
      },
      consulSync: undefined,
      helloConsulServices: [],
      observability: {
        metrics: true,
        alarms: true,
        alarmRollback: true,
        alarmTopicArn: undefined,
        dashboard: true,
      },
    });
  });

  it("every value that is set lands where it belongs", () => {
    const s = ok(
      set(
        {
          vpcCidr: "10.20.0.0/20",
          azCount: "3",
          natGateways: "OnePerAz",
          vpcEndpoints: "true",
          containerInsights: "enhanced",
          capacityStrategy: "mixed",
          namespaceName: "svc.local",
          namespaceSoaTtl: "5",
          dnsTtl: "0",
          helloPort: "8080",
          helloCpu: "512",
          helloMemory: "2048",
          helloDesiredCount: "3",
          helloMinCount: "2",
          helloMaxCount: "6",
          namePort: "9090",
          nameCpu: "1024",
          nameMemory: "3072",
          nameDesiredCount: "0",
          nameMinCount: "0",
          nameMaxCount: "2",
          autoscaling: "true",
          autoscalingCpuTarget: "75",
          minHealthyPercent: "50",
          maxPercent: "150",
          stopTimeout: "60",
          enableExecuteCommand: "true",
          logRetentionDays: "3653",
          imageRetainCount: "5",
          baseImage: "registry.example:5000/team/node@sha256:" + "a".repeat(64),
          imageTag: "v1.2.3",
          helloImage: `123456789012.dkr.ecr.us-east-1.amazonaws.com/app/hello@sha256:${"1".repeat(64)}`,
          nameImage: `123456789012.dkr.ecr.us-east-1.amazonaws.com/app/name:v1@sha256:${"2".repeat(64)}`,
          production: "true",
          certificateArn: "arn:aws:acm:us-east-1:111111111111:certificate/0f3b-12ab",
          deregistrationDelay: "0",
          domainName: "hello.corp.acme.io",
          hostedZoneId: "Z04512345ABCDEFGHIJKL",
          secretsKmsKeyArn: "arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/abcd-0123",
          discoveryMode: "serviceConnect",
          frontDoor: "apiGateway",
          apiThrottleRateLimit: "10000",
          apiThrottleBurstLimit: "1",
          metrics: "true",
          alarms: "true",
          alarmRollback: "false",
          alarmTopicArn: "arn:aws-us-gov:sns:us-gov-west-1:111111111111:ops-alerts",
          dashboard: "false",
        },
        { "aws:region": " eu-west-1 " },
      ),
    );
    const image = {
      retainCount: 5,
      baseImage: "registry.example:5000/team/node@sha256:" + "a".repeat(64),
      tag: "v1.2.3",
      forceDelete: false,
    };
    const service = {
      minHealthyPercent: 50,
      maxPercent: 150,
      stopTimeoutSeconds: 60,
      enableExecuteCommand: true,
      capacityProviderStrategies: capacityProviderStrategy("mixed"),
      dnsTtlSeconds: 0,
      logRetentionDays: 3653,
      region: "eu-west-1",
    };
    assert.deepStrictEqual(s, {
      region: "eu-west-1",
      production: true,
      logRetentionDays: 3653,
      network: {
        cidrBlock: "10.20.0.0/20",
        availabilityZoneCount: 3,
        natGateways: "OnePerAz",
        vpcEndpoints: true,
        region: "eu-west-1",
        extraInterfaceEndpoints: ["ssmmessages"],
      },
      cluster: {
        containerInsights: "enhanced",
        defaultStrategy: capacityProviderStrategy("mixed"),
        secretArns: [],
        secretsKmsKeyArn: "arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/abcd-0123",
        region: "eu-west-1",
        logRetentionDays: 3653,
      },
      namespace: { name: "svc.local", soaTtlSeconds: 5 },
      discoveryMode: "serviceConnect",
      frontDoor: {
        kind: "apiGateway",
        loadBalancer: {
          targetPort: 8080,
          certificateArn: "arn:aws:acm:us-east-1:111111111111:certificate/0f3b-12ab",
          deregistrationDelaySeconds: 0,
          domainName: "hello.corp.acme.io",
          hostedZoneId: "Z04512345ABCDEFGHIJKL",
          deletionProtection: true,
        },
        apiGateway: {
          targetPort: 8080,
          throttle: { rateLimit: 10000, burstLimit: 1 },
          logRetentionDays: 3653,
        },
      },
      hello: {
        containerPort: 8080,
        cpu: 512,
        memory: 2048,
        desiredCount: 3,
        autoscaling: { minCount: 2, maxCount: 6, cpuTargetPercent: 75 },
        ...service,
      },
      name: {
        containerPort: 9090,
        cpu: 1024,
        memory: 3072,
        desiredCount: 0,
        autoscaling: { minCount: 0, maxCount: 2, cpuTargetPercent: 75 },
        ...service,
      },
      images: {
        hello: {
          ...image,
          image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/app/hello@sha256:${"1".repeat(64)}`,
        },
        name: {
          ...image,
          image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/app/name:v1@sha256:${"2".repeat(64)}`,
        },
        forwarder: image,
      },
      consulSync: undefined,
      helloConsulServices: [],
      observability: {
        metrics: true,
        alarms: true,
        alarmRollback: false,
        alarmTopicArn: "arn:aws-us-gov:sns:us-gov-west-1:111111111111:ops-alerts",
        dashboard: false,
      },
    });
  });

  it("a full consul-aws setup, every field", () => {
    const s = ok(
      set(
        {
          consulHttpAddr: "https://consul.corp.example:8443/",
          consulCaCertSecretArn: CA,
          consulPeeringConnectionId: "",
          consulTransitGatewayId: "tgw-0123456789abcdef0",
          consulDnsDomain: "Corp.Example",
          consulDnsServers: " 10.9.0.10 ,, 10.9.1.10 ",
          consulDeregisterOnDestroy: "false",
          consulImage: `public.ecr.aws/hashicorp/consul:1.21.5@sha256:${"d".repeat(64)}`,
          consulAwsVersion: "0.1.4",
          consulSyncPollInterval: "500ms",
          consulSyncDnsTtl: "30",
          consulSyncPrefixInConsul: "aws-",
          consulSyncPrefixInCloudMap: "consul-",
          consulCaInitImage: `public.ecr.aws/docker/library/busybox:1.37.0@sha256:${"b".repeat(64)}`,
          consulAwsDigest: `sha256:${"c".repeat(64)}`,
          consulKnownServices: " consul , payments,, hello ",
        },
        { ...REGION, ...SYNC },
      ),
    );
    assert.deepStrictEqual(s.consulSync, {
      mode: "external",
      consul: {
        kind: "external",
        httpAddr: "https://consul.corp.example:8443/",
        host: "consul.corp.example",
        tls: true,
        port: 8443,
        tokenSecretArn: TOKEN,
        caCertSecretArn: CA,
        reach: {
          routeTableCount: 2,
          consulCidr: "10.9.0.0/16",
          route: { kind: "transitGateway", id: "tgw-0123456789abcdef0" },
          dns: { kind: "forward", domain: "corp.example", servers: ["10.9.0.10", "10.9.1.10"] },
        },
        deregisterOnDestroy: false,
        checkImage: `public.ecr.aws/hashicorp/consul:1.21.5@sha256:${"d".repeat(64)}`,
      },
      args: {
        image: `public.ecr.aws/hashicorp/consul-aws:0.1.4@sha256:${"c".repeat(64)}`,
        caInitImage: `public.ecr.aws/docker/library/busybox:1.37.0@sha256:${"b".repeat(64)}`,
        pollInterval: "500ms",
        dnsTtlSeconds: 30,
        prefixes: { inConsul: "aws-", inCloudMap: "consul-" },
        logRetentionDays: 7,
        region: "us-east-1",
      },
      knownServices: ["consul", "payments", "hello"],
    });
    assert.deepStrictEqual(s.cluster.secretArns, [TOKEN, CA]);
  });

  it("plain http Consul: no TLS, port 8500 by default, no CA secret; https defaults to 8501", () => {
    const s = ok(set({ consulHttpAddr: "http://10.9.0.5" }, { ...REGION, ...SYNC }));
    const consul = externalOf(s);
    assert.strictEqual(consul.tls, false);
    assert.strictEqual(consul.port, 8500);
    assert.strictEqual(consul.caCertSecretArn, undefined);
    // The smallest setup's defaults: peering route, nothing to resolve, deregister on destroy, no check task.
    assert.deepStrictEqual(consul.reach.route, { kind: "peering", id: PCX });
    assert.deepStrictEqual(consul.reach.dns, { kind: "ip" });
    assert.strictEqual(consul.deregisterOnDestroy, true);
    assert.strictEqual(consul.checkImage, undefined);
    assert.deepStrictEqual(s.cluster.secretArns, [TOKEN]);
    const tls = externalOf(ok(set({ consulHttpAddr: "https://10.9.0.5" }, { ...REGION, ...SYNC })));
    assert.deepStrictEqual([tls.tls, tls.port], [true, 8501]);
  });

  it("the sync's settings are not checked while it is off", () => {
    const nonsense = {
      consulHttpAddr: "nonsense",
      consulCidr: "x",
      consulTokenSecretArn: "token",
      consulPeeringConnectionId: "vpc-1",
      consulTransitGatewayId: "tgw-x",
      consulDnsDomain: "Bad_Domain",
      consulDnsServers: "dns",
      consulImage: "consul:latest",
      consulAllowedCidrs: "x",
      consulAwsVersion: "latest",
      consulSyncPollInterval: "soon",
      consulSyncPrefixInConsul: "AWS_",
      consulKnownServices: "Bad_Name,hello",
      consulCaInitImage: "busybox",
    };
    assert.strictEqual(ok(set(nonsense)).consulSync, undefined);
    assert.strictEqual(ok(set({ ...nonsense, consulMode: "off" })).consulSync, undefined);
    // Each of those values is refused once a mode reads it (the embedded mode also names the external-only keys).
    const refused = errorsOf(set({ ...nonsense, consulMode: "embedded" }));
    for (const key of Object.keys(nonsense))
      assert.ok(
        refused.some((e) => e.startsWith(`${qualifiedKey(key)}: `)),
        `${key} not refused:\n${refused.join("\n")}`,
      );
    const external = errorsOf(set({ ...nonsense, consulMode: "external" }));
    // (consulDnsDomain goes unmentioned there: a malformed consulHttpAddr leaves nothing to resolve.)
    for (const key of Object.keys(nonsense).filter((k) => k !== "consulDnsDomain")) {
      assert.ok(
        external.some((e) => e.startsWith(`${qualifiedKey(key)}: `)),
        `${key} not refused:\n${external.join("\n")}`,
      );
    }
  });

  it("booleans are exactly true or false; a bad one counts as false, so it adds no follow-up errors", () => {
    assert.strictEqual(ok(set({ production: " true " })).production, true);
    assert.strictEqual(
      onlyError(set({ vpcEndpoints: "yes" })),
      `${qualifiedKey("vpcEndpoints")}: must be true or false, got "yes"`,
    );
    assert.strictEqual(
      onlyError(set({ consulDeregisterOnDestroy: "yes" }, { ...REGION, ...SYNC })),
      `${qualifiedKey("consulDeregisterOnDestroy")}: must be true or false, got "yes"`,
    );
    assert.strictEqual(
      onlyError(set({ autoscaling: "on", helloMinCount: "5", helloMaxCount: "2" })),
      `${qualifiedKey("autoscaling")}: must be true or false, got "on"`,
    );
    for (const bad of ["True", "1", "yes", "", "false!"]) {
      assert.strictEqual(
        onlyError(set({ production: bad })),
        `${qualifiedKey("production")}: must be true or false, got "${bad}"`,
        bad,
      );
    }
  });

  it("choices name every allowed value", () => {
    assert.strictEqual(
      onlyError(set({ containerInsights: "on" })),
      `${qualifiedKey("containerInsights")}: must be one of enabled, enhanced, disabled, got "on"`,
    );
    assert.strictEqual(ok(set({ containerInsights: "disabled" })).cluster.containerInsights, "disabled");
    // The cluster's default strategy and every app service's are the one the setting names.
    const spot = ok(set({ capacityStrategy: "spot" }));
    assert.deepStrictEqual(spot.cluster.defaultStrategy, [
      { capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 },
    ]);
    assert.deepStrictEqual(spot.name.capacityProviderStrategies, spot.cluster.defaultStrategy);
    assert.strictEqual(
      onlyError(set({ natGateways: "single" })),
      `${qualifiedKey("natGateways")}: must be one of Single, OnePerAz, got "single"`,
    );
    // An unknown mode is one problem: no mode's requirements are piled on top.
    assert.strictEqual(
      onlyError(set({ consulMode: "true" })),
      `${qualifiedKey("consulMode")}: must be one of embedded, external, off, got "true"`,
    );
    assert.match(
      onlyError(set({ logRetentionDays: "0" })),
      /logRetentionDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got "0"/,
    );
    for (const days of ["1", "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288"])
      assert.strictEqual(ok(set({ logRetentionDays: days })).logRetentionDays, Number(days));
  });
});

describe("infra settings: formats are anchored (junk around a valid value is refused)", () => {
  it("region", () => {
    for (const region of [
      "us-east-1",
      "ap-southeast-2",
      "us-gov-west-1",
      "us-iso-east-1",
      "us-isob-east-1",
      "eu-isoe-west-1",
    ])
      ok({ "aws:region": region });
    for (const bad of ["xx-us-east-1", "us-east-1x", "us-east-12", "US-east-1", "useast-1", "us-east"]) {
      assert.strictEqual(
        onlyError({ "aws:region": bad }),
        `aws:region: must be an AWS region like us-east-1, got "${bad}"`,
        bad,
      );
    }
    assert.strictEqual(onlyError({}), 'aws:region: must be an AWS region like us-east-1, got ""');
  });

  it("VPC CIDR: a network from /16 to /23 (larger and smaller ones refused: each of 8 AZ blocks needs a /26)", () => {
    ok(set({ vpcCidr: "10.0.0.0/23" }));
    ok(set({ vpcCidr: "172.16.0.0/16" }));
    for (const bad of [
      "10.0.0.0/15",
      "10.0.0.0/8",
      "10.0.0.0/24",
      "10.0.0.1/16",
      "x10.0.0.0/16",
      "10.0.0.0/16x",
      "10.0.0.0",
    ]) {
      assert.strictEqual(
        onlyError(set({ vpcCidr: bad })),
        `${qualifiedKey("vpcCidr")}: must be an IPv4 network CIDR from /16 to /23 like 10.0.0.0/16, got "${bad}"`,
        bad,
      );
    }
  });

  it("IPv4 CIDR parser: octets to 255, prefix to 32, host bits zero, whole value only", () => {
    assert.deepStrictEqual(parseIpv4Cidr("255.255.255.255/32"), { prefix: 32 });
    assert.deepStrictEqual(parseIpv4Cidr("0.0.0.0/0"), { prefix: 0 });
    assert.deepStrictEqual(parseIpv4Cidr("10.0.0.128/25"), { prefix: 25 });
    assert.deepStrictEqual(parseIpv4Cidr("192.168.4.0/22"), { prefix: 22 });
    for (const bad of [
      "10.0.0.64/25",
      "192.168.2.0/22",
      "10.0.256.0/24",
      "10.0.0.0/33",
      " 10.0.0.0/16",
      "10.0.0.0/16 ",
      "1.2.3.4.5/32",
      "1000.0.0.0/8",
      "10.0.0.0/123",
    ]) {
      assert.strictEqual(parseIpv4Cidr(bad), undefined, bad);
    }
  });

  it("DNS names: 253 characters at most, labels of 1-63", () => {
    const label = "a".repeat(63);
    const name253 = [label, label, label, "a".repeat(61)].join(".");
    assert.strictEqual(name253.length, 253);
    assert.ok(isDnsName(name253));
    assert.ok(!isDnsName(name253 + "a"));
    assert.ok(isDnsName("a"));
    assert.ok(isDnsName("0-9"));
    for (const bad of [".a", "a.", "a b", "xa-", "-", "é"]) assert.ok(!isDnsName(bad), bad);
    assert.strictEqual(
      onlyError(set({ namespaceName: "a..b" })),
      `${qualifiedKey("namespaceName")}: must be a lowercase DNS name (labels of a-z, 0-9, -; 1-63 characters, no leading or trailing -), got "a..b"`,
    );
  });

  it("ARNs: whole ARNs of the right service, in any partition", () => {
    for (const good of [
      TOKEN,
      "arn:aws-cn:secretsmanager:cn-north-1:111111111111:secret:a/b_c+d=e.f@g-h-AbCdEf",
      "arn:aws-us-gov:secretsmanager:us-gov-west-1:111111111111:secret:x-123456",
    ]) {
      assert.ok(SECRET_ARN.test(good), good);
    }
    for (const bad of [
      `x${TOKEN}`,
      `${TOKEN} `,
      TOKEN.replace("111111111111", "11111111111"),
      TOKEN.replace("secretsmanager", "ssm"),
      TOKEN.replace(":secret:", ":secret:!"),
      "arn:awsx:secretsmanager:us-east-1:111111111111:secret:t",
    ]) {
      assert.ok(!SECRET_ARN.test(bad), bad);
    }
    assert.ok(CERTIFICATE_ARN.test("arn:aws:acm:eu-west-1:111111111111:certificate/0a-1b"));
    for (const bad of [
      "arn:aws:acm:eu-west-1:111111111111:certificate/0a-1b/x",
      "xarn:aws:acm:eu-west-1:111111111111:certificate/0a",
      "arn:aws:acm:eu-west-1:111111111111:certificate/XYZ",
    ]) {
      assert.ok(!CERTIFICATE_ARN.test(bad), bad);
    }
    assert.ok(KMS_KEY_ARN.test("arn:aws:kms:eu-west-1:111111111111:key/0a-1b"));
    for (const bad of [
      "arn:aws:kms:eu-west-1:111111111111:alias/x",
      "arn:aws:kms:eu-west-1:111111111111:key/0a ",
      "arn:aws:kms:eu-west-1:1111111111111:key/0a",
    ]) {
      assert.ok(!KMS_KEY_ARN.test(bad), bad);
    }
    assert.strictEqual(
      onlyError(set({ certificateArn: "arn:aws:acm:eu-west-1:111111111111:certificate/0a-1b-" + "G" })),
      `${qualifiedKey("certificateArn")}: must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got "arn:aws:acm:eu-west-1:111111111111:certificate/0a-1b-G"`,
    );
    assert.strictEqual(
      onlyError(set({ secretsKmsKeyArn: "k" })),
      `${qualifiedKey("secretsKmsKeyArn")}: must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got "k"`,
    );
  });

  it("image references: registry/repository with a tag or a sha256 digest", () => {
    for (const good of [
      "public.ecr.aws/docker/library/node:20-bookworm-slim",
      "localhost:5000/node:20",
      "r.example/a/b@sha256:" + "0".repeat(64),
      "r.example/a/b:24.18.0-bookworm-slim@sha256:" + "0".repeat(64),
    ]) {
      assert.strictEqual(ok(set({ baseImage: good })).images.hello.baseImage, good);
    }
    for (const bad of [
      "node:20",
      "node",
      "public.ecr.aws/node",
      "Public.ecr.aws/node:20",
      "r.example/a:b c",
      "x r.example/a:1",
      "r.example/a:1 x",
      "r.example/a@sha256:" + "0".repeat(63),
      "r.example/a@sha256:" + "0".repeat(65),
      "r.example:x/a:1",
    ]) {
      assert.strictEqual(
        onlyError(set({ baseImage: bad })),
        `${qualifiedKey("baseImage")}: must be an image reference registry/repo:tag, registry/repo@sha256:<64 hex> or both, got "${bad}"`,
        bad,
      );
    }
    assert.match(
      onlyError(set({ consulCaInitImage: "busybox:1.36.1" }, { ...REGION, ...SYNC })),
      /consulCaInitImage: must be an image by version tag or digest, registry\/repo:tag or registry\/repo\[:tag\]@sha256:<64 hex> \(a tag is resolved to its digest at deploy; not latest\), got "busybox:1\.36\.1"/,
    );
  });

  it("image tag: optional, Docker's grammar, at most 128", () => {
    assert.strictEqual(ok(set({ imageTag: "" })).images.hello.tag, undefined);
    assert.strictEqual(ok(set({ imageTag: "_" + "a".repeat(127) })).images.hello.tag?.length, 128);
    for (const bad of ["a".repeat(129), ".a", "-a", "a b", "a:b"]) {
      assert.strictEqual(
        onlyError(set({ imageTag: bad })),
        `${qualifiedKey("imageTag")}: must be a Docker tag (letters, digits, _ . -; at most 128, not starting with . or -), got "${bad}"`,
        bad,
      );
    }
  });

  it("Consul address: scheme, host, optional port 1-65535, optional trailing slash", () => {
    assert.deepStrictEqual(parseConsulAddress("http://10.0.0.5:1"), {
      tls: false,
      host: "10.0.0.5",
      port: 1,
    });
    assert.deepStrictEqual(parseConsulAddress("https://c:65535/"), { tls: true, host: "c", port: 65535 });
    for (const bad of [
      "http://consul:0",
      "http://consul:65536",
      "http://consul:123456",
      "xhttp://consul",
      "http://consul/x",
      "http://consul:",
      "https://",
      "http://con sul",
      "HTTP://consul",
    ]) {
      assert.strictEqual(parseConsulAddress(bad), undefined, bad);
    }
    assert.strictEqual(
      onlyError(set({ consulHttpAddr: "http://consul:0" }, { ...REGION, ...SYNC })),
      `${qualifiedKey("consulHttpAddr")}: must be http://host[:port] or https://host[:port], got "http://consul:0"`,
    );
  });

  it("consul-aws version, poll interval and prefixes", () => {
    for (const bad of ["0.1", "v0.1.3", "0.1.3-beta", "1.2.3.4", "x1.2.3"]) {
      assert.strictEqual(
        onlyError(set({ consulAwsVersion: bad }, { ...REGION, ...SYNC })),
        `${qualifiedKey("consulAwsVersion")}: must be a version x.y.z, got "${bad}"`,
        bad,
      );
    }
    assert.strictEqual(
      ok(set({ consulAwsVersion: "10.20.30" }, { ...REGION, ...SYNC })).consulSync?.args.image,
      "public.ecr.aws/hashicorp/consul-aws:10.20.30",
    );
    for (const good of ["1h", "90s", "10m", "250ms", "15s"])
      assert.strictEqual(
        ok(set({ consulSyncPollInterval: good }, { ...REGION, ...SYNC })).consulSync?.args.pollInterval,
        good,
      );
    for (const bad of ["0s", "01s", "30", "s", "30S", "1d", "x30s", "30s x", "1.5s"]) {
      assert.strictEqual(
        onlyError(set({ consulSyncPollInterval: bad }, { ...REGION, ...SYNC })),
        `${qualifiedKey("consulSyncPollInterval")}: must be a duration like 30s, 1m, 500ms, got "${bad}"`,
        bad,
      );
    }
    assert.strictEqual(
      ok(set({ consulSyncPrefixInCloudMap: "a".repeat(20) }, { ...REGION, ...SYNC })).consulSync?.args
        .prefixes.inCloudMap.length,
      20,
    );
    for (const bad of ["a".repeat(21), "A", "a_", "a.b"]) {
      assert.strictEqual(
        onlyError(set({ consulSyncPrefixInCloudMap: bad }, { ...REGION, ...SYNC })),
        `${qualifiedKey("consulSyncPrefixInCloudMap")}: must be up to 20 characters of a-z, 0-9 and -, got "${bad}"`,
        bad,
      );
    }
  });

  it("known services: comma-separated DNS labels; hello and name only with a Cloud Map prefix", () => {
    assert.strictEqual(
      onlyError(set({ consulKnownServices: "consul,Pay_ments" }, { ...REGION, ...SYNC })),
      `${qualifiedKey("consulKnownServices")}: must be comma-separated DNS labels, got "Pay_ments"`,
    );
    assert.match(onlyError(set({ consulKnownServices: "a.b" }, { ...REGION, ...SYNC })), /got "a\.b"/);
    assert.deepStrictEqual(
      ok(set({ consulKnownServices: "" }, { ...REGION, ...SYNC })).consulSync?.knownServices,
      [],
    );
    for (const clash of ["name", "x,hello"]) {
      assert.strictEqual(
        onlyError(set({ consulKnownServices: clash }, { ...REGION, ...SYNC })),
        `${qualifiedKey("consulKnownServices")}: must not list hello or name without consulSyncPrefixInCloudMap: they would collide with the app services in Cloud Map`,
      );
    }
    ok(set({ consulKnownServices: "hello-x,names" }, { ...REGION, ...SYNC }));
  });

  it("required sync settings name what they need; a CA needs https", () => {
    const bare: RawConfig = { ...REGION, [qualifiedKey("consulMode")]: "external" };
    assert.deepStrictEqual(errorsOf(bare), [
      `${qualifiedKey("consulHttpAddr")}: is required when consulMode is external (http://host[:port] or https://host[:port])`,
      `${qualifiedKey("consulCidr")}: is required when consulMode is external (IPv4 CIDR of the Consul servers)`,
      `${qualifiedKey("consulTokenSecretArn")}: is required when consulMode is external (Secrets Manager secret ARN)`,
      `${qualifiedKey("consulPeeringConnectionId")}: or consulTransitGatewayId is required when consulMode is external: the private route tables need a next hop for consulCidr`,
    ]);
    assert.deepStrictEqual(errorsOf({ ...REGION, [qualifiedKey("consulMode")]: "embedded" }), [
      `${qualifiedKey("consulImage")}: is required when consulMode is embedded: the Consul image by version tag (resolved to its digest at deploy) or digest, e.g. public.ecr.aws/hashicorp/consul:1.21.5`,
    ]);
    assert.strictEqual(
      onlyError(set({ consulCidr: "10.9.0.1/16" }, { ...REGION, ...SYNC })),
      `${qualifiedKey("consulCidr")}: must be an IPv4 network CIDR like 10.20.0.0/16, got "10.9.0.1/16"`,
    );
    // consulCidr must leave the VPC (default 10.0.0.0/16): a single shared address at either end is refused, the adjacent networks are not.
    for (const overlapping of [
      "10.0.0.0/8",
      "10.0.255.0/24",
      "10.0.0.0/16",
      "10.0.0.0/32",
      "10.0.255.255/32",
    ]) {
      assert.strictEqual(
        onlyError(set({ consulCidr: overlapping }, { ...REGION, ...SYNC })),
        `${qualifiedKey("consulCidr")}: overlaps the VPC's 10.0.0.0/16: traffic to it would never leave the VPC, got "${overlapping}"`,
        overlapping,
      );
    }
    ok(set({ consulCidr: "10.1.0.0/16" }, { ...REGION, ...SYNC }));
    ok(set({ consulCidr: "9.255.255.0/24" }, { ...REGION, ...SYNC }));
    // Exactly one route; a named host needs its DNS forwarded, an IP address needs none.
    assert.strictEqual(
      onlyError(set({ consulTransitGatewayId: "tgw-0123456789abcdef0" }, { ...REGION, ...SYNC })),
      `${qualifiedKey("consulTransitGatewayId")}: must be empty when consulPeeringConnectionId is set: Consul is reached through one of them`,
    );
    assert.strictEqual(
      onlyError(set({ consulHttpAddr: "http://consul.corp.example:8500" }, { ...REGION, ...SYNC })),
      `${qualifiedKey("consulDnsDomain")}: is required when consulHttpAddr names a host (consul.corp.example): the domain a Route 53 Resolver rule forwards to consulDnsServers; or put an IP address in consulHttpAddr`,
    );
    assert.strictEqual(
      onlyError(
        set(
          { consulHttpAddr: "http://consul.corp.example:8500", consulDnsDomain: "corp.example" },
          { ...REGION, ...SYNC },
        ),
      ),
      `${qualifiedKey("consulDnsServers")}: is required with consulDnsDomain: the IPv4 addresses of the DNS servers for corp.example`,
    );
    assert.strictEqual(
      onlyError(set({ consulDnsServers: "10.9.0.10" }, { ...REGION, ...SYNC })),
      `${qualifiedKey("consulDnsServers")}: must be empty when consulHttpAddr holds an IP address (nothing to resolve)`,
    );
    // The retired switch is refused whatever its value, even with the sync off, and says what replaced it.
    for (const value of ["true", "false"]) {
      assert.match(
        onlyError({ ...REGION, "ecs-cloudmap-consul:consulSyncEnabled": value }),
        /^ecs-cloudmap-consul:consulSyncEnabled: consulSyncEnabled was replaced by consulMode: set consulMode to external/,
      );
    }
    assert.strictEqual(
      onlyError(set({ consulCaCertSecretArn: CA }, { ...REGION, ...SYNC })),
      `${qualifiedKey("consulCaCertSecretArn")}: needs an https:// consulHttpAddr (a CA certificate only matters with TLS)`,
    );
    assert.match(
      onlyError(set({ consulTokenSecretArn: "token" }, { ...REGION, ...SYNC })),
      /^ecs-cloudmap-consul:consulTokenSecretArn: must be the complete Secrets Manager ARN, .*, got "token"$/,
    );
    assert.match(
      onlyError(
        set({ consulHttpAddr: "https://10.9.0.5", consulCaCertSecretArn: "ca.pem" }, { ...REGION, ...SYNC }),
      ),
      /^ecs-cloudmap-consul:consulCaCertSecretArn: must be the complete Secrets Manager ARN, .*, got "ca\.pem"$/,
    );
    // A malformed address is one problem, not also a CA problem.
    assert.deepStrictEqual(
      errorsOf(set({ consulHttpAddr: "consul", consulCaCertSecretArn: CA }, { ...REGION, ...SYNC })).length,
      1,
    );
  });
});

describe("infra settings: rules a stack file rarely meets", () => {
  it("azCount: at most the zones the region gives an account (aws-regions' zone_limit first)", () => {
    assert.strictEqual(
      onlyError(set({ azCount: "4" }, { "aws:region": "eu-west-3" })),
      `${qualifiedKey("azCount")}: eu-west-3 has 3 availability zones, got "4"`,
    );
    ok(set({ azCount: "3" }, { "aws:region": "eu-west-3" }));
    // us-west-1 has three zones, of which a new account gets two.
    assert.strictEqual(
      onlyError(set({ azCount: "3" }, { "aws:region": "us-west-1" })),
      `${qualifiedKey("azCount")}: us-west-1 has 2 availability zones, got "3"`,
    );
    // A region the data set does not list: only the 2-6 range applies.
    ok(set({ azCount: "6" }, { "aws:region": "xx-test-1" }));
    assert.strictEqual(
      onlyError(set({ azCount: "7" }, { "aws:region": "us-east-1" })).includes("from 2 to 6"),
      true,
    );
  });

  it("choices of the program: capacity, discovery and front door name every allowed value", () => {
    assert.strictEqual(
      onlyError(set({ capacityStrategy: "Spot" })),
      `${qualifiedKey("capacityStrategy")}: must be one of ondemand, spot, mixed, got "Spot"`,
    );
    assert.strictEqual(
      onlyError(set({ discoveryMode: "consul" })),
      `${qualifiedKey("discoveryMode")}: must be one of dns, serviceConnect, got "consul"`,
    );
    assert.strictEqual(
      onlyError(set({ frontDoor: "nlb" })),
      `${qualifiedKey("frontDoor")}: must be one of alb, apiGateway, got "nlb"`,
    );
    assert.deepStrictEqual(ok(set({ capacityStrategy: "mixed" })).cluster.defaultStrategy, [
      { capacityProvider: "FARGATE", weight: 1, base: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 3, base: 0 },
    ]);
  });

  it("front door settings are read only for the front door in use", () => {
    ok(set({ apiThrottleBurstLimit: "6000", apiThrottleRateLimit: "0" }));
    assert.strictEqual(
      onlyError(set({ frontDoor: "apiGateway", apiThrottleBurstLimit: "6000" })),
      `${qualifiedKey("apiThrottleBurstLimit")}: must be an integer from 1 to 5000, got "6000"`,
    );
    ok(set({ frontDoor: "apiGateway", certificateArn: "not-an-arn", deregistrationDelay: "301" }));
    assert.match(
      onlyError(set({ certificateArn: "not-an-arn" })),
      /certificateArn: must be an ACM certificate ARN/,
    );
  });

  it("external Consul: route ids, DNS for an IP address, leftovers of the other mode, an invalid VPC CIDR", () => {
    const sync = { ...REGION, ...SYNC };
    assert.strictEqual(
      onlyError(set({ consulPeeringConnectionId: "", consulTransitGatewayId: "tgw-x" }, sync)),
      `${qualifiedKey("consulTransitGatewayId")}: must be a transit gateway id tgw-<hex>, got "tgw-x"`,
    );
    assert.strictEqual(
      onlyError(set({ consulPeeringConnectionId: "pcx-x" }, sync)),
      `${qualifiedKey("consulPeeringConnectionId")}: must be a VPC peering connection id pcx-<hex>, got "pcx-x"`,
    );
    assert.strictEqual(
      onlyError(set({ consulDnsDomain: "corp.example" }, sync)),
      `${qualifiedKey("consulDnsDomain")}: must be empty when consulHttpAddr holds an IP address (nothing to resolve)`,
    );
    assert.strictEqual(
      onlyError(set({ consulDnsServers: "10.9.0.2" }, sync)),
      `${qualifiedKey("consulDnsServers")}: must be empty when consulHttpAddr holds an IP address (nothing to resolve)`,
    );
    assert.strictEqual(
      onlyError(set({ consulAllowedCidrs: "10.1.0.0/16" }, sync)),
      `${qualifiedKey("consulAllowedCidrs")}: is for consulMode embedded only; remove it`,
    );
    assert.match(
      onlyError(
        set(
          {
            consulHttpAddr: "https://consul.corp.example",
            consulDnsDomain: "corp_example",
            consulDnsServers: "10.9.0.2",
          },
          sync,
        ),
      ),
      /consulDnsDomain: must be a lowercase DNS name \(labels of a-z, 0-9, -; 1-63 characters, no leading or trailing -\), got "corp_example"/,
    );
    // The VPC's own CIDR is wrong: that is the one problem, not an overlap with it.
    assert.strictEqual(
      onlyError(set({ vpcCidr: "10.9.0.1/16" }, sync)).startsWith(`${qualifiedKey("vpcCidr")}: `),
      true,
    );
  });

  it("shared pieces: a value shown as text or JSON, one error per component, Fargate's memory table in words", () => {
    assert.strictEqual(shownValue("x"), ', got "x"');
    assert.strictEqual(shownValue(5), ", got 5");
    assert.strictEqual(shownValue(["a"]), ', got ["a"]');
    assert.strictEqual(shownValue(undefined), "");
    assert.doesNotThrow(() => assertValidArgs("Network", "net", []));
    assert.throws(
      () =>
        assertValidArgs("Network", "net", [
          { arg: "cidrBlock", message: "must be a CIDR", value: "x" },
          { arg: "region", message: "must be set" },
        ]),
      {
        message:
          'Network "net": invalid arguments:\n  - cidrBlock: must be a CIDR, got "x"\n  - region: must be set',
      },
    );
    assert.strictEqual(allowedMemoryFor(256), "512, 1024-2048 in steps of 1024");
    assert.strictEqual(allowedMemoryFor(300), "none (cpu not supported)");
    assert.deepStrictEqual(capacityProviderStrategy("mixed"), [
      { capacityProvider: "FARGATE", weight: 1, base: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 3, base: 0 },
    ]);
  });
});

describe("infra settings: app services and the error message", () => {
  it("Fargate cpu/memory: only AWS's pairs; memory 512..122880", () => {
    ok(set({ helloCpu: "16384", helloMemory: "122880" }));
    assert.strictEqual(
      onlyError(set({ helloMemory: "122881" })),
      `${qualifiedKey("helloMemory")}: must be an integer from 512 to 122880, got "122881"`,
    );
    assert.strictEqual(
      onlyError(set({ helloMemory: "511" })),
      `${qualifiedKey("helloMemory")}: must be an integer from 512 to 122880, got "511"`,
    );
    assert.strictEqual(
      onlyError(set({ nameCpu: "512", nameMemory: "512" })),
      `${qualifiedKey("nameMemory")}: Fargate cpu 512 allows memory 1024-4096 in steps of 1024 MiB, got "512"`,
    );
    assert.strictEqual(
      onlyError(set({ nameCpu: "128" })),
      `${qualifiedKey("nameCpu")}: must be one of 256, 512, 1024, 2048, 4096, 8192, 16384, got "128"`,
    );
  });

  it("autoscaling bounds: desired count inside min..max, each app on its own", () => {
    const on = { autoscaling: "true" };
    ok(set({ ...on, nameMinCount: "2", nameMaxCount: "2", nameDesiredCount: "2" }));
    assert.strictEqual(
      onlyError(set({ ...on, helloDesiredCount: "0" })),
      `${qualifiedKey("helloDesiredCount")}: must lie within helloMinCount..helloMaxCount (1..4) when autoscaling is on, got "0"`,
    );
    assert.strictEqual(
      onlyError(set({ ...on, nameDesiredCount: "5" })),
      `${qualifiedKey("nameDesiredCount")}: must lie within nameMinCount..nameMaxCount (1..4) when autoscaling is on, got "5"`,
    );
    assert.strictEqual(
      onlyError(set({ ...on, nameMinCount: "5", nameMaxCount: "4" })),
      `${qualifiedKey("nameMinCount")}: must not exceed nameMaxCount (5 > 4)`,
    );
    ok(set({ helloDesiredCount: "0" })); // without autoscaling any count in range goes
  });

  it("the error message counts the problems and lists each", () => {
    assert.strictEqual(settingsErrorMessage(["a: x"]), "Invalid stack configuration (1 problem):\n  - a: x");
    assert.strictEqual(
      settingsErrorMessage(["a: x", "b: y"]),
      "Invalid stack configuration (2 problems):\n  - a: x\n  - b: y",
    );
  });
});
