/**
 * The destroy-time Lambda functions (runner `lambda`) held to AWS's data: each function's role, as the
 * components register it under mocks, is valid against AWS's IAM data, allows every call its code
 * makes and its own log writes, and nothing like them elsewhere; the permission tables
 * (NAMESPACE_CLEANUP_PERMISSIONS, CONSUL_DEREGISTRATION_PERMISSIONS) are exactly what the code
 * sends; and the function and the invocation are requests Lambda's API model accepts.
 */
import * as assert from "assert";
import * as sd from "@aws-sdk/client-servicediscovery";
import { ConsulCatalogCheck, Namespace } from "ecs-cloudmap-consul";
import { deleteImportedServices } from "../../packages/ecs-cloudmap-consul/network/namespace-cleanup";
import {
  CONSUL_DEREGISTRATION_PERMISSIONS,
  lambdaLogsPolicy,
  NAMESPACE_CLEANUP_PERMISSIONS,
} from "../../packages/ecs-cloudmap-consul/shared/policies";
import { ProgramRun, RecordedResource, runMocked } from "../infra/harness";
import { validateCurrentModel } from "./rules/api-models";
import { Call, denials, iamFindings, PolicyDocument, RoleUnderTest, simulateCalls } from "./rules/iam";
import { deregistrationActions, recordingClient } from "./rules/sent-calls";
import { namespaceCleanupCalls } from "./rules/workloads";

