import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  Stack,
  StackAlreadyExistsError,
  StackNotFoundError,
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

/** The stack to select does not exist on the backend (exit 3: nothing was touched). */
export class StackMissingError extends DriverError {
  constructor(message: string) {
    super(message, ExitCode.MissingPrerequisite);
    this.name = "StackMissingError";
  }
}

/** How a run opens its stack: only `pr-<number>` stacks are created on demand; `init` creates one explicitly. */
export type OpenMode = "select" | "create-or-select" | "create";

/**
 * The project's stack in a LocalWorkspace on the project directory. dev and prod are selected, never
 * created by a deploy: a token whose default organization differs, or a new backend, would otherwise
 * get an empty stack and build a second environment beside the first.
 */
export async function openStack(
  pulumi: PulumiCommand,
  workDir: string,
  name: string,
  mode: OpenMode,
  where: { backend: string; secretsProvider?: string },
): Promise<{ stack: Stack; created: boolean }> {
  let ws: LocalWorkspace;
  try {
    ws = await LocalWorkspace.create({
      workDir,
      pulumiCommand: pulumi,
      secretsProvider: where.secretsProvider,
    });
  } catch (err) {
    throw classifyOperationError(err, `opening the workspace for ${name}`);
  }
  try {
    if (mode === "select") return { stack: await Stack.select(name, ws), created: false };
    if (mode === "create") return { stack: await Stack.create(name, ws), created: true };
    return { stack: await Stack.createOrSelect(name, ws), created: false };
  } catch (err) {
    if (err instanceof StackNotFoundError) {
      const short = name.split("/").pop() ?? name;
      throw new StackMissingError(
        `stack ${name} does not exist on ${where.backend}; a deploy never creates ${short} (it would build a second, empty environment).\n` +
          `If it lives in another organization, set PULUMI_ORG (in CI: the variable PULUMI_ORG); ` +
          `if this backend is new, create it once: npm run driver -- ${short} init`,
      );
    }
    if (err instanceof StackAlreadyExistsError) {
      return { stack: await Stack.select(name, ws), created: false };
    }
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

/** `savePlan`: write the proposed operations as an update plan there (`preview --save-plan`). */
export function preview(
  stack: Stack,
  ctx: OperationContext,
  refresh = false,
  savePlan?: string,
): Promise<OpMap> {
  const policyPacks = policyPackDirs();
  return withProgress(ctx, `preview of ${stack.name}`, undefined, async (onEvent) => {
    const result = await stack.preview({ ...common(ctx, onEvent), policyPacks, refresh, plan: savePlan });
    return result.changeSummary;
  });
}

export function refresh(
  stack: Stack,
  ctx: OperationContext,
  { clearPendingCreates = false }: { clearPendingCreates?: boolean } = {},
): Promise<OpMap | undefined> {
  return withProgress(ctx, `refresh of ${stack.name}`, undefined, async (onEvent) => {
    const result = await stack.refresh({ ...common(ctx, onEvent), clearPendingCreates });
    return result.summary.resourceChanges;
  });
}

/** What a refresh would change, changing nothing (`refresh --preview-only`): drift. */
export function previewRefresh(stack: Stack, ctx: OperationContext): Promise<OpMap> {
  return withProgress(ctx, `drift check of ${stack.name}`, undefined, async (onEvent) => {
    const result = await stack.previewRefresh(common(ctx, onEvent));
    return result.changeSummary;
  });
}

/** Releases the lock a killed run left behind (`pulumi cancel`); fails when nothing is running. */
export async function cancel(stack: Stack): Promise<void> {
  try {
    await stack.cancel();
  } catch (err) {
    throw classifyOperationError(err, `cancel of ${stack.name}`);
  }
}

export function up(
  stack: Stack,
  ctx: OperationContext,
  { refresh, expectedTotal, plan }: { refresh: boolean; expectedTotal?: number; plan?: string },
): Promise<{ resourceChanges?: OpMap; outputs: OutputMap }> {
  const policyPacks = policyPackDirs();
  return withProgress(ctx, `up of ${stack.name}`, expectedTotal, async (onEvent) => {
    const result = await stack.up({
      ...common(ctx, onEvent),
      policyPacks,
      refresh,
      plan,
      suppressOutputs: true,
    });
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
