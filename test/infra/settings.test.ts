/** parseSettings and its format checks, called directly; plus Pulumi.yaml and the stack files agree with it. */
import * as assert from "assert";
import { parseIpv4Cidr } from "../../packages/ecs-cloudmap-consul/shared/arg-checks";
import { capacityProviderStrategy } from "../../packages/ecs-cloudmap-consul/service/capacity";
import { parseConsulAddress } from "../../packages/ecs-cloudmap-consul/consul/consul-sync";
import {
  allowedMemoryFor,
  isValidFargateSize,
} from "../../packages/ecs-cloudmap-consul/service/fargate-sizes";
import { isDnsName } from "../../packages/ecs-cloudmap-consul/shared/naming";
import { parseSettings, qualifiedKey, RawConfig } from "../../program/stack-settings";
import { loadProjectFile, loadStackConfig, PROJECT, withProjectDefaults } from "./harness";
import { CONSUL_IMAGE, errorsOf, k, ok, REGION, set, SYNC } from "./settings-fixtures";

describe("infra settings: parseSettings", () => {
  it("applies the documented defaults when only the region is set", () => {
    const s = ok(REGION);
    assert.strictEqual(s.network.cidrBlock, "10.0.0.0/16");
    assert.strictEqual(s.network.availabilityZoneCount, 2);
    assert.strictEqual(s.network.natGateways, "Single");
    assert.strictEqual(s.namespace.name, "internal");
    assert.deepStrictEqual(s.hello, {
      containerPort: 3000,
      cpu: 256,
      memory: 512,
      desiredCount: 2,
      autoscaling: undefined,
      minHealthyPercent: 100,
      maxPercent: 200,
      stopTimeoutSeconds: 30,
      enableExecuteCommand: false,
      capacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
      dnsTtlSeconds: 10,
      logRetentionDays: 7,
      region: "us-east-1",
    });
    assert.strictEqual(s.consulSync, undefined, "sync is off by default");
    assert.strictEqual(s.discoveryMode, "dns");
    assert.strictEqual(s.frontDoor.kind, "alb");
    assert.deepStrictEqual(s.frontDoor.apiGateway.throttle, { rateLimit: 100, burstLimit: 200 });
    assert.strictEqual(s.frontDoor.loadBalancer.certificateArn, undefined);
    assert.deepStrictEqual(s.cluster.secretArns, []);
  });

  it("reads a full external consul-aws setup; https means TLS and port 8501 by default", () => {
    const s = ok({
      ...REGION,
      [qualifiedKey("consulMode")]: "external",
      [qualifiedKey("consulHttpAddr")]: "https://10.9.0.5",
      [qualifiedKey("consulCidr")]: "10.9.0.0/16",
      [qualifiedKey("consulPeeringConnectionId")]: "pcx-0123456789abcdef0",
      [qualifiedKey("consulTokenSecretArn")]: "arn:aws:secretsmanager:us-east-1:111111111111:secret:t-AbCdEf",
      [qualifiedKey("consulCaCertSecretArn")]:
        "arn:aws:secretsmanager:us-east-1:111111111111:secret:ca-AbCdEf",
      [qualifiedKey("consulSyncPrefixInConsul")]: "aws-",
    });
    assert.ok(s.consulSync?.consul.kind === "external");
    assert.strictEqual(s.consulSync.consul.tls, true);
    assert.strictEqual(s.consulSync.consul.port, 8501);
    assert.deepStrictEqual(s.consulSync.consul.reach.route, { kind: "peering", id: "pcx-0123456789abcdef0" });
    assert.deepStrictEqual(s.consulSync.consul.reach.dns, { kind: "ip" });
    assert.strictEqual(s.consulSync.consul.deregisterOnDestroy, true);
    assert.strictEqual(s.consulSync.args.image, "public.ecr.aws/hashicorp/consul-aws:0.1.3");
    assert.deepStrictEqual(s.consulSync.args.prefixes, { inConsul: "aws-", inCloudMap: "" });
    assert.deepStrictEqual(s.cluster.secretArns, [
      "arn:aws:secretsmanager:us-east-1:111111111111:secret:t-AbCdEf",
      "arn:aws:secretsmanager:us-east-1:111111111111:secret:ca-AbCdEf",
    ]);
  });

  it("checks autoscaling bounds only when autoscaling is on", () => {
    const bounds = { ...REGION, [qualifiedKey("helloMinCount")]: "5", [qualifiedKey("helloMaxCount")]: "2" };
    ok(bounds);
    assert.deepStrictEqual(errorsOf({ ...bounds, [qualifiedKey("autoscaling")]: "true" }), [
      `${PROJECT}:helloMinCount: must not exceed helloMaxCount (5 > 2)`,
    ]);
  });

  it("accepts the edges of every range and rejects one past them", () => {
    ok({
      ...REGION,
      [qualifiedKey("dnsTtl")]: "0",
      [qualifiedKey("namespaceSoaTtl")]: "300",
      [qualifiedKey("helloPort")]: "65535",
      [qualifiedKey("azCount")]: "6",
    });
    assert.strictEqual(errorsOf({ ...REGION, [qualifiedKey("dnsTtl")]: "301" }).length, 1);
    assert.strictEqual(errorsOf({ ...REGION, [qualifiedKey("azCount")]: "7" }).length, 1);
    assert.strictEqual(errorsOf({ ...REGION, [qualifiedKey("helloPort")]: "0" }).length, 1);
    assert.strictEqual(errorsOf({ ...REGION, [qualifiedKey("stopTimeout")]: "121" }).length, 1);
    assert.strictEqual(errorsOf({ ...REGION, [qualifiedKey("helloDesiredCount")]: "2.5" }).length, 1);
  });

  it("collects all errors instead of stopping at the first", () => {
    const errors = errorsOf({
      [qualifiedKey("azCount")]: "x",
      [qualifiedKey("natGateways")]: "many",
      [qualifiedKey("logRetentionDays")]: "0",
    });
    assert.deepStrictEqual(errors.map((e) => e.split(":").slice(0, 2).join(":")).sort(), [
      "aws:region",
      `${PROJECT}:azCount`,
      `${PROJECT}:logRetentionDays`,
      `${PROJECT}:natGateways`,
    ]);
  });

  it("refuses Consul services that would collide with the app services in Cloud Map", () => {
    const base = {
      ...REGION,
      [qualifiedKey("consulMode")]: "external",
      [qualifiedKey("consulHttpAddr")]: "http://10.9.0.5:8500",
      [qualifiedKey("consulCidr")]: "10.9.0.0/16",
      [qualifiedKey("consulTransitGatewayId")]: "tgw-0123456789abcdef0",
      [qualifiedKey("consulTokenSecretArn")]: "arn:aws:secretsmanager:us-east-1:111111111111:secret:t-AbCdEf",
      [qualifiedKey("consulKnownServices")]: "consul,hello",
    };
    assert.match(errorsOf(base)[0], /consulKnownServices: must not list hello or name/);
    ok({ ...base, [qualifiedKey("consulSyncPrefixInCloudMap")]: "consul-" });
  });
});

