// `npm run bench:plan`: wall time of `npm run plan -- <stack>` per stack, as a user runs it
// (a fresh process: ts-node start, the program under mocks, rendering). Medians over --runs.
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

const { values } = parseArgs({
  options: { runs: { type: "string", default: "5" }, format: { type: "string", default: "markdown" } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs: must be a positive integer, got "${String(values.runs)}"`);

const cases: [string, string[]][] = [
  ...listStacks().map((s): [string, string[]] => [s, [s]]),
  [
    "dev serviceConnect + apiGateway",
    ["dev", "--config", "discoveryMode=serviceConnect", "--config", "frontDoor=apiGateway"],
  ],
  ["dev --diff prod", ["dev", "--diff", "prod"]],
];
console.log(
  `npm run plan, ${runs} runs each, --format ${String(values.format)} (seconds, wall clock of a fresh process)`,
);
console.log("| case | median | min | max |\n|---|---|---|---|");
for (const [name, args] of cases) {
  const times = Array.from({ length: runs }, () => timeOnce([...args, "--format", String(values.format)]));
  console.log(
    `| ${name} | ${median(times).toFixed(2)} | ${Math.min(...times).toFixed(2)} | ${Math.max(...times).toFixed(2)} |`,
  );
}
