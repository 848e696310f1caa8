/**
 * The resource graph of each consulMode under Pulumi mocks: the embedded Consul server (who may
 * reach it, where its token lives, that consul-aws points at it), the external Consul's routes and
 * Resolver forwarding, the namespace cleanup and its place in the destroy order, the catalog
 * check output, and a matrix of mode variants.
 */
import * as assert from "assert";
import { createHash } from "crypto";
import { catalogCheckScript } from "../../packages/ecs-cloudmap-consul/consul/consul-catalog-check";
import { consulServerConfig } from "../../packages/ecs-cloudmap-consul/consul/consul-server";
import { mockRouteTableId } from "../../plan/program";
import { loadStackConfig, MOCK_UUID, ProgramRun, RecordedResource, runProgram } from "./harness";
import { externalConsul, k, PCX } from "./settings-fixtures";
import {
  containersOf,
  envOf,
  idOf,
  isSecret,
  ofType,
  one,
  policyOf,
  reveal,
  rulesOf,
  ruleSummary,
  str,
  T,
} from "./graph";

const CLEANUP = "pulumi-nodejs:dynamic/namespaceCleanup:NamespaceCleanup";
const DEREGISTRATION = "pulumi-nodejs:dynamic/consulDeregistration:ConsulDeregistration";
const TGW_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment";
const RANDOM_UUID = "random:index/randomUuid:RandomUuid";
const SECRET = "aws:secretsmanager/secret:Secret";
const SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const ROUTE = "aws:ec2/route:Route";
const RESOLVER_ENDPOINT = "aws:route53/resolverEndpoint:ResolverEndpoint";
const RESOLVER_RULE = "aws:route53/resolverRule:ResolverRule";
const RESOLVER_ASSOCIATION = "aws:route53/resolverRuleAssociation:ResolverRuleAssociation";
const TOKEN_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-token-token-AbCdEf";
const CONFIG_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-token-server-config-AbCdEf";
const CONSUL_IMAGE = loadStackConfig("dev")[k("consulImage")];
/** The tag pinned to the digest the mocked registry answers for it (a hash of the name). */
const pinnedByRegistry = (ref: string) =>
  `${ref}@sha256:${createHash("sha256").update(`registry:${ref}`).digest("hex")}`;

async function program(config: Record<string, string>, stack: "dev" | "prod"): Promise<ProgramRun> {
  const run = await runProgram(config, stack);
  if (run.error) throw run.error;
  return run;
}

/** Every plain (non-secret) input of every resource, as text, to search for a leaked token. */
function plainInputsText(run: ProgramRun): string {
  const strip = (value: unknown): unknown => {
    if (isSecret(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, strip(v)]));
    return value;
  };
  return JSON.stringify(run.resources.map((r) => strip(r.inputs)));
}

/** The harness records dependencies as URNs; a URN ends with the resource's name. */
function dependsOn(resource: RecordedResource, name: string): boolean {
  return resource.dependencies.some((urn) => urn.endsWith(`::${name}`));
}

function cleanupOf(run: ProgramRun): RecordedResource {
  const found = ofType(run, CLEANUP);
  assert.strictEqual(found.length, 1, "one namespace cleanup");
  return found[0];
}