describe("infra settings: format checks", () => {
  it("Fargate sizes follow the AWS table", () => {
    for (const [cpu, memory] of [
      [256, 512],
      [256, 2048],
      [512, 4096],
      [1024, 8192],
      [4096, 30720],
      [8192, 61440],
      [16384, 122880],
    ]) {
      assert.ok(isValidFargateSize(cpu, memory), `${cpu}/${memory}`);
    }
    for (const [cpu, memory] of [
      [256, 768],
      [256, 4096],
      [512, 512],
      [1024, 1024],
      [8192, 18432],
      [16384, 36864],
      [300, 1024],
    ]) {
      assert.ok(!isValidFargateSize(cpu, memory), `${cpu}/${memory}`);
    }
    assert.strictEqual(allowedMemoryFor(8192), "16384-61440 in steps of 4096");
  });

  it("DNS names: lowercase labels, no leading or trailing hyphen, at most 63 per label", () => {
    for (const good of ["internal", "svc.local", "a-b.c1", "x".repeat(63)]) assert.ok(isDnsName(good), good);
    for (const bad of ["", "Internal", "-a", "a-", "a..b", "a_b", "x".repeat(64), "a.b."])
      assert.ok(!isDnsName(bad), bad);
  });

  it("CIDRs must be network addresses", () => {
    assert.deepStrictEqual(parseIpv4Cidr("10.0.0.0/16"), { prefix: 16 });
    for (const bad of ["10.0.0.1/16", "10.0.0.0/33", "256.0.0.0/8", "10.0.0.0", "10.0.0/16"])
      assert.strictEqual(parseIpv4Cidr(bad), undefined, bad);
  });

  it("Consul addresses need a scheme; the port defaults by scheme", () => {
    assert.deepStrictEqual(parseConsulAddress("http://consul.service:8500"), {
      tls: false,
      host: "consul.service",
      port: 8500,
    });
    assert.deepStrictEqual(parseConsulAddress("https://consul"), { tls: true, host: "consul", port: 8501 });
    for (const bad of ["consul:8500", "ftp://consul", "http://consul:99999", "http://user@consul"])
      assert.strictEqual(parseConsulAddress(bad), undefined, bad);
  });

  it("capacity strategies map to FARGATE / FARGATE_SPOT with an on-demand base for mixed", () => {
    assert.deepStrictEqual(capacityProviderStrategy("ondemand"), [
      { capacityProvider: "FARGATE", weight: 1, base: 0 },
    ]);
    assert.deepStrictEqual(capacityProviderStrategy("spot"), [
      { capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 },
    ]);
    assert.strictEqual(capacityProviderStrategy("mixed")[0].base, 1);
  });
});

