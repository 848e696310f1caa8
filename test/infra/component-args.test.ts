/**
 * Components built directly, as a reader who copies one would: each checks its own arguments
 * before it registers anything, naming the argument and what is allowed; used standalone, each
 * applies the defaults its Args document. And settings combinations neither stack file uses.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ApiGateway } from "../../packages/ecs-cloudmap-consul/network/api-gateway";
import { AppImage } from "../../program/app-image";
import { Cluster, clusterArgProblems } from "../../packages/ecs-cloudmap-consul/network/cluster";
import { ConsulCatalogCheck } from "../../packages/ecs-cloudmap-consul/consul/consul-catalog-check";
import { ConsulReach, consulReachArgProblems } from "../../packages/ecs-cloudmap-consul/consul/consul-reach";
import { ConsulManagementToken, ConsulServer } from "../../packages/ecs-cloudmap-consul/consul/consul-server";
import { ConsulSync } from "../../packages/ecs-cloudmap-consul/consul/consul-sync";
import {
  DiscoverableService,
  DiscoverableServiceArgs,
  drainEnvironment,
} from "../../packages/ecs-cloudmap-consul/service/discoverable-service";
import {
  LoadBalancer,
  loadBalancerArgProblems,
} from "../../packages/ecs-cloudmap-consul/network/load-balancer";
import { Namespace } from "../../packages/ecs-cloudmap-consul/network/namespace";
import { Network } from "../../packages/ecs-cloudmap-consul/network/network";
import { loadStackConfig, runMocked, runProgram } from "./harness";
import { containersOf, envOf, one, rulesOf, ruleSummary, T } from "./graph";
import { k } from "./settings-fixtures";

const PLACEMENT = {
  clusterArn: "arn:cluster",
  vpcId: "vpc-1",
  subnetIds: ["s-1", "s-2"],
  executionRoleArn: "arn:role",
};
const SERVICE: DiscoverableServiceArgs = {
  ...PLACEMENT,
  clusterName: "c",
  namespaceId: "ns-1",
  namespaceName: "internal",
  image: "repo@sha256:" + "b".repeat(64),
  containerPort: 3000,
  cpu: 256,
  memory: 512,
  desiredCount: 2,
  logRetentionDays: 7,
  region: "eu-west-1",
  capacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
};

interface RefusedCase {
  readonly component: string;
  readonly build: () => unknown;
  /** Lines the error must hold: the argument and what is allowed. */
  readonly expect: readonly string[];
}