describe("infra consulMode embedded (the dev stack)", function () {
  let run: ProgramRun;
  before(async () => {
    run = await program(loadStackConfig("dev"), "dev");
  });

  it("the Consul server admits only consul-aws and the catalog check, on 8500/tcp; it sends only 443", () => {
    assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "consul-server-sg")), [
      `tcp/8500-8500 sg:${idOf("consul-check-sg")}`,
      `tcp/8500-8500 sg:${idOf("consul-sync-sg")}`,
    ]);
    assert.deepStrictEqual(ruleSummary(rulesOf(run, T.egress, "consul-server-sg")), [
      "tcp/443-443 cidr:0.0.0.0/0",
    ]);
    // The callers' side: exactly 443 plus 8500 to the server's group (no CIDR-wide Consul egress).
    for (const caller of ["consul-sync", "consul-check"]) {
      assert.deepStrictEqual(
        ruleSummary(rulesOf(run, T.egress, `${caller}-sg`)),
        [`tcp/443-443 cidr:0.0.0.0/0`, `tcp/8500-8500 sg:${idOf("consul-server-sg")}`],
        caller,
      );
    }
  });

  it("the management token is generated, kept as a secret, and reaches the server only through an ECS secret", () => {
    assert.strictEqual(ofType(run, RANDOM_UUID).length, 1);
    const versions = ofType(run, SECRET_VERSION);
    assert.deepStrictEqual(versions.map((v) => v.name).sort(), [
      "consul-token-server-config-value",
      "consul-token-token-value",
    ]);
    for (const v of versions) assert.ok(isSecret(v.inputs.secretString), `${v.name} is a secret`);
    assert.strictEqual(
      reveal(one(run, SECRET_VERSION, "consul-token-token-value").inputs.secretString),
      MOCK_UUID,
    );
    const config = JSON.parse(
      reveal<string>(one(run, SECRET_VERSION, "consul-token-server-config-value").inputs.secretString),
    ) as Record<string, unknown>;
    assert.deepStrictEqual(config, consulServerConfig(MOCK_UUID));
    assert.deepStrictEqual((config.acl as Record<string, unknown>).default_policy, "deny");
    for (const s of ofType(run, SECRET)) assert.strictEqual(s.inputs.recoveryWindowInDays, 0, s.name);

    assert.ok(
      !plainInputsText(run).includes(MOCK_UUID),
      "the token appears in no plain input (environment, command, tags, outputs)",
    );
    assert.ok(!JSON.stringify(run.outputs).includes(MOCK_UUID), "nor in a stack output");
    const [server] = containersOf(one(run, T.taskDefinition, "consul-server-task"));
    assert.deepStrictEqual(server.secrets, [{ name: "CONSUL_LOCAL_CONFIG", valueFrom: CONFIG_ARN }]);
    assert.deepStrictEqual(server.environment, []);
  });

  it("the server: pinned image, agent command, health on the leader endpoint, one on-demand task registered in Cloud Map", () => {
    const [server] = containersOf(one(run, T.taskDefinition, "consul-server-task"));
    // dev names the tag; the task runs the digest the registry serves for it.
    assert.strictEqual(server.image, pinnedByRegistry(CONSUL_IMAGE));
    assert.match(server.image, /^public\.ecr\.aws\/hashicorp\/consul:[0-9.]+@sha256:[0-9a-f]{64}$/);
    assert.deepStrictEqual(server.command, ["agent"]);
    assert.deepStrictEqual(server.portMappings, [{ containerPort: 8500, hostPort: 8500, protocol: "tcp" }]);
    assert.match(
      server.healthCheck?.command.join(" ") ?? "",
      /^CMD-SHELL curl -sf http:\/\/127\.0\.0\.1:8500\/v1\/status\/leader/,
    );
    const sd = one(run, T.discoveryService, "consul-server-discovery").inputs;
    assert.strictEqual(sd.name, "consul-server");
    assert.deepStrictEqual(sd.healthCheckCustomConfig, { failureThreshold: 1 });
    assert.deepStrictEqual((sd.dnsConfig as { dnsRecords: unknown }).dnsRecords, [
      { type: "A", ttl: 10 },
      { type: "SRV", ttl: 10 },
    ]);
    const svc = one(run, T.ecsService, "consul-server-service").inputs;
    assert.strictEqual(svc.desiredCount, 1);
    assert.strictEqual(svc.deploymentMaximumPercent, 100);
    assert.deepStrictEqual(svc.capacityProviderStrategies, [
      { capacityProvider: "FARGATE", weight: 1, base: 1 },
    ]);
    assert.deepStrictEqual(svc.serviceRegistries, {
      registryArn: one(run, T.discoveryService, "consul-server-discovery").state.arn,
      containerName: "consul",
      containerPort: 8500,
    });
    assert.strictEqual(
      svc.enableExecuteCommand,
      true,
      "dev turns ECS Exec on: the UI is reached by port forwarding",
    );
    const execPolicies = ofType(run, T.rolePolicy).filter((p) => p.name === "consul-server-ecs-exec");
    assert.strictEqual(execPolicies.length, 1);
  });

  it("consul-aws points at the server by its Cloud Map name, with the generated token as an ECS secret", () => {
    const sync = containersOf(one(run, T.taskDefinition, "consul-sync-task")).find(
      (c) => c.name === "consul-aws",
    );
    assert.ok(sync);
    assert.strictEqual(envOf(sync).CONSUL_HTTP_ADDR, "http://consul-server.internal:8500");
    assert.deepStrictEqual(sync.secrets, [{ name: "CONSUL_HTTP_TOKEN", valueFrom: TOKEN_ARN }]);
    const exec = policyOf(one(run, T.rolePolicy, "ecs-execution-secrets")).Statement;
    assert.deepStrictEqual(
      exec[0].Resource,
      [TOKEN_ARN, CONFIG_ARN],
      "the execution role reads exactly the two generated secrets",
    );
  });

  it("destroy order: consul-aws stops, then the cleanup empties the namespace, then the namespace goes", () => {
    const cleanup = cleanupOf(run);
    assert.deepStrictEqual(
      {
        namespaceId: cleanup.inputs.namespaceId,
        region: cleanup.inputs.region,
        consul: cleanup.inputs.consul,
      },
      { namespaceId: idOf("discovery-namespace"), region: "eu-west-1", consul: undefined },
    );
    assert.match(
      str(cleanup.inputs.__provider),
      /exports\.handler/,
      "the provider is serialized into the resource",
    );
    assert.ok(
      dependsOn(cleanup, "discovery-namespace"),
      "the cleanup depends on the namespace: deleted before it",
    );
    assert.ok(
      dependsOn(one(run, T.ecsService, "consul-sync-service"), "discovery-cleanup"),
      "consul-aws depends on the cleanup: deleted (stopped) before it runs",
    );
  });

  it("catalog check: a one-off task from the Consul image that asks for hello and name, and a stack output describing it", () => {
    const [check] = containersOf(one(run, T.taskDefinition, "consul-check-task"));
    assert.strictEqual(check.image, pinnedByRegistry(CONSUL_IMAGE));
    assert.deepStrictEqual((check as unknown as { entryPoint: string[] }).entryPoint, ["/bin/sh", "-c"]);
    assert.deepStrictEqual(check.command, [catalogCheckScript(["hello", "name"], 36, 5)]);
    assert.deepStrictEqual(envOf(check), { CONSUL_HTTP_ADDR: "http://consul-server.internal:8500" });
    assert.deepStrictEqual(check.secrets, [{ name: "CONSUL_HTTP_TOKEN", valueFrom: TOKEN_ARN }]);
    assert.deepStrictEqual(run.outputs.consulCatalogCheck, {
      mode: "embedded",
      region: "eu-west-1",
      consulHttpAddr: "http://consul-server.internal:8500",
      clusterName: "ecs-cloudmap-consul-dev",
      subnetIds: ["subnet-private-0", "subnet-private-1"],
      task: {
        taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:consul-check-task",
        securityGroupId: idOf("consul-check-sg"),
        logGroupName: "/ecs/ecs-cloudmap-consul-dev/consul-check",
        logStreamPrefix: "check",
        containerName: "catalog-check",
      },
      inConsul: [
        { service: "hello", consulName: "hello", port: 3000 },
        { service: "name", consulName: "name", port: 3000 },
      ],
      inCloudMap: {
        namespaceId: idOf("discovery-namespace"),
        services: [{ consulName: "consul", cloudMapName: "consul" }],
      },
    });
    assert.deepStrictEqual(run.outputs.consul, {
      serviceName: "consul-server-service",
      dnsName: "consul-server.internal",
      httpAddr: "http://consul-server.internal:8500",
      tokenSecretArn: TOKEN_ARN,
    });
  });

  it("creates nothing for an external Consul", () => {
    for (const type of [ROUTE, RESOLVER_ENDPOINT, RESOLVER_RULE, RESOLVER_ASSOCIATION])
      assert.strictEqual(ofType(run, type).length, 0, type);
  });
});

