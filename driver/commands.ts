import * as fs from "fs";
import * as os from "os";
import { LocalWorkspace, type OpMap, type Stack } from "@pulumi/pulumi/automation";
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
  checkBackendAccess,
  checkPulumiBackend,
  formatProblems,
  installPulumiCli,
  realFiles,
  type Backend,
} from "./prerequisites";
import {
  checkOverridesDeclared,
  checkPlaceholders,
  checkRegion,
  checkStackSettings,
  runSettings,
  isEphemeralStack,
  overridesConfig,
  PROJECT_DIR,
  qualifiedKey,
  readProjectSchema,
  readStackFacts,
  writeRunConfig,
  type StackFileFacts,
} from "./stack-config";
import {
  deleteImportedServices,
  IMPORTED_DESCRIPTION,
  listNamespaceServices,
  type CloudMapSender,
} from "../packages/ecs-cloudmap-consul/network/namespace-cleanup";
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
type SweepCommand = Extract<Command, { kind: "sweep" }>;

/** Partial report filled in as a run goes, so a failure still reports what did happen. */
type Draft = Omit<RunReport, "ok" | "exitCode" | "durationSeconds" | "summary"> & { summary?: string };

/** An operation's context plus this run's view of the stack's config (overrides first). */
interface RunContext extends ops.OperationContext {
  configValue(key: string): Promise<string | undefined>;
}

/** Up/refresh/destroy without a terminal to ask on must be told --yes; found before anything runs. */
export function requireYes(operation: string, stack: string, options: DeployOptions): void {
  if (operation !== "preview" && operation !== "init" && !options.yes && !process.stdin.isTTY) {
    throw new DriverError(
      `${operation} of ${stack} changes the stack: pass --yes (no terminal to ask on)`,
      ExitCode.Usage,
    );
  }
}

/**
 * The stack's name on the backend: with Pulumi Cloud and PULUMI_ORG, `<org>/<stack>`, so a token whose
 * default organization is another one never selects (or creates) a stack there.
 */
export function backendStackName(name: string, backend: Backend, env: Env): string {
  const org = env.PULUMI_ORG;
  if (!org || backend.kind !== "cloud" || name.includes("/")) return name;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(org)) {
    throw new DriverError(`PULUMI_ORG "${org}": expected a Pulumi organization name`, ExitCode.Usage);
  }
  return `${org}/${name}`;
}

/** What the prerequisite checks found, for the run log and the checks that follow. */
interface Prerequisites {
  backend: Backend;
  aws: string;
}

/**
 * Backend, its access (AWS credentials for an s3:// bucket, a secrets provider) and AWS credentials,
 * reported together (exit 3, no network). `stack` is what the settings file says about the stack
 * being opened, when it has one.
 */
function checkPrerequisites(
  env: Env,
  stack: { name: string; facts: StackFileFacts; creating: boolean } | undefined,
): Prerequisites {
  const home = os.homedir();
  const backend = checkPulumiBackend(env, home, realFiles);
  const aws = checkAwsCredentials(env, home, realFiles);
  const problems = [backend, aws].flatMap((c) => (c.ok ? [] : [c.problem]));
  if (backend.ok && stack) {
    const { name, facts, creating } = stack;
    problems.push(
      ...checkBackendAccess(backend.value, { name, file: facts.file, secrets: facts, creating }, env, aws),
    );
  }
  if (!backend.ok || !aws.ok || problems.length > 0) {
    throw new DriverError(formatProblems(problems), ExitCode.MissingPrerequisite);
  }
  return { backend: backend.value, aws: aws.value };
}

/**
 * The settings checks and the region (exit 2), then the prerequisites (exit 3, no network), then the
 * pinned CLI, installed on first use: nothing is downloaded for a run that could not go ahead anyway.
 * Returns the stack opened in the project's workspace: selected, or created only as `mode` allows.
 */
