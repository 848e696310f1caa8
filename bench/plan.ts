// `npm run bench:plan`: wall time of `npm run plan -- <stack>` per stack, as a user runs it
// (a fresh process: ts-node start, the program under mocks, rendering). Medians over --runs.
import exit from "exit-x";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { listStacks } from "../plan/program";
import { median } from "./stats";

const ROOT = path.resolve(__dirname, "..");

function timeOnce(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(
    process.execPath,
    [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(ROOT, "plan/cli.ts"), ...args],
    { cwd: ROOT, encoding: "utf8" },
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0)
    throw new Error(`plan ${args.join(" ")} exited ${String(result.status)}: ${result.stderr}`);
  return seconds;
}

/** Prints the table; 2 for bad flags. A plan that fails throws (exit 1). */
function main(): number {
  let values: { runs: string; format: string };
  try {
    ({ values } = parseArgs({
      options: { runs: { type: "string", default: "5" }, format: { type: "string", default: "markdown" } },
    }));
  } catch (err) {
    process.stderr.write(`bench:plan: ${(err as Error).message}\n`);
    return 2;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`bench:plan: --runs must be a positive integer, got "${values.runs}"\n`);
    return 2;
  }

  const cases: [string, string[]][] = [
    ...listStacks().map((s): [string, string[]] => [s, [s]]),
    [
      "dev serviceConnect + apiGateway",
      ["dev", "--config", "discoveryMode=serviceConnect", "--config", "frontDoor=apiGateway"],
    ],
    ["dev --diff prod", ["dev", "--diff", "prod"]],
  ];
  console.log(
    `npm run plan, ${runs} runs each, --format ${values.format} (seconds, wall clock of a fresh process)`,
  );
  console.log("| case | median | min | max |\n|---|---|---|---|");
  for (const [name, args] of cases) {
    const times = Array.from({ length: runs }, () => timeOnce([...args, "--format", values.format]));
    console.log(
      `| ${name} | ${median(times).toFixed(2)} | ${Math.min(...times).toFixed(2)} | ${Math.max(...times).toFixed(2)} |`,
    );
  }
  return 0;
}

try {
  exit(main());
} catch (err) {
  process.stderr.write(`bench:plan: ${(err as Error).message}\n`);
  exit(1);
}
