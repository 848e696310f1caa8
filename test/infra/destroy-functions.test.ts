/**
 * The destroy-time Lambda functions (runner `lambda`) as Lambda runs them: the `index.js` the
 * components deploy (the handler serialized by Pulumi's closure serializer), written to a folder of
 * its own and required by a plain node process whose module path has only the AWS SDK (as Lambda's
 * Node.js runtime provides it), then called with the events `aws.lambda.Invocation` sends in CRUD
 * scope. The event shapes are the AWS provider's (terraform-provider-aws, lambda/invocation.go
 * `buildInput` and its acceptance tests): the input plus `tf: {action, prev_input}`; create has
 * `prev_input` null, update the old input, delete the stored input at the top level and as
 * `prev_input`. The SDK calls go to stand-in Cloud Map and ECS endpoints on loopback.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { namespaceCleanupHandler } from "../../packages/ecs-cloudmap-consul/network/namespace-cleanup";
import {
  ConsulDeregistrationInputs,
  consulDeregistrationHandler,
  DEREGISTER_CONTAINER,
} from "../../packages/ecs-cloudmap-consul/consul/consul-deregistration";
import { destroyFunctionCode } from "../../packages/ecs-cloudmap-consul/shared/destroy-runner";
import { standInCloudMap } from "./cloud-map-stand-in";
import { DEREGISTRATION_INPUTS, standInEcs } from "./ecs-stand-in";
import { ROOT } from "./harness";
import { runChild } from "./stand-in-io";

/** What Lambda's Node.js runtime does with index.js: require it, call `handler(event)`, report the result or the error. */
const RUNTIME_SCRIPT = `
const { handler } = require(process.argv[1]);
handler(JSON.parse(process.argv[2]))
  .then((result) => console.log(JSON.stringify(result)), (err) => { console.error(err.message); process.exit(1); });
`;

type Action = "create" | "update" | "delete";
/** The event Invocation sends for `action` (stored/new input at the top level, the previous one as prev_input). */
function invocationEvent<T extends object>(action: Action, input: T, previous: T | null): T & { tf: object } {
  return { ...input, tf: { action, prev_input: previous } };
}

/** A folder holding only index.js: nothing resolves from it but what NODE_PATH offers. */
async function deployedCode(handler: (event: never) => Promise<unknown>): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "destroy-function-"));
  const file = path.join(dir, "index.js");
  fs.writeFileSync(file, await destroyFunctionCode(handler));
  return file;
}

async function invoke(file: string, event: object, endpoints: Record<string, string>) {
  return runChild(process.execPath, ["-e", RUNTIME_SCRIPT, file, JSON.stringify(event)], {
    cwd: path.dirname(file),
    env: {
      PATH: process.env.PATH,
      // Lambda's runtime puts its SDK on NODE_PATH; here the repository's copy stands for it.
      NODE_PATH: path.join(ROOT, "node_modules"),
      ...endpoints,
      AWS_ACCESS_KEY_ID: "AKIATESTNOTAKEY",
      AWS_SECRET_ACCESS_KEY: "not-a-secret",
      AWS_EC2_METADATA_DISABLED: "true",
    },
    timeoutMs: 30_000,
  });
}

