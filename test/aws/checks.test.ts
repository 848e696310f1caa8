/** The AWS-rule checks themselves bite: each reports what AWS would reject or deny. */
import * as assert from "assert";
import { constraintModelsMissing } from "./rules/api-models";
import { denials, iamFindings, managedPolicy, RoleUnderTest, simulateCalls } from "./rules/iam";
import {
  checkCloudMapService,
  checkEcsService,
  checkHttpApi,
  checkIntegration,
  checkServiceConnect,
  checkStage,
  checkTaskDefinition,
} from "./rules/resources";

const NS = "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abc";
const SERVICE = "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abc";
const taskDefinition = (container: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  family: "f",
  networkMode: "awsvpc",
  requiresCompatibilities: ["FARGATE"],
  cpu: "256",
  memory: "512",
  containerDefinitions: JSON.stringify([{ name: "app", image: "x@sha256:1", essential: true, ...container }]),
  ...extra,
});
const cloudMapService = (extra: Record<string, unknown> = {}) => ({
  name: "name",
  namespaceId: "ns-abc",
  dnsConfig: {
    namespaceId: "ns-abc",
    routingPolicy: "MULTIVALUE",
    dnsRecords: [
      { type: "A", ttl: 10 },
      { type: "SRV", ttl: 10 },
    ],
  },
  healthCheckCustomConfig: { failureThreshold: 1 },
  ...extra,
});

describe("aws rules: the checks report AWS's reasons", function () {
  it("API model: a good task definition passes; unknown and missing members fail", () => {
    assert.deepStrictEqual(
      checkTaskDefinition(
        taskDefinition({ portMappings: [{ containerPort: 3000, hostPort: 3000, protocol: "tcp" }] }),
      ),
      [],
    );
    assert.match(
      checkTaskDefinition(taskDefinition({ portMapping: [] })).join("\n"),
      /Unexpected key 'portMapping'/,
    );
    assert.match(
      checkTaskDefinition({ ...taskDefinition({}), family: undefined }).join("\n"),
      /Missing required key 'family'/,
    );
    assert.match(
      checkTaskDefinition(taskDefinition({ portMappings: [{ containerPort: 3000, hostPort: 80 }] })).join(
        "\n",
      ),
      /hostPort 80 differs/,
    );
    assert.match(
      checkTaskDefinition(
        taskDefinition({ dependsOn: [{ containerName: "init", condition: "SUCCESS" }] }),
      ).join("\n"),
      /names no container init/,
    );
  });

  it("API model constraints: enums, ranges and patterns", function () {
    if (constraintModelsMissing()) this.skip();
    assert.match(
      checkTaskDefinition(taskDefinition({ logConfiguration: { logDriver: "cloudwatch" } })).join("\n"),
      /EnumError|expected .*awslogs/,
    );
    assert.match(
      checkTaskDefinition(taskDefinition({}, { networkMode: "vpc" })).join("\n"),
      /expected .*awsvpc/,
    );
    assert.match(
      checkCloudMapService(cloudMapService({ name: "bad name!" })).join("\n"),
      /does not match regex pattern/,
    );
    assert.match(
      checkCloudMapService(
        cloudMapService({
          dnsConfig: { routingPolicy: "ROUND_ROBIN", dnsRecords: [{ type: "A", ttl: -1 }] },
        }),
      ).join("\n"),
      /MULTIVALUE\|WEIGHTED[\s\S]*>= 0/,
    );
  });

  it("provider pitfall: an empty healthCheckCustomConfig never reaches AWS (terraform-provider-aws#44285)", () => {
    assert.deepStrictEqual(checkCloudMapService(cloudMapService()), []);
    assert.match(
      checkCloudMapService(cloudMapService({ healthCheckCustomConfig: {} })).join("\n"),
      /empty block/,
    );
  });

  it("ECS registries: SRV needs containerName + containerPort; A alone leaves consul-aws without a port", () => {
    const service = (registry: Record<string, unknown>) => ({
      cluster: "c",
      taskDefinition: "t",
      desiredCount: 1,
      serviceRegistries: registry,
    });
    assert.deepStrictEqual(
      checkEcsService(
        service({ registryArn: SERVICE, containerName: "app", containerPort: 3000 }),
        cloudMapService(),
      ),
      [],
    );
    assert.match(
      checkEcsService(service({ registryArn: SERVICE }), cloudMapService()).join("\n"),
      /needs containerName and containerPort/,
    );
    const aOnly = cloudMapService({
      dnsConfig: { routingPolicy: "MULTIVALUE", dnsRecords: [{ type: "A", ttl: 10 }] },
    });
    assert.match(checkEcsService(service({ registryArn: SERVICE }), aOnly).join("\n"), /without a port/);
    // A namespace ARN is refused by ECS (hashicorp/terraform-provider-aws#4373).
    assert.match(
      checkEcsService(
        service({ registryArn: NS, containerName: "app", containerPort: 3000 }),
        cloudMapService(),
      ).join("\n"),
      /not a Cloud Map service ARN/,
    );
  });

  it("IAM data: unknown actions, ARNs of the wrong type, * where AWS scopes, a missing required resource type", async () => {
    const doc = (Action: string[], Resource: string | string[]) => ({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action, Resource }],
    });
    assert.deepStrictEqual(
      (
        await iamFindings(
          doc(["servicediscovery:CreateService"], [NS, `${SERVICE.replace(/srv-abc$/, "*")}`]),
        )
      ).findings,
      [],
    );
    assert.match(
      (await iamFindings(doc(["servicediscovery:CreateServices"], NS))).findings.join("\n"),
      /not an IAM action/,
    );
    assert.match(
      (
        await iamFindings(doc(["servicediscovery:GetNamespace"], "arn:aws:route53:::hostedzone/Z1"))
      ).findings.join("\n"),
      /fits none of/,
    );
    assert.match(
      (await iamFindings(doc(["secretsmanager:GetSecretValue"], "*"))).findings.join("\n"),
      /on "\*", though AWS scopes it to Secret/,
    );
    assert.match(
      (await iamFindings(doc(["servicediscovery:ListServices"], NS))).findings.join("\n"),
      /Resource must be "\*"/,
    );
    // The grant consul-aws had: CreateService on the namespace only.
    assert.match(
      (await iamFindings(doc(["servicediscovery:CreateService"], NS))).findings.join("\n"),
      /requires resource type service/,
    );
  });

  it("simulation: a denied call names the call and the role; the old consul-aws grants are denied", async () => {
    const role = (Statement: object[]): RoleUnderTest => ({
      name: "consul-sync-task-role",
      account: "123456789012",
      policies: [{ name: "p", document: { Version: "2012-10-17", Statement: Statement as never } }],
    });
    const old = role([
      { Effect: "Allow", Action: ["servicediscovery:CreateService"], Resource: NS },
      {
        Effect: "Allow",
        Action: ["servicediscovery:DiscoverInstances"],
        Resource: "*",
        Condition: { StringEquals: { "servicediscovery:NamespaceName": "internal" } },
      },
    ]);
    const calls = [
      { why: "create", action: "servicediscovery:CreateService", resource: SERVICE },
      {
        why: "discover",
        action: "servicediscovery:DiscoverInstances",
        resource: NS,
        context: {
          "servicediscovery:NamespaceName": "internal-8d2f7a1c",
          "servicediscovery:ServiceName": "name",
        },
      },
    ];
    const outcomes = await simulateCalls(old, calls);
    assert.deepStrictEqual(denials(old, outcomes), [
      `consul-sync-task-role: servicediscovery:CreateService on ${SERVICE} (create) -> ImplicitlyDenied`,
      `consul-sync-task-role: servicediscovery:DiscoverInstances on ${NS} (discover) -> ImplicitlyDenied`,
    ]);
    const fixed = role([
      {
        Effect: "Allow",
        Action: ["servicediscovery:CreateService", "servicediscovery:DiscoverInstances"],
        Resource: [NS, SERVICE.replace(/srv-abc$/, "*")],
      },
    ]);
    assert.deepStrictEqual(denials(fixed, await simulateCalls(fixed, calls)), []);
  });

  it("managed policies come from versioned fixtures, in any partition; a missing fixture is an error", () => {
    assert.strictEqual(
      managedPolicy("arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy").name,
      "AmazonECSTaskExecutionRolePolicy",
    );
    assert.throws(
      () => managedPolicy("arn:aws:iam::aws:policy/AdministratorAccess"),
      /no fixture for managed policy/,
    );
  });
});

