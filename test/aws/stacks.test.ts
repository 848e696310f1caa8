/**
 * Each stack's graph against AWS's own rules: API models for every task definition, ECS
 * service, Cloud Map service and namespace; Service Authorization data for every IAM
 * statement; and every workload's calls simulated against the roles' real policies. Runs over
 * dev, prod and a matrix of settings neither stack file uses.
 */
import * as assert from "assert";
import { loadStackConfig, ProgramRun, runProgram, withProjectDefaults } from "../infra/harness";
import { externalConsul, k } from "../infra/settings-fixtures";
import { constraintModelsMissing } from "./rules/api-models";
import { denials, iamFindings, managedPolicy, PolicyDocument, simulateCalls } from "./rules/iam";
import {
  checkCloudMapService,
  checkEcsService,
  checkHttpApi,
  checkIntegration,
  checkPrivateDnsNamespace,
  checkRoute,
  checkServiceConnect,
  checkStage,
  checkTaskDefinition,
  checkVpcLink,
} from "./rules/resources";
import { namespaceCleanupPolicy } from "../../packages/ecs-cloudmap-consul/shared/policies";
import {
  consulAwsCalls,
  ecsExecCalls,
  executionRoleCalls,
  namespaceCleanupCalls,
  rolesOf,
  Workload,
} from "./rules/workloads";

const DIGEST = `sha256:${"5".repeat(64)}`; // a well-formed test value: the mocks pull nothing

interface Case {
  readonly title: string;
  readonly stack: "dev" | "prod";
  readonly set: Record<string, string>;
}

const CASES: readonly Case[] = [
  { title: "dev", stack: "dev", set: {} },
  { title: "prod", stack: "prod", set: {} },
  {
    title: "matrix: on-demand, Container Insights enabled, sync off",
    stack: "dev",
    set: {
      [k("capacityStrategy")]: "ondemand",
      [k("containerInsights")]: "enabled",
      [k("consulMode")]: "off",
      [k("consulImage")]: "",
      [k("autoscaling")]: "true",
    },
  },
  {
    title: "matrix: TLS Consul without a CA, consul-aws by digest, endpoints with exec, one prefix",
    stack: "dev",
    // An external Consul on dev's network, reached over a peering, its host resolved by forwarding.
    set: externalConsul({
      consulHttpAddr: "https://consul.dev.example.internal",
      consulCidr: "10.50.0.0/16",
      consulTokenSecretArn:
        "arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/consul/acl-token-AbCdEf",
      consulDnsDomain: "dev.example.internal",
      consulDnsServers: "10.50.0.2",
      consulAwsDigest: DIGEST,
      vpcEndpoints: "true",
      consulSyncPrefixInCloudMap: "consul-",
      consulKnownServices: "consul,hello,billing",
      namespaceName: "svc.example.internal",
    }),
  },
  {
    title: "matrix: prod over HTTP with exec, no autoscaling, bigger tasks",
    stack: "prod",
    set: {
      [k("certificateArn")]: "",
      [k("enableExecuteCommand")]: "true",
      [k("autoscaling")]: "false",
      [k("helloCpu")]: "1024",
      [k("helloMemory")]: "3072",
      [k("azCount")]: "2",
    },
  },
  {
    title: "modes: dev with Service Connect and API Gateway",
    stack: "dev",
    set: { [k("discoveryMode")]: "serviceConnect", [k("frontDoor")]: "apiGateway" },
  },
  {
    title: "modes: prod with Service Connect behind the ALB",
    stack: "prod",
    set: { [k("discoveryMode")]: "serviceConnect" },
  },
  {
    title: "modes: prod with DNS discovery and API Gateway",
    stack: "prod",
    set: { [k("frontDoor")]: "apiGateway" },
  },
];

/** Counts each stack reports at the end (the issue's closing note). */
const tally: string[] = [];

