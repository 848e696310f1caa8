import * as fs from "fs";
import * as os from "os";
import type { OpMap, Stack } from "@pulumi/pulumi/automation";
import {
  DEFAULT_MIN_DISTINCT_TASKS,
  type Command,
  type ConfigOverride,
  type DeployOptions,
  type Env,
} from "./args";
import { DriverError, ExitCode } from "./errors";
import { Interrupts } from "./interrupts";
import * as ops from "./operations";
import type { Sink } from "./printer";
import {
  checkAwsCredentials,
  checkPulumiBackend,
  formatProblems,
  installPulumiCli,
  realFiles,
} from "./prerequisites";
import {
  checkOverridesDeclared,
  checkPlaceholders,
  checkStackSettings,
  runSettings,
  isEphemeralStack,
  overridesConfig,
  PROJECT_DIR,
  qualifiedKey,
  readProjectSchema,
  writeRunConfig,
} from "./stack-config";
import {
  deleteImportedServices,
  IMPORTED_DESCRIPTION,
  listNamespaceServices,
  type CloudMapSender,
} from "../components/namespace-cleanup";
import { awsConsulCheckDeps, formatConsulCheck, runConsulCheck, type ConsulCheckInfo } from "./consul-check";
import { formatSmokeResult, smokeTest } from "./smoke";
import {
  formatOutputs,
  formatPreviewChanges,
  hasChanges,
  HELLO_URL_OUTPUT,
  minDistinctTasks,
  NAME_COUNT_KEY,
  plainOutputs,
  type RunReport,
} from "./summary";
import { formatChanges } from "./progress";

type StackCommand = Extract<Command, { kind: "stack" }>;
type EphemeralCommand = Extract<Command, { kind: "ephemeral" }>;
type SmokeCommand = Extract<Command, { kind: "smoke" }>;

/** Partial report filled in as a run goes, so a failure still reports what did happen. */
type Draft = Omit<RunReport, "ok" | "exitCode" | "durationSeconds" | "summary"> & { summary?: string };

