import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  Stack,
  type OpMap,
  type OutputMap,
  type PulumiCommand,
} from "@pulumi/pulumi/automation";
import { DriverError, ExitCode } from "./errors";
import { ProgressPrinter, type Sink } from "./printer";
import { PROJECT_DIR } from "./stack-config";

/** The project's policy pack, run on every preview and up (its rules: policy/rules.ts). */
export const POLICY_PACK_DIR = path.join(PROJECT_DIR, "policy");

/** The pack's directory, once its dependencies are installed (the CLI runs it from there). */
export function policyPackDirs(dir: string = POLICY_PACK_DIR): string[] {
  if (!fs.existsSync(path.join(dir, "node_modules", "@pulumi", "policy"))) {
    throw new DriverError(
      `missing prerequisite: the policy pack's dependencies are not installed (\`npm ci --prefix ${path.relative(process.cwd(), dir) || dir}\`)`,
      ExitCode.MissingPrerequisite,
    );
  }
  return [dir];
}

/** What every stack operation needs: where to print, how to be cancelled, and this run's config. */
export interface OperationContext {
  sink: Sink;
  signal: AbortSignal;
  /** A per-run copy of the stack's config file with the overrides (stack-config.ts writeRunConfig). */
  configFile?: string;
}

/**
 * The CLI's own words from a CommandError. Its message is "code: N\n stdout: ...\n stderr: ...\n err?: ...";
 * people need the `error:` lines of stderr, not that envelope nor a stack trace.
 */
export function cliErrorText(message: string): string {
  const stderr = /\n stderr: ([\s\S]*?)\n err\?: /.exec(message)?.[1] ?? message;
  const errorLines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^error:/i.test(line));
  if (errorLines.length > 0) return errorLines.join("\n");
  const lastLines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-5);
  return lastLines.length ? lastLines.join("\n") : message.trim();
}

/** Maps anything thrown by a stack operation to an exit code and a message without a stack trace. */
export function classifyOperationError(err: unknown, what: string): DriverError {
  if (err instanceof DriverError) return err;
  if (err instanceof ConcurrentUpdateError) {
    return new DriverError(
      `${what}: the stack is locked by another update; wait for it to finish (or, if it died, run \`pulumi cancel\`).\n` +
        cliErrorText(err.message),
      ExitCode.StackLocked,
    );
  }
  if (err instanceof CommandError)
    return new DriverError(`${what} failed:\n${cliErrorText(err.message)}`, ExitCode.OperationFailed);
  return new DriverError(
    `${what} failed: ${err instanceof Error ? err.message : String(err)}`,
    ExitCode.OperationFailed,
  );
}

/** The project's stack in a LocalWorkspace on the project directory, created when new. */
export async function openStack(pulumi: PulumiCommand, workDir: string, name: string): Promise<Stack> {
  try {
    const ws = await LocalWorkspace.create({ workDir, pulumiCommand: pulumi });
    return await Stack.createOrSelect(name, ws);
  } catch (err) {
    throw classifyOperationError(err, `selecting stack ${name}`);
  }
}

async function withProgress<T>(
  ctx: OperationContext,
  label: string,
  expectedTotal: number | undefined,
  run: (onEvent: ProgressPrinter["onEvent"]) => Promise<T>,
): Promise<T> {
  const printer = new ProgressPrinter(ctx.sink, label, expectedTotal);
  try {
    return await run(printer.onEvent);
  } catch (err) {
    if (ctx.signal.aborted) throw new DriverError(`${label} cancelled`, ExitCode.Interrupted);
    throw classifyOperationError(err, label);
  } finally {
    printer.finish();
  }
}

/** The options every operation shares: progress events, no color codes, cancellation, this run's config. */
function common(ctx: OperationContext, onEvent: ProgressPrinter["onEvent"]) {
  return { onEvent, color: "never", signal: ctx.signal, configFile: ctx.configFile } as const;
}

export function preview(stack: Stack, ctx: OperationContext, refresh = false): Promise<OpMap> {
  const policyPacks = policyPackDirs();
  return withProgress(ctx, `preview of ${stack.name}`, undefined, async (onEvent) => {
    const result = await stack.preview({ ...common(ctx, onEvent), policyPacks, refresh });
    return result.changeSummary;
  });
}

export function refresh(stack: Stack, ctx: OperationContext): Promise<OpMap | undefined> {
  return withProgress(ctx, `refresh of ${stack.name}`, undefined, async (onEvent) => {
    const result = await stack.refresh(common(ctx, onEvent));
    return result.summary.resourceChanges;
  });
}

export function up(
  stack: Stack,
  ctx: OperationContext,
  { refresh, expectedTotal }: { refresh: boolean; expectedTotal?: number },
): Promise<{ resourceChanges?: OpMap; outputs: OutputMap }> {
  const policyPacks = policyPackDirs();
  return withProgress(ctx, `up of ${stack.name}`, expectedTotal, async (onEvent) => {
    const result = await stack.up({ ...common(ctx, onEvent), policyPacks, refresh, suppressOutputs: true });
    return { resourceChanges: result.summary.resourceChanges, outputs: result.outputs };
  });
}

export function destroy(
  stack: Stack,
  ctx: OperationContext,
  { refresh, remove }: { refresh: boolean; remove: boolean },
): Promise<OpMap | undefined> {
  return withProgress(ctx, `destroy of ${stack.name}`, undefined, async (onEvent) => {
    const result = await stack.destroy({ ...common(ctx, onEvent), refresh, remove });
    return result.summary.resourceChanges;
  });
}

/** Asks on the terminal; only called when stdin is a TTY (otherwise --yes is required up front). */
export async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