describe("aws rules: Service Connect and the API Gateway front door", function () {
  const SRV = { dnsConfig: { dnsRecords: [{ type: "A" }, { type: "SRV" }] } };
  const integration = {
    apiId: "a",
    integrationType: "HTTP_PROXY",
    integrationMethod: "ANY",
    connectionType: "VPC_LINK",
    connectionId: "l",
    integrationUri: "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abc",
    payloadFormatVersion: "1.0",
  };
  const taskDefinition = {
    family: "f",
    containerDefinitions: JSON.stringify([
      { name: "n", portMappings: [{ name: "http", containerPort: 3000 }] },
    ]),
  };
  const serviceConnect = (service: object) => ({
    serviceConnectConfiguration: { enabled: true, namespace: "arn", services: [service] },
  });

  it("a VPC Link integration needs HTTP_PROXY, payload 1.0 and a Cloud Map service with SRV records", () => {
    assert.deepStrictEqual(checkIntegration(integration, SRV), []);
    assert.match(
      checkIntegration(integration, { dnsConfig: { dnsRecords: [{ type: "A" }] } }).join("\n"),
      /no SRV record/,
    );
    assert.match(
      checkIntegration({ ...integration, payloadFormatVersion: "2.0" }, SRV).join("\n"),
      /payload format 1.0/,
    );
    assert.match(
      checkIntegration({ ...integration, connectionType: "VPC" }, SRV).join("\n"),
      /INTERNET\|VPC_LINK|ConnectionType/,
    );
    assert.match(checkHttpApi({ name: "n", protocolType: "WEBSOCKET" }).join("\n"), /needs an HTTP API/);
    assert.match(
      checkStage({ apiId: "a", name: "$default", defaultRouteSettings: { throttlingBurstLimit: "x" } }).join(
        "\n",
      ),
      /ThrottlingBurstLimit to be a number/,
    );
  });

  it("Service Connect: exactly one client alias, on a port the task definition names; unknown members refused", () => {
    assert.deepStrictEqual(
      checkServiceConnect(
        serviceConnect({ portName: "http", clientAlias: [{ port: 3000 }] }),
        taskDefinition,
      ),
      [],
    );
    const bad = checkServiceConnect(
      serviceConnect({ portName: "web", clientAlias: [{ port: 3000 }, { port: 3001 }] }),
      taskDefinition,
    ).join("\n");
    assert.match(bad, /exactly one client alias, got 2/);
    assert.match(bad, /portName web names no port mapping/);
    const service = {
      cluster: "c",
      taskDefinition: "t",
      serviceConnectConfiguration: {
        enabled: true,
        namespace: "arn",
        services: [{ portName: "http", clientAlias: [{ port: 3000, dnsName: "name" }], bogus: 1 }],
      },
    };
    assert.match(checkEcsService(service).join("\n"), /Unexpected key 'bogus'/);
  });
});
