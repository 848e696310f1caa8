/**
 * Code that runs at destroy (the namespace cleanup, the Consul deregistration) lives in Pulumi
 * dynamic resources: their serialized provider runs in the consuming program's Node.js, which a
 * Python, Go, C# or YAML program of the package does not have. The package keeps them opt-in and
 * says so: a component built without the option registers no dynamic resource, and each option's
 * documentation (the schema's description) names the limit.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Namespace } from "ecs-cloudmap-consul";
import { runMocked } from "./harness";
import { PACKAGE_DIR } from "./sources";

const isDynamic = (type: string) => type.startsWith("pulumi-nodejs:dynamic/");

describe("destroy-time code in the package is opt-in and TypeScript-only", function () {
  this.timeout(60_000);

  it("a Namespace without cleanupOnDelete registers no dynamic resource; with it, one", async () => {
    const off = await runMocked(() => {
      new Namespace("discovery", { vpcId: "vpc-1" });
      return {};
    });
    assert.ifError(off.error);
    assert.deepStrictEqual(off.resources.map((r) => r.type).filter(isDynamic), []);
    const on = await runMocked(() => {
      new Namespace("discovery", { vpcId: "vpc-1", cleanupOnDelete: { region: "eu-west-1" } });
      return {};
    });
    assert.ifError(on.error);
    assert.deepStrictEqual(on.resources.map((r) => r.type).filter(isDynamic), [
      "pulumi-nodejs:dynamic/namespaceCleanup:NamespaceCleanup",
    ]);
  });

  for (const [file, property] of [
    ["network/namespace.ts", "cleanupOnDelete"],
    ["consul/consul-catalog-check.ts", "deregisterOnDelete"],
  ]) {
    it(`${property}'s documentation says it works from TypeScript programs only`, () => {
      const text = fs.readFileSync(path.join(PACKAGE_DIR, file), "utf8");
      const doc = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*readonly ${property}\\?:`).exec(text);
      assert.ok(doc, `no doc comment on ${property}`);
      assert.match(doc[1].replace(/\s*\*\s*/g, " "), /TypeScript programs only/);
    });
  }
});