const requiredModules = (text: string) =>
  [...new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort();

describe("destroy-time Lambda functions: the deployed index.js, invoked as aws.lambda.Invocation does", function () {
  this.timeout(60_000);
  const files: string[] = [];
  after(() => files.forEach((f) => fs.rmSync(path.dirname(f), { recursive: true, force: true })));

  describe("the namespace cleanup", () => {
    const input = { namespaceId: "ns-1", region: "eu-west-1", serviceConnectServices: ["hello-sc"] };
    let file: string;
    before(async () => files.push((file = await deployedCode(namespaceCleanupHandler))));

    it("requires only Cloud Map's SDK client: no Pulumi, no ts-node, no project module", () => {
      const text = fs.readFileSync(file, "utf8");
      assert.deepStrictEqual(requiredModules(text), ["@aws-sdk/client-servicediscovery"]);
      assert.match(text, /^exports\.handler = /m);
      assert.ok(
        !/ts-node|@pulumi|packages\/ecs-cloudmap-consul/.test(text),
        "nothing of the program or Pulumi",
      );
    });

    it("create and update call nothing; delete empties the namespace of consul-aws's service only", async () => {
      const cloudMap = await standInCloudMap();
      const endpoints = { AWS_ENDPOINT_URL_SERVICEDISCOVERY: cloudMap.url };
      try {
        const created = await invoke(file, invocationEvent("create", input, null), endpoints);
        assert.strictEqual(created.code, 0, created.stderr);
        assert.deepStrictEqual(JSON.parse(created.stdout), { action: "create" });
        const updated = { ...input, serviceConnectServices: [] };
        const update = await invoke(file, invocationEvent("update", updated, input), endpoints);
        assert.strictEqual(update.code, 0, update.stderr);
        assert.deepStrictEqual(
          cloudMap.calls.map((c) => c.action),
          [],
          "create and update leave Cloud Map alone",
        );

        const deleted = await invoke(file, invocationEvent("delete", input, input), endpoints);
        assert.strictEqual(deleted.code, 0, deleted.stderr);
        assert.deepStrictEqual(
          cloudMap.calls.map((c) => c.action),
          ["ListServices", "ListInstances", "DeregisterInstance", "GetOperation", "DeleteService"],
        );
        assert.deepStrictEqual(cloudMap.calls[0].body.Filters, [
          { Name: "NAMESPACE_ID", Values: ["ns-1"], Condition: "EQ" },
        ]);
        assert.deepStrictEqual(cloudMap.calls[4].body, { Id: "srv-consul" }, "never the stack's own service");
        const answer = JSON.parse(deleted.stdout.trim().split("\n").pop() ?? "") as {
          report: { deletedServices: string[] };
        };
        assert.deepStrictEqual(answer.report.deletedServices, ["consul"]);
        assert.match(
          deleted.stdout,
          /deleted Cloud Map service consul \(1 instance\(s\)\)/,
          "the function's log",
        );
      } finally {
        await cloudMap.close();
      }
    });

    it("a deregistration Cloud Map fails is a function error: the delete (and the destroy) stops", async () => {
      const cloudMap = await standInCloudMap({
        GetOperation: (body) => ({
          Operation: { Id: body.OperationId, Status: "FAIL", ErrorCode: "ACCESS_DENIED", ErrorMessage: "no" },
        }),
      });
      try {
        const deleted = await invoke(file, invocationEvent("delete", input, input), {
          AWS_ENDPOINT_URL_SERVICEDISCOVERY: cloudMap.url,
        });
        assert.strictEqual(deleted.code, 1);
        assert.match(deleted.stderr, /could not deregister an instance of srv-consul.*ACCESS_DENIED/);
        assert.ok(!cloudMap.calls.some((c) => c.action === "DeleteService"));
      } finally {
        await cloudMap.close();
      }
    });
  });

  describe("the Consul deregistration", () => {
    const input: ConsulDeregistrationInputs = DEREGISTRATION_INPUTS;
    let file: string;
    before(async () => files.push((file = await deployedCode(consulDeregistrationHandler))));

    async function invokeAgainst(exitCode: number, event: object) {
      const ecs = await standInEcs(DEREGISTER_CONTAINER, exitCode);
      try {
        const result = await invoke(file, event, { AWS_ENDPOINT_URL_ECS: ecs.url });
        return { ...result, calls: ecs.calls };
      } finally {
        await ecs.close();
      }
    }

    it("requires only ECS's SDK client", () => {
      assert.deepStrictEqual(requiredModules(fs.readFileSync(file, "utf8")), ["@aws-sdk/client-ecs"]);
    });

    it("create and update start nothing; delete runs the task in the private subnets and succeeds on exit 0", async () => {
      for (const event of [
        invocationEvent("create", input, null),
        invocationEvent("update", { ...input, subnetIds: ["subnet-c"] }, input),
      ]) {
        const quiet = await invokeAgainst(0, event);
        assert.strictEqual(quiet.code, 0, quiet.stderr);
        assert.deepStrictEqual(quiet.calls, []);
      }
      const deleted = await invokeAgainst(0, invocationEvent("delete", input, input));
      assert.strictEqual(deleted.code, 0, deleted.stderr);
      assert.deepStrictEqual(
        deleted.calls.map((c) => c.action),
        ["RunTask", "DescribeTasks"],
      );
      const run = deleted.calls[0].body;
      assert.strictEqual(run.taskDefinition, input.taskDefinitionArn);
      assert.strictEqual(run.cluster, input.cluster);
      assert.deepStrictEqual(run.networkConfiguration, {
        awsvpcConfiguration: {
          subnets: input.subnetIds,
          securityGroups: ["sg-1"],
          assignPublicIp: "DISABLED",
        },
      });
      assert.deepStrictEqual(JSON.parse(deleted.stdout), { action: "delete", deregistered: true });
    });

    it("a task that exits non-zero fails the delete loudly, with advice; enabled false runs nothing", async () => {
      const failed = await invokeAgainst(1, invocationEvent("delete", input, input));
      assert.strictEqual(failed.code, 1);
      assert.match(failed.stderr, /exited 1/);
      assert.match(failed.stderr, /pulumi state delete/);
      const off = { ...input, enabled: false };
      const skipped = await invokeAgainst(1, invocationEvent("delete", off, off));
      assert.strictEqual(skipped.code, 0, skipped.stderr);
      assert.deepStrictEqual(skipped.calls, []);
    });
  });
});
