/**
 * Journey "second up is a no-op": the program run twice with the same settings registers the same
 * resources with byte-identical inputs — no JSON whose key order depends on how it was built, no
 * fresh random values, no clock. The second run gets the settings in the reverse order (the CLI
 * promises no order), so a document built by iterating over them would show up here.
 */
import * as assert from "assert";
import { loadStackConfig, PROJECT, ProgramRun, runProgram } from "../../plan/program";

const k = (key: string) => `${PROJECT}:${key}`;

const CASES: readonly { title: string; stack: "dev" | "prod"; set?: Record<string, string> }[] = [
  { title: "dev", stack: "dev" },
  { title: "prod", stack: "prod" },
  {
    title: "dev with Service Connect, API Gateway, autoscaling and endpoints",
    stack: "dev",
    set: {
      [k("discoveryMode")]: "serviceConnect",
      [k("frontDoor")]: "apiGateway",
      [k("autoscaling")]: "true",
      [k("vpcEndpoints")]: "true",
    },
  },
];

/** `type::name` → the inputs exactly as the engine would compare them (JSON text). */
function inputsByResource(run: ProgramRun): Map<string, string> {
  if (run.error) throw run.error;
  return new Map(run.resources.map((r) => [`${r.type}::${r.name}`, JSON.stringify(r.inputs)]));
}

describe("journey: a second up with the same settings changes nothing", function () {
  this.timeout(120_000);
  for (const c of CASES) {
    it(`${c.title}: same resources, byte-identical inputs and outputs`, async () => {
      const config = { ...loadStackConfig(c.stack), ...c.set };
      const first = await runProgram(config, c.stack);
      const reversed = Object.fromEntries(Object.entries(config).reverse());
      const second = await runProgram(reversed, c.stack);
      const a = inputsByResource(first);
      const b = inputsByResource(second);
      assert.deepStrictEqual([...b.keys()].sort(), [...a.keys()].sort(), "same resources");
      const changed = [...a.keys()].filter((key) => a.get(key) !== b.get(key));
      assert.deepStrictEqual(
        changed.map((key) => `${key}\n  first:  ${a.get(key)}\n  second: ${b.get(key)}`),
        [],
        "inputs that would show as an update",
      );
      assert.strictEqual(JSON.stringify(second.outputs), JSON.stringify(first.outputs));
      assert.ok(a.size > 40);
    });
  }
});