describe("infra consulMode external (the prod stack)", function () {
  let run: ProgramRun;
  before(async () => {
    run = await program(loadStackConfig("prod"), "prod");
  });

  it("routes consulCidr from each private subnet's route table through the transit gateway, once the VPC is attached to it", () => {
    const routes = ofType(run, ROUTE).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepStrictEqual(
      routes.map((r) => [
        r.name,
        r.inputs.routeTableId,
        r.inputs.destinationCidrBlock,
        r.inputs.transitGatewayId,
        r.inputs.vpcPeeringConnectionId,
      ]),
      // Route i belongs to subnet i's table, whatever order AWS's random table ids sort in.
      [0, 1, 2].map((i) => [
        `consul-reach-route-${i}`,
        mockRouteTableId(`subnet-private-${i}`),
        "10.60.0.0/16",
        "tgw-0a1b2c3d4e5f60718",
        undefined,
      ]),
    );
    const attachment = one(run, TGW_ATTACHMENT, "consul-reach-tgw");
    assert.deepStrictEqual(
      attachment.inputs.subnetIds,
      [0, 1, 2].map((i) => `subnet-private-${i}`),
    );
    assert.strictEqual(attachment.inputs.transitGatewayId, "tgw-0a1b2c3d4e5f60718");
    assert.strictEqual(attachment.inputs.vpcId, "vpc-mock");
    // CreateRoute names the transit gateway only once this VPC is attached (InvalidTransitGatewayID.NotFound).
    for (const route of routes) assert.ok(dependsOn(route, "consul-reach-tgw"), route.name);
  });

  it("forwards the Consul host's domain to its DNS servers through an outbound endpoint that may send only DNS to them", () => {
    const endpoint = one(run, RESOLVER_ENDPOINT, "consul-reach-resolver").inputs;
    assert.strictEqual(endpoint.direction, "OUTBOUND");
    // Two addresses in two AZs (the billed minimum), although the VPC spans three.
    assert.deepStrictEqual(
      endpoint.ipAddresses,
      [0, 1].map((i) => ({ subnetId: `subnet-private-${i}` })),
    );
    assert.deepStrictEqual(endpoint.securityGroupIds, [idOf("consul-reach-resolver-sg")]);
    const rule = one(run, RESOLVER_RULE, "consul-reach-forward").inputs;
    assert.strictEqual(rule.domainName, "prod.example.com");
    assert.strictEqual(rule.ruleType, "FORWARD");
    assert.strictEqual(rule.resolverEndpointId, idOf("consul-reach-resolver"));
    assert.deepStrictEqual(rule.targetIps, [
      { ip: "10.60.0.10", port: 53 },
      { ip: "10.60.1.10", port: 53 },
    ]);
    assert.deepStrictEqual(one(run, RESOLVER_ASSOCIATION, "consul-reach-forward-vpc").inputs, {
      resolverRuleId: idOf("consul-reach-forward"),
      vpcId: "vpc-mock",
    });
    const egress = rulesOf(run, T.egress, "consul-reach-resolver-sg")
      .map(
        (r) =>
          `${String(r.inputs.ipProtocol)}/${String(r.inputs.fromPort)}-${String(r.inputs.toPort)} ${String(r.inputs.cidrIpv4)}`,
      )
      .sort();
    assert.deepStrictEqual(egress, [
      "tcp/53-53 10.60.0.10/32",
      "tcp/53-53 10.60.1.10/32",
      "udp/53-53 10.60.0.10/32",
      "udp/53-53 10.60.1.10/32",
    ]);
    assert.deepStrictEqual(rulesOf(run, T.ingress, "consul-reach-resolver-sg"), []);
  });

  it("runs no Consul server and generates no token", () => {
    for (const type of [RANDOM_UUID, SECRET, SECRET_VERSION])
      assert.strictEqual(ofType(run, type).length, 0, type);
    assert.strictEqual(run.resources.filter((r) => r.name.startsWith("consul-server")).length, 0);
  });

  it("consul-aws is deregistered from the external Consul by a one-off task inside the VPC, never from the operator's machine", () => {
    assert.strictEqual(cleanupOf(run).inputs.consul, undefined, "the namespace cleanup calls Cloud Map only");
    const deregistration = one(run, DEREGISTRATION, "consul-check-deregistration");
    const task = one(run, T.taskDefinition, "consul-check-deregister-task");
    assert.strictEqual(deregistration.inputs.enabled, true);
    assert.strictEqual(deregistration.inputs.taskDefinitionArn, task.state.arn);
    assert.strictEqual(deregistration.inputs.securityGroupId, idOf("consul-check-sg"));
    assert.deepStrictEqual(
      deregistration.inputs.subnetIds,
      [0, 1, 2].map((i) => `subnet-private-${i}`),
    );
    const [container] = containersOf(task);
    assert.strictEqual(envOf(container).CONSUL_HTTP_ADDR, "https://consul.prod.example.com:8501");
    assert.deepStrictEqual(
      container.secrets.map((x) => x.name),
      ["CONSUL_CACERT_PEM", "CONSUL_HTTP_TOKEN"],
    );
    assert.match(String(container.command?.[0]), /PUT .*"Node":"consul-aws".*\/v1\/catalog\/deregister/);
    // Deleted after consul-aws (which cannot register again) and before every path the task takes.
    assert.ok(dependsOn(one(run, T.ecsService, "consul-sync-service"), "consul-check-deregistration"));
    for (const need of [
      "consul-reach-route-0",
      "consul-reach-tgw",
      "consul-reach-forward-vpc",
      "consul-check-egress-consul",
      "ecs-cluster",
      "ecs-execution-secrets",
    ])
      assert.ok(dependsOn(deregistration, need), need);
    // Its delete talks to ECS only.
    const text = str(deregistration.inputs.__provider);
    const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).sort();
    assert.deepStrictEqual([...new Set(required)], ["@aws-sdk/client-ecs"]);
  });

  it("the catalog check trusts the CA and may reach only 443 and the Consul CIDR on its port", () => {
    const [check] = containersOf(one(run, T.taskDefinition, "consul-check-task"));
    assert.deepStrictEqual(
      check.secrets.map((s) => s.name),
      ["CONSUL_CACERT_PEM", "CONSUL_HTTP_TOKEN"],
    );
    assert.deepStrictEqual(check.command, [catalogCheckScript(["aws-hello", "aws-name"], 36, 5)]);
    assert.deepStrictEqual(ruleSummary(rulesOf(run, T.egress, "consul-check-sg")), [
      "tcp/443-443 cidr:0.0.0.0/0",
      "tcp/8501-8501 cidr:10.60.0.0/16",
    ]);
    const out = run.outputs.consulCatalogCheck as { inConsul: unknown; inCloudMap: { services: unknown } };
    assert.deepStrictEqual(out.inConsul, [
      { service: "hello", consulName: "aws-hello", port: 3000 },
      { service: "name", consulName: "aws-name", port: 3000 },
    ]);
    assert.deepStrictEqual(out.inCloudMap.services, [
      { consulName: "consul", cloudMapName: "consul-consul" },
      { consulName: "payments", cloudMapName: "consul-payments" },
    ]);
  });
});

