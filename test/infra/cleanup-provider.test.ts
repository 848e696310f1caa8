/**
 * The namespace cleanup as Pulumi runs it on destroy: the provider text the program serializes
 * into the resource, loaded the way Pulumi's dynamic-provider host loads it (require-from-string,
 * plain node, no ts-node, the project's node_modules), and its `delete` driven against a stand-in
 * Cloud Map endpoint on loopback speaking the service's JSON protocol. This catches what the
 * stubbed-client tests cannot: a closure that does not serialize, or a module it cannot load.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { standInCloudMap } from "./cloud-map-stand-in";
import { loadStackConfig, ROOT, runProgram } from "./harness";
import { runChild } from "./stand-in-io";

/** What Pulumi's dynamic-provider host does with `__provider`, in a separate plain node process. */
const HOST_SCRIPT = `
const fs = require("fs");
const requireFromString = require(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }));
const provider = requireFromString(fs.readFileSync(process.argv[1], "utf8")).handler();
provider.delete("cleanup-ns-1", { namespaceId: "ns-1", region: "eu-west-1" })
  .then(() => console.log("deleted"), (err) => { console.error(err); process.exit(1); });
`;

describe("infra namespace cleanup: the serialized provider in Pulumi's way of loading it", function () {
  this.timeout(60_000);
  let providerFile: string;
  before(async () => {
    const run = await runProgram(loadStackConfig("dev"), "dev");
    if (run.error) throw run.error;
    const cleanup = run.resources.find(
      (r) => r.type === "pulumi-nodejs:dynamic/namespaceCleanup:NamespaceCleanup",
    );
    assert.ok(cleanup, "the program declares the cleanup");
    providerFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-provider-")), "provider.js");
    fs.writeFileSync(providerFile, String(cleanup.inputs.__provider));
  });
  after(() => providerFile && fs.rmSync(path.dirname(providerFile), { recursive: true, force: true }));

  it("captures no project module and loads only packages and node built-ins", () => {
    const text = fs.readFileSync(providerFile, "utf8");
    const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).sort();
    // Cloud Map's API only: nothing on delete needs a path to Consul from the operator's machine.
    assert.deepStrictEqual(required, ["@aws-sdk/client-servicediscovery"]);
    assert.ok(
      !/ts-node|\/components\//.test(text),
      "no ts-node or project source path in the serialized provider",
    );
  });

  it("delete empties the namespace of consul-aws's service: deregister, wait for the operation, delete", async () => {
    const cloudMap = await standInCloudMap();
    try {
      const result = await runChild(process.execPath, ["-e", HOST_SCRIPT, providerFile], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          AWS_ENDPOINT_URL_SERVICEDISCOVERY: cloudMap.url,
          AWS_ACCESS_KEY_ID: "AKIATESTNOTAKEY",
          AWS_SECRET_ACCESS_KEY: "not-a-secret",
          AWS_EC2_METADATA_DISABLED: "true",
        },
        timeoutMs: 30_000,
      });
      assert.strictEqual(result.code, 0, result.stdout + result.stderr);
      assert.deepStrictEqual(
        cloudMap.calls.map((c) => c.action),
        ["ListServices", "ListInstances", "DeregisterInstance", "GetOperation", "DeleteService"],
      );
      assert.deepStrictEqual(cloudMap.calls[0].body.Filters, [
        { Name: "NAMESPACE_ID", Values: ["ns-1"], Condition: "EQ" },
      ]);
      assert.deepStrictEqual(
        cloudMap.calls[4].body,
        { Id: "srv-consul" },
        "only consul-aws's service is deleted",
      );
    } finally {
      await cloudMap.close();
    }
  });
});