const REFUSED: readonly RefusedCase[] = [
  {
    component: "Network",
    build: () =>
      new Network("net", {
        cidrBlock: "10.0.0.0/8",
        availabilityZoneCount: 4,
        natGateways: "Single",
        region: "eu-west-3",
      }),
    expect: [
      'cidrBlock: must be an IPv4 network CIDR from /16 to /23 like 10.0.0.0/16, got "10.0.0.0/8"',
      "availabilityZoneCount: eu-west-3 has 3 availability zones, got 4",
    ],
  },
  {
    // Past the range, only the range is reported (not also the region's zone count).
    component: "Network",
    build: () =>
      new Network("net", {
        cidrBlock: "10.0.0.0/16",
        availabilityZoneCount: 7,
        natGateways: "Single",
        region: "eu-west-3",
      }),
    expect: ["availabilityZoneCount: must be an integer from 2 to 6, got 7"],
  },
  {
    component: "Cluster",
    build: () =>
      new Cluster("ecs", {
        defaultStrategy: [],
        region: "eu-west-1",
        logRetentionDays: 8,
        secretsKmsKeyArn: "key",
      }),
    expect: [
      "logRetentionDays: must be one of 1, 3, 5, 7, 14, 30",
      'secretsKmsKeyArn: must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got "key"',
    ],
  },
  {
    component: "DiscoverableService",
    build: () =>
      new DiscoverableService("hello", {
        ...SERVICE,
        memory: 4096,
        maxPercent: 100,
        autoscaling: { minCount: 1, maxCount: 4, cpuTargetPercent: 60 },
        desiredCount: 9,
      }),
    expect: [
      "memory: Fargate cpu 256 allows memory 512, 1024-2048 in steps of 1024 MiB, got 4096",
      "maxPercent: must exceed minHealthyPercent (100) or deployments cannot start a new task, got 100",
      "desiredCount: must lie within autoscaling.minCount..autoscaling.maxCount (1..4) when autoscaling is on, got 9",
    ],
  },
  {
    component: "Namespace",
    build: () => new Namespace("discovery", { vpcId: "vpc-1", name: "Internal", soaTtlSeconds: 301 }),
    expect: [
      "name: must be a lowercase DNS name",
      "soaTtlSeconds: must be an integer from 0 to 300, got 301",
    ],
  },
  {
    component: "LoadBalancer",
    build: () =>
      new LoadBalancer("public", {
        vpcId: "vpc-1",
        publicSubnetIds: [],
        targetPort: 0,
        certificateArn: "arn:cert",
      }),
    expect: [
      "targetPort: must be an integer from 1 to 65535, got 0",
      "certificateArn: must be an ACM certificate ARN",
      "certificateArn: needs domainName (and hostedZoneId)",
    ],
  },
  {
    component: "ApiGateway",
    build: () =>
      new ApiGateway("api", {
        vpcId: "vpc-1",
        subnetIds: [],
        cloudMapServiceArn: "arn:srv",
        targetPort: 3000,
        throttle: { rateLimit: 0, burstLimit: 5001 },
        logRetentionDays: 7,
      }),
    expect: [
      "throttle.rateLimit: must be an integer from 1 to 10000, got 0",
      "throttle.burstLimit: must be an integer from 1 to 5000, got 5001",
    ],
  },
  {
    component: "AppImage",
    build: () => new AppImage("hello-image", { app: "hello", retainCount: 0, tag: "-x", baseImage: "node" }),
    expect: [
      'baseImage: must be an image reference registry/repo:tag, registry/repo@sha256:<64 hex> or both, got "node"',
      "retainCount: must be an integer from 1 to 1000, got 0",
      "tag: must be a Docker tag",
    ],
  },
  {
    component: "ConsulSync",
    build: () =>
      new ConsulSync("consul-sync", {
        ...PLACEMENT,
        namespaceId: "ns-1",
        namespaceArn: "arn:ns",
        namespaceName: "internal",
        hostedZoneId: "Z1",
        image: "public.ecr.aws/hashicorp/consul-aws:0.1.3",
        consulHttpAddr: "consul:8500",
        tls: false,
        consulPort: 0,
        consulCidr: "10.60.0.1/16",
        tokenSecretArn: "arn:token",
        caInitImage: "busybox",
        pollInterval: "soon",
        prefixes: { inConsul: "AWS_", inCloudMap: "" },
        logRetentionDays: 7,
        region: "eu-west-1",
      }),
    expect: [
      'consulHttpAddr: must be http://host[:port] or https://host[:port], got "consul:8500"',
      "consulPort: must be an integer from 1 to 65535, got 0",
      'consulCidr: must be an IPv4 network CIDR like 10.20.0.0/16, got "10.60.0.1/16"',
      "caInitImage: must be an image by version tag or digest",
      'pollInterval: must be a duration like 30s, 1m, 500ms, got "soon"',
      'prefixes.inConsul: must be up to 20 characters of a-z, 0-9 and -, got "AWS_"',
    ],
  },
  {
    component: "ConsulServer",
    build: () =>
      new ConsulServer("consul-server", {
        ...PLACEMENT,
        namespaceId: "ns-1",
        namespaceName: "internal",
        image: "public.ecr.aws/hashicorp/consul:latest",
        serverConfigSecretArn: "arn:config",
        logRetentionDays: 7,
        region: "eu-west-1",
      }),
    expect: [
      'image: must be an image by version tag or digest, registry/repo:tag or registry/repo[:tag]@sha256:<64 hex> (a tag is resolved to its digest at deploy; not latest), got "public.ecr.aws/hashicorp/consul:latest"',
    ],
  },
  {
    component: "ConsulManagementToken",
    build: () => new ConsulManagementToken("consul-token", { kmsKeyArn: "alias/consul" }),
    expect: ["kmsKeyArn: must be a KMS key ARN"],
  },
  {
    component: "ConsulReach",
    build: () =>
      new ConsulReach("consul-reach", {
        vpcId: "vpc-1",
        privateSubnetIds: [],
        routeTableCount: 2,
        consulCidr: "10.60.0.1/16",
        route: { kind: "transitGateway", id: "pcx-0123456789abcdef0" },
        dns: { kind: "forward", domain: "Corp.Example", servers: ["10.60.0.10", "dns"] },
      }),
    expect: [
      'consulCidr: must be an IPv4 network CIDR like 10.20.0.0/16, got "10.60.0.1/16"',
      'route.id: must be a transit gateway id tgw-<hex>, got "pcx-0123456789abcdef0"',
      "dns.domain: must be a lowercase DNS name",
      'dns.servers: must be IPv4 addresses, got "dns"',
    ],
  },
  {
    component: "ConsulCatalogCheck",
    build: () =>
      new ConsulCatalogCheck("consul-check", {
        vpcId: "vpc-1",
        executionRoleArn: "arn:role",
        image: "consul:latest",
        consulHttpAddr: "http://10.0.0.1:8500",
        tokenSecretArn: "arn:token",
        services: ["hello"],
        logRetentionDays: 7,
        region: "eu-west-1",
        consulPort: 8500,
      }),
    expect: ["image: must be an image by version tag or digest"],
  },
];

