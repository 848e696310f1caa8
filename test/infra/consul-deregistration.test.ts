/**
 * Destroy with an external Consul: consul-aws's node is deregistered by a one-off ECS task in the
 * VPC. The task runner against a stubbed ECS client, then the provider as Pulumi runs it on
 * delete: the text the program serializes, loaded in a plain node process the way Pulumi's
 * dynamic-provider host loads it, its `delete` driven against a stand-in ECS endpoint on loopback.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ecs from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import {
  ConsulDeregistrationInputs,
  DEREGISTER_CONTAINER,
  deregisterScript,
  runDeregistration,
} from "../../packages/ecs-cloudmap-consul/consul/consul-deregistration";
import { loadStackConfig, ROOT, runProgram } from "./harness";
import { CONSUL_IMAGE, externalConsul, k } from "./settings-fixtures";
import { runChild } from "./stand-in-io";
import { DEREGISTRATION_INPUTS, standInEcs, STAND_IN_TASK, stoppedTask } from "./ecs-stand-in";

const INPUTS = DEREGISTRATION_INPUTS;
const noSleep = async () => undefined;
const TASK = STAND_IN_TASK;
const stopped = (exitCode: number | undefined, stoppedReason?: string) =>
  stoppedTask(DEREGISTER_CONTAINER, exitCode, stoppedReason);

describe("consul deregistration: the one-off task (stubbed ECS client)", () => {
  let stub: ReturnType<
    typeof mockClient<ecs.ServiceInputTypes, ecs.ServiceOutputTypes, ecs.ECSClientResolvedConfig>
  >;
  const client = new ecs.ECSClient({ region: "eu-west-1" });
  before(() => (stub = mockClient(ecs.ECSClient)));
  afterEach(() => stub.reset());
  after(() => stub.restore());

  it("runs the task in the private subnets without a public IP, waits for it to stop, succeeds on exit 0", async () => {
    stub.on(ecs.RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    stub
      .on(ecs.DescribeTasksCommand)
      .resolvesOnce({ tasks: [{ lastStatus: "RUNNING" }] })
      .resolves(stopped(0));
    await runDeregistration(client, ecs, INPUTS, { sleep: noSleep });
    const run = stub.commandCalls(ecs.RunTaskCommand)[0].args[0].input;
    assert.strictEqual(run.taskDefinition, INPUTS.taskDefinitionArn);
    assert.deepStrictEqual(run.networkConfiguration?.awsvpcConfiguration, {
      subnets: ["subnet-a", "subnet-b"],
      securityGroups: ["sg-1"],
      assignPublicIp: "DISABLED",
    });
    assert.strictEqual(stub.commandCalls(ecs.DescribeTasksCommand).length, 2);
  });

  it("a task that exits non-zero, never runs, or never stops is an error saying so", async () => {
    stub.on(ecs.RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    stub.on(ecs.DescribeTasksCommand).resolves(stopped(7));
    await assert.rejects(runDeregistration(client, ecs, INPUTS, { sleep: noSleep }), /exited 7/);
    stub.on(ecs.DescribeTasksCommand).resolves(stopped(undefined, "CannotPullContainerError"));
    await assert.rejects(
      runDeregistration(client, ecs, INPUTS, { sleep: noSleep }),
      /stopped without running: CannotPullContainerError/,
    );
    stub.on(ecs.DescribeTasksCommand).resolves({ tasks: [{ lastStatus: "PENDING" }] });
    await assert.rejects(
      runDeregistration(client, ecs, INPUTS, { sleep: noSleep, pollMs: 1000, timeoutMs: 3000 }),
      /did not stop within 3 s/,
    );
    stub.on(ecs.RunTaskCommand).resolves({ tasks: [], failures: [{ reason: "RESOURCE:ENI" }] });
    await assert.rejects(
      runDeregistration(client, ecs, INPUTS, { sleep: noSleep }),
      /did not start.*RESOURCE:ENI/,
    );
  });

  it("the script deregisters node consul-aws with the token and the CA from the environment, and fails unless Consul says 200", () => {
    const script = deregisterScript();
    assert.match(script, /-X PUT -H "X-Consul-Token: \$CONSUL_HTTP_TOKEN" -d '\{"Node":"consul-aws"\}'/);
    assert.match(script, /"\$CONSUL_HTTP_ADDR\/v1\/catalog\/deregister"/);
    assert.match(script, /--cacert \/tmp\/ca\.pem/);
    assert.match(script, /\[ "\$code" = 200 \]$/);
  });
});

/** What Pulumi's dynamic-provider host does with `__provider`, in a separate plain node process. */
const HOST_SCRIPT = `
const fs = require("fs");
const requireFromString = require(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }));
const provider = requireFromString(fs.readFileSync(process.argv[1], "utf8")).handler();
provider.delete("d", JSON.parse(process.argv[2]))
  .then(() => console.log("deleted"), (err) => { console.error(err.message); process.exit(1); });
`;

