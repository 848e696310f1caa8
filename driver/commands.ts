import * as os from "os";
import type { OpMap, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { DEFAULT_MIN_DISTINCT_TASKS, type Command, type DeployOptions, type Env } from "./args";
import { classifyOperationError } from "./operations";
import { DriverError, ExitCode } from "./errors";
import { Interrupts } from "./interrupts";
import * as ops from "./operations";
import type { Sink } from "./printer";
import {
  checkAwsCredentials,
  checkPulumiBackend,
  checkPulumiCli,
  formatProblems,
  realFiles,
  type Problem,
} from "./prerequisites";
import { checkOverridesDeclared, checkStackSettings, listProjectFiles, readProjectFile } from "./settings";
import {
  deleteImportedServices,
  IMPORTED_DESCRIPTION,
  listNamespaceServices,
  type CloudMapSender,
} from "../components/namespaceCleanup";
import { awsConsulCheckDeps, formatConsulCheck, runConsulCheck, type ConsulCheckInfo } from "./consulCheck";
import { formatSmokeResult, smokeTest, type SmokeResult } from "./smoke";
import {
  formatOutputs,
  formatPreviewChanges,
  hasChanges,
  helloUrlFrom,
  HELLO_URL_OUTPUTS,
  minDistinctTasks,
  NAME_COUNT_KEY,
  plainOutputs,
  type RunReport,
} from "./summary";
import { formatChanges } from "./progress";
import { PROJECT_DIR, readPinnedVersions, type PinnedVersions } from "./versions";

type StackCommand = Extract<Command, { kind: "stack" }>;
type EphemeralCommand = Extract<Command, { kind: "ephemeral" }>;
type SmokeCommand = Extract<Command, { kind: "smoke" }>;

/** Partial report filled in as a run goes, so a failure still reports what did happen. */
type Draft = Omit<RunReport, "ok" | "exitCode" | "durationSeconds" | "summary"> & { summary?: string };

/** Every prerequisite, all reported at once, before any stack is touched. */
export async function requirePrerequisites(
  env: Env,
  sink: Sink,
): Promise<{ pulumi: PulumiCommand; pins: PinnedVersions }> {
  let pins: PinnedVersions;
  try {
    pins = readPinnedVersions();
  } catch (err) {
    throw new DriverError((err as Error).message, ExitCode.Usage);
  }
  const home = os.homedir();
  const cli = await checkPulumiCli(pins.cli, env, home);
  const checks = [cli, checkPulumiBackend(env, home, realFiles), checkAwsCredentials(env, home, realFiles)];
  const problems: Problem[] = checks.flatMap((c) => (c.ok ? [] : [c.problem]));
  if (!cli.ok || problems.length > 0)
    throw new DriverError(formatProblems(problems), ExitCode.MissingPrerequisite);
  for (const c of checks) if (c.ok && c.note) sink.write(`warning: ${c.note}\n`);
  const [, backend, aws] = checks;
  sink.write(
    `prerequisites: Pulumi CLI ${cli.value.version?.format()} (${cli.value.command}); ` +
      `backend ${backend.ok ? backend.value : "?"}; AWS ${aws.ok ? aws.value : "?"}\n`,
  );
  return { pulumi: cli.value, pins };
}

/** Up/refresh/destroy without a terminal to ask on must be told --yes; found before anything runs. */
export function requireYes(operation: string, stack: string, options: DeployOptions): void {
  if (operation !== "preview" && !options.yes && !process.stdin.isTTY) {
    throw new DriverError(
      `${operation} of ${stack} changes the stack: pass --yes (no terminal to ask on)`,
      ExitCode.Usage,
    );
  }
}

interface StackSource {
  /** The stack whose Pulumi.<stack>.yaml must exist; undefined to skip (tearing down a leftover ephemeral stack). */
  settingsOf: string | undefined;
  /** Copy all config (secrets decrypted and re-encrypted) from this stack first. */
  copyConfigFrom?: string;
  /** Told as soon as the stack exists, so a teardown can run even if a later setup step fails. */
  onOpened?: (stack: Stack) => void;
}

/** Ephemeral stacks are `pr-…`; they have no committed settings file and are always removed after destroy. */
export function isEphemeralStack(stack: string): boolean {
  return /^pr-/.test(stack.split("/").pop() ?? "");
}

async function prepareStack(
  stackName: string,
  source: StackSource,
  options: DeployOptions,
  env: Env,
  sink: Sink,
  signal: AbortSignal,
): Promise<{ stack: Stack; ctx: ops.OperationContext; undoOverrides: () => Promise<void> }> {
  const { pulumi, pins } = await requirePrerequisites(env, sink);
  if (source.settingsOf) checkStackSettings(source.settingsOf, listProjectFiles(PROJECT_DIR));
  checkOverridesDeclared(
    options.overrides.map((o) => o.key),
    readProjectFile(PROJECT_DIR),
  );
  const sourceStack = source.copyConfigFrom;
  const ws = await ops.openWorkspace(pulumi, PROJECT_DIR);
  await ops.installPlugins(ws, pins, sink);
  const stack = await ops.openStack(ws, stackName);
  source.onOpened?.(stack);
  if (sourceStack) {
    sink.write(`copying config of ${sourceStack} into ${stackName}\n`);
    try {
      await stack.setAllConfig(await ws.getAllConfig(sourceStack));
    } catch (err) {
      throw new DriverError(
        `copying config from ${sourceStack}: ${(err as Error).message.split("\n")[0]}`,
        ExitCode.OperationFailed,
      );
    }
  }
  const undoOverrides = await ops.applyOverrides(stack, options.overrides, sink);
  return { stack, ctx: { sink, signal }, undoOverrides };
}

async function upAndSmoke(
  stack: Stack,
  ctx: ops.OperationContext,
  options: DeployOptions,
  draft: Draft,
): Promise<void> {
  let expectedTotal: number | undefined;
  if (!options.yes) {
    const changes = await ops.preview(stack, ctx);
    ctx.sink.write(`preview: ${formatPreviewChanges(changes)}\n`);
    expectedTotal = Object.values(changes).reduce((a, b) => a + (b ?? 0), 0);
    if (!hasChanges(changes)) {
      ctx.sink.write("nothing to change\n");
    } else if (!(await ops.confirm(`Deploy these changes to ${stack.name}?`))) {
      throw new DriverError("up cancelled at the prompt", ExitCode.Usage);
    }
  }
  const { resourceChanges, outputs } = await ops.up(stack, ctx, expectedTotal);
  draft.resourceChanges = resourceChanges;
  draft.outputs = plainOutputs(outputs);
  ctx.sink.write(`up: ${formatChanges(resourceChanges)}\n${formatOutputs(outputs).join("\n")}\n`);
  if (options.smokeRequests === 0) return;
  const url = helloUrlFrom(outputs);
  if (!url) {
    throw new DriverError(
      `smoke test: the stack has no ${HELLO_URL_OUTPUTS.join(" or ")} output to test (outputs: ${Object.keys(outputs).join(", ") || "none"})`,
      ExitCode.SmokeFailed,
    );
  }
  const desired =
    outputs[NAME_COUNT_KEY]?.value ?? (await stack.getConfig(NAME_COUNT_KEY).catch(() => undefined))?.value;
  const smoke = await smokeTest(url, {
    requests: options.smokeRequests,
    minDistinctTasks: minDistinctTasks(desired, DEFAULT_MIN_DISTINCT_TASKS),
  });
  draft.smoke = smoke;
  ctx.sink.write(`${formatSmokeResult(smoke)}\n`);
  if (!smoke.ok) throw new DriverError(formatSmokeResult(smoke), ExitCode.SmokeFailed);
  await consulSmoke(outputs[CONSUL_CHECK_OUTPUT]?.value as ConsulCheckInfo | undefined, ctx, draft);
}

/** The stack output describing the Consul sync proof (index.ts); absent when consulMode is off. */
export const CONSUL_CHECK_OUTPUT = "consulCatalogCheck";

/** Proof both ways that consul-aws syncs (see driver/consulCheck.ts); a failed proof fails the smoke test. */
async function consulSmoke(
  info: ConsulCheckInfo | undefined,
  ctx: ops.OperationContext,
  draft: Draft,
): Promise<void> {
  if (!info) return;
  ctx.sink.write(`consul sync check (${info.mode} Consul${info.task ? ", one-off task in the VPC" : ""})\n`);
  const { clients, sdk } = awsConsulCheckDeps(info.region);
  let result;
  try {
    result = await runConsulCheck(info, clients, sdk, { log: (line) => ctx.sink.write(`${line}\n`) });
  } catch (err) {
    throw new DriverError(`consul sync check: ${(err as Error).message}`, ExitCode.SmokeFailed);
  }
  draft.consulCheck = result;
  ctx.sink.write(`${formatConsulCheck(result)}\n`);
  if (!result.ok) throw new DriverError(formatConsulCheck(result), ExitCode.SmokeFailed);
}

export async function runStackCommand(
  cmd: StackCommand,
  env: Env,
  sink: Sink,
  draft: Draft,
): Promise<string> {
  const { stack: name, operation, options } = cmd;
  requireYes(operation, name, options);
  draft.overrides = options.overrides;
  // `pr-…` destroy: cleaning up an ephemeral stack that outlived its run (no settings file by design).
  const leftoverEphemeral = operation === "destroy" && isEphemeralStack(name);
  const interrupts = new Interrupts(sink, 2);
  try {
    const settingsOf = leftoverEphemeral ? undefined : name;
    const { stack, ctx, undoOverrides } = await prepareStack(
      name,
      { settingsOf },
      options,
      env,
      sink,
      interrupts.signal,
    );
    try {
      if (options.refresh && (operation === "up" || operation === "destroy")) {
        sink.write(`refresh: ${formatChanges(await ops.refresh(stack, ctx))}\n`);
      }
      return await runOperation(stack, ctx, cmd, draft, leftoverEphemeral);
    } finally {
      // A removed stack has no config left to restore.
      if (!leftoverEphemeral)
        await undoOverrides().catch((err: Error) =>
          sink.write(`warning: could not undo config overrides: ${err.message}\n`),
        );
    }
  } finally {
    interrupts.dispose();
  }
}

async function runOperation(
  stack: Stack,
  ctx: ops.OperationContext,
  cmd: StackCommand,
  draft: Draft,
  removeAfterDestroy: boolean,
): Promise<string> {
  const { stack: name, operation, options } = cmd;
  switch (operation) {
    case "preview": {
      const changes: OpMap = await ops.preview(stack, ctx);
      draft.changeSummary = changes;
      return `preview of ${name}: ${formatPreviewChanges(changes)}`;
    }
    case "refresh": {
      if (!options.yes && !(await ops.confirm(`Refresh ${name}'s state from AWS?`))) {
        throw new DriverError("refresh cancelled at the prompt", ExitCode.Usage);
      }
      draft.resourceChanges = await ops.refresh(stack, ctx);
      return `refresh of ${name}: ${formatChanges(draft.resourceChanges)}`;
    }
    case "up":
      await upAndSmoke(stack, ctx, options, draft);
      return `up of ${name}: ${formatChanges(draft.resourceChanges)}${draft.smoke ? "; smoke test passed" : ""}`;
    case "destroy": {
      if (!options.yes && !(await ops.confirm(`Destroy EVERY resource of ${name}?`))) {
        throw new DriverError("destroy cancelled at the prompt", ExitCode.Usage);
      }
      draft.resourceChanges = await destroyEmptyingNamespace(stack, ctx, removeAfterDestroy);
      if (removeAfterDestroy) draft.removed = true;
      return `destroy of ${name}: ${formatChanges(draft.resourceChanges)}${removeAfterDestroy ? "; stack removed" : ""}`;
    }
  }
}

/** Cloud Map access for the teardown's second chance; tests may point the SDK at a stand-in endpoint. */
function cloudMapFor(region: string): {
  client: CloudMapSender;
  sd: typeof import("@aws-sdk/client-servicediscovery");
} {
  const sd = require("@aws-sdk/client-servicediscovery") as typeof import("@aws-sdk/client-servicediscovery");
  return { client: new sd.ServiceDiscoveryClient({ region }), sd };
}

/**
 * destroy, and when it fails while the stack's namespace still holds services consul-aws created
 * (a stack deployed before the namespace cleanup existed, or one whose cleanup could not finish),
 * remove those with the same code the stack's cleanup resource runs and destroy once more. By
 * then destroy has stopped consul-aws, so nothing re-creates them.
 */
export async function destroyEmptyingNamespace(
  stack: Stack,
  ctx: ops.OperationContext,
  remove: boolean,
): Promise<OpMap | undefined> {
  try {
    return await ops.destroy(stack, ctx, remove);
  } catch (err) {
    const namespaceId = await stack
      .outputs()
      .then((o) => o.namespaceId?.value as string | undefined)
      .catch(() => undefined);
    const region = await stack
      .getConfig("aws:region")
      .then((c) => c.value)
      .catch(() => undefined);
    if (!namespaceId || !region) throw err;
    const { client, sd } = cloudMapFor(region);
    const imported = (await listNamespaceServices(client, sd, namespaceId).catch(() => [])).filter(
      (x) => x.Description === IMPORTED_DESCRIPTION,
    );
    if (imported.length === 0) throw err;
    ctx.sink.write(
      `destroy stopped with ${imported.length} service(s) consul-aws created still in namespace ${namespaceId}: removing them, then destroying again\n`,
    );
    const report = await deleteImportedServices(client, sd, namespaceId, {
      log: (line) => ctx.sink.write(`${line}\n`),
    });
    ctx.sink.write(
      `removed ${report.deletedServices.length} service(s), ${report.deregisteredInstances} instance(s)\n`,
    );
    return await ops.destroy(stack, ctx, remove);
  }
}

/**
 * up → smoke → destroy + remove of a throw-away stack. The teardown runs in `finally`, so a failed
 * deploy, a failed smoke test and Ctrl-C/SIGTERM all end with the stack gone (unless
 * --keep-on-failure asks to keep a failed one for debugging).
 */
export async function runEphemeral(
  cmd: EphemeralCommand,
  env: Env,
  sink: Sink,
  draft: Draft,
): Promise<string> {
  const { stack: name, sourceStack, options, keepOnFailure } = cmd;
  draft.overrides = options.overrides;
  draft.removed = false;
  const interrupts = new Interrupts(sink, 3, `destroying ${name}`);
  let stack: Stack | undefined;
  let failed = true;
  let primary: DriverError | undefined;
  try {
    // The throw-away stack has no settings file of its own: its source stack's file must exist.
    const source = {
      settingsOf: sourceStack,
      copyConfigFrom: sourceStack,
      onOpened: (s: Stack) => (stack = s),
    };
    const prepared = await prepareStack(name, source, options, env, sink, interrupts.signal);
    const opened = prepared.stack;
    if (options.refresh) await ops.refresh(opened, prepared.ctx); // a leftover stack of the same PR
    await upAndSmoke(opened, prepared.ctx, options, draft);
    failed = false;
    return `ephemeral ${name}: deployed and smoke-tested`;
  } catch (err) {
    primary = classifyOperationError(err, `ephemeral ${name}`);
    throw primary;
  } finally {
    try {
      if (stack && failed && keepOnFailure && !interrupts.interrupted) {
        sink.write(
          `--keep-on-failure: leaving ${name} up; remove it with: npm run driver -- ${name} destroy --yes\n`,
        );
      } else if (stack) {
        const ctx = { sink, signal: interrupts.freshSignal() };
        await destroyEmptyingNamespace(stack, ctx, true);
        draft.removed = true;
        sink.write(`ephemeral stack ${name} destroyed and removed\n`);
      }
    } catch (err) {
      const teardown = classifyOperationError(err, `teardown of ${name}`);
      // The teardown failing is the worst outcome: say so plainly, with the way out, and keep the first failure.
      throw new DriverError(
        `${primary ? `${primary.message}\nthen ` : ""}${teardown.message}\n` +
          `ephemeral stack ${name} was NOT removed; retry with: npm run driver -- ${name} destroy --yes`,
        primary?.exitCode ?? teardown.exitCode,
      );
    } finally {
      interrupts.dispose();
    }
  }
}

export async function runSmokeCommand(cmd: SmokeCommand, sink: Sink, draft: Draft): Promise<string> {
  sink.write(
    `smoke test of ${cmd.url}: ${cmd.requests} requests per round, deadline ${cmd.deadlineMs / 1000}s, ≥${cmd.minDistinctTasks} name task(s)\n`,
  );
  const smoke: SmokeResult = await smokeTest(cmd.url, {
    requests: cmd.requests,
    deadlineMs: cmd.deadlineMs,
    minDistinctTasks: cmd.minDistinctTasks,
  });
  draft.smoke = smoke;
  if (!smoke.ok) throw new DriverError(formatSmokeResult(smoke), ExitCode.SmokeFailed);
  return formatSmokeResult(smoke);
}
