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
    servicesArnPattern,
} from "../../components/policies";

const NAMESPACE_ARN = "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abc123";

describe("infra policies", () => {
    it("consul-aws gets exactly the documented Cloud Map and Route 53 actions, each once", () => {
        const doc = consulAwsTaskPolicy({ namespaceArn: NAMESPACE_ARN, hostedZoneId: "Z1" });
        const actions = actionsOf(doc);
        assert.deepStrictEqual([...actions].sort(), [...CONSUL_AWS_ACTIONS].sort());
        assert.strictEqual(new Set(actions).size, actions.length);
        assert.strictEqual(CONSUL_AWS_ACTIONS.length, 15);
    });

    it("consul-aws resources: namespace, services, its hosted zone; * only where IAM has no resource type", () => {
        const doc = consulAwsTaskPolicy({ namespaceArn: NAMESPACE_ARN, hostedZoneId: "Z1" });
        const resourceOf = (action: string) => doc.Statement.find((s) => s.Action.includes(action))?.Resource;
        const services = "arn:aws:servicediscovery:eu-west-1:123456789012:service/*";
        assert.strictEqual(resourceOf("servicediscovery:GetNamespace"), NAMESPACE_ARN);
        // CreateService and DiscoverInstances require both resource types: the namespace and a service.
        assert.deepStrictEqual(resourceOf("servicediscovery:CreateService"), [NAMESPACE_ARN, services]);
        assert.deepStrictEqual(resourceOf("servicediscovery:DiscoverInstances"), [NAMESPACE_ARN, services]);
        assert.strictEqual(resourceOf("servicediscovery:RegisterInstance"), "arn:aws:servicediscovery:eu-west-1:123456789012:service/*");
        assert.strictEqual(resourceOf("route53:ChangeResourceRecordSets"), "arn:aws:route53:::hostedzone/Z1");
        assert.strictEqual(resourceOf("route53:DeleteHealthCheck"), "arn:aws:route53:::healthcheck/*");
        const star = doc.Statement.filter((s) => s.Resource === "*");
        assert.deepStrictEqual(star.flatMap((s) => s.Action).sort(), [
            "route53:CreateHealthCheck",
            "route53:ListHostedZonesByName",
            "servicediscovery:ListServices",
        ]);
        // consul-aws sends the namespace's HttpName, which differs from its name when the name was reused.
        assert.ok(doc.Statement.every((s) => s.Condition === undefined), "no condition on the namespace name");
    });

    it("derives the services pattern from the namespace ARN, in any partition", () => {
        assert.strictEqual(servicesArnPattern("arn:aws-cn:servicediscovery:cn-north-1:123456789012:namespace/ns-1"), "arn:aws-cn:servicediscovery:cn-north-1:123456789012:service/*");
        assert.throws(() => servicesArnPattern("arn:aws:iam::123456789012:role/x"), /not a Cloud Map namespace ARN/);
    });

    it("execution role reads only the given secrets, decrypts only via Secrets Manager, and gets nothing when there are none", () => {
        assert.strictEqual(executionSecretsPolicy({ secretArns: [], region: "eu-west-1" }), undefined);
        const plain = executionSecretsPolicy({ secretArns: ["arn:aws:secretsmanager:eu-west-1:1:secret:a"], region: "eu-west-1" });
        assert.deepStrictEqual(plain?.Statement.map((s) => [s.Action, s.Resource]), [[["secretsmanager:GetSecretValue"], ["arn:aws:secretsmanager:eu-west-1:1:secret:a"]]]);
        const withKey = executionSecretsPolicy({ secretArns: ["s"], kmsKeyArn: "arn:aws:kms:eu-west-1:1:key/k", region: "eu-west-1" });
        assert.deepStrictEqual(withKey?.Statement[1].Condition, { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } });
    });

    it("ECS Exec: the four ssmmessages actions; trust: ecs-tasks only; managed policy in the region's partition", () => {
        assert.deepStrictEqual(actionsOf(ecsExecTaskPolicy()).sort(), [
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ]);
        assert.deepStrictEqual(ecsTasksTrustPolicy().Statement[0].Principal, { Service: "ecs-tasks.amazonaws.com" });
        // IAM refuses a trust policy with a Resource element.
        for (const statement of ecsTasksTrustPolicy().Statement) assert.ok(!("Resource" in statement), "trust statements have no Resource");
        assert.strictEqual(managedExecutionPolicyArn("us-gov-west-1"), "arn:aws-us-gov:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy");
    });
});