async function openStack(
  name: string,
  settingsOf: string | undefined,
  overrides: readonly ConfigOverride[],
  env: Env,
  sink: Sink,
  operation: string,
  mode: ops.OpenMode = "select",
): Promise<{ stack: Stack; project: string; created: boolean }> {
  let facts: StackFileFacts | undefined;
  if (settingsOf) {
    checkStackSettings(settingsOf, fs.readdirSync(PROJECT_DIR));
    facts = readStackFacts(settingsOf);
    checkRegion(facts, env);
  }
  const schema = readProjectSchema();
  checkOverridesDeclared(
    overrides.map((o) => o.key),
    schema,
  );
  if (settingsOf) {
    const warning = checkPlaceholders(operation, runSettings(settingsOf, overrides, schema.project));
    if (warning) sink.write(`${warning}\n`);
  }
  const creating = mode !== "select";
  const found = checkPrerequisites(env, facts && { name, facts, creating });
  const stackName = backendStackName(name, found.backend, env);
  const cli = await installPulumiCli(os.homedir());
  sink.write(
    `prerequisites: Pulumi CLI ${cli.version} (${cli.root}); backend ${found.backend.url} (${found.backend.via}); AWS ${found.aws}` +
      `${facts?.region ? `; region ${facts.region} (${facts.file})` : ""}\n`,
  );
  for (const o of overrides) sink.write(`config ${o.key}=${o.value} (from ${o.source}, this run only)\n`);
  const opened = await ops.openStack(cli.pulumi, PROJECT_DIR, stackName, mode, {
    backend: found.backend.url,
    secretsProvider:
      creating && found.backend.kind === "self-managed" ? env.PULUMI_SECRETS_PROVIDER : undefined,
  });
  return { ...opened, project: schema.project };
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
  if (options.plan !== undefined) {
    if (!fs.existsSync(options.plan)) {
      throw new DriverError(
        `--plan ${options.plan}: no such file (preview --save-plan writes it)`,
        ExitCode.Usage,
      );
    }
    // The plan was made against the state as it was, without a refresh: refreshing now would change
    // what the plan compares with, and the update would stop on the difference.
    ctx.sink.write(`up of ${stack.name} applies exactly the plan ${options.plan} (no refresh)\n`);
  } else if (!options.yes) {
    const changes = await ops.preview(stack, ctx, options.refresh);
    ctx.sink.write(`preview: ${formatPreviewChanges(changes)}\n`);
    expectedTotal = Object.values(changes).reduce((a, b) => a + (b ?? 0), 0);
    if (!hasChanges(changes)) {
      ctx.sink.write("nothing to change\n");
    } else if (!(await ops.confirm(`Deploy these changes to ${stack.name}?`))) {
      throw new DriverError("up cancelled at the prompt", ExitCode.Usage);
    }
  }
  const { resourceChanges, outputs } = await ops.up(stack, ctx, {
    refresh: options.plan === undefined && options.refresh,
    expectedTotal,
    plan: options.plan,
  });
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
  // `pr-<n>` destroy or recover: an ephemeral stack that outlived its run (no settings file by design).
  const leftoverEphemeral = (operation === "destroy" || operation === "recover") && isEphemeralStack(name);
  if (operation === "init" && isEphemeralStack(name)) {
    throw new DriverError(
      `init ${name}: pr-<number> stacks are created by \`ephemeral <number>\``,
      ExitCode.Usage,
    );
  }
  const interrupts = new Interrupts(sink, 2);
  let runConfig: ReturnType<typeof writeRunConfig>;
  try {
    let opened: Awaited<ReturnType<typeof openStack>>;
    try {
      opened = await openStack(
        name,
        leftoverEphemeral ? undefined : name,
        options.overrides,
        env,
        sink,
        operation,
        operation === "init" ? "create" : "select",
      );
    } catch (err) {
      // Cleaning up a pr stack that is already gone (its run tore it down) is done, not an error.
      if (leftoverEphemeral && err instanceof ops.StackMissingError)
        return `${operation} of ${name}: no such stack, nothing to do`;
      throw err;
    }
    const { stack, project, created } = opened;
    if (operation === "init") {
      return created
        ? `init: stack ${stack.name} created${env.PULUMI_SECRETS_PROVIDER ? `; commit the secretsprovider/encryptedkey it wrote into Pulumi.${name}.yaml` : ""}`
        : `init: stack ${stack.name} already exists; nothing to do`;
    }
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
      const changes: OpMap = await ops.preview(stack, ctx, false, options.savePlan);
      draft.changeSummary = changes;
      if (options.savePlan) draft.plan = options.savePlan;
      return `preview of ${name}: ${formatPreviewChanges(changes)}${options.savePlan ? `; plan saved to ${options.savePlan}` : ""}`;
    }
    case "refresh": {
      if (options.previewOnly) {
        const drift = await ops.previewRefresh(stack, ctx);
        draft.changeSummary = drift;
        return `drift of ${name}: ${hasChanges(drift) ? formatPreviewChanges(drift) : "none"}`;
      }
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
    case "recover":
      return recover(stack, ctx, options, draft);
    case "init":
      throw new DriverError("init is handled when the stack is opened", ExitCode.OperationFailed);
  }
}

