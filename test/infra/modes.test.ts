/**
 * discoveryMode × frontDoor, each combination on both stacks' settings, under Pulumi mocks.
 * Expectations are written out (not recomputed from the components) so a mis-wired mode fails.
 */
import * as assert from "assert";
import { loadStackConfig, ProgramRun, runProgram } from "./harness";
import { containersOf, envOf, idOf, ofType, one, rulesOf, ruleSummary, str, T } from "./graph";
import { k } from "./settings-fixtures";

const API = {
  api: "aws:apigatewayv2/api:Api",
  vpcLink: "aws:apigatewayv2/vpcLink:VpcLink",
  integration: "aws:apigatewayv2/integration:Integration",
  route: "aws:apigatewayv2/route:Route",
  stage: "aws:apigatewayv2/stage:Stage",
} as const;

const NAMESPACE_ARN = "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-mock1234";
const STACKS = {
  dev: { azCount: 2, logRetention: 7, https: false },
  prod: { azCount: 3, logRetention: 90, https: true },
} as const;

interface ScConfig {
  enabled: boolean;
  namespace: string;
  services: { portName: string; discoveryName: string; clientAlias: { port: number; dnsName: string }[] }[];
  logConfiguration: { logDriver: string; options: Record<string, string> };
}

for (const stack of ["dev", "prod"] as const) {
  for (const mode of ["dns", "serviceConnect"] as const) {
    for (const door of ["alb", "apiGateway"] as const) {
      describe(`infra ${stack} with discoveryMode ${mode}, frontDoor ${door}`, function () {
        const want = STACKS[stack];
        let run: ProgramRun;

        before(async function () {
          run = await runProgram(
            { ...loadStackConfig(stack), [k("discoveryMode")]: mode, [k("frontDoor")]: door },
            stack,
          );
          if (run.error) throw run.error;
        });

        it("hello's environment matches the mode: own DNS client on name.internal, or the proxy at the Service Connect alias", () => {
          const [hello] = containersOf(one(run, T.taskDefinition, "hello-task"));
          const env = envOf(hello);
          if (mode === "dns") {
            assert.strictEqual(env.NAME_SERVER, "http://name.internal:3000/");
            assert.strictEqual(env.DISCOVERY_MODE, undefined);
          } else {
            assert.strictEqual(env.NAME_SERVER, "http://name:3000/");
            assert.strictEqual(env.DISCOVERY_MODE, "proxy");
          }
        });

        it("both apps drain inside the container's stopTimeout: DRAIN_DELAY_MS < DRAIN_TIMEOUT_MS < stopTimeout", () => {
          for (const task of ["hello-task", "name-task"]) {
            const [c] = containersOf(one(run, T.taskDefinition, task));
            const env = envOf(c);
            const delay = Number(env.DRAIN_DELAY_MS);
            const timeout = Number(env.DRAIN_TIMEOUT_MS);
            assert.ok(typeof c.stopTimeout === "number", `${task}: no stopTimeout`);
            assert.ok(delay > 0 && delay < timeout, `${task}: delay ${delay}, timeout ${timeout}`);
            assert.ok(
              timeout < c.stopTimeout * 1000,
              `${task}: ${timeout} ms vs stopTimeout ${c.stopTimeout} s`,
            );
          }
        });

        it("name: Cloud Map A + SRV records (dns) or a Service Connect endpoint name:3000 and no DNS service of ours (serviceConnect)", () => {
          const svc = one(run, T.ecsService, "name-service").inputs;
          const [container] = containersOf(one(run, T.taskDefinition, "name-task"));
          if (mode === "dns") {
            assert.deepStrictEqual(svc.serviceRegistries, {
              registryArn: one(run, T.discoveryService, "name-discovery").state.arn,
              containerName: "name",
              containerPort: 3000,
            });
            assert.strictEqual(svc.serviceConnectConfiguration, undefined);
            assert.deepStrictEqual(container.portMappings, [
              { containerPort: 3000, hostPort: 3000, protocol: "tcp" },
            ]);
            return;
          }
          // ECS registers name's tasks only through Service Connect, in a Cloud Map service of its
          // own ("name-sc", apart from the "name" the dns mode uses, so a switch never collides).
          assert.strictEqual(run.resources.filter((r) => r.name === "name-discovery").length, 0);
          assert.strictEqual(svc.serviceRegistries, undefined);
          assert.deepStrictEqual(container.portMappings, [
            { name: "http", appProtocol: "http", containerPort: 3000, hostPort: 3000, protocol: "tcp" },
          ]);
          const sc = svc.serviceConnectConfiguration as ScConfig;
          assert.strictEqual(sc.enabled, true);
          assert.strictEqual(sc.namespace, NAMESPACE_ARN);
          assert.deepStrictEqual(sc.services, [
            { portName: "http", discoveryName: "name-sc", clientAlias: [{ port: 3000, dnsName: "name" }] },
          ]);
        });

        it("hello keeps its A + SRV registration (front door and consul-aws read it) and is a Service Connect client only in serviceConnect", () => {
          const svc = one(run, T.ecsService, "hello-service").inputs;
          assert.deepStrictEqual(svc.serviceRegistries, {
            registryArn: one(run, T.discoveryService, "hello-discovery").state.arn,
            containerName: "hello",
            containerPort: 3000,
          });
          const dns = one(run, T.discoveryService, "hello-discovery").inputs.dnsConfig as {
            dnsRecords: { type: string }[];
          };
          assert.deepStrictEqual(
            dns.dnsRecords.map((r) => r.type),
            ["A", "SRV"],
          );
          const sc = svc.serviceConnectConfiguration as ScConfig | undefined;
          if (mode === "dns") assert.strictEqual(sc, undefined);
          else {
            assert.strictEqual(sc?.enabled, true);
            assert.strictEqual(sc?.namespace, NAMESPACE_ARN);
            assert.deepStrictEqual(sc?.services, [], "a client publishes nothing");
          }
        });

        it("with Service Connect, hello's service waits for name's (a client learns aliases when its tasks start)", () => {
          const waits = one(run, T.ecsService, "hello-service").dependencies;
          assert.strictEqual(
            waits.includes(str(one(run, T.ecsService, "name-service").urn)),
            mode === "serviceConnect",
          );
        });

        it("Service Connect proxy logs go to the service's own log group (with retention); every log group has retention", () => {
          for (const app of ["hello", "name"]) {
            const sc = one(run, T.ecsService, `${app}-service`).inputs.serviceConnectConfiguration as
              ScConfig | undefined;
            if (mode === "dns") continue;
            assert.ok(sc);
            assert.strictEqual(sc.logConfiguration.logDriver, "awslogs");
            assert.strictEqual(
              sc.logConfiguration.options["awslogs-group"],
              one(run, T.logGroup, `${app}-logs`).inputs.name,
            );
            assert.strictEqual(sc.logConfiguration.options["awslogs-region"], "eu-west-1");
          }
          const groups = ofType(run, T.logGroup);
          assert.strictEqual(
            groups.filter((g) => g.name === "api-access-logs").length,
            door === "apiGateway" ? 1 : 0,
          );
          for (const g of groups) assert.strictEqual(g.inputs.retentionInDays, want.logRetention, g.name);
        });

        it("hello -> name stays tcp 3000 both directions in either mode (Service Connect's proxy listens on the container port)", () => {
          assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "name-sg")), [
            `tcp/3000-3000 sg:${idOf("hello-sg")}`,
          ]);
          assert.deepStrictEqual(
            ruleSummary(rulesOf(run, T.egress, "hello-sg")),
            ["tcp/443-443 cidr:0.0.0.0/0", `tcp/3000-3000 sg:${idOf("name-sg")}`].sort(),
          );
        });

        it("no rule anywhere uses protocol -1 or a port range", () => {
          for (const r of [...ofType(run, T.ingress), ...ofType(run, T.egress)]) {
            assert.ok(
              r.inputs.ipProtocol === "tcp" || r.inputs.ipProtocol === "udp",
              `${r.name}: ${String(r.inputs.ipProtocol)}`,
            );
            assert.strictEqual(r.inputs.fromPort, r.inputs.toPort, r.name);
          }
        });

        if (door === "alb") {
          it("ALB front door: the ALB admits the world and reaches hello; no API Gateway", () => {
            for (const type of Object.values(API)) assert.strictEqual(ofType(run, type).length, 0, type);
            assert.strictEqual(ofType(run, T.alb).length, 1);
            assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "hello-sg")), [
              `tcp/3000-3000 sg:${idOf("public-sg")}`,
            ]);
            // With a certificate, the name it covers (prod's domainName); else the ALB's own name.
            assert.strictEqual(
              str(run.outputs.helloUrl),
              want.https
                ? "https://hello.example.com/"
                : "http://public-alb-123.eu-west-1.elb.amazonaws.com/",
            );
          });
          return;
        }

        it("API Gateway front door: no ALB, no world ingress on any security group", () => {
          for (const type of [T.alb, T.targetGroup, T.listener])
            assert.strictEqual(ofType(run, type).length, 0, type);
          assert.deepStrictEqual(
            ofType(run, T.ingress)
              .filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 === "::/0")
              .map((r) => r.name),
            [],
          );
          const hello = one(run, T.ecsService, "hello-service").inputs;
          assert.deepStrictEqual(hello.loadBalancers, []);
          assert.strictEqual(hello.healthCheckGracePeriodSeconds, undefined);
        });

        it("HTTP API: VPC Link in the private subnets, HTTP_PROXY ANY integration on hello's Cloud Map service, $default route", () => {
          assert.strictEqual(one(run, API.api, "api-api").inputs.protocolType, "HTTP");
          const link = one(run, API.vpcLink, "api-link").inputs;
          assert.deepStrictEqual(
            link.subnetIds,
            Array.from({ length: want.azCount }, (_, i) => `subnet-private-${i}`),
          );
          assert.deepStrictEqual(link.securityGroupIds, [idOf("api-link-sg")]);
          const integration = one(run, API.integration, "api-integration").inputs;
          assert.deepStrictEqual(
            {
              type: integration.integrationType,
              method: integration.integrationMethod,
              connection: integration.connectionType,
              id: integration.connectionId,
              uri: integration.integrationUri,
              payload: integration.payloadFormatVersion,
            },
            {
              type: "HTTP_PROXY",
              method: "ANY",
              connection: "VPC_LINK",
              id: idOf("api-link"),
              uri: one(run, T.discoveryService, "hello-discovery").state.arn,
              payload: "1.0",
            },
          );
          const route = one(run, API.route, "api-default-route").inputs;
          assert.strictEqual(route.routeKey, "$default");
          assert.strictEqual(route.target, `integrations/${idOf("api-integration")}`);
          assert.strictEqual(route.apiId, idOf("api-api"));
        });

        it("stage: $default with auto deploy, JSON access logs to a group with retention, the configured throttling; its URL is helloUrl", () => {
          const stage = one(run, API.stage, "api-stage").inputs;
          assert.strictEqual(stage.name, "$default");
          assert.strictEqual(stage.autoDeploy, true);
          const logs = stage.accessLogSettings as { destinationArn: string; format: string };
          assert.strictEqual(
            logs.destinationArn,
            "arn:aws:cloudwatch:eu-west-1:123456789012:api-access-logs",
          );
          assert.strictEqual(
            one(run, T.logGroup, "api-access-logs").inputs.retentionInDays,
            want.logRetention,
          );
          assert.strictEqual((JSON.parse(logs.format) as Record<string, string>).status, "$context.status");
          assert.deepStrictEqual(stage.defaultRouteSettings, {
            throttlingRateLimit: 100,
            throttlingBurstLimit: 200,
          });
          assert.strictEqual(
            run.outputs.helloUrl,
            "https://api-api-mock.execute-api.eu-west-1.amazonaws.com/",
          );
        });

        it("the VPC Link's group reaches hello on 3000/tcp and nothing else; hello admits only it", () => {
          assert.deepStrictEqual(rulesOf(run, T.ingress, "api-link-sg"), []);
          assert.deepStrictEqual(ruleSummary(rulesOf(run, T.egress, "api-link-sg")), [
            `tcp/3000-3000 sg:${idOf("hello-sg")}`,
          ]);
          assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "hello-sg")), [
            `tcp/3000-3000 sg:${idOf("api-link-sg")}`,
          ]);
        });
      });
    }
  }
}

describe("infra apiGateway throttling settings", function () {
  it("reach the stage's default route settings", async () => {
    const run = await runProgram(
      {
        ...loadStackConfig("dev"),
        [k("frontDoor")]: "apiGateway",
        [k("apiThrottleRateLimit")]: "25",
        [k("apiThrottleBurstLimit")]: "40",
      },
      "dev",
    );
    if (run.error) throw run.error;
    assert.deepStrictEqual(one(run, API.stage, "api-stage").inputs.defaultRouteSettings, {
      throttlingRateLimit: 25,
      throttlingBurstLimit: 40,
    });
  });
});
