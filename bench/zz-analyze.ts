import { Analyzer } from "@pulumi/pulumi/provider/experimental/analyzer";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import * as pkg from "ecs-cloudmap-consul";
import * as fs from "fs";
import * as path from "path";
const errors: string[] = [];
const proto = Analyzer.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const m of ["analyzeSymbol", "analyzeComponent"]) {
  const orig = proto[m];
  proto[m] = function (this: unknown, ...a: unknown[]) {
    try {
      return orig.apply(this, a);
    } catch (e) {
      errors.push((e as Error).message);
      return m === "analyzeSymbol" ? { type: "string" } : undefined;
    }
  };
}
async function main() {
  const dir = path.resolve("packages/ecs-cloudmap-consul");
  const components = Object.values(pkg).filter(
    (v) =>
      typeof v === "function" &&
      (v as { prototype?: unknown }).prototype instanceof require("@pulumi/pulumi").ComponentResource,
  );
  const p = new ComponentProvider({
    components: components as never,
    name: "ecs-cloudmap-consul",
    dirname: dir,
  });
  try {
    const schema = JSON.parse(await p.getSchema());
    const res = Object.entries(
      schema.resources as Record<string, { inputProperties?: object; properties?: object }>,
    );
    console.log(
      "resources",
      res.length,
      "inputs",
      res.reduce((n, [, r]) => n + Object.keys(r.inputProperties ?? {}).length, 0),
      "outputs",
      res.reduce((n, [, r]) => n + Object.keys(r.properties ?? {}).length, 0),
      "types",
      Object.keys(schema.types ?? {}).length,
    );
    fs.writeFileSync("/tmp/i20c-schema.json", JSON.stringify(schema, null, 1));
  } catch (e) {
    errors.push("FATAL " + (e as Error).message);
  }
  console.log(errors.length + " errors\n" + errors.join("\n"));
}
void main();