/** An operation's context plus this run's view of the stack's config (overrides first). */
interface RunContext extends ops.OperationContext {
  configValue(key: string): Promise<string | undefined>;
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

/**
 * The settings checks (exit 2), then backend login and AWS credentials reported together (exit 3,
 * no network), then the pinned CLI, installed on first use: nothing is downloaded for a run that
 * could not go ahead anyway. Returns the stack opened (created when new) in the project's workspace.
 */
async function openStack(
  name: string,
  settingsOf: string | undefined,
  overrides: readonly ConfigOverride[],
  env: Env,
  sink: Sink,
  operation: "preview" | "up" | "refresh" | "destroy",
): Promise<{ stack: Stack; project: string }> {
  if (settingsOf) checkStackSettings(settingsOf, fs.readdirSync(PROJECT_DIR));
  const schema = readProjectSchema();
  checkOverridesDeclared(
    overrides.map((o) => o.key),
    schema,
  );
  if (settingsOf) {
    const warning = checkPlaceholders(operation, runSettings(settingsOf, overrides, schema.project));
    if (warning) sink.write(`${warning}\n`);
  }
  const home = os.homedir();
  const backend = checkPulumiBackend(env, home, realFiles);
  const aws = checkAwsCredentials(env, home, realFiles);
  if (!backend.ok || !aws.ok) {
    const problems = [backend, aws].flatMap((c) => (c.ok ? [] : [c.problem]));
    throw new DriverError(formatProblems(problems), ExitCode.MissingPrerequisite);
  }
  const cli = await installPulumiCli(home);
  sink.write(
    `prerequisites: Pulumi CLI ${cli.version} (${cli.root}); backend ${backend.value}; AWS ${aws.value}\n`,
  );
  for (const o of overrides) sink.write(`config ${o.key}=${o.value} (from ${o.source}, this run only)\n`);
  return { stack: await ops.openStack(cli.pulumi, PROJECT_DIR, name), project: schema.project };
}

function runContext(
  stack: Stack,
  overrides: readonly ConfigOverride[],
  project: string,
  sink: Sink,
  signal: AbortSignal,
  configFile?: string,
): RunContext {
  return {
    sink,
    signal,
    configFile,
    configValue: async (key) => {
      const override = overrides.find((o) => qualifiedKey(o.key, project) === qualifiedKey(key, project));
      return override?.value ?? (await stack.getConfig(key).catch(() => undefined))?.value;
    },
  };
}

async function upAndSmoke(
  stack: Stack,
  ctx: RunContext,
  options: DeployOptions,
  draft: Draft,
): Promise<void> {
  let expectedTotal: number | undefined;
  if (!options.yes) {
    const changes = await ops.preview(stack, ctx, options.refresh);
    ctx.sink.write(`preview: ${formatPreviewChanges(changes)}\n`);
    expectedTotal = Object.values(changes).reduce((a, b) => a + (b ?? 0), 0);
    if (!hasChanges(changes)) {
      ctx.sink.write("nothing to change\n");
    } else if (!(await ops.confirm(`Deploy these changes to ${stack.name}?`))) {
      throw new DriverError("up cancelled at the prompt", ExitCode.Usage);
    }
  }
  const { resourceChanges, outputs } = await ops.up(stack, ctx, { refresh: options.refresh, expectedTotal });
  draft.resourceChanges = resourceChanges;
  draft.outputs = plainOutputs(outputs);
  ctx.sink.write(`up: ${formatChanges(resourceChanges)}\n${formatOutputs(outputs).join("\n")}\n`);
  if (options.smokeRequests === 0) return;
  const url = outputs[HELLO_URL_OUTPUT]?.value as unknown;
  if (typeof url !== "string" || url === "") {
    throw new DriverError(
      `smoke test: the stack has no ${HELLO_URL_OUTPUT} output to test (outputs: ${Object.keys(outputs).join(", ") || "none"})`,
      ExitCode.SmokeFailed,
    );
  }
  const smoke = await smokeTest(url, {
    requests: options.smokeRequests,
    minDistinctTasks: minDistinctTasks(await ctx.configValue(NAME_COUNT_KEY), DEFAULT_MIN_DISTINCT_TASKS),
  });
  draft.smoke = smoke;
  ctx.sink.write(`${formatSmokeResult(smoke)}\n`);
  if (!smoke.ok) throw new DriverError(formatSmokeResult(smoke), ExitCode.SmokeFailed);
  await consulSmoke(outputs[CONSUL_CHECK_OUTPUT]?.value as ConsulCheckInfo | undefined, ctx, draft);
}

/** The stack output describing the Consul sync proof (index.ts); absent when consulMode is off. */
export const CONSUL_CHECK_OUTPUT = "consulCatalogCheck";

/** Proof both ways that consul-aws syncs (see driver/consul-check.ts); a failed proof fails the smoke test. */
async function consulSmoke(info: ConsulCheckInfo | undefined, ctx: RunContext, draft: Draft): Promise<void> {
  if (!info) return;
  ctx.sink.write(`consul sync check (${info.mode} Consul${info.task ? ", one-off task in the VPC" : ""})\n`);
  const { clients, sdk } = await awsConsulCheckDeps(info.region);
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
  let runConfig: ReturnType<typeof writeRunConfig>;
  try {
    const { stack, project } = await openStack(
      name,
      leftoverEphemeral ? undefined : name,
      options.overrides,
      env,
      sink,
      operation,
    );
    runConfig = writeRunConfig(name, options.overrides, project);
    const ctx = runContext(stack, options.overrides, project, sink, interrupts.signal, runConfig?.file);
    return await runOperation(stack, ctx, cmd, draft, leftoverEphemeral);
  } finally {
    runConfig?.remove();
    interrupts.dispose();
  }
}

async function runOperation(
  stack: Stack,
  ctx: RunContext,
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
      const how = { refresh: options.refresh, remove: removeAfterDestroy };
      draft.resourceChanges = await destroyEmptyingNamespace(stack, ctx, how);
      if (removeAfterDestroy) draft.removed = true;
      return `destroy of ${name}: ${formatChanges(draft.resourceChanges)}${removeAfterDestroy ? "; stack removed" : ""}`;
    }
  }
}

/** Cloud Map access for the teardown's second chance, loaded only then; tests may point it at a stand-in endpoint. */
async function cloudMapFor(region: string): Promise<{
  client: CloudMapSender;
  sd: typeof import("@aws-sdk/client-servicediscovery");
}> {
  const sd = await import("@aws-sdk/client-servicediscovery");
  return { client: new sd.ServiceDiscoveryClient({ region }), sd };
}

