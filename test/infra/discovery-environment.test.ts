/**
 * DiscoveryEnvironment on its own, under Pulumi's mocks: what a new environment builds for each
 * shape of its arguments, that two of them live side by side in one stack, that a bad shape stops
 * before anything exists, and that a service added after it with `dependsOn` waits for all of it.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
  DiscoverableService,
  DiscoveryEnvironment,
  discoveryEnvironmentArgProblems,
  type DestroyRunner,
  type DiscoveryEnvironmentArgs,
  type EnvironmentConsulArgs,
} from "../../packages/ecs-cloudmap-consul";
import { RecordedResource, runMocked } from "./harness";

const REGION = "eu-west-1";
const BASE: DiscoveryEnvironmentArgs = {
  network: { cidrBlock: "10.0.0.0/16", availabilityZoneCount: 2, natGateways: "Single", region: REGION },
  cluster: {
    region: REGION,
    logRetentionDays: 30,
    defaultStrategy: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
  },
};
const SYNC: EnvironmentConsulArgs["sync"] = {
  image: `public.ecr.aws/hashicorp/consul-aws:0.1.3@sha256:${"c".repeat(64)}`,
  caInitImage: `public.ecr.aws/docker/library/busybox:1.36.1@sha256:${"b".repeat(64)}`,
  prefixes: { inConsul: "aws-", inCloudMap: "consul-" },
  logRetentionDays: 30,
  region: REGION,
};
const CONSUL_IMAGE = `public.ecr.aws/hashicorp/consul:1.21.5@sha256:${"d".repeat(64)}`;
const EMBEDDED: EnvironmentConsulArgs = {
  sync: SYNC,
  embedded: { image: CONSUL_IMAGE, logRetentionDays: 30, region: REGION },
  catalogCheckServices: ["aws-web"],
};
const EXTERNAL: EnvironmentConsulArgs = {
  sync: SYNC,
  external: {
    httpAddr: "https://10.60.0.10:8501",
    tokenSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-token-AbCdEf",
    consulCidr: "10.60.0.0/16",
    route: { kind: "peering", id: "pcx-0123456789abcdef0" },
    dns: { kind: "ip" },
  },
};

const PKG = "ecs-cloudmap-consul:index:";
/** The environment's part components, as `<Class> <name>`. */
const partsOf = (resources: readonly RecordedResource[], environment: string) =>
  resources
    .filter(
      (r) => r.type.startsWith(PKG) && r.parentUrn?.endsWith(`${PKG}DiscoveryEnvironment::${environment}`),
    )
    .map((r) => `${r.type.slice(PKG.length)} ${r.name}`)
    .sort();
const ofType = (resources: readonly RecordedResource[], type: string) =>
  resources.filter((r) => r.type === type);