describe("infra settings: Pulumi.yaml is the one source of types, defaults and descriptions", () => {
  const project = loadProjectFile();
  const declared = Object.keys(project.config).sort();
  /** Configs that between them make parseSettings read every setting. */
  const EVERY_PATH: RawConfig[] = [
    set({ autoscaling: "true", frontDoor: "apiGateway" }),
    set({ consulMode: "embedded", consulImage: CONSUL_IMAGE }),
    set({ consulAwsDigest: `sha256:${"c".repeat(64)}` }, { ...REGION, ...SYNC }),
  ];

  /** The project keys parseSettings reads for one config. */
  function keysRead(raw: RawConfig): Set<string> {
    const read = new Set<string>();
    const full = withProjectDefaults(raw as Record<string, string>);
    parseSettings(
      new Proxy(full, {
        get(target, key: string) {
          if (key.startsWith(`${PROJECT}:`)) read.add(key.slice(PROJECT.length + 1));
          return target[key];
        },
      }),
    );
    return read;
  }

  it("parseSettings reads exactly the settings Pulumi.yaml declares (plus the retired one it refuses)", () => {
    const read = new Set(EVERY_PATH.flatMap((raw) => [...keysRead(raw)]));
    read.delete("consulSyncEnabled");
    assert.deepStrictEqual([...read].sort(), declared);
  });

  it("every setting has a type, a default of that type and a description", () => {
    assert.strictEqual(project.name, PROJECT);
    assert.deepStrictEqual(project.runtime, { name: "nodejs", options: { typescript: true } });
    const jsType = { string: "string", integer: "number", boolean: "boolean" } as const;
    for (const [key, spec] of Object.entries(project.config)) {
      assert.deepStrictEqual(Object.keys(spec).sort(), ["default", "description", "type"], key);
      assert.strictEqual(typeof spec.default, jsType[spec.type], key);
      if (spec.type === "integer") assert.ok(Number.isInteger(spec.default), key);
      assert.match(spec.description, /^\S.*\.$/, key);
    }
  });

  it("the defaults alone (and a region) make valid settings", () => {
    ok(REGION);
  });

  it("a setting the CLI did not fill in is an error, not a hidden default in code", () => {
    const errors = errorsOf(
      Object.fromEntries(
        Object.entries(withProjectDefaults(REGION as Record<string, string>)).filter(
          ([key]) => key !== k("dnsTtl"),
        ),
      ),
      false,
    );
    assert.deepStrictEqual(errors, [
      `${k("dnsTtl")}: is not set: Pulumi.yaml declares its default, which the Pulumi CLI applies`,
    ]);
  });

  it("code reads each setting as the type Pulumi.yaml declares", () => {
    for (const [key, spec] of Object.entries(project.config)) {
      if (spec.type === "string") continue;
      const junk = spec.type === "integer" ? "1.5" : "maybe";
      const problems = EVERY_PATH.flatMap((raw) => {
        const result = parseSettings(
          withProjectDefaults({ ...(raw as Record<string, string>), [k(key)]: junk }),
        );
        return result.ok ? [] : result.errors;
      });
      assert.ok(
        problems.some((e) => e.startsWith(`${k(key)}: must be`)),
        `${key} (${spec.type}) took "${junk}":\n${problems.join("\n")}`,
      );
    }
  });

  for (const stack of ["dev", "prod"]) {
    it(`Pulumi.${stack}.yaml sets only declared keys, holds no encrypted secrets, and parses cleanly`, () => {
      const config = loadStackConfig(stack);
      for (const key of Object.keys(config)) {
        assert.ok(
          key === "aws:region" ||
            (key.startsWith(`${PROJECT}:`) && key.slice(PROJECT.length + 1) in project.config),
          `undeclared key ${key}`,
        );
      }
      for (const value of Object.values(config)) assert.ok(!/secure:/i.test(value), "no encrypted values");
      ok(config);
    });
  }
});