describe("infra components check their own arguments", function () {
  this.timeout(30000);
  for (const c of REFUSED) {
    it(`${c.component}: every bad argument named with what is allowed, nothing registered`, async () => {
      const run = await runMocked(() => {
        c.build();
        return {};
      });
      assert.ok(run.error, "the component must refuse its arguments");
      assert.match(run.error.message, new RegExp(`^${c.component} "[a-z-]+": invalid arguments:\n`));
      for (const text of c.expect)
        assert.ok(run.error.message.includes(`  - ${text}`), `lacks "${text}":\n${run.error.message}`);
      assert.strictEqual(run.error.message.split("\n").length - 1, c.expect.length, run.error.message);
      assert.deepStrictEqual(run.resources, [], "nothing may be registered, not even the component");
    });
  }

  it("AppImage builds FROM a digest: a tag is resolved through the registry, a digest is used as given", async () => {
    const digest = "sha256:" + "b".repeat(64);
    const run = await runMocked(() => {
      new AppImage("by-tag", { app: "hello", baseImage: "r.example/team/node:24-bookworm-slim" });
      new AppImage("by-digest", { app: "name", baseImage: `r.example/team/node:24@${digest}` });
      new AppImage("default", { app: "name" });
      return {};
    });
    if (run.error) throw run.error;
    const args = (image: string) =>
      (one(run, T.image, `${image}-image`).inputs as { build: { args: Record<string, string> } }).build.args;
    assert.match(args("by-tag").BASE_IMAGE, /^r\.example\/team\/node:24-bookworm-slim@sha256:[0-9a-f]{64}$/);
    assert.deepStrictEqual(args("by-digest"), { BASE_IMAGE: `r.example/team/node:24@${digest}` });
    assert.deepStrictEqual(args("default"), {}, "the Dockerfile's own default, itself pinned by digest");
    for (const app of ["hello", "name"]) {
      const dockerfile = fs.readFileSync(path.join(__dirname, "..", "..", "apps", app, "Dockerfile"), "utf8");
      assert.match(dockerfile, /^ARG BASE_IMAGE=\S+:24\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    }
  });

  it("used standalone, a component applies the defaults its Args document, once", async () => {
    const run = await runMocked(() => {
      new Namespace("discovery", { vpcId: "vpc-1" });
      new LoadBalancer("public", { vpcId: "vpc-1", publicSubnetIds: ["s-1", "s-2"], targetPort: 3000 });
      new DiscoverableService("hello", SERVICE);
      return {};
    });
    if (run.error) throw run.error;
    assert.strictEqual(one(run, T.namespace, "discovery-namespace").inputs.name, "internal");
    assert.strictEqual(one(run, T.record, "discovery-soa").inputs.ttl, 15);
    const tg = one(run, T.targetGroup, "public-tg").inputs;
    assert.strictEqual(tg.deregistrationDelay, 15);
    assert.strictEqual((tg.healthCheck as { path: string }).path, "/health");
    assert.strictEqual(one(run, T.alb, "public-alb").inputs.enableDeletionProtection, false);
    const service = one(run, T.ecsService, "hello-service").inputs;
    assert.deepStrictEqual(
      [
        service.deploymentMinimumHealthyPercent,
        service.deploymentMaximumPercent,
        service.enableExecuteCommand,
      ],
      [100, 200, false],
    );
    const [container] = containersOf(one(run, T.taskDefinition, "hello-task"));
    assert.strictEqual(container.stopTimeout, 30);
    const records = (
      one(run, T.discoveryService, "hello-discovery").inputs.dnsConfig as { dnsRecords: { ttl: number }[] }
    ).dnsRecords;
    assert.deepStrictEqual(
      records.map((r) => r.ttl),
      [10, 10],
    );
  });
});

describe("the apps' drain inside ECS's stop timeout (every allowed stopTimeout and DNS TTL)", () => {
  it("DRAIN_DELAY_MS < DRAIN_TIMEOUT_MS < stopTimeout, the delay covering the TTL when there is room", () => {
    for (let stop = 2; stop <= 120; stop++) {
      for (let ttl = 0; ttl <= 300; ttl++) {
        const env = drainEnvironment(stop, ttl);
        const delay = Number(env.DRAIN_DELAY_MS);
        const timeout = Number(env.DRAIN_TIMEOUT_MS);
        assert.ok(timeout < stop * 1000, `stop ${stop}: timeout ${timeout}`);
        assert.ok(
          delay === 0 || delay < timeout,
          `stop ${stop}, ttl ${ttl}: delay ${delay}, timeout ${timeout}`,
        );
        assert.ok(delay >= Math.min(ttl * 1000, timeout / 2 - 1), `stop ${stop}, ttl ${ttl}: delay ${delay}`);
      }
    }
    assert.deepStrictEqual(drainEnvironment(30, 10), { DRAIN_DELAY_MS: "10000", DRAIN_TIMEOUT_MS: "28000" });
  });
});

describe("infra settings combinations neither stack file uses", function () {
  this.timeout(60000);

  it("only the region set: Pulumi.yaml's defaults make a whole stack (HTTP ALB, DNS discovery, no Consul)", async () => {
    const run = await runProgram({ "aws:region": "us-east-1" });
    if (run.error) throw run.error;
    assert.strictEqual(run.outputs.consulCatalogCheck, undefined);
    assert.strictEqual(run.outputs.consul, undefined);
    assert.match(String(run.outputs.helloUrl), /^http:\/\/public-alb-123\./);
    assert.deepStrictEqual(one(run, T.cluster, "ecs-cluster").inputs.settings, [
      { name: "containerInsights", value: "enabled" },
    ]);
    assert.deepStrictEqual(
      one(run, T.capacityProviders, "ecs-capacity").inputs.defaultCapacityProviderStrategies,
      [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
    );
  });

  it("other ports: hello finds name on name's port, and every rule opens exactly the container ports", async () => {
    const run = await runProgram(
      { ...loadStackConfig("dev"), [k("helloPort")]: "8080", [k("namePort")]: "9090" },
      "dev",
    );
    if (run.error) throw run.error;
    const [hello] = containersOf(one(run, T.taskDefinition, "hello-task"));
    assert.strictEqual(envOf(hello).NAME_SERVER, "http://name.internal:9090/");
    assert.strictEqual(envOf(hello).PORT, "8080");
    assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "name-sg")), ["tcp/9090-9090 sg:hello-sg-id"]);
    assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "hello-sg")), [
      "tcp/8080-8080 sg:public-sg-id",
    ]);
    assert.strictEqual(one(run, T.targetGroup, "public-tg").inputs.port, 8080);
    const check = run.outputs.consulCatalogCheck as { inConsul: { service: string; port: number }[] };
    assert.deepStrictEqual(
      check.inConsul.map((s) => [s.service, s.port]),
      [
        ["hello", 8080],
        ["name", 9090],
      ],
    );
  });

  it("autoscaling with Service Connect and the API Gateway on an embedded Consul", async () => {
    const run = await runProgram(
      {
        ...loadStackConfig("dev"),
        [k("autoscaling")]: "true",
        [k("discoveryMode")]: "serviceConnect",
        [k("frontDoor")]: "apiGateway",
      },
      "dev",
    );
    if (run.error) throw run.error;
    assert.deepStrictEqual(
      run.resources
        .filter((r) => r.type === T.scalingTarget)
        .map((r) => [r.name, r.inputs.minCapacity, r.inputs.maxCapacity]),
      [
        ["name-scaling-target", 1, 4],
        ["hello-scaling-target", 1, 4],
      ],
    );
    assert.strictEqual(run.resources.filter((r) => r.type === T.alb).length, 0);
    assert.match(String(run.outputs.helloUrl), /^https:\/\/.*execute-api/);
  });
});

