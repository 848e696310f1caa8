/**
 * Code that runs at destroy (the namespace cleanup, the Consul deregistration) must work whatever
 * language the consuming program is written in. Runner `lambda` (the default) deploys it as an AWS
 * Lambda function invoked by `aws.lambda.Invocation` in CRUD scope, which the AWS provider runs on
 * create, update and delete; runner `dynamicProvider` keeps the 0.1.0 dynamic resource, whose
 * serialized closure only a TypeScript program's Node.js can run (pulumi/pulumi#5455). Under mocks:
 * what each runner registers, and the order a destroy follows (the Invocation depends on what must
 * outlive the work: its function's rights and log, and what the work itself needs).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConsulCatalogCheck, Namespace } from "ecs-cloudmap-consul";
import {
  destroyRunnerProblems,
  inPluginHost,
} from "../../packages/ecs-cloudmap-consul/shared/destroy-runner";
import { consulDeregistrationPolicy } from "../../packages/ecs-cloudmap-consul/shared/policies";
import { RecordedResource, runMocked } from "./harness";
import { PACKAGE_DIR } from "./sources";

const isDynamic = (type: string) => type.startsWith("pulumi-nodejs:dynamic/");
const LAMBDA_PATH = [
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:iam/role:Role",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:lambda/function:Function",
  "aws:lambda/invocation:Invocation",
];
const TYPES = {
  fn: "aws:lambda/function:Function",
  invocation: "aws:lambda/invocation:Invocation",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};

const resolved = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));

function one(resources: readonly RecordedResource[], type: string, name: string): RecordedResource {
  const found = resources.filter((r) => r.type === type && r.name === name);
  assert.strictEqual(found.length, 1, `one ${type} named ${name}`);
  return found[0];
}

/** The URNs of the named resources of the run, by `<type>::<name>`. */
const urnsOf = (resources: readonly RecordedResource[], keys: readonly [string, string][]) =>
  keys.map(([type, name]) => one(resources, type, name).urn);