describe("DiscoveryEnvironment", function () {
  this.timeout(60_000);

  it("with defaults: a VPC, a cluster and a namespace, named after the environment", async () => {
    const run = await runMocked(() => {
      new DiscoveryEnvironment("env", BASE);
      return {};
    });
    assert.ifError(run.error);
    assert.deepStrictEqual(partsOf(run.resources, "env"), [
      "Cluster env-ecs",
      "Namespace env-discovery",
      "Network env-net",
    ]);
    // No ALB and no Consul side unless asked for; no destroy-time code unless asked for.
    assert.deepStrictEqual(
      run.resources.filter((r) => /lb\/|ecs\/service:Service|pulumi-nodejs:dynamic/.test(r.type)),
      [],
    );
    const [cluster] = ofType(run.resources, "aws:ecs/cluster:Cluster");
    assert.strictEqual(cluster.inputs.name, "ecs-cloudmap-consul-test-env");
  });

  it("with loadBalancer and an embedded Consul: the ALB, the token, the server, the check and consul-aws", async () => {
    const run = await runMocked(() => {
      const env = new DiscoveryEnvironment("env", {
        ...BASE,
        loadBalancer: { targetPort: 3000 },
        consul: EMBEDDED,
      });
      return { url: env.loadBalancerUrl, token: env.consulTokenSecretArn, addr: env.consulHttpAddr };
    });
    assert.ifError(run.error);
    assert.deepStrictEqual(partsOf(run.resources, "env"), [
      "Cluster env-ecs",
      "ConsulCatalogCheck env-consul-check",
      "ConsulManagementToken env-consul-token",
      "ConsulServer env-consul-server",
      "ConsulSync env-consul-sync",
      "LoadBalancer env-public",
      "Namespace env-discovery",
      "Network env-net",
    ]);
    assert.match(String(run.outputs.url), /^http:\/\//);
    // The server registers as consul-server in its own namespace, whatever the environment is named.
    assert.strictEqual(run.outputs.addr, "http://consul-server.internal:8500");
    // The execution role may read the token's secrets: the cluster was built after the token.
    const policies = ofType(run.resources, "aws:iam/rolePolicy:RolePolicy").filter((r) =>
      r.parentUrn?.includes("::env-ecs"),
    );
    const secrets = JSON.stringify(policies.map((p) => p.inputs.policy));
    for (const secret of ofType(run.resources, "aws:secretsmanager/secret:Secret"))
      assert.ok(secrets.includes(String(secret.state.arn)), `execution role cannot read ${secret.name}`);
  });

  it("with an external Consul: the way to it and consul-aws; a check only with checkImage", async () => {
    const run = await runMocked(() => {
      new DiscoveryEnvironment("env", { ...BASE, consul: EXTERNAL });
      new DiscoveryEnvironment("checked", {
        ...BASE,
        consul: { ...EXTERNAL, external: { ...EXTERNAL.external!, checkImage: CONSUL_IMAGE } },
      });
      return {};
    });
    assert.ifError(run.error);
    assert.deepStrictEqual(partsOf(run.resources, "env"), [
      "Cluster env-ecs",
      "ConsulReach env-consul-reach",
      "ConsulSync env-consul-sync",
      "Namespace env-discovery",
      "Network env-net",
    ]);
    assert.ok(partsOf(run.resources, "checked").includes("ConsulCatalogCheck checked-consul-check"));
    // TLS and the port come from the address.
    const sync = ofType(run.resources, "aws:ecs/taskDefinition:TaskDefinition").find(
      (r) => r.name === "env-consul-sync-task",
    );
    assert.ok(sync, "no consul-aws task definition");
    const env = JSON.stringify(sync.inputs.containerDefinitions);
    assert.ok(env.includes("CONSUL_HTTP_SSL") && env.includes("https://10.60.0.10:8501"), env);
  });

  it("two environments in one stack: no URN, no AWS name shared", async () => {
    const run = await runMocked(() => {
      for (const name of ["blue", "green"])
        new DiscoveryEnvironment(name, { ...BASE, loadBalancer: { targetPort: 3000 }, consul: EMBEDDED });
      return {};
    });
    assert.ifError(run.error);
    const urns = run.resources.map((r) => r.urn);
    assert.strictEqual(new Set(urns).size, urns.length);
    assert.strictEqual(partsOf(run.resources, "blue").length, 8);
    assert.strictEqual(partsOf(run.resources, "green").length, 8);
    // Names AWS keeps unique per account and region that the components set (roles are named by AWS).
    for (const [type, key] of [
      ["aws:ecs/cluster:Cluster", "name"],
      ["aws:cloudwatch/logGroup:LogGroup", "name"],
      ["aws:lb/loadBalancer:LoadBalancer", "name"],
    ]) {
      const names = ofType(run.resources, type)
        .map((r) => r.inputs[key])
        .filter((n) => n !== undefined)
        .map((n) => JSON.stringify(n));
      if (type !== "aws:lb/loadBalancer:LoadBalancer") assert.ok(names.length >= 2, `no named ${type}`);
      assert.strictEqual(new Set(names).size, names.length, `${type} ${key}s repeat: ${names.join(", ")}`);
    }
  });

  for (const [shape, consul] of [
    ["both", { ...EMBEDDED, external: EXTERNAL.external }],
    ["neither", { sync: SYNC }],
  ] as const) {
    it(`consul with ${shape} of embedded and external: an error naming the setting and the shapes, nothing registered`, async () => {
      const run = await runMocked(() => {
        new DiscoveryEnvironment("env", { ...BASE, consul });
        return {};
      });
      assert.ok(run.error, "no error");
      assert.match(run.error.message, /DiscoveryEnvironment "env": invalid arguments/);
      assert.match(
        run.error.message,
        /- consul: needs exactly one of consul\.embedded \(.*\) or consul\.external \(.*\)/,
      );
      assert.match(run.error.message, shape === "both" ? /both are set/ : /neither is set/);
      assert.deepStrictEqual(run.resources, []);
    });
  }

  it("a part's bad argument is named with its path, before anything is registered", async () => {
    const run = await runMocked(() => {
      new DiscoveryEnvironment("env", {
        ...BASE,
        network: { ...BASE.network, cidrBlock: "10.0.0.0/8" },
        consul: { ...EMBEDDED, embedded: { ...EMBEDDED.embedded!, allowedCidrs: ["10.1.2.3/16"] } },
      });
      return {};
    });
    assert.match(String(run.error?.message), /- network\.cidrBlock: must be an IPv4 network CIDR/);
    assert.match(
      String(run.error?.message),
      /- consul\.embedded\.allowedCidrs\[0\]: must be an IPv4 network CIDR/,
    );
    assert.deepStrictEqual(run.resources, []);
  });

  it("the destroy-time runners: a bad value is named with its path before anything is registered; each reaches its part", async () => {
    const bad = await runMocked(() => {
      new DiscoveryEnvironment("env", {
        ...BASE,
        namespaceCleanup: { region: REGION, runner: "cron" as DestroyRunner },
        consul: {
          ...EXTERNAL,
          external: {
            ...EXTERNAL.external!,
            checkImage: CONSUL_IMAGE,
            deregisterOnDestroy: true,
            deregistrationRunner: "cron" as DestroyRunner,
          },
        },
      });
      return {};
    });
    assert.match(
      String(bad.error?.message),
      /- namespaceCleanup\.runner: must be one of lambda, dynamicProvider/,
    );
    assert.match(
      String(bad.error?.message),
      /- consul\.external\.deregistrationRunner: must be one of lambda, dynamicProvider/,
    );
    assert.deepStrictEqual(bad.resources, []);

    const dynamicTypes = async (runner: DestroyRunner | undefined) => {
      const run = await runMocked(() => {
        new DiscoveryEnvironment("env", {
          ...BASE,
          namespaceCleanup: { region: REGION, runner },
          consul: {
            ...EXTERNAL,
            external: {
              ...EXTERNAL.external!,
              checkImage: CONSUL_IMAGE,
              deregisterOnDestroy: true,
              deregistrationRunner: runner,
            },
          },
        });
        return {};
      });
      assert.ifError(run.error);
      return {
        dynamic: run.resources
          .map((r) => r.type)
          .filter((t) => t.startsWith("pulumi-nodejs:dynamic/"))
          .sort(),
        invocations: ofType(run.resources, "aws:lambda/invocation:Invocation").length,
      };
    };
    assert.deepStrictEqual(await dynamicTypes(undefined), { dynamic: [], invocations: 2 });
    assert.deepStrictEqual(await dynamicTypes("dynamicProvider"), {
      dynamic: [
        "pulumi-nodejs:dynamic/consulDeregistration:ConsulDeregistration",
        "pulumi-nodejs:dynamic/namespaceCleanup:NamespaceCleanup",
      ],
      invocations: 0,
    });
  });

  it("a service added after it with dependsOn waits for every resource of the environment", async () => {
    const run = await runMocked(() => {
      const env = new DiscoveryEnvironment("env", {
        ...BASE,
        namespaceCleanup: { region: REGION },
        loadBalancer: { targetPort: 3000 },
        consul: EMBEDDED,
      });
      new DiscoverableService(
        "web",
        {
          clusterArn: env.clusterArn,
          clusterName: env.clusterName,
          vpcId: env.vpcId,
          subnetIds: env.privateSubnetIds,
          executionRoleArn: env.executionRoleArn,
          namespaceId: env.namespaceId,
          namespaceName: "internal",
          serviceName: "web",
          image: `public.ecr.aws/nginx/nginx:1.27@sha256:${"e".repeat(64)}`,
          containerPort: 3000,
          cpu: 256,
          memory: 512,
          desiredCount: 1,
          logRetentionDays: 30,
          region: REGION,
          capacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
          targetGroupArn: env.targetGroupArn as pulumi.Output<string>,
        },
        { dependsOn: [env] },
      );
      return {};
    });
    assert.ifError(run.error);
    const [web] = run.resources.filter((r) => r.type === `${PKG}DiscoverableService`);
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const under = (type: string, r: RecordedResource): boolean => {
      const parent = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
      return parent !== undefined && (parent.type === type || under(type, parent));
    };
    // Everything but the service is the environment's, in its tree (which dependsOn expands).
    const notWeb = run.resources.filter(
      (r) => r.custom && r !== web && !under(`${PKG}DiscoverableService`, r),
    );
    assert.deepStrictEqual(
      notWeb.filter((r) => !under(`${PKG}DiscoveryEnvironment`, r)).map((r) => r.urn),
      [],
      "resources the environment created outside its tree",
    );
    const envResources = notWeb.map((r) => r.urn ?? "");
    assert.ok(
      // The default runner's cleanup: the Lambda Invocation whose delete empties the namespace.
      envResources.some((u) => u.includes("aws:lambda/invocation:Invocation::")),
      "the namespace cleanup is not among them",
    );
    assert.ok(envResources.some((u) => u.includes("ClusterCapacityProviders")));
    // The service component is registered after all of them, and its children under it: on
    // destroy the engine deletes the service first, the namespace cleanup after.
    assert.deepStrictEqual(
      envResources.filter((u) => !web.dependencies.includes(u)),
      [],
      "environment resources the service does not wait for",
    );
    const ecsService = run.resources.find(
      (r) => r.type === "aws:ecs/service:Service" && r.name.startsWith("web"),
    );
    assert.strictEqual(ecsService?.parentUrn, web.urn);
  });
});

describe("DiscoveryEnvironment's argument rules, called directly (what another language's program sends)", () => {
  const problemsOf = (args: DiscoveryEnvironmentArgs) =>
    discoveryEnvironmentArgProblems(args).map((p) => `${p.arg}: ${p.message}`);

  it("a good environment of each shape has none", () => {
    for (const consul of [undefined, EMBEDDED, EXTERNAL])
      assert.deepStrictEqual(problemsOf({ ...BASE, consul, loadBalancer: { targetPort: 3000 } }), []);
    assert.deepStrictEqual(
      problemsOf({
        ...BASE,
        consul: { ...EMBEDDED, embedded: { ...EMBEDDED.embedded!, allowedCidrs: ["10.99.0.0/16"] } },
      }),
      [],
    );
  });

  it("every part's region must be the network's", () => {
    const other = "us-east-1";
    assert.deepStrictEqual(problemsOf({ ...BASE, cluster: { ...BASE.cluster, region: other } }), [
      `cluster.region: must be network.region (${REGION})`,
    ]);
    assert.deepStrictEqual(
      problemsOf({ ...BASE, consul: { ...EMBEDDED, sync: { ...SYNC, region: other } } }),
      [`consul.sync.region: must be network.region (${REGION})`],
    );
    assert.deepStrictEqual(
      problemsOf({ ...BASE, consul: { ...EMBEDDED, embedded: { ...EMBEDDED.embedded!, region: other } } }),
      [`consul.embedded.region: must be network.region (${REGION})`],
    );
  });

  it("each part's own rules, named by the part's path", () => {
    const problems = problemsOf({
      ...BASE,
      cluster: { ...BASE.cluster, clusterName: "a.b" },
      namespace: { name: "Not A Name" },
      namespaceCleanup: { region: REGION, runner: "cron" as DestroyRunner },
      loadBalancer: { targetPort: 0 },
      consul: {
        ...EMBEDDED,
        sync: { ...SYNC, image: "consul-aws:latest" },
        embedded: { ...EMBEDDED.embedded!, image: "consul" },
      },
    });
    const args = problems.map((p) => p.split(":")[0]);
    assert.deepStrictEqual(args, [
      "cluster.clusterName",
      "namespace.name",
      "namespaceCleanup.runner",
      "loadBalancer.targetPort",
      "consul.sync.image",
      "consul.embedded.image",
    ]);
    const external = problemsOf({
      ...BASE,
      consul: {
        ...EXTERNAL,
        external: { ...EXTERNAL.external!, httpAddr: "consul:8500", consulCidr: "10.60.0.0/33" },
      },
    });
    assert.deepStrictEqual(external, [
      "consul.external.httpAddr: must be http://host[:port] or https://host[:port]",
      // Once, though consul-aws's rules would check it too.
      "consul.external.consulCidr: must be an IPv4 network CIDR like 10.20.0.0/16",
    ]);
  });
});
