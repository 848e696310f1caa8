/**
 * A DiscoverableService that declares the Consul services it needs: the forwarder container, the
 * app's address variables and start order, one egress rule per service, no IAM right; the task
 * definition checked against ECS's API model; bad declarations refused before anything exists.
 */
import * as assert from "assert";
import { appImageBuild } from "../../program/app-image";
import {
  FORWARDER_ADMIN_PORT,
  FORWARDER_CONTAINER,
  forwardedAddresses,
  forwardsVariable,
} from "../../packages/ecs-cloudmap-consul/consul/consul-forwarder";
import {
  DiscoverableService,
  DiscoverableServiceArgs,
  drainEnvironment,
} from "../../packages/ecs-cloudmap-consul/service/discoverable-service";
import { parseForwarderConfig } from "../../apps/forwarder/src/config";
import { checkTaskDefinition } from "../aws/rules/resources";
import { constraintModelsMissing } from "../aws/rules/api-models";
import { runMocked } from "./harness";
import { containersOf, envOf, one, ofType, rulesOf, ruleSummary, T } from "./graph";

const SERVICE: DiscoverableServiceArgs = {
  clusterArn: "arn:cluster",
  vpcId: "vpc-1",
  subnetIds: ["s-1", "s-2"],
  executionRoleArn: "arn:role",
  clusterName: "c",
  namespaceId: "ns-1",
  namespaceName: "internal",
  image: "repo@sha256:" + "b".repeat(64),
  containerPort: 3000,
  cpu: 256,
  memory: 512,
  desiredCount: 2,
  logRetentionDays: 7,
  region: "eu-west-1",
  capacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
};
const FORWARDER_IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/forwarder@sha256:" + "f".repeat(64);
const WITH_VAULT: DiscoverableServiceArgs = {
  ...SERVICE,
  consulForwarder: {
    image: FORWARDER_IMAGE,
    services: [
      { name: "vault", localPort: 8200, remotePort: 8200, remoteCidr: "10.50.0.0/16", scheme: "https" },
      {
        name: "consul-db",
        localPort: 5432,
        remotePort: 5432,
        remoteCidr: "10.60.0.0/16",
        envVar: "PGHOST_ADDR",
      },
    ],
  },
};