/**
 * After a run was killed (a cancelled job: the runner kills the process tree seconds after SIGTERM)
 * the stack stays locked with pending operations. `pulumi cancel` releases the lock (Pulumi Cloud
 * and self-managed backends alike); a refresh that clears pending creates then reads what exists.
 * A create that did finish in AWS but not in the state is not adopted: the refresh lists what it
 * dropped, and the next `up` creates it again (import it by hand if its name must stay).
 */
async function recover(stack: Stack, ctx: RunContext, options: DeployOptions, draft: Draft): Promise<string> {
  if (!options.yes && !(await ops.confirm(`Cancel any update of ${stack.name} and refresh its state?`))) {
    throw new DriverError("recover cancelled at the prompt", ExitCode.Usage);
  }
  let released = true;
  try {
    await ops.cancel(stack);
    ctx.sink.write(`cancel: ${stack.name}'s lock released\n`);
  } catch (err) {
    // Nothing to cancel is fine (the lock may already be gone); the refresh says whether it is.
    released = false;
    ctx.sink.write(
      `cancel: ${(err as Error).message.split("\n").slice(-1)[0]} (continuing with the refresh)\n`,
    );
  }
  draft.resourceChanges = await ops.refresh(stack, ctx, { clearPendingCreates: true });
  return `recover of ${stack.name}: ${released ? "lock released; " : ""}refresh clearing pending creates: ${formatChanges(draft.resourceChanges)}`;
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
      const { stack, project } = await openStack(
        name,
        sourceStack,
        options.overrides,
        env,
        sink,
        "up",
        "create-or-select",
      );
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

/** Waits `ms`, or less when the run is interrupted. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** One swept stack: removed, still locked after the retries, failed, or left (age unknown). */
export interface SweptStack {
  stack: string;
  lastUpdate?: string;
  outcome: "removed" | "locked" | "failed" | "kept";
  error?: string;
}

/** Ephemeral stacks older than the TTL; a stack never updated has no age and is kept (it may be starting). */
export function staleEphemeralStacks(
  stacks: readonly { name: string; lastUpdate?: string }[],
  now: number,
  ttlMs: number,
): { stale: string[]; unknownAge: string[] } {
  const stale: string[] = [];
  const unknownAge: string[] = [];
  for (const s of stacks) {
    if (!isEphemeralStack(s.name)) continue;
    const updated = s.lastUpdate ? Date.parse(s.lastUpdate) : NaN;
    if (Number.isNaN(updated)) unknownAge.push(s.name);
    else if (now - updated > ttlMs) stale.push(s.name);
  }
  return { stale, unknownAge };
}

/**
 * Destroys and removes `pr-<number>` stacks whose last update is older than the TTL: the safety net
 * for a removed label, a failed teardown or a killed runner. A locked stack (exit 6: an update runs,
 * or a killed one left its lock) is retried after a delay; still locked, it is reported, not forced.
 * Exit 4 when any destroy failed, else 6 when any stayed locked.
 */
export async function runSweep(cmd: SweepCommand, env: Env, sink: Sink, draft: Draft): Promise<string> {
  const source = readStackFacts("dev");
  checkRegion(source, env);
  const found = checkPrerequisites(env, undefined);
  const cli = await installPulumiCli(os.homedir());
  sink.write(`prerequisites: Pulumi CLI ${cli.version}; backend ${found.backend.url}; AWS ${found.aws}\n`);
  const interrupts = new Interrupts(sink, 2);
  const swept: SweptStack[] = [];
  draft.swept = swept;
  try {
    const ws = await LocalWorkspace.create({ workDir: PROJECT_DIR, pulumiCommand: cli.pulumi }).catch(
      (err) => {
        throw ops.classifyOperationError(err, "opening the workspace");
      },
    );
    const listed = await ws.listStacks().catch((err) => {
      throw ops.classifyOperationError(err, "listing stacks");
    });
    const { stale, unknownAge } = staleEphemeralStacks(listed, Date.now(), cmd.ttlMs);
    for (const name of unknownAge)
      swept.push({ stack: name, outcome: "kept", error: "never updated: age unknown" });
    sink.write(
      `sweep: ${stale.length} pr stack(s) older than ${cmd.ttlMs / 3_600_000}h: ${stale.join(", ") || "none"}\n`,
    );
    for (const name of stale) {
      const entry: SweptStack = {
        stack: name,
        lastUpdate: listed.find((s) => s.name === name)?.lastUpdate,
        outcome: "failed",
      };
      swept.push(entry);
      for (let attempt = 0; ; attempt++) {
        try {
          const stack = await ops.openStack(cli.pulumi, PROJECT_DIR, name, "select", {
            backend: found.backend.url,
          });
          const ctx = { sink, signal: interrupts.signal };
          await ops.destroy(stack.stack, ctx, { refresh: true, remove: true });
          entry.outcome = "removed";
          entry.error = undefined;
          break;
        } catch (err) {
          const known = ops.classifyOperationError(err, `destroy of ${name}`);
          entry.error = known.message;
          if (known.exitCode === ExitCode.Interrupted) throw known;
          if (known.exitCode !== ExitCode.StackLocked) break;
          entry.outcome = "locked";
          if (attempt >= cmd.retries) break;
          sink.write(
            `${name} is locked; retry ${attempt + 1}/${cmd.retries} in ${cmd.retryDelayMs / 1000}s\n`,
          );
          await sleep(cmd.retryDelayMs, interrupts.signal);
          if (interrupts.interrupted) throw new DriverError("sweep interrupted", ExitCode.Interrupted);
        }
      }
      sink.write(`${name}: ${entry.outcome}${entry.error ? ` (${entry.error.split("\n")[0]})` : ""}\n`);
    }
  } finally {
    interrupts.dispose();
  }
  const count = (o: SweptStack["outcome"]) => swept.filter((s) => s.outcome === o).length;
  const summary = `sweep: ${count("removed")} removed, ${count("locked")} still locked, ${count("failed")} failed`;
  if (count("failed") > 0)
    throw new DriverError(`${summary}\n${failures(swept, "failed")}`, ExitCode.OperationFailed);
  if (count("locked") > 0) {
    throw new DriverError(
      `${summary}\n${failures(swept, "locked")}\nif no update is running, release the lock: npm run driver -- <stack> recover --yes`,
      ExitCode.StackLocked,
    );
  }
  return summary;
}

function failures(swept: readonly SweptStack[], outcome: SweptStack["outcome"]): string {
  return swept
    .filter((s) => s.outcome === outcome)
    .map((s) => `${s.stack}: ${s.error ?? outcome}`)
    .join("\n");
}
