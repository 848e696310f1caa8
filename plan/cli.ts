/** `npm run plan -- <stack> [--format text|json|markdown] [--out FILE] [--diff <other>]`. */
import exit from "exit-x";
import * as fs from "fs";
import { parsePlanArgs, PlanUsageError, USAGE } from "./args";
import { diffPlans } from "./diff";
import { listStacks, loadProjectFile } from "./program";
import { renderDiff, renderPlan } from "./render";
import { planStack } from "./run";

async function main(): Promise<number> {
  const args = parsePlanArgs(process.argv.slice(2), listStacks(), Object.keys(loadProjectFile().config));
  if (!args) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const plan = await planStack(args.stack, args.overrides);
  const text =
    args.diff === undefined
      ? renderPlan(plan, args.format)
      : renderDiff(diffPlans(plan, await planStack(args.diff, args.overrides)), args.format);
  if (args.out) fs.writeFileSync(args.out, text);
  else process.stdout.write(text);
  return 0;
}

// exit() once stdout and stderr have drained: process.exit() would cut a plan piped into `jq` at 64 KiB.
main().then(exit, (e: unknown) => {
  // A usage error or an invalid setting (the program's own message names every bad key).
  process.stderr.write(`plan: ${e instanceof Error ? e.message : String(e)}\n`);
  exit(e instanceof PlanUsageError ? e.exitCode : 2);
});
