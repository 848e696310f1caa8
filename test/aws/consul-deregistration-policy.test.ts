// Whoever starts the deregistration task on destroy (packages/ecs-cloudmap-consul/consul/consul-deregistration.ts)
// — the identity running `pulumi destroy` with runner dynamicProvider, the Lambda function's role with runner
// lambda (test/aws/destroy-functions.test.ts) — gets consulDeregistrationPolicy. It is held to AWS's
// IAM data and simulated against the calls the code really sends: allowed for this stack's task in
// this stack's cluster, denied for another task definition, another cluster or another service's roles.
import * as assert from "assert";
import {
  actionsOf,
  consulDeregistrationPolicy,
  namespaceCleanupPolicy,
} from "../../packages/ecs-cloudmap-consul/shared/policies";
import { type Call, denials, iamFindings, type PolicyDocument, simulateCalls } from "./rules/iam";
import { deregistrationActions } from "./rules/sent-calls";

const ACCOUNT = "123456789012";
const CLUSTER = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/ecs-cloudmap-consul-prod`;
const TASK_DEFINITION = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/consul-check-deregister:3`;
const ROLES = [
  `arn:aws:iam::${ACCOUNT}:role/ecs-cloudmap-consul-prod-execution`,
  `arn:aws:iam::${ACCOUNT}:role/consul-check-deregister-task`,
];

const policy = consulDeregistrationPolicy({
  clusterArn: CLUSTER,
  taskDefinitionArn: TASK_DEFINITION,
  passRoleArns: ROLES,
});
const destroyer = {
  name: "destroyer",
  account: ACCOUNT,
  policies: [{ name: "consul-deregistration", document: policy as PolicyDocument }],
};

const TASK = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/ecs-cloudmap-consul-prod/0123456789abcdef0123456789abcdef`;

const onCluster = { "ecs:cluster": CLUSTER };
const toEcs = { "iam:PassedToService": "ecs-tasks.amazonaws.com" };

describe("aws: the destroying identity's rights for the Consul deregistration", function () {
  this.timeout(60_000);

  it("grants exactly the ECS calls the deregistration sends, plus passing its two roles", async () => {
    const ecsActions = actionsOf(policy)
      .filter((a) => a.startsWith("ecs:"))
      .sort();
    assert.deepStrictEqual(
      ecsActions,
      await deregistrationActions({
        enabled: true,
        region: "eu-west-1",
        cluster: CLUSTER,
        taskDefinitionArn: TASK_DEFINITION,
        subnetIds: ["subnet-1"],
        securityGroupId: "sg-1",
        consulHttpAddr: "https://consul.internal.corp:8501",
      }),
    );
    assert.deepStrictEqual(
      actionsOf(policy).filter((a) => !a.startsWith("ecs:")),
      ["iam:PassRole"],
    );
  });

  it("is valid against AWS's IAM data (actions, resource types, condition keys)", async () => {
    const checked = await iamFindings(policy, "consul-deregistration");
    assert.deepStrictEqual(checked.findings, []);
  });

  it("allows this stack's task in this stack's cluster, and nothing else like it", async () => {
    const why = "destroy: deregister consul-aws from the external Consul";
    const allowed: Call[] = [
      { why, action: "ecs:RunTask", resource: TASK_DEFINITION, context: onCluster },
      // A later revision of the same family (the stack updated it since).
      { why, action: "ecs:RunTask", resource: TASK_DEFINITION.replace(/:3$/, ":4"), context: onCluster },
      { why, action: "ecs:DescribeTasks", resource: TASK, context: onCluster },
      ...ROLES.map((role) => ({ why, action: "iam:PassRole", resource: role, context: toEcs })),
    ];
    assert.deepStrictEqual(denials(destroyer, await simulateCalls(destroyer, allowed)), []);

    const otherCluster = CLUSTER.replace(/prod$/, "dev");
    const refused: Call[] = [
      {
        why: "another task definition",
        action: "ecs:RunTask",
        resource: TASK_DEFINITION.replace("consul-check-deregister", "hello-task"),
        context: onCluster,
      },
      {
        why: "another cluster",
        action: "ecs:RunTask",
        resource: TASK_DEFINITION,
        context: { "ecs:cluster": otherCluster },
      },
      {
        why: "another role",
        action: "iam:PassRole",
        resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
        context: toEcs,
      },
      {
        why: "a role passed to another service",
        action: "iam:PassRole",
        resource: ROLES[1],
        context: { "iam:PassedToService": "lambda.amazonaws.com" },
      },
    ];
    const outcomes = await simulateCalls(destroyer, refused);
    assert.deepStrictEqual(
      outcomes.filter((o) => o.allowed).map((o) => o.call.why),
      [],
    );
  });

  it("the namespace cleanup's policy reads no secret: Consul is never called from the destroying machine", () => {
    const cleanup = namespaceCleanupPolicy({
      namespaceArn: `arn:aws:servicediscovery:eu-west-1:${ACCOUNT}:namespace/ns-abc123`,
      hostedZoneId: "Z0MOCK",
    });
    const all = [...actionsOf(cleanup), ...actionsOf(policy)];
    assert.deepStrictEqual(
      all.filter((a) => a.startsWith("secretsmanager:") || a.startsWith("kms:")),
      [],
    );
  });
});