describe("consul deregistration: the serialized provider in Pulumi's way of loading it", function () {
  this.timeout(60_000);
  let providerFile: string;
  before(async () => {
    const run = await runProgram(
      {
        ...loadStackConfig("dev"),
        ...externalConsul({ consulImage: CONSUL_IMAGE }),
        [k("consulAllowedCidrs")]: "",
      },
      "dev",
    );
    if (run.error) throw run.error;
    const resource = run.resources.find(
      (r) => r.type === "pulumi-nodejs:dynamic/consulDeregistration:ConsulDeregistration",
    );
    assert.ok(resource, "an external Consul gets the deregistration");
    providerFile = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), "deregistration-provider-")),
      "provider.js",
    );
    fs.writeFileSync(providerFile, String(resource.inputs.__provider));
  });
  after(() => providerFile && fs.rmSync(path.dirname(providerFile), { recursive: true, force: true }));

  async function deleteWith(exitCode: number, props: ConsulDeregistrationInputs) {
    const stand = await standInEcs(DEREGISTER_CONTAINER, exitCode);
    try {
      const result = await runChild(
        process.execPath,
        ["-e", HOST_SCRIPT, providerFile, JSON.stringify(props)],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH,
            AWS_ENDPOINT_URL_ECS: stand.url,
            AWS_ACCESS_KEY_ID: "AKIATESTNOTAKEY",
            AWS_SECRET_ACCESS_KEY: "not-a-secret",
            AWS_EC2_METADATA_DISABLED: "true",
          },
          timeoutMs: 30_000,
        },
      );
      return { ...result, calls: stand.calls.map((c) => c.action) };
    } finally {
      await stand.close();
    }
  }

  it("loads only the ECS client: nothing on delete opens a connection of its own", () => {
    const text = fs.readFileSync(providerFile, "utf8");
    const required = [...new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort();
    assert.deepStrictEqual(required, ["@aws-sdk/client-ecs"]);
  });

  it("delete runs the task through ECS's API and succeeds when it exits 0", async () => {
    const result = await deleteWith(0, INPUTS);
    assert.strictEqual(result.code, 0, result.stdout + result.stderr);
    assert.deepStrictEqual(result.calls, ["RunTask", "DescribeTasks"]);
  });

  it("a failed task stops the destroy with advice that works on stored inputs; enabled false runs nothing", async () => {
    const failed = await deleteWith(1, INPUTS);
    assert.strictEqual(failed.code, 1);
    assert.match(failed.stderr, /exited 1/);
    assert.match(failed.stderr, /consulDeregisterOnDestroy to false and run `pulumi up`/);
    assert.match(failed.stderr, /pulumi state delete/);
    const skipped = await deleteWith(1, { ...INPUTS, enabled: false });
    assert.strictEqual(skipped.code, 0, skipped.stderr);
    assert.deepStrictEqual(skipped.calls, []);
  });
});