describe("ConsulReach's argument rules, called directly (what another language's program sends)", () => {
  const peering = { kind: "peering", id: "pcx-0123456789abcdef0" } as const;
  const args = (problems: ReturnType<typeof consulReachArgProblems>) => problems.map((p) => p.arg);

  it("dns kind forward needs a domain and servers; kind ip needs neither", () => {
    assert.deepStrictEqual(args(consulReachArgProblems({ route: peering, dns: { kind: "ip" } })), []);
    assert.deepStrictEqual(args(consulReachArgProblems({ route: peering, dns: { kind: "forward" } })), [
      "dns.domain",
      "dns.servers",
    ]);
    const missing = consulReachArgProblems({
      route: peering,
      dns: { kind: "forward", domain: "corp.example" },
    });
    assert.deepStrictEqual(missing, [
      { arg: "dns.servers", message: "is required with dns kind forward", value: undefined },
    ]);
    assert.deepStrictEqual(
      args(
        consulReachArgProblems({
          route: peering,
          dns: { kind: "forward", domain: "corp.example", servers: ["10.0.0.2"] },
        }),
      ),
      [],
    );
  });

  it("refuses unknown kinds, a malformed domain, servers that are not IPv4 addresses, an id of the wrong kind", () => {
    const bad = consulReachArgProblems({
      consulCidr: "10.9.0.0/33",
      route: { kind: "transitGateway", id: "pcx-0123456789abcdef0" },
      dns: { kind: "forward", domain: "Not A Name", servers: ["10.0.0.2", "dns.corp"] },
    });
    assert.deepStrictEqual(args(bad), ["consulCidr", "route.id", "dns.domain", "dns.servers"]);
    assert.strictEqual(bad.find((p) => p.arg === "dns.servers")?.value, "dns.corp");
    const kinds = consulReachArgProblems({
      route: { kind: "vpn" as "peering", id: "x" },
      dns: { kind: "resolve" as "ip" },
    });
    assert.deepStrictEqual(args(kinds), ["dns.kind", "route.kind"]);
    assert.match(kinds[0].message, /ip, forward/);
  });
});

