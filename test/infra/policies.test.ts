/** IAM policy builders, called directly. */
import * as assert from "assert";
import {
  actionsOf,
  consulAwsTaskPolicy,
  CONSUL_AWS_ACTIONS,
  ecsExecTaskPolicy,
  ecsTasksTrustPolicy,
  executionSecretsPolicy,
  managedExecutionPolicyArn,
  partitionOf,
  servicesArnPattern,
} from "../../packages/ecs-cloudmap-consul/shared/policies";

const NAMESPACE_ARN = "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abc123";
const OWN_TAGS = { project: "ecs-cloudmap-consul", stack: "dev" };

describe("infra policies", () => {
  it("consul-aws gets exactly the documented Cloud Map and Route 53 actions, each once", () => {
    const doc = consulAwsTaskPolicy({ namespaceArn: NAMESPACE_ARN, hostedZoneId: "Z1", ownTags: OWN_TAGS });
    const actions = actionsOf(doc);
    assert.deepStrictEqual([...actions].sort(), [...CONSUL_AWS_ACTIONS].sort());
    assert.strictEqual(new Set(actions).size, actions.length);
    assert.strictEqual(CONSUL_AWS_ACTIONS.length, 15);
  });

  it("consul-aws resources: namespace, services, its hosted zone; * only where IAM has no resource type", () => {
    const doc = consulAwsTaskPolicy({ namespaceArn: NAMESPACE_ARN, hostedZoneId: "Z1", ownTags: OWN_TAGS });
    const resourceOf = (action: string) => doc.Statement.find((s) => s.Action.includes(action))?.Resource;
    const services = "arn:aws:servicediscovery:eu-west-1:123456789012:service/*";
    assert.strictEqual(resourceOf("servicediscovery:GetNamespace"), NAMESPACE_ARN);
    // CreateService and DiscoverInstances require both resource types: the namespace and a service.
    assert.deepStrictEqual(resourceOf("servicediscovery:CreateService"), [NAMESPACE_ARN, services]);
    assert.deepStrictEqual(resourceOf("servicediscovery:DiscoverInstances"), [NAMESPACE_ARN, services]);
    assert.strictEqual(
      resourceOf("servicediscovery:RegisterInstance"),
      "arn:aws:servicediscovery:eu-west-1:123456789012:service/*",
    );
    assert.strictEqual(resourceOf("route53:ChangeResourceRecordSets"), "arn:aws:route53:::hostedzone/Z1");
    assert.strictEqual(resourceOf("route53:DeleteHealthCheck"), "arn:aws:route53:::healthcheck/*");
    const star = doc.Statement.filter((s) => s.Resource === "*");
    assert.deepStrictEqual(star.flatMap((s) => s.Action).sort(), [
      "route53:CreateHealthCheck",
      "route53:ListHostedZonesByName",
      "servicediscovery:ListServices",
    ]);
    // consul-aws sends the namespace's HttpName, which differs from its name when the name was reused:
    // no condition on the namespace name. The service-level actions are told apart by the services' tags.
    assert.deepStrictEqual(
      doc.Statement.filter((s) => s.Condition !== undefined).map((s) => [s.Sid, s.Condition]),
      [
        [
          "ReadHealthOfThisStacksServices",
          {
            StringEqualsIfExists: {
              "aws:ResourceTag/project": "ecs-cloudmap-consul",
              "aws:ResourceTag/stack": "dev",
            },
          },
        ],
        [
          "WriteOnlyUntaggedServices",
          {
            Null: {
              "aws:ResourceTag/project": "true",
              "aws:ResourceTag/stack": "true",
              "aws:ResourceTag/component": "true",
            },
          },
        ],
      ],
    );
  });

  it("derives the services pattern from the namespace ARN, in any partition", () => {
    assert.strictEqual(
      servicesArnPattern("arn:aws-cn:servicediscovery:cn-north-1:123456789012:namespace/ns-1"),
      "arn:aws-cn:servicediscovery:cn-north-1:123456789012:service/*",
    );
    assert.throws(
      () => servicesArnPattern("arn:aws:iam::123456789012:role/x"),
      /not a Cloud Map namespace ARN/,
    );
  });

  it("execution role reads only the given secrets, decrypts only via Secrets Manager, and gets nothing when there are none", () => {
    assert.strictEqual(executionSecretsPolicy({ secretArns: [], region: "eu-west-1" }), undefined);
    const plain = executionSecretsPolicy({
      secretArns: ["arn:aws:secretsmanager:eu-west-1:1:secret:a"],
      region: "eu-west-1",
    });
    assert.deepStrictEqual(
      plain?.Statement.map((s) => [s.Action, s.Resource]),
      [[["secretsmanager:GetSecretValue"], ["arn:aws:secretsmanager:eu-west-1:1:secret:a"]]],
    );
    const withKey = executionSecretsPolicy({
      secretArns: ["s"],
      kmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k",
      region: "eu-west-1",
    });
    assert.deepStrictEqual(withKey?.Statement[1].Condition, {
      StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" },
    });
  });

  it("ECS Exec: the four ssmmessages actions; trust: ecs-tasks only; managed policy in the region's partition", () => {
    assert.deepStrictEqual(actionsOf(ecsExecTaskPolicy()).sort(), [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]);
    assert.deepStrictEqual(ecsTasksTrustPolicy().Statement[0].Principal, {
      Service: "ecs-tasks.amazonaws.com",
    });
    // IAM refuses a trust policy with a Resource element.
    for (const statement of ecsTasksTrustPolicy().Statement)
      assert.ok(!("Resource" in statement), "trust statements have no Resource");
    assert.strictEqual(
      managedExecutionPolicyArn("us-gov-west-1"),
      "arn:aws-us-gov:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    );
  });
});

describe("infra policies: partitions and exact documents", () => {
  it("partition of a region: China and GovCloud apart, the rest aws", () => {
    assert.strictEqual(partitionOf("cn-northwest-1"), "aws-cn");
    assert.strictEqual(partitionOf("us-gov-east-1"), "aws-us-gov");
    assert.strictEqual(partitionOf("us-east-1"), "aws");
    assert.strictEqual(partitionOf("eu-central-1"), "aws");
    assert.strictEqual(
      managedExecutionPolicyArn("cn-north-1"),
      "arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    );
    assert.strictEqual(
      managedExecutionPolicyArn("eu-west-1"),
      "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    );
  });

  it("consul-aws in another partition: zone and health-check ARNs follow the namespace's partition", () => {
    const doc = consulAwsTaskPolicy({
      namespaceArn: "arn:aws-us-gov:servicediscovery:us-gov-west-1:123456789012:namespace/ns-1",
      hostedZoneId: "Z9",
      ownTags: OWN_TAGS,
    });
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    assert.deepStrictEqual(Object.keys(bySid), [
      "Namespace",
      "NamespaceAndServices",
      "ReadHealthOfThisStacksServices",
      "WriteOnlyUntaggedServices",
      "NoResourceLevel",
      "NamespaceHostedZone",
      "HealthChecks",
    ]);
    assert.strictEqual(bySid.NamespaceHostedZone.Resource, "arn:aws-us-gov:route53:::hostedzone/Z9");
    assert.strictEqual(bySid.HealthChecks.Resource, "arn:aws-us-gov:route53:::healthcheck/*");
    assert.strictEqual(doc.Version, "2012-10-17");
    assert.ok(doc.Statement.every((s) => s.Effect === "Allow"));
  });

  it("the services pattern needs a whole namespace ARN", () => {
    for (const bad of [
      "x" + NAMESPACE_ARN,
      NAMESPACE_ARN + "/x",
      "arn:aws:servicediscovery:eu-west-1:12345678901:namespace/ns-1",
      "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-1",
      "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/",
    ]) {
      assert.throws(
        () => servicesArnPattern(bad),
        new RegExp(`^Error: not a Cloud Map namespace ARN: `),
        bad,
      );
    }
  });

  it("execution secrets policy: the exact statements, the ARNs copied", () => {
    const arns = [
      "arn:aws:secretsmanager:eu-west-1:1:secret:a",
      "arn:aws:secretsmanager:eu-west-1:1:secret:b",
    ];
    const doc = executionSecretsPolicy({
      secretArns: arns,
      kmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k",
      region: "eu-west-1",
    });
    assert.deepStrictEqual(doc, {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadConfiguredSecrets",
          Effect: "Allow",
          Action: ["secretsmanager:GetSecretValue"],
          Resource: arns,
        },
        {
          Sid: "DecryptSecretsKey",
          Effect: "Allow",
          Action: ["kms:Decrypt"],
          Resource: "arn:aws:kms:eu-west-1:1:key/k",
          Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } },
        },
      ],
    });
    assert.notStrictEqual(doc?.Statement[0].Resource, arns, "a copy, not the caller's array");
    assert.strictEqual(
      executionSecretsPolicy({ secretArns: arns, kmsKeyArn: "", region: "eu-west-1" })?.Statement.length,
      1,
    );
  });

  it("ECS Exec and trust documents, exactly", () => {
    assert.deepStrictEqual(
      ecsExecTaskPolicy().Statement.map((s) => [s.Sid, s.Effect, s.Resource]),
      [["EcsExecChannels", "Allow", "*"]],
    );
    assert.strictEqual(ecsExecTaskPolicy().Version, "2012-10-17");
    assert.deepStrictEqual(ecsTasksTrustPolicy(), {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EcsTasksAssume",
          Effect: "Allow",
          Principal: { Service: "ecs-tasks.amazonaws.com" },
          Action: ["sts:AssumeRole"],
        },
      ],
    });
  });
});