const ACCOUNT = "123456789012";
const EXECUTION_ROLE = `arn:aws:iam::${ACCOUNT}:role/platform-task-execution`;
const CLUSTER = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/platform`;

/** What the AWS provider's LogGroup reports as `arn` (no `:*`), for the log group named `name`. */
const logGroupArn = (name: string) => `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${name}`;

function find(run: ProgramRun, type: string, name: string): RecordedResource {
  const found = run.resources.find((r) => r.type === type && r.name === name);
  assert.ok(found, `${type} ${name}`);
  return found;
}

/**
 * The mocks' ARNs of the deregistration's task definition and task role carry no resource path; the
 * ARNs AWS gives them (`task-definition/<family>:<revision>`, `role/<name>`) stand in for them here.
 */
function realArns(run: ProgramRun): Map<string, string> {
  const real = new Map<string, string>();
  for (const r of run.resources) {
    if (r.type === "aws:ecs/taskDefinition:TaskDefinition")
      real.set(String(r.state.arn), `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/${r.name}:1`);
    if (r.type === "aws:iam/role:Role")
      real.set(String(r.state.arn), `arn:aws:iam::${ACCOUNT}:role/${r.name}`);
  }
  return real;
}

/** `text` with every mock ARN of `arns` replaced by its real-format ARN. */
function withRealArns(text: string, arns: Map<string, string>): string {
  let out = text;
  for (const [mock, real] of arns) out = out.split(mock).join(real);
  return out;
}

/** The function's role as the simulator takes it: its inline policies, the logs one with a real log-group ARN. */
function functionRole(run: ProgramRun, prefix: string): RoleUnderTest {
  const logGroup = find(run, "aws:cloudwatch/logGroup:LogGroup", `${prefix}-fn-logs`);
  const calls = find(run, "aws:iam/rolePolicy:RolePolicy", `${prefix}-fn-calls`);
  // The mocks' ARNs are not log-group ARNs: the logs policy is rebuilt from the group's real name.
  const logs = lambdaLogsPolicy(logGroupArn(String(logGroup.inputs.name)));
  return {
    name: `${prefix}-fn-role`,
    account: ACCOUNT,
    policies: [
      { name: "logs", document: logs },
      {
        name: "calls",
        document: JSON.parse(withRealArns(String(calls.inputs.policy), realArns(run))) as PolicyDocument,
      },
    ],
  };
}

/** The log writes every function makes, and the same in another group (denied). */
function logCalls(run: ProgramRun, prefix: string): { own: Call[]; other: Call[] } {
  const group = String(find(run, "aws:cloudwatch/logGroup:LogGroup", `${prefix}-fn-logs`).inputs.name);
  const stream = (g: string) => `${logGroupArn(g)}:log-stream:2026/12/05/[$LATEST]0123456789abcdef`;
  const why = "Lambda writes the function's log";
  const of = (g: string): Call[] => [
    { why, action: "logs:CreateLogStream", resource: stream(g) },
    { why, action: "logs:PutLogEvents", resource: stream(g) },
  ];
  return { own: of(group), other: of("/aws/lambda/someone-else") };
}

describe("aws: the destroy-time Lambda functions' roles and requests", function () {
  this.timeout(60_000);
  let cleanup: ProgramRun;
  let deregistration: ProgramRun;

  before(async () => {
    cleanup = await runMocked(() => {
      new Namespace("discovery", { vpcId: "vpc-1", cleanupOnDelete: { region: "eu-west-1" } });
      return {};
    });
    if (cleanup.error) throw cleanup.error;
    deregistration = await runMocked(() => {
      new ConsulCatalogCheck("consul-check", {
        vpcId: "vpc-1",
        executionRoleArn: EXECUTION_ROLE,
        image: "public.ecr.aws/hashicorp/consul:1.20.1",
        consulHttpAddr: "https://consul.corp.example:8501",
        tokenSecretArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:consul-token-AbCdEf`,
        services: ["aws-web"],
        logRetentionDays: 30,
        region: "eu-west-1",
        consulCidr: "10.60.0.0/16",
        consulPort: 8501,
        deregisterOnDelete: { enabled: true, clusterArn: CLUSTER, subnetIds: ["subnet-a"], after: [] },
      });
      return {};
    });
    if (deregistration.error) throw deregistration.error;
  });

  it("the cleanup's permission table is exactly its Cloud Map calls plus the Route 53 calls Cloud Map makes for it", async () => {
    const client = recordingClient(
      "servicediscovery",
      (action) =>
        ({
          ListServices: { Services: [{ Id: "srv-a", Name: "consul", Description: "Imported from Consul" }] },
          ListInstances: { Instances: [{ Id: "i-1" }] },
          DeregisterInstance: { OperationId: "op-1" },
          GetOperation: { Operation: { Id: "op-1", Status: "SUCCESS" } },
          DeleteService: {},
        })[action],
    );
    await deleteImportedServices(client, sd, "ns-1", { sleep: () => Promise.resolve() });
    const onBehalf = namespaceCleanupCalls(cleanup)
      .map((c) => c.action)
      .filter((a) => a.startsWith("route53:"));
    assert.deepStrictEqual(
      NAMESPACE_CLEANUP_PERMISSIONS.map((p) => p.action).sort(),
      [...client.sent, ...onBehalf].sort(),
    );
  });

  it("the deregistration's permission table is exactly its ECS calls plus passing the task's roles", async () => {
    const sent = await deregistrationActions({
      enabled: true,
      region: "eu-west-1",
      cluster: CLUSTER,
      taskDefinitionArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/dereg:1`,
      subnetIds: ["subnet-a"],
      securityGroupId: "sg-1",
      consulHttpAddr: "https://consul.corp.example:8501",
    });
    assert.deepStrictEqual(
      CONSUL_DEREGISTRATION_PERMISSIONS.map((p) => p.action).sort(),
      [...sent, "iam:PassRole"].sort(),
    );
  });

  for (const [label, prefix, run] of [
    ["cleanup", "discovery-cleanup", () => cleanup],
    ["deregistration", "consul-check-deregistration", () => deregistration],
  ] as const) {
    it(`the ${label} function's role is valid against AWS's IAM data, and its trust names Lambda only`, async () => {
      const role = functionRole(run(), prefix);
      for (const policy of role.policies) {
        const checked = await iamFindings(policy.document, `${prefix} ${policy.name}`);
        assert.deepStrictEqual(checked.findings, []);
      }
      const trust = JSON.parse(
        String(find(run(), "aws:iam/role:Role", `${prefix}-fn-role`).inputs.assumeRolePolicy),
      ) as { Statement: { Principal: unknown; Action: string[] }[] };
      assert.deepStrictEqual(trust.Statement, [
        {
          Sid: "LambdaAssume",
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: ["sts:AssumeRole"],
        },
      ]);
    });
  }

  it("the cleanup function may make every call the cleanup makes and write its own log; not another group's, nor create one", async () => {
    const role = functionRole(cleanup, "discovery-cleanup");
    const logs = logCalls(cleanup, "discovery-cleanup");
    const allowed = [...namespaceCleanupCalls(cleanup), ...logs.own];
    assert.deepStrictEqual(denials(role, await simulateCalls(role, allowed)), []);
    const refused: Call[] = [
      ...logs.other,
      {
        why: "a log group without retention",
        action: "logs:CreateLogGroup",
        resource: logGroupArn("/aws/lambda/x"),
      },
      {
        why: "a service in another account",
        action: "servicediscovery:DeleteService",
        resource: "arn:aws:servicediscovery:eu-west-1:210987654321:service/srv-other",
      },
      {
        why: "a service in another region",
        action: "servicediscovery:DeleteService",
        resource: `arn:aws:servicediscovery:us-east-1:${ACCOUNT}:service/srv-other`,
      },
      {
        why: "another namespace's operations",
        action: "servicediscovery:GetOperation",
        resource: `arn:aws:servicediscovery:eu-west-1:${ACCOUNT}:namespace/ns-other`,
      },
    ];
    const outcomes = await simulateCalls(role, refused);
    assert.deepStrictEqual(
      outcomes.filter((o) => o.allowed).map((o) => o.call.why),
      [],
    );
  });

  it("the deregistration function may start only its task, in its cluster, passing only its roles to ECS", async () => {
    const role = functionRole(deregistration, "consul-check-deregistration");
    const real = realArns(deregistration);
    const taskDefinition = withRealArns(
      String(
        find(deregistration, "aws:ecs/taskDefinition:TaskDefinition", "consul-check-deregister-task").state
          .arn,
      ),
      real,
    );
    const taskRole = withRealArns(
      String(find(deregistration, "aws:iam/role:Role", "consul-check-deregister-task-role").state.arn),
      real,
    );
    assert.ok(taskDefinition.includes(":task-definition/") && taskRole.includes(":role/"));
    const why = "destroy: deregister consul-aws from the external Consul";
    const onCluster = { "ecs:cluster": CLUSTER };
    const toEcs = { "iam:PassedToService": "ecs-tasks.amazonaws.com" };
    const allowed: Call[] = [
      { why, action: "ecs:RunTask", resource: taskDefinition, context: onCluster },
      {
        why,
        action: "ecs:DescribeTasks",
        resource: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/platform/0123456789abcdef`,
        context: onCluster,
      },
      ...[EXECUTION_ROLE, taskRole].map((r) => ({
        why,
        action: "iam:PassRole",
        resource: r,
        context: toEcs,
      })),
      ...logCalls(deregistration, "consul-check-deregistration").own,
    ];
    assert.deepStrictEqual(denials(role, await simulateCalls(role, allowed)), []);
    const refused: Call[] = [
      {
        why: "another cluster",
        action: "ecs:RunTask",
        resource: taskDefinition,
        context: { "ecs:cluster": CLUSTER.replace(/platform$/, "other") },
      },
      {
        why: "an admin role",
        action: "iam:PassRole",
        resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
        context: toEcs,
      },
      {
        why: "its roles passed to Lambda",
        action: "iam:PassRole",
        resource: taskRole,
        context: { "iam:PassedToService": "lambda.amazonaws.com" },
      },
    ];
    const outcomes = await simulateCalls(role, refused);
    assert.deepStrictEqual(
      outcomes.filter((o) => o.allowed).map((o) => o.call.why),
      [],
    );
  });

  for (const [label, prefix, run] of [
    ["cleanup", "discovery-cleanup", () => cleanup],
    ["deregistration", "consul-check-deregistration", () => deregistration],
  ] as const) {
    it(`the ${label} function is a CreateFunction and its invocation an Invoke that Lambda's API model accepts`, () => {
      const fn = find(run(), "aws:lambda/function:Function", `${prefix}-fn`);
      const logging = fn.inputs.loggingConfig as { logFormat: string; logGroup: string };
      const create = {
        FunctionName: String(fn.state.name),
        Runtime: fn.inputs.runtime,
        Role: fn.inputs.role,
        Handler: fn.inputs.handler,
        Code: { ZipFile: Buffer.from("zip") },
        Description: fn.inputs.description,
        Timeout: fn.inputs.timeout,
        MemorySize: fn.inputs.memorySize,
        LoggingConfig: { LogFormat: logging.logFormat, LogGroup: logging.logGroup },
        Tags: fn.inputs.tags,
      };
      assert.deepStrictEqual(validateCurrentModel("lambda-2015-03-31", "CreateFunction", create), []);
      // Lambda's documented limits the model's minified form does not carry: 1-900 s, 128-10240 MB.
      assert.ok(Number(create.Timeout) >= 1 && Number(create.Timeout) <= 900);
      assert.ok(Number(create.MemorySize) >= 128 && Number(create.MemorySize) <= 10240);
      const invocation = find(run(), "aws:lambda/invocation:Invocation", prefix);
      const payload = {
        ...(JSON.parse(String(invocation.inputs.input)) as object),
        tf: { action: "delete", prev_input: null },
      };
      assert.deepStrictEqual(
        validateCurrentModel("lambda-2015-03-31", "Invoke", {
          FunctionName: invocation.inputs.functionName,
          InvocationType: "RequestResponse",
          Payload: JSON.stringify(payload),
        }),
        [],
      );
      // A request the model refuses, so the check above can fail.
      assert.notDeepStrictEqual(
        validateCurrentModel("lambda-2015-03-31", "CreateFunction", { Runtime: 1 }),
        [],
      );
    });
  }
});