describe("infra: the Consul forwarder sidecar of a DiscoverableService", function () {
  this.timeout(60_000);

  it("adds an essential, healthy-checked, read-only forwarder the app starts after, and the app's address variables", async () => {
    const run = await runMocked(() => {
      new DiscoverableService("hello", WITH_VAULT);
      return {};
    });
    if (run.error) throw run.error;
    const [app, forwarder] = containersOf(one(run, T.taskDefinition, "hello-task"));
    assert.strictEqual(app.name, "hello");
    assert.deepStrictEqual(app.dependsOn, [{ containerName: FORWARDER_CONTAINER, condition: "HEALTHY" }]);
    assert.deepStrictEqual(envOf(app), {
      VAULT_ADDR: "https://127.0.0.1:8200",
      PGHOST_ADDR: "127.0.0.1:5432",
      PORT: "3000",
      // The app's own drain settings (stop timeout 30 s, TTL 10 s by default) stay beside them.
      ...drainEnvironment(30, 10),
    });
    assert.strictEqual(forwarder.name, FORWARDER_CONTAINER);
    assert.strictEqual(forwarder.image, FORWARDER_IMAGE);
    assert.strictEqual(forwarder.essential, true);
    // HEALTHY needs a health check on the container depended upon.
    assert.deepStrictEqual(forwarder.healthCheck?.command, ["CMD", "node", "/app/dist/healthcheck.js"]);
    assert.strictEqual(forwarder.readonlyRootFilesystem, true);
    assert.strictEqual(forwarder.user, "1000:1000");
    assert.deepStrictEqual(forwarder.portMappings, [], "reachable on the task's loopback only");
    const memory = (forwarder as unknown as { memory: number }).memory;
    assert.strictEqual(memory, 128);
    assert.ok(memory < SERVICE.memory);
    assert.deepStrictEqual(envOf(forwarder), {
      ADMIN_PORT: String(FORWARDER_ADMIN_PORT),
      DRAIN_TIMEOUT_MS: "29000",
      FORWARDS: "vault.internal=8200,consul-db.internal=5432",
    });
    // What the component sets is what the forwarder itself accepts.
    const parsed = parseForwarderConfig(envOf(forwarder));
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepStrictEqual(parsed.config.forwards, [
      { name: "vault.internal", port: 8200 },
      { name: "consul-db.internal", port: 5432 },
    ]);
  });

  it("the task definition with the forwarder is a valid RegisterTaskDefinition (ECS API model)", async function () {
    if (constraintModelsMissing()) this.skip();
    const run = await runMocked(() => {
      new DiscoverableService("hello", WITH_VAULT);
      return {};
    });
    if (run.error) throw run.error;
    assert.deepStrictEqual(checkTaskDefinition(one(run, T.taskDefinition, "hello-task").inputs), []);
  });

  it("opens one tcp egress per service to its CIDR and adds no IAM right", async () => {
    const build = (args: DiscoverableServiceArgs) =>
      runMocked(() => {
        new DiscoverableService("hello", args);
        return {};
      });
    // One mocked program at a time: the mocks are process-wide.
    const plain = await build(SERVICE);
    const forwarded = await build(WITH_VAULT);
    if (plain.error) throw plain.error;
    if (forwarded.error) throw forwarded.error;
    const egress = ruleSummary(rulesOf(forwarded, T.egress, "hello-sg"));
    const extra = egress.filter((r) => !ruleSummary(rulesOf(plain, T.egress, "hello-sg")).includes(r));
    assert.deepStrictEqual(extra, ["tcp/5432-5432 cidr:10.60.0.0/16", "tcp/8200-8200 cidr:10.50.0.0/16"]);
    const iam = (run: typeof plain) =>
      run.resources
        .filter((r) => r.type.startsWith("aws:iam/"))
        .map((r) => JSON.stringify([r.type, r.name, r.inputs]))
        .sort();
    assert.deepStrictEqual(iam(forwarded), iam(plain));
    assert.ok(ofType(forwarded, T.role).length > 0);
  });

  it("refuses bad declarations, naming each, before anything is registered", async () => {
    const run = await runMocked(() => {
      new DiscoverableService("hello", {
        ...SERVICE,
        environment: { VAULT_ADDR: "x" },
        consulForwarder: {
          image: "forwarder:latest",
          memory: 32,
          services: [
            { name: "vault", localPort: 3000, remotePort: 8200, remoteCidr: "10.50.0.0/16" },
            { name: "Vault.x", localPort: 9901, remotePort: 0, remoteCidr: "10.50.0.1" },
            { name: "db", localPort: 5432, remotePort: 5432, remoteCidr: "10.0.0.0/8", envVar: "lower" },
          ],
        },
      });
      return {};
    });
    assert.ok(run.error);
    for (const text of [
      "consulForwarder.memory",
      "consulForwarder.image",
      "consulForwarder.services[0].localPort",
      "is already the app's containerPort",
      "consulForwarder.services[0].envVar",
      "VAULT_ADDR is already the app's environment",
      "consulForwarder.services[1].name",
      "consulForwarder.services[1].localPort",
      "is already the forwarder's admin port",
      "consulForwarder.services[1].remotePort",
      "consulForwarder.services[1].remoteCidr",
      "consulForwarder.services[2].envVar",
    ])
      assert.ok(run.error.message.includes(text), `lacks "${text}":\n${run.error.message}`);
    assert.deepStrictEqual(run.resources, []);
    const empty = await runMocked(() => {
      new DiscoverableService("hello", {
        ...SERVICE,
        consulForwarder: { image: FORWARDER_IMAGE, services: [] },
      });
      return {};
    });
    assert.match(String(empty.error?.message), /consulForwarder\.services.*must list 1 to 32 services/);
  });

  it("pure parts: address variables, FORWARDS, and the image built from apps/ like the apps' images", () => {
    assert.deepStrictEqual(
      forwardedAddresses([{ name: "my-vault", localPort: 8200, remotePort: 8200, remoteCidr: "10.0.0.0/8" }]),
      { MY_VAULT_ADDR: "127.0.0.1:8200" },
    );
    assert.strictEqual(
      forwardsVariable(
        [{ name: "consul-vault", localPort: 8200, remotePort: 8200, remoteCidr: "10.0.0.0/8" }],
        "svc.example.internal",
      ),
      "consul-vault.svc.example.internal=8200",
    );
    assert.deepStrictEqual(appImageBuild("forwarder"), {
      context: "apps",
      dockerfile: "apps/forwarder/Dockerfile",
      platform: "linux/amd64",
      args: {},
    });
    assert.strictEqual(appImageBuild("hello").context, "apps/hello");
  });
});
