/**
 * How far consul-aws's task role reaches, simulated against its real policy document with AWS's
 * IAM data (@cloud-copilot/iam-simulate): every call consul-aws makes (catalog/aws.go) is allowed;
 * calls on anything that is not its own are denied wherever AWS lets a policy tell them apart —
 * another namespace, this stack's own services, another stack's services, another hosted zone.
 * What AWS cannot tell apart (an untagged service in another namespace) is asserted as the
 * remaining risk docs/deploy.md documents, so that statement cannot go stale silently.
 */
import * as assert from "assert";
import { loadStackConfig, ProgramRun, runProgram } from "../infra/harness";
import { Call, RoleUnderTest, simulateCalls } from "./rules/iam";
import { consulAwsCalls, resourceTagContext, rolesOf } from "./rules/workloads";
import { RESOURCE_TYPES as TYPES } from "../../policy/resource-types";
import { CONSUL_AWS_PERMISSIONS } from "../../packages/ecs-cloudmap-consul/shared/policies";

const ACCOUNT = "123456789012";
const OTHER_NAMESPACE = `arn:aws:servicediscovery:eu-west-1:${ACCOUNT}:namespace/ns-otherteam0001`;
const OTHER_SERVICE = `arn:aws:servicediscovery:eu-west-1:${ACCOUNT}:service/srv-otherteam0001`;
const OTHER_STACK_TAGS = {
  "aws:ResourceTag/project": "ecs-cloudmap-consul",
  "aws:ResourceTag/stack": "prod",
  "aws:ResourceTag/component": "hello",
};
const WRITES = [
  "servicediscovery:RegisterInstance",
  "servicediscovery:DeregisterInstance",
  "servicediscovery:DeleteService",
];

describe("aws rules: consul-aws's Cloud Map rights stop at what is its own", function () {
  this.timeout(60_000);
  let run: ProgramRun;
  let role: RoleUnderTest;

  before(async function () {
    run = await runProgram(loadStackConfig("dev"), "dev");
    if (run.error) throw run.error;
    const [workload] = consulAwsCalls(run, ["consul"]);
    const found = rolesOf(run).get(workload.role);
    assert.ok(found, "consul-aws's task role");
    role = found;
  });

  const outcome = async (calls: Call[]) =>
    (await simulateCalls(role, calls)).map((o) => `${o.call.why}: ${o.call.action} -> ${o.result}`);

  it("every call consul-aws makes is allowed (reads of every service, writes of its own)", async () => {
    const [workload] = consulAwsCalls(run, ["consul", "payments"]);
    const results = await simulateCalls(role, workload.calls);
    assert.deepStrictEqual(
      results.filter((o) => !o.allowed).map((o) => `${o.call.why}: ${o.call.action} -> ${o.result}`),
      [],
    );
  });

  it("the permission table (CONSUL_AWS_PERMISSIONS) is exactly what the calls need: no permission without a call, no call without a permission", () => {
    const [workload] = consulAwsCalls(run, ["consul", "payments"]);
    const called = new Set(workload.calls.map((c) => c.action));
    const table = CONSUL_AWS_PERMISSIONS.map((p) => p.action);
    const granted = role.policies
      .flatMap((p) => [p.document.Statement].flat())
      .flatMap((statement) => [statement.Action].flat());
    assert.deepStrictEqual(
      table.filter((action) => !called.has(action)),
      [],
      "permissions no simulated call needs: remove them, or add the call that needs them (test/aws/rules/workloads.ts)",
    );
    assert.deepStrictEqual(
      [...called].filter((action) => !table.includes(action)),
      [],
      "calls no row of CONSUL_AWS_PERMISSIONS grants",
    );
    assert.deepStrictEqual(
      [...granted].sort(),
      [...table].sort(),
      "the role grants the table's actions, each once",
    );
  });

  it("denied: another namespace, this stack's own services, another stack's services, another zone", async () => {
    const services = run.resources.filter((r) => r.type === TYPES.cloudMapService);
    const hello = services.find((s) => s.name === "hello-discovery");
    assert.ok(hello, services.map((s) => s.name).join(", "));
    const helloArn = String(hello.state.arn);
    const calls: Call[] = [
      { why: "read another namespace", action: "servicediscovery:GetNamespace", resource: OTHER_NAMESPACE },
      {
        why: "create a service in another namespace",
        action: "servicediscovery:CreateService",
        resource: OTHER_NAMESPACE,
      },
      {
        why: "discover in another namespace",
        action: "servicediscovery:DiscoverInstances",
        resource: OTHER_NAMESPACE,
        context: { "servicediscovery:NamespaceName": "other", "servicediscovery:ServiceName": "x" },
      },
      ...WRITES.map((action) => ({
        why: "write this stack's hello (ECS registers it, not consul-aws)",
        action,
        resource: helloArn,
        context: resourceTagContext(hello),
      })),
      ...WRITES.map((action) => ({
        why: "write another stack's service",
        action,
        resource: OTHER_SERVICE,
        context: OTHER_STACK_TAGS,
      })),
      {
        why: "read another stack's health",
        action: "servicediscovery:GetInstancesHealthStatus",
        resource: OTHER_SERVICE,
        context: OTHER_STACK_TAGS,
      },
      {
        why: "change records of another zone",
        action: "route53:ChangeResourceRecordSets",
        resource: "arn:aws:route53:::hostedzone/ZOTHERZONE01",
      },
    ];
    const results = await outcome(calls);
    assert.deepStrictEqual(
      results.filter((r) => !r.endsWith("-> ImplicitlyDenied")),
      [],
      "each of these must be denied",
    );
    assert.strictEqual(results.length, 11);
  });

  it("the remaining risk: an untagged service in another namespace is writable (AWS has no namespace key for these actions)", async () => {
    const results = await outcome(
      WRITES.map((action) => ({
        why: "write an untagged service elsewhere",
        action,
        resource: OTHER_SERVICE,
      })),
    );
    assert.deepStrictEqual(
      results,
      WRITES.map((action) => `write an untagged service elsewhere: ${action} -> Allowed`),
      "if AWS ever denies these, narrow the risk statement in docs/deploy.md",
    );
  });
});