describe("LoadBalancer's and Cluster's naming rules, called directly", () => {
  const argsOf = (problems: readonly { arg: string }[]) => problems.map((p) => p.arg);

  it("the ALB's name: domainName and hostedZoneId come together, the certificate needs the name", () => {
    const zone = "Z0123456789ABCDEFGHIJ";
    assert.deepStrictEqual(argsOf(loadBalancerArgProblems({ targetPort: 3000 })), []);
    assert.deepStrictEqual(
      argsOf(
        loadBalancerArgProblems({ targetPort: 3000, domainName: "hello.example.com", hostedZoneId: zone }),
      ),
      [],
    );
    const noZone = loadBalancerArgProblems({ targetPort: 3000, domainName: "hello.example.com" });
    assert.deepStrictEqual(argsOf(noZone), ["hostedZoneId"]);
    assert.match(noZone[0].message, /required with domainName: .*hello\.example\.com/);
    const noName = loadBalancerArgProblems({ targetPort: 3000, hostedZoneId: zone });
    assert.deepStrictEqual(argsOf(noName), ["domainName"]);
    assert.match(noName[0].message, /required with hostedZoneId/);
    const oneLabel = loadBalancerArgProblems({ targetPort: 3000, domainName: "hello", hostedZoneId: zone });
    assert.deepStrictEqual(argsOf(oneLabel), ["domainName"]);
    assert.match(oneLabel[0].message, /at least two labels/);
  });

  it("the cluster's name: 1 to 255 letters, digits, - and _", () => {
    const base = {
      region: "eu-west-1",
      logRetentionDays: 30,
      defaultStrategy: [{ capacityProvider: "FARGATE" as const, weight: 1, base: 0 }],
    };
    assert.deepStrictEqual(argsOf(clusterArgProblems({ ...base, clusterName: "app-dev_1" })), []);
    for (const bad of ["", "app.dev", "a".repeat(256)]) {
      const problems = clusterArgProblems({ ...base, clusterName: bad });
      assert.deepStrictEqual(argsOf(problems), ["clusterName"], bad);
      assert.match(problems[0].message, /1 to 255 letters, digits, - and _/);
    }
  });
});
