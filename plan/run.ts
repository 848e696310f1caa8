/** The plan of a stack from its stack file, with optional per-run setting overrides. */
import { buildPlan, Plan, stackSettings } from "./model";
import { loadStackConfig, PROJECT, runProgram } from "./program";

/** @param overrides bare project keys → value, applied over the stack file. */
export async function planStack(
  stack: string,
  overrides: Readonly<Record<string, string>> = {},
): Promise<Plan> {
  const config = { ...loadStackConfig(stack) };
  for (const [key, value] of Object.entries(overrides)) config[`${PROJECT}:${key}`] = value;
  const run = await runProgram(config, stack);
  return buildPlan(stack, run, { ...stackSettings(stack), ...overrides });
}