describe("destroy-time code in the package: runner lambda (any language) or dynamicProvider (0.1.0, TypeScript)", function () {
  this.timeout(60_000);

  it("a Namespace without cleanupOnDelete registers nothing that runs at destroy", async () => {
    const off = await runMocked(() => {
      new Namespace("discovery", { vpcId: "vpc-1" });
      return {};
    });
    assert.ifError(off.error);
    const types = off.resources.map((r) => r.type);
    assert.deepStrictEqual(types.filter(isDynamic), []);
    assert.deepStrictEqual(
      types.filter((t) => t.startsWith("aws:lambda/")),
      [],
    );
  });

  it("cleanupOnDelete, default runner: a Lambda function, its role, log group and a CRUD Invocation that waits for them, no dynamic resource", async () => {
    let cleanupUrn: Promise<string> | undefined;
    const run = await runMocked(() => {
      const ns = new Namespace("discovery", {
        vpcId: "vpc-1",
        cleanupOnDelete: { region: "eu-west-1", serviceConnectServices: ["hello-sc"] },
      });
      cleanupUrn = ns.cleanup ? resolved(ns.cleanup.urn) : undefined;
      return {};
    });
    assert.ifError(run.error);
    const r = run.resources;
    assert.deepStrictEqual(r.map((x) => x.type).filter(isDynamic), []);
    assert.deepStrictEqual(
      LAMBDA_PATH.filter((t) => !r.some((x) => x.type === t)),
      [],
    );

    const invocation = one(r, TYPES.invocation, "discovery-cleanup");
    assert.strictEqual(
      await cleanupUrn,
      invocation.urn,
      "Namespace.cleanup is the Invocation: dependents wait for it",
    );
    assert.strictEqual(invocation.inputs.lifecycleScope, "CRUD");
    assert.deepStrictEqual(JSON.parse(String(invocation.inputs.input)), {
      namespaceId: "discovery-namespace-id",
      region: "eu-west-1",
      serviceConnectServices: ["hello-sc"],
    });
    // A new namespace replaces the Invocation: the old one's delete empties the old namespace.
    assert.deepStrictEqual(invocation.inputs.triggers, { namespaceId: "discovery-namespace-id" });
    const outlive = urnsOf(r, [
      ["aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace", "discovery-namespace"],
      ["aws:route53/record:Record", "discovery-soa"],
      [TYPES.fn, "discovery-cleanup-fn"],
      [TYPES.logGroup, "discovery-cleanup-fn-logs"],
      [TYPES.rolePolicy, "discovery-cleanup-fn-logs"],
      [TYPES.rolePolicy, "discovery-cleanup-fn-calls"],
    ]);
    assert.deepStrictEqual(
      outlive.filter((urn) => !invocation.dependencies.includes(urn ?? "")),
      [],
      "on destroy, the work runs before these are deleted",
    );

    const fn = one(r, TYPES.fn, "discovery-cleanup-fn");
    const logGroup = one(r, TYPES.logGroup, "discovery-cleanup-fn-logs");
    assert.strictEqual(fn.inputs.runtime, "nodejs24.x");
    assert.strictEqual(fn.inputs.handler, "index.handler");
    assert.strictEqual(fn.inputs.timeout, 900, "Lambda's longest: each service may take 120 s");
    assert.strictEqual(fn.inputs.vpcConfig, undefined, "no VPC: it calls AWS APIs only");
    assert.deepStrictEqual(fn.inputs.loggingConfig, { logFormat: "Text", logGroup: logGroup.inputs.name });
    assert.strictEqual(fn.inputs.role, one(r, TYPES.role, "discovery-cleanup-fn-role").state.arn);
    assert.strictEqual(logGroup.inputs.retentionInDays, 30);
    const trust = JSON.parse(
      String(one(r, TYPES.role, "discovery-cleanup-fn-role").inputs.assumeRolePolicy),
    ) as {
      Statement: { Principal: unknown }[];
    };
    assert.deepStrictEqual(
      trust.Statement.map((s) => s.Principal),
      [{ Service: "lambda.amazonaws.com" }],
    );
  });

  it("cleanupOnDelete with runner dynamicProvider registers the 0.1.0 dynamic resource and no Lambda", async () => {
    const run = await runMocked(() => {
      new Namespace("discovery", {
        vpcId: "vpc-1",
        cleanupOnDelete: { region: "eu-west-1", runner: "dynamicProvider" },
      });
      return {};
    });
    assert.ifError(run.error);
    const types = run.resources.map((r) => r.type);
    assert.deepStrictEqual(types.filter(isDynamic), [
      "pulumi-nodejs:dynamic/namespaceCleanup:NamespaceCleanup",
    ]);
    assert.deepStrictEqual(
      types.filter((t) => t.startsWith("aws:lambda/") || t.startsWith("aws:iam/")),
      [],
    );
  });

  it("deregisterOnDelete, default runner: the Invocation waits for the task's needs and the function's rights; the function may run only that task", async () => {
    const execution = "arn:aws:iam::123456789012:role/platform-task-execution";
    const cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/platform";
    let deregistrationUrn: Promise<string> | undefined;
    const run = await runMocked(() => {
      const route = new aws.ec2.Route("to-consul", {
        routeTableId: "rtb-1",
        destinationCidrBlock: "10.60.0.0/16",
        transitGatewayId: "tgw-1",
      });
      const check = new ConsulCatalogCheck("consul-check", {
        vpcId: "vpc-1",
        executionRoleArn: execution,
        image: "public.ecr.aws/hashicorp/consul:1.20.1",
        consulHttpAddr: "https://consul.corp.example:8501",
        tokenSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-token-AbCdEf",
        services: ["aws-web"],
        logRetentionDays: 30,
        region: "eu-west-1",
        consulCidr: "10.60.0.0/16",
        consulPort: 8501,
        deregisterOnDelete: { enabled: true, clusterArn: cluster, subnetIds: ["subnet-a"], after: [route] },
      });
      deregistrationUrn = check.deregistration ? resolved(check.deregistration.urn) : undefined;
      return {};
    });
    assert.ifError(run.error);
    const r = run.resources;
    assert.deepStrictEqual(r.map((x) => x.type).filter(isDynamic), []);
    const invocation = one(r, TYPES.invocation, "consul-check-deregistration");
    assert.strictEqual(
      await deregistrationUrn,
      invocation.urn,
      "ConsulCatalogCheck.deregistration is the Invocation: consul-aws waits for it",
    );
    assert.strictEqual(invocation.inputs.lifecycleScope, "CRUD");
    const taskDefinition = one(r, "aws:ecs/taskDefinition:TaskDefinition", "consul-check-deregister-task");
    assert.deepStrictEqual(JSON.parse(String(invocation.inputs.input)), {
      enabled: true,
      region: "eu-west-1",
      cluster,
      taskDefinitionArn: taskDefinition.state.arn,
      subnetIds: ["subnet-a"],
      securityGroupId: "consul-check-sg-id", // the mocks' id of the check's security group
      consulHttpAddr: "https://consul.corp.example:8501",
    });
    const needed = urnsOf(r, [
      ["aws:ec2/route:Route", "to-consul"],
      ["aws:ecs/taskDefinition:TaskDefinition", "consul-check-deregister-task"],
      [TYPES.role, "consul-check-deregister-task-role"],
      ["aws:ec2/securityGroup:SecurityGroup", "consul-check-sg"],
      ["aws:cloudwatch/logGroup:LogGroup", "consul-check-logs"],
      [TYPES.fn, "consul-check-deregistration-fn"],
      [TYPES.logGroup, "consul-check-deregistration-fn-logs"],
      [TYPES.rolePolicy, "consul-check-deregistration-fn-logs"],
      [TYPES.rolePolicy, "consul-check-deregistration-fn-calls"],
    ]);
    const egress = r.filter((x) => x.type.startsWith("aws:vpc/securityGroupEgressRule")).map((x) => x.urn);
    assert.ok(egress.length > 0, "the task's egress rules");
    assert.deepStrictEqual(
      [...needed, ...egress].filter((urn) => !invocation.dependencies.includes(urn ?? "")),
      [],
      "on destroy, the task runs before these are deleted",
    );
    const fn = one(r, TYPES.fn, "consul-check-deregistration-fn");
    assert.ok(Number(fn.inputs.timeout) >= 360, "RunTask plus up to 300 s waiting for the task");
    assert.strictEqual(fn.inputs.vpcConfig, undefined);
    const calls = JSON.parse(
      String(one(r, TYPES.rolePolicy, "consul-check-deregistration-fn-calls").inputs.policy),
    ) as unknown;
    assert.deepStrictEqual(
      calls,
      consulDeregistrationPolicy({
        clusterArn: cluster,
        taskDefinitionArn: String(taskDefinition.state.arn),
        passRoleArns: [execution, String(one(r, TYPES.role, "consul-check-deregister-task-role").state.arn)],
      }),
    );
  });

  it("an unknown runner is refused naming the setting and the allowed values, before anything is registered", async () => {
    const run = await runMocked(() => {
      new Namespace("discovery", {
        vpcId: "vpc-1",
        cleanupOnDelete: { region: "eu-west-1", runner: "local" as never, logRetentionDays: 4 },
      });
      return {};
    });
    assert.ok(run.error);
    assert.match(
      run.error.message,
      /cleanupOnDelete\.runner.*must be one of lambda, dynamicProvider.*"local"/,
    );
    assert.match(run.error.message, /cleanupOnDelete\.logRetentionDays/);
    assert.deepStrictEqual(run.resources, []);
  });

  it("in the plugin host (`pulumi package add`), runner dynamicProvider is refused with the allowed values; lambda is not", () => {
    assert.ok(inPluginHost("/home/u/proj/node_modules/@pulumi/pulumi/cmd/run-plugin/index.js"));
    assert.ok(inPluginHost("C:\\p\\node_modules\\@pulumi\\pulumi\\cmd\\run-plugin"));
    assert.ok(!inPluginHost("/home/u/proj/node_modules/@pulumi/pulumi/cmd/run/index.js"));
    assert.ok(!inPluginHost(undefined));
    assert.ok(!inPluginHost(), "mocha is no plugin host");
    const refused = destroyRunnerProblems("deregisterOnDelete.runner", "dynamicProvider", true);
    assert.strictEqual(refused.length, 1);
    assert.strictEqual(refused[0].arg, "deregisterOnDelete.runner");
    assert.match(refused[0].message, /must be lambda .*allowed: lambda, dynamicProvider/);
    assert.deepStrictEqual(destroyRunnerProblems("deregisterOnDelete.runner", "lambda", true), []);
    assert.deepStrictEqual(destroyRunnerProblems("deregisterOnDelete.runner", "dynamicProvider", false), []);
  });

  for (const [file, property] of [
    ["network/namespace.ts", "cleanupOnDelete"],
    ["consul/consul-catalog-check.ts", "deregisterOnDelete"],
  ]) {
    it(`${property}'s documentation says it works from any language, and its runner names both runners and the default`, () => {
      const text = fs.readFileSync(path.join(PACKAGE_DIR, file), "utf8");
      const docOf = (field: string) => {
        const doc = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*readonly ${field}\\?:`).exec(text);
        assert.ok(doc, `no doc comment on ${field}`);
        return doc[1].replace(/\s*\*\s*/g, " ");
      };
      assert.match(docOf(property), /Works from any language with the default runner `lambda`/);
      const runner = docOf("runner");
      assert.match(runner, /`lambda`.*`dynamicProvider`.*TypeScript programs that import the package only/);
      assert.match(runner, /Default: "lambda"\. @default "lambda"/);
    });
  }
});
