import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  Stack,
  type ConfigValue,
  type OpMap,
  type OutputMap,
  type PulumiCommand,
} from "@pulumi/pulumi/automation";
import type { ConfigOverride } from "./args";
import { DriverError, ExitCode } from "./errors";
import { ProgressPrinter, type Sink } from "./printer";
import { PROJECT_DIR, type PinnedVersions } from "./versions";

/** The project's policy pack, run on every preview and up (its rules: policy/rules.ts). */
export const POLICY_PACK_DIR = path.join(PROJECT_DIR, "policy");

/** The pack's directory, once its dependencies are installed (the CLI runs it from there). */
export function policyPacks(dir: string = POLICY_PACK_DIR): string[] {
  if (!fs.existsSync(path.join(dir, "node_modules", "@pulumi", "policy"))) {
    throw new DriverError(
      `missing prerequisite: the policy pack's dependencies are not installed (\`npm ci --prefix ${path.relative(process.cwd(), dir) || dir}\`)`,
      ExitCode.MissingPrerequisite,
    );
  }
  return [dir];
}

/** What every stack operation needs: where to print, and how to be cancelled. */
export interface OperationContext {
  sink: Sink;
  signal: AbortSignal;
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

export async function openWorkspace(pulumi: PulumiCommand, projectDir: string): Promise<LocalWorkspace> {
  return LocalWorkspace.create({ workDir: projectDir, pulumiCommand: pulumi });
}

/** Installs the pinned provider plugins (a no-op when present), so a run never picks up whatever is cached. */
export async function installPlugins(ws: LocalWorkspace, pins: PinnedVersions, sink: Sink): Promise<void> {
  for (const { name, version } of pins.plugins) {
    try {
      await ws.installPlugin(name, `v${version}`, "resource");
    } catch (err) {
      throw new DriverError(
        `missing prerequisite: could not install the ${name} provider plugin v${version} ` +
          `(\`pulumi plugin install resource ${name} v${version}\`): ${(err as Error).message.split("\n")[0]}`,
        ExitCode.MissingPrerequisite,
      );
    }
  }
  sink.write(`plugins: ${pins.plugins.map((p) => `${p.name} v${p.version}`).join(", ")}\n`);
}

export async function openStack(ws: LocalWorkspace, name: string): Promise<Stack> {
  try {
    return await Stack.createOrSelect(name, ws);
  } catch (err) {
    throw classifyOperationError(err, `selecting stack ${name}`);
  }
}

/**
 * Sets command-line/CI overrides on the stack and returns how to undo them: overrides are for this
 * run, not a silent edit of the committed Pulumi.<stack>.yaml. Undoing goes through the CLI (not a
 * file copy) so anything Pulumi itself wrote meanwhile, such as an encryption salt, is kept.
 */
export async function applyOverrides(
  stack: Stack,
  overrides: readonly ConfigOverride[],
  sink: Sink,
): Promise<() => Promise<void>> {
  if (overrides.length === 0) return async () => undefined;
  const previous = new Map<string, ConfigValue | undefined>();
  try {
    for (const o of overrides) {
      previous.set(o.key, await stack.getConfig(o.key).catch(() => undefined));
      sink.write(`config ${o.key}=${o.value} (from ${o.source}, this run only)\n`);
    }
    await stack.setAllConfig(
      Object.fromEntries(overrides.map((o) => [o.key, { value: o.value, secret: false }])),
    );
  } catch (err) {
    throw classifyOperationError(err, "setting config overrides");
  }
  return async () => {
    const restore = [...previous].filter((e): e is [string, ConfigValue] => e[1] !== undefined);
    const remove = [...previous].filter(([, v]) => v === undefined).map(([k]) => k);
    if (restore.length) await stack.setAllConfig(Object.fromEntries(restore));
    if (remove.length) await stack.removeAllConfig(remove);
  };
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

export function preview(stack: Stack, ctx: OperationContext): Promise<OpMap> {
  const packs = policyPacks();
  return withProgress(ctx, `preview of ${stack.name}`, undefined, async (onEvent) => {
    const result = await stack.preview({ onEvent, color: "never", signal: ctx.signal, policyPacks: packs });
    return result.changeSummary;
  });
}

export function refresh(stack: Stack, ctx: OperationContext): Promise<OpMap | undefined> {
  return withProgress(ctx, `refresh of ${stack.name}`, undefined, async (onEvent) => {
    const result = await stack.refresh({ onEvent, color: "never", signal: ctx.signal });
    return result.summary.resourceChanges;
  });
}

export function up(
  stack: Stack,
  ctx: OperationContext,
  expectedTotal?: number,
): Promise<{ resourceChanges?: OpMap; outputs: OutputMap }> {
  const packs = policyPacks();
  return withProgress(ctx, `up of ${stack.name}`, expectedTotal, async (onEvent) => {
    const result = await stack.up({
      onEvent,
      color: "never",
      signal: ctx.signal,
      suppressOutputs: true,
      policyPacks: packs,
    });
    return { resourceChanges: result.summary.resourceChanges, outputs: result.outputs };
  });
}

export function destroy(stack: Stack, ctx: OperationContext, remove: boolean): Promise<OpMap | undefined> {
  return withProgress(ctx, `destroy of ${stack.name}`, undefined, async (onEvent) => {
    const result = await stack.destroy({ onEvent, color: "never", signal: ctx.signal, remove });
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