/**
 * destroy, and when it fails while the stack's namespace still holds services consul-aws created
 * (a stack deployed before the namespace cleanup existed, or one whose cleanup could not finish),
 * remove those with the same code the stack's cleanup resource runs and destroy once more. By
 * then destroy has stopped consul-aws, so nothing re-creates them.
 */
async function destroyEmptyingNamespace(
  stack: Stack,
  ctx: RunContext,
  how: { refresh: boolean; remove: boolean },
): Promise<OpMap | undefined> {
  try {
    return await ops.destroy(stack, ctx, how);
  } catch (err) {
    const namespaceId = await stack
      .outputs()
      .then((o) => o.namespaceId?.value as string | undefined)
      .catch(() => undefined);
    const region = await ctx.configValue("aws:region");
    if (!namespaceId || !region) throw err;
    const { client, sd } = await cloudMapFor(region);
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
    return await ops.destroy(stack, ctx, how);
  }
}

/**
 * up → smoke → destroy + remove of a throw-away stack with its source stack's config (and the
 * overrides) as its own. The teardown runs in `finally`, so a failed deploy, a failed smoke test
 * and Ctrl-C/SIGTERM all end with the stack gone (unless --keep-on-failure asks to keep a failed
 * one for debugging).
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
  let opened: { stack: Stack; ctx: RunContext } | undefined;
  try {
    const failure = await (async () => {
      // The throw-away stack has no settings file of its own: its source stack's file must exist.
      const { stack, project } = await openStack(name, sourceStack, options.overrides, env, sink, "up");
      const ctx = runContext(stack, options.overrides, project, sink, interrupts.signal);
      opened = { stack, ctx };
      sink.write(`copying config of ${sourceStack} into ${name}\n`);
      try {
        // Secrets are decrypted from the source and encrypted again for this stack.
        const copied = await stack.workspace.getAllConfig(sourceStack);
        await stack.setAllConfig({ ...copied, ...overridesConfig(options.overrides, project) });
      } catch (err) {
        throw ops.classifyOperationError(err, `copying config from ${sourceStack}`);
      }
      // up refreshes first (unless --no-refresh): a leftover stack of the same PR may exist.
      await upAndSmoke(stack, ctx, options, draft);
    })().then(
      () => undefined,
      (err: unknown) => ops.classifyOperationError(err, `ephemeral ${name}`),
    );
    if (opened && failure && keepOnFailure && !interrupts.interrupted) {
      sink.write(
        `--keep-on-failure: leaving ${name} up; remove it with: npm run driver -- ${name} destroy --yes\n`,
      );
    } else if (opened) {
      const { stack, ctx } = opened;
      try {
        const how = { refresh: false, remove: true };
        await destroyEmptyingNamespace(stack, { ...ctx, signal: interrupts.freshSignal() }, how);
      } catch (err) {
        const teardown = ops.classifyOperationError(err, `teardown of ${name}`);
        // The teardown failing is the worst outcome: say so plainly, with the way out, and keep the first failure.
        throw new DriverError(
          `${failure ? `${failure.message}\nthen ` : ""}${teardown.message}\n` +
            `ephemeral stack ${name} was NOT removed; retry with: npm run driver -- ${name} destroy --yes`,
          failure?.exitCode ?? teardown.exitCode,
        );
      }
      draft.removed = true;
      sink.write(`ephemeral stack ${name} destroyed and removed\n`);
    }
    if (failure) throw failure;
    return `ephemeral ${name}: deployed and smoke-tested`;
  } finally {
    interrupts.dispose();
  }
}

export async function runSmokeCommand(cmd: SmokeCommand, sink: Sink, draft: Draft): Promise<string> {
  sink.write(
    `smoke test of ${cmd.url}: ${cmd.requests} requests per round, deadline ${cmd.deadlineMs / 1000}s, ≥${cmd.minDistinctTasks} name task(s)\n`,
  );
  const smoke = await smokeTest(cmd.url, {
    requests: cmd.requests,
    deadlineMs: cmd.deadlineMs,
    minDistinctTasks: cmd.minDistinctTasks,
  });
  draft.smoke = smoke;
  if (!smoke.ok) throw new DriverError(formatSmokeResult(smoke), ExitCode.SmokeFailed);
  return formatSmokeResult(smoke);
}