describe("infra consulMode matrix", function () {
  const prod = loadStackConfig("prod");
  const peeringByIp = {
    ...prod,
    ...externalConsul({
      consulHttpAddr: "http://10.60.4.4:8500",
      consulCidr: "10.60.0.0/16",
      consulCaCertSecretArn: "",
      consulTransitGatewayId: "",
      consulDnsDomain: "",
      consulDnsServers: "",
      consulImage: "",
      consulDeregisterOnDestroy: "false",
    }),
  };
  const cases: {
    what: string;
    stack: "dev" | "prod";
    config: Record<string, string>;
    expect: Record<string, number>;
    check: (run: ProgramRun) => void;
  }[] = [
    {
      what: "embedded with extra allowed CIDRs admits them on 8500 only",
      stack: "dev",
      config: { ...loadStackConfig("dev"), [k("consulAllowedCidrs")]: "10.99.0.0/24,192.168.10.0/24" },
      expect: { [RANDOM_UUID]: 1, [ROUTE]: 0, [RESOLVER_RULE]: 0, [CLEANUP]: 1 },
      check: (run) =>
        assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "consul-server-sg")), [
          "tcp/8500-8500 cidr:10.99.0.0/24",
          "tcp/8500-8500 cidr:192.168.10.0/24",
          `tcp/8500-8500 sg:${idOf("consul-check-sg")}`,
          `tcp/8500-8500 sg:${idOf("consul-sync-sg")}`,
        ]),
    },
    {
      what: "external by IP through a peering connection: routes, no DNS forwarding, no check task, no Consul deregistration",
      stack: "prod",
      config: peeringByIp,
      expect: { [RANDOM_UUID]: 0, [ROUTE]: 3, [RESOLVER_ENDPOINT]: 0, [RESOLVER_RULE]: 0, [CLEANUP]: 1 },
      check: (run) => {
        for (const r of ofType(run, ROUTE)) assert.strictEqual(r.inputs.vpcPeeringConnectionId, PCX);
        assert.strictEqual(
          ofType(run, T.taskDefinition).filter((t) => t.name === "consul-check-task").length,
          0,
        );
        assert.strictEqual((run.outputs.consulCatalogCheck as { task: unknown }).task, undefined);
        assert.strictEqual(cleanupOf(run).inputs.consul, undefined);
      },
    },
    {
      what: "external in a two-AZ VPC: a route per private route table, the Resolver endpoint's addresses in both AZs",
      stack: "prod",
      config: { ...prod, [k("azCount")]: "2" },
      expect: { [ROUTE]: 2, [RESOLVER_ENDPOINT]: 1 },
      check: (run) => {
        assert.deepStrictEqual(
          ofType(run, ROUTE)
            .map((r) => r.inputs.routeTableId)
            .sort(),
          ["subnet-private-0", "subnet-private-1"].map(mockRouteTableId).sort(),
        );
        assert.deepStrictEqual(one(run, RESOLVER_ENDPOINT, "consul-reach-resolver").inputs.ipAddresses, [
          { subnetId: "subnet-private-0" },
          { subnetId: "subnet-private-1" },
        ]);
      },
    },
    {
      what: "off: no Consul resources; the cleanup stays for Service Connect's services",
      stack: "prod",
      // The external Consul's settings stay in the file: with consulMode off they are not read.
      config: { ...prod, [k("consulMode")]: "off" },
      expect: { [RANDOM_UUID]: 0, [ROUTE]: 0, [RESOLVER_RULE]: 0, [CLEANUP]: 1, [DEREGISTRATION]: 0 },
      check: (run) => assert.strictEqual(run.resources.filter((r) => r.name.startsWith("consul")).length, 0),
    },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const run = await program(c.config, c.stack);
      for (const [type, count] of Object.entries(c.expect))
        assert.strictEqual(ofType(run, type).length, count, type);
      c.check(run);
    });
  }
});
