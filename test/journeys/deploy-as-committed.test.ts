/**
 * Journey "deploy as committed": each committed stack file, unchanged, through the steps
 * `npm run driver -- <stack> up` takes before and during the deploy — the driver's settings checks
 * (stack file, overrides, placeholders), the program's settings and placeholder gate, the policy
 * pack over the graph, and the graph against AWS's API models. A stack either passes every step
 * with zero violations, or is stopped with each placeholder named: never silently passed.
 */
import * as assert from "assert";
import * as fs from "fs";
import { ProgramRun, listStacks, loadStackConfig, PROJECT, ROOT, runProgram } from "../../plan/program";
import { RULES, type ResourceValidationArgs } from "../../policy/rules";
import { placeholdersIn } from "../../program/placeholders";
import {
  checkOverridesDeclared,
  checkPlaceholders,
  checkStackSettings,
  readProjectSchema,
  runSettings,
  writeRunConfig,
} from "../../driver/stack-config";
import { checkCloudMapService, checkEcsService, checkTaskDefinition } from "../aws/rules/resources";

async function packViolations(run: ProgramRun): Promise<string[]> {
  const found: string[] = [];
  for (const r of run.resources)
    for (const policy of RULES)
      await policy.validateResource(
        {
          type: r.type,
          props: r.inputs,
          urn: r.urn ?? "",
          name: r.name,
        } as unknown as ResourceValidationArgs,
        (message?: string) => found.push(`${policy.name} ${r.name}: ${message ?? ""}`),
      );
  return found;
}

function awsModelFindings(run: ProgramRun): string[] {
  const of = (type: string) => run.resources.filter((r) => r.type === type);
  return [
    ...of("aws:ecs/taskDefinition:TaskDefinition").flatMap((r) => checkTaskDefinition(r.inputs)),
    ...of("aws:servicediscovery/service:Service").flatMap((r) => checkCloudMapService(r.inputs)),
    ...of("aws:ecs/service:Service").flatMap((r) => checkEcsService(r.inputs)),
  ];
}

describe("journey: deploy as committed (driver settings → program → policy pack → AWS models)", function () {
  this.timeout(120_000);
  const stacks = listStacks();

  it("the committed stacks are dev and prod", () => {
    assert.deepStrictEqual(stacks, ["dev", "prod"]);
  });

  for (const stack of ["dev", "prod"]) {
    describe(stack, function () {
      const committed = fs.readFileSync(`${ROOT}/Pulumi.${stack}.yaml`, "utf8");
      const schema = readProjectSchema();
      const settings = runSettings(stack, [], schema.project);
      const placeholders = placeholdersIn(settings).map((p) => p.key);
      let preview: ProgramRun;
      let up: ProgramRun;

      before(async function () {
        preview = await runProgram(loadStackConfig(stack), stack, { dryRun: true });
        up = await runProgram(loadStackConfig(stack), stack, { dryRun: false });
      });

      after(() => {
        assert.strictEqual(
          fs.readFileSync(`${ROOT}/Pulumi.${stack}.yaml`, "utf8"),
          committed,
          "file unchanged",
        );
      });

      it("driver: the stack file is the run's config, unchanged (no copy without overrides), its keys declared", () => {
        checkStackSettings(stack, fs.readdirSync(ROOT));
        assert.strictEqual(writeRunConfig(stack, [], PROJECT), undefined);
        checkOverridesDeclared(Object.keys(loadStackConfig(stack)), schema);
      });

      it("driver and program agree on the placeholders: up is stopped naming each, or goes ahead with none", () => {
        if (placeholders.length === 0) {
          assert.strictEqual(checkPlaceholders("up", settings), undefined);
          assert.strictEqual(up.error, undefined, String(up.error));
          assert.deepStrictEqual(preview.warnings, []);
          return;
        }
        assert.throws(() => checkPlaceholders("up", settings), /up refused before creating anything/);
        assert.ok(up.error, "the program's up must stop too");
        assert.deepStrictEqual(up.resources, [], "nothing registered by a refused up");
        for (const key of placeholders) {
          assert.ok(up.error.message.includes(`  - ${key}: `), `up names ${key}`);
          assert.ok(preview.warnings?.[0]?.includes(`  - ${key}: `), `the preview warns about ${key}`);
        }
      });

      it("preview: the whole graph, every rule of the policy pack passes (zero violations)", async () => {
        if (preview.error) throw preview.error;
        assert.ok(preview.resources.length > 40);
        assert.deepStrictEqual(await packViolations(preview), []);
      });

      it("graph: every task definition, Cloud Map service and ECS service is a request AWS's API models accept", () => {
        assert.deepStrictEqual(awsModelFindings(preview), []);
      });

      it("what up deploys (when it may) is the graph the preview showed", () => {
        if (placeholders.length > 0) return;
        if (up.error) throw up.error;
        // Registration order follows promise resolution; the engine matches resources by URN.
        const graph = (run: ProgramRun) =>
          run.resources.map((r) => `${r.type}::${r.name} ${JSON.stringify(r.inputs)}`).sort();
        assert.deepStrictEqual(graph(up), graph(preview));
      });
    });
  }
});
