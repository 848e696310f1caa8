/**
 * Destroy-time work requested the way a Python program's request reaches the plugin (Construct over
 * gRPC, the test playing the engine): the components register the Lambda path (a function and an
 * `aws.lambda.Invocation` in CRUD scope), never a dynamic resource, whose provider the engine could
 * not start for a program without node_modules (pulumi/pulumi#5455); asking for the dynamic
 * provider there is refused with an error naming the setting and the allowed values.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConstructCase, PACKAGE_CASES } from "./construct-cases";
import { pythonRequest } from "./construct.test";
import { host, MOCK_ANSWERS, PACKAGE_DIR } from "./packages";
import { Json, plainValue, Registration } from "./plugin-host";

const pkg = (name: string) => `ecs-cloudmap-consul:index:${name}`;
const packageReady = fs.existsSync(path.join(PACKAGE_DIR, "PulumiPlugin.yaml"));

async function construct(token: string, c: ConstructCase): Promise<Registration[]> {
  const { plugin, engine } = await host(PACKAGE_DIR, MOCK_ANSWERS);
  engine.registrations.length = 0;
  await plugin.construct(pythonRequest(token, c, engine.address));
  return [...engine.registrations];
}

const inputsOf = (r: Registration) => plainValue(r.object) as Record<string, Json>;

/** The Lambda path's registrations, and that nothing dynamic was registered. */
function lambdaPath(registrations: readonly Registration[], invocationName: string) {
  const types = registrations.map((r) => r.type);
  assert.deepStrictEqual(
    types.filter((t) => t.startsWith("pulumi-nodejs:dynamic/")),
    [],
    "a dynamic resource from a Python program's request",
  );
  const invocation = registrations.find(
    (r) => r.type === "aws:lambda/invocation:Invocation" && r.name === invocationName,
  );
  assert.ok(invocation, `the Invocation ${invocationName}`);
  const fn = registrations.find(
    (r) => r.type === "aws:lambda/function:Function" && r.name === `${invocationName}-fn`,
  );
  assert.ok(fn, "its function");
  const byUrn = new Map(registrations.map((r) => [r.urn, r]));
  const waitsFor = invocation.dependencies.map((urn) => `${byUrn.get(urn)?.type}::${byUrn.get(urn)?.name}`);
  for (const needed of [
    `aws:lambda/function:Function::${invocationName}-fn`,
    `aws:cloudwatch/logGroup:LogGroup::${invocationName}-fn-logs`,
    `aws:iam/rolePolicy:RolePolicy::${invocationName}-fn-logs`,
    `aws:iam/rolePolicy:RolePolicy::${invocationName}-fn-calls`,
  ])
    assert.ok(waitsFor.includes(needed), `the Invocation waits for ${needed}`);
  return { invocation: inputsOf(invocation), fn: inputsOf(fn) };
}

describe("component package: destroy-time work constructed from a Python program's request", function () {
  this.timeout(600_000);
  before(function () {
    if (!packageReady) this.skip();
  });

  const namespaceCase = (cleanupOnDelete: Json): ConstructCase => ({
    ...PACKAGE_CASES[pkg("Namespace")],
    inputs: { ...PACKAGE_CASES[pkg("Namespace")].inputs, cleanupOnDelete },
  });

  it("Namespace with cleanupOnDelete: a Lambda function and a CRUD Invocation, no dynamic resource", async () => {
    const registrations = await construct(
      pkg("Namespace"),
      namespaceCase({ region: "eu-west-1", serviceConnectServices: ["web-sc"], logRetentionDays: 14 }),
    );
    const { invocation, fn } = lambdaPath(registrations, "discovery-cleanup");
    assert.strictEqual(invocation.lifecycleScope, "CRUD");
    assert.deepStrictEqual(JSON.parse(invocation.input as string), {
      namespaceId: "discovery-namespace-id",
      region: "eu-west-1",
      serviceConnectServices: ["web-sc"],
    });
    assert.strictEqual(fn.runtime, "nodejs24.x");
    // The function's code travelled as an archive holding index.js: the serialized cleanup.
    const code = JSON.stringify(fn.code);
    assert.match(code, /index\.js/);
    assert.match(code, /exports\.handler = /);
    assert.match(code, /require\(\\"@aws-sdk\/client-servicediscovery\\"\)/);
    const logGroup = registrations.find(
      (r) => r.name === "discovery-cleanup-fn-logs" && r.type.includes("logGroup"),
    );
    assert.strictEqual(logGroup && inputsOf(logGroup).retentionInDays, 14);
  });

  it("runner dynamicProvider is refused in the plugin host, naming the setting and the allowed values", async () => {
    await assert.rejects(
      construct(pkg("Namespace"), namespaceCase({ region: "eu-west-1", runner: "dynamicProvider" })),
      /cleanupOnDelete\.runner: must be lambda .*allowed: lambda, dynamicProvider/,
    );
  });

  it("ConsulCatalogCheck with deregisterOnDelete: a Lambda function and a CRUD Invocation, no dynamic resource", async () => {
    const base = PACKAGE_CASES[pkg("ConsulCatalogCheck")];
    const registrations = await construct(pkg("ConsulCatalogCheck"), {
      ...base,
      inputs: {
        ...base.inputs,
        deregisterOnDelete: {
          enabled: true,
          clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/platform",
          subnetIds: ["subnet-0aaa1111"],
          after: [],
        },
      },
    });
    const { invocation, fn } = lambdaPath(registrations, "consul-check-deregistration");
    assert.strictEqual(invocation.lifecycleScope, "CRUD");
    assert.strictEqual((JSON.parse(invocation.input as string) as { enabled: boolean }).enabled, true);
    assert.match(JSON.stringify(fn.code), /require\(\\"@aws-sdk\/client-ecs\\"\)/);
  });
});