function listOf(config: Record<string, string>, key: string): string[] {
  const value = withProjectDefaults(config)[k(key)];
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

describe("aws rules: each stack against AWS's own data", function () {
  after(() => {
    if (tally.length)
      console.log(`\n      AWS-rule checks per stack:\n${tally.map((t) => `        ${t}`).join("\n")}`);
  });

  it("AWS's full API models (enums, ranges, patterns) are installed", function () {
    const missing = constraintModelsMissing();
    if (missing) this.skip();
  });

  for (const c of CASES) {
    describe(c.title, function () {
      const config = { ...loadStackConfig(c.stack), ...c.set };
      let run: ProgramRun;
      const counts = {
        taskDefinitions: 0,
        ecsServices: 0,
        cloudMapServices: 0,
        namespaces: 0,
        iamPairs: 0,
        calls: 0,
        allowed: 0,
      };

      before(async function () {
        run = await runProgram(config, c.stack);
        if (run.error) throw run.error;
      });
      after(() => {
        tally.push(
          `${c.title}: ${counts.taskDefinitions} task definitions, ${counts.ecsServices} ECS services, ${counts.cloudMapServices} Cloud Map services, ` +
            `${counts.namespaces} namespace(s) valid; ${counts.iamPairs} IAM action/resource pairs checked; ${counts.allowed}/${counts.calls} calls allowed`,
        );
      });

      it("every task definition (container definitions included) is a valid RegisterTaskDefinition", () => {
        const tds = run.resources.filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition");
        assert.ok(tds.length >= 2);
        for (const td of tds) assert.deepStrictEqual(checkTaskDefinition(td.inputs), [], td.name);
        counts.taskDefinitions = tds.length;
      });

      it("every Cloud Map service and namespace is a valid CreateService / CreatePrivateDnsNamespace, custom health included", () => {
        const services = run.resources.filter((r) => r.type === "aws:servicediscovery/service:Service");
        const namespaces = run.resources.filter(
          (r) => r.type === "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
        );
        for (const s of services) assert.deepStrictEqual(checkCloudMapService(s.inputs), [], s.name);
        for (const n of namespaces) assert.deepStrictEqual(checkPrivateDnsNamespace(n.inputs), [], n.name);
        counts.cloudMapServices = services.length;
        counts.namespaces = namespaces.length;
      });

      it("every ECS service is a valid CreateService; registries carry the port SRV needs", () => {
        const cloudMap = new Map(
          run.resources
            .filter((r) => r.type === "aws:servicediscovery/service:Service")
            .map((r) => [r.state.arn, r.inputs]),
        );
        const services = run.resources.filter((r) => r.type === "aws:ecs/service:Service");
        for (const s of services) {
          const registry = s.inputs.serviceRegistries as { registryArn?: string } | undefined;
          assert.deepStrictEqual(
            checkEcsService(s.inputs, registry ? cloudMap.get(registry.registryArn) : undefined),
            [],
            s.name,
          );
        }
        counts.ecsServices = services.length;
      });

      it("Service Connect and the API Gateway front door: valid requests, one alias on a named port, a VPC Link into SRV records", () => {
        const cloudMap = new Map(
          run.resources
            .filter((r) => r.type === "aws:servicediscovery/service:Service")
            .map((r) => [r.state.arn, r.inputs]),
        );
        const taskDefinitions = new Map(
          run.resources
            .filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")
            .map((r) => [r.state.arn, r.inputs]),
        );
        const of = (type: string) => run.resources.filter((r) => r.type === type);
        const findings: string[] = [];
        for (const s of of("aws:ecs/service:Service"))
          findings.push(
            ...checkServiceConnect(s.inputs, taskDefinitions.get(s.inputs.taskDefinition)).map(
              (f) => `${s.name}: ${f}`,
            ),
          );
        for (const a of of("aws:apigatewayv2/api:Api")) findings.push(...checkHttpApi(a.inputs));
        for (const l of of("aws:apigatewayv2/vpcLink:VpcLink")) findings.push(...checkVpcLink(l.inputs));
        for (const i of of("aws:apigatewayv2/integration:Integration"))
          findings.push(...checkIntegration(i.inputs, cloudMap.get(i.inputs.integrationUri)));
        for (const r of of("aws:apigatewayv2/route:Route")) findings.push(...checkRoute(r.inputs));
        for (const st of of("aws:apigatewayv2/stage:Stage")) findings.push(...checkStage(st.inputs));
        assert.deepStrictEqual(findings, []);
        const door = config[k("frontDoor")] ?? "alb";
        assert.strictEqual(
          of("aws:apigatewayv2/integration:Integration").length,
          door === "apiGateway" ? 1 : 0,
        );
      });

      it("every IAM action exists and every resource fits a resource type of its action (Service Authorization data)", async () => {
        const findings: string[] = [];
        for (const p of run.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")) {
          const result = await iamFindings(JSON.parse(String(p.inputs.policy)) as PolicyDocument, p.name);
          findings.push(...result.findings);
          counts.iamPairs += result.pairs;
        }
        for (const a of run.resources.filter(
          (r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        )) {
          const managed = managedPolicy(String(a.inputs.policyArn));
          const result = await iamFindings(managed.document, managed.name, { awsManaged: true });
          findings.push(...result.findings);
          counts.iamPairs += result.pairs;
        }
        assert.deepStrictEqual(findings, []);
      });

      it("every workload call is allowed by the role it runs as (ECS agent, ECS Exec, consul-aws)", async () => {
        const roles = rolesOf(run);
        const workloads: Workload[] = [
          ...executionRoleCalls(run, {
            region: config["aws:region"],
            secretsKmsKeyArn: config[k("secretsKmsKeyArn")],
          }),
          ...ecsExecCalls(run),
          ...consulAwsCalls(
            run,
            listOf(config, "consulKnownServices"),
            config[k("consulSyncPrefixInCloudMap")] ?? "",
          ),
        ];
        const denied: string[] = [];
        for (const w of workloads) {
          const role = roles.get(w.role);
          assert.ok(role, `no role ${w.role} in the graph`);
          const outcomes = await simulateCalls(role, w.calls);
          denied.push(...denials(role, outcomes));
          counts.calls += outcomes.length;
          counts.allowed += outcomes.filter((o) => o.allowed).length;
        }
        assert.deepStrictEqual(denied, []);
        assert.ok(counts.calls > 0);
      });

      it("the namespace cleanup's own policy (the deployer's): valid actions and resources, and every call the cleanup makes allowed", async function () {
        const cleanup = run.resources.find(
          (r) => r.type === "pulumi-nodejs:dynamic/namespaceCleanup:NamespaceCleanup",
        );
        if (!cleanup) {
          assert.strictEqual(config[k("consulMode")], "off", "only a stack without sync has no cleanup");
          return;
        }
        const [ns] = run.resources.filter(
          (r) => r.type === "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
        );
        const document = namespaceCleanupPolicy({
          namespaceArn: String(ns.state.arn),
          hostedZoneId: String(ns.state.hostedZone),
        });
        const checked = await iamFindings(document, "namespace-cleanup");
        assert.deepStrictEqual(checked.findings, []);
        counts.iamPairs += checked.pairs;
        const deployer = {
          name: "deployer",
          account: "123456789012",
          policies: [{ name: "namespace-cleanup", document: document as PolicyDocument }],
        };
        const outcomes = await simulateCalls(deployer, namespaceCleanupCalls(run));
        assert.deepStrictEqual(denials(deployer, outcomes), []);
        counts.calls += outcomes.length;
        counts.allowed += outcomes.filter((o) => o.allowed).length;
      });
    });
  }
});
