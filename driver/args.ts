import { parseArgs } from "util";
import { UsageError } from "./errors";

export const OPERATIONS = ["preview", "up", "refresh", "destroy", "recover", "init"] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Stack config key the program reads the container image tag from (`pulumi config set imageTag ...`). */
export const IMAGE_TAG_CONFIG_KEY = "imageTag";
export const REGION_CONFIG_KEY = "aws:region";
/** The stack whose settings an ephemeral stack copies. */
export const EPHEMERAL_SOURCE_STACK = "dev";

export const DEFAULT_SMOKE_REQUESTS = 20;
export const DEFAULT_SMOKE_DEADLINE_MS = 120_000;
/** More than one name task must answer: proof that discovery and client-side balancing work. */
export const DEFAULT_MIN_DISTINCT_TASKS = 2;

export interface ConfigOverride {
  key: string;
  value: string;
  /** Where it came from, e.g. `--config` or `IMAGE_TAG`, so the run log says why a value changed. */
  source: string;
}

export interface DeployOptions {
  json: boolean;
  overrides: ConfigOverride[];
  yes: boolean;
  /** Refresh before up/destroy (default); `--no-refresh` turns it off. */
  refresh: boolean;
  /** Requests of the post-up smoke test; 0 skips it. */
  smokeRequests: number;
  /** preview: save the proposed operations as an update plan at this path (`--save-plan`). */
  savePlan?: string;
  /** up: apply exactly the update plan at this path (`--plan`); no refresh, no other changes. */
  plan?: string;
  /** refresh: only show what a refresh would change (drift detection). */
  previewOnly?: boolean;
}

export type Command =
  | { kind: "help" }
  | { kind: "stack"; stack: string; operation: Operation; options: DeployOptions }
  | { kind: "ephemeral"; stack: string; sourceStack: string; keepOnFailure: boolean; options: DeployOptions }
  | { kind: "sweep"; ttlMs: number; retries: number; retryDelayMs: number; json: boolean }
  | {
      kind: "smoke";
      url: string;
      requests: number;
      deadlineMs: number;
      minDistinctTasks: number;
      json: boolean;
    };

export type Env = Readonly<Record<string, string | undefined>>;

export const USAGE = `Usage:
  npm run driver -- <stack> preview|up|refresh|destroy|recover|init [options]
  npm run driver -- ephemeral <pr-number> [options] [--keep-on-failure]
  npm run driver -- sweep [--ttl 24h] [--retries 3] [--retry-delay 60s] [--json]
  npm run driver -- smoke <url> [--requests N] [--deadline 120s] [--expect-tasks >1] [--json]

Stack options:
  --json                 print one machine-readable JSON object on stdout (progress goes to stderr)
  --config <key=value>   set a stack config value for this run; repeatable
  --image-tag <t>        set ${IMAGE_TAG_CONFIG_KEY} for this run (env IMAGE_TAG)
  --yes                  do not ask before up/refresh/destroy (required without a terminal)
  --no-refresh           skip the refresh that runs before up and destroy
  --smoke-requests <N>   requests of the smoke test after up, 0 to skip (env SMOKE_REQUESTS, default ${DEFAULT_SMOKE_REQUESTS})
  --save-plan <file>     preview: save the proposed operations as an update plan
  --plan <file>          up: apply exactly that plan (no refresh; anything else fails the update)
  --preview-only         refresh: only show the drift, change nothing

The stack runs in the region its settings file names (aws:region); AWS_REGION, when set, must match.
dev and prod are only selected, never created by a run: \`init\` creates one once. Only pr-<number>
stacks are created on demand. With Pulumi Cloud, PULUMI_ORG names the organization.

The stack may come from env PULUMI_STACK: npm run driver -- preview`;

const OPTION_SPECS = {
  json: { type: "boolean" },
  config: { type: "string", multiple: true },
  "image-tag": { type: "string" },
  yes: { type: "boolean", short: "y" },
  "no-refresh": { type: "boolean" },
  "smoke-requests": { type: "string" },
  "keep-on-failure": { type: "boolean" },
  "save-plan": { type: "string" },
  plan: { type: "string" },
  "preview-only": { type: "boolean" },
  ttl: { type: "string" },
  retries: { type: "string" },
  "retry-delay": { type: "string" },
  requests: { type: "string" },
  deadline: { type: "string" },
  "expect-tasks": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;
type Flag = keyof typeof OPTION_SPECS;

const DEPLOY_FLAGS: Flag[] = ["json", "config", "image-tag"];
const FLAGS_BY_MODE: Record<Operation | "ephemeral" | "smoke" | "sweep", Flag[]> = {
  preview: [...DEPLOY_FLAGS, "save-plan"],
  refresh: [...DEPLOY_FLAGS, "yes", "preview-only"],
  up: [...DEPLOY_FLAGS, "yes", "no-refresh", "smoke-requests", "plan"],
  destroy: [...DEPLOY_FLAGS, "yes", "no-refresh"],
  recover: ["json", "yes"],
  init: ["json"],
  ephemeral: [...DEPLOY_FLAGS, "no-refresh", "smoke-requests", "keep-on-failure"],
  smoke: ["json", "requests", "deadline", "expect-tasks"],
  sweep: ["json", "ttl", "retries", "retry-delay"],
};

interface Values {
  json?: boolean;
  config?: string[];
  "image-tag"?: string;
  yes?: boolean;
  "no-refresh"?: boolean;
  "smoke-requests"?: string;
  "keep-on-failure"?: boolean;
  "save-plan"?: string;
  plan?: string;
  "preview-only"?: boolean;
  ttl?: string;
  retries?: string;
  "retry-delay"?: string;
  requests?: string;
  deadline?: string;
  "expect-tasks"?: string;
  help?: boolean;
}

/** Parses `npm run driver -- ...` arguments into a typed command; throws UsageError naming the bad flag. */
export function parseCommand(argv: readonly string[], env: Env = {}): Command {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTION_SPECS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split("\n")[0]}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (positionals.length === 0) throw new UsageError(`missing command\n\n${USAGE}`);

  const [first, second, ...rest] = positionals;
  if (first === "smoke") {
    expectArity("smoke <url>", positionals, 2);
    checkFlags("smoke", values);
    return parseSmoke(requireArg(second, "smoke <url>"), values);
  }
  if (first === "sweep") {
    expectArity("sweep", positionals, 1);
    checkFlags("sweep", values);
    return {
      kind: "sweep",
      ttlMs: values.ttl === undefined ? DEFAULT_SWEEP_TTL_MS : parseTtl(values.ttl),
      retries:
        values.retries === undefined
          ? DEFAULT_SWEEP_RETRIES
          : parseInteger("--retries", values.retries, 0, 10),
      retryDelayMs:
        values["retry-delay"] === undefined
          ? DEFAULT_SWEEP_RETRY_DELAY_MS
          : parseDuration("--retry-delay", values["retry-delay"]),
      json: values.json === true,
    };
  }
  if (first === "ephemeral") {
    expectArity("ephemeral <pr-number>", positionals, 2);
    checkFlags("ephemeral", values);
    return {
      kind: "ephemeral",
      stack: ephemeralStackName(requireArg(second, "ephemeral <pr-number>")),
      sourceStack: EPHEMERAL_SOURCE_STACK,
      keepOnFailure: values["keep-on-failure"] === true,
      options: deployOptions(values, env, true),
    };
  }

  // `<stack> <operation>`, or `<operation>` with the stack from PULUMI_STACK.
  let stack: string | undefined;
  let operationArg: string;
  if (positionals.length === 1) {
    operationArg = first;
    stack = env.PULUMI_STACK;
    if (!stack) {
      throw new UsageError(`missing stack: give "<stack> ${first}" or set PULUMI_STACK\n\n${USAGE}`);
    }
  } else {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"\n\n${USAGE}`);
    stack = first;
    operationArg = second;
  }
  const operation = parseOperation(operationArg);
  checkFlags(operation, values);
  return {
    kind: "stack",
    stack: validateStackName(stack),
    operation,
    options: deployOptions(values, env, false),
  };
}

function parseOperation(arg: string): Operation {
  if ((OPERATIONS as readonly string[]).includes(arg)) return arg as Operation;
  throw new UsageError(
    `unknown operation "${arg}": expected one of ${OPERATIONS.join(", ")} (or the commands ephemeral, sweep, smoke)`,
  );
}

function requireArg(value: string | undefined, what: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing argument: ${what}\n\n${USAGE}`);
  return value;
}

function expectArity(what: string, positionals: readonly string[], count: number): void {
  if (positionals.length > count)
    throw new UsageError(`unexpected argument "${positionals[count]}" after ${what}`);
}

function checkFlags(mode: keyof typeof FLAGS_BY_MODE, values: Values): void {
  const allowed = FLAGS_BY_MODE[mode];
  for (const flag of Object.keys(values) as Flag[]) {
    // parseArgs lists only the flags given.
    if (!allowed.includes(flag)) {
      throw new UsageError(
        `--${flag} is not an option of "${mode}"; allowed: ${allowed.map((f) => `--${f}`).join(", ")}`,
      );
    }
  }
}

const STACK_NAME = /^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/;
export function validateStackName(name: string): string {
  if (!STACK_NAME.test(name)) {
    throw new UsageError(
      `invalid stack name "${name}": use letters, digits, "-", "_" and "." (optionally org/project/stack)`,
    );
  }
  return name;
}

/** A pull request number as GitHub prints it: digits, no sign, no leading zero. */
const PR_NUMBER = /^[1-9][0-9]{0,9}$/;
/**
 * `123` names the stack `pr-123`; nothing else is accepted, so the name is a function of the PR
 * number alone and CI's concurrency group (`pulumi-pr-<number>`) is the same string for the same input.
 */
export function ephemeralStackName(prNumber: string): string {
  if (!PR_NUMBER.test(prNumber)) {
    throw new UsageError(
      `invalid ephemeral stack "${prNumber}": give a pull request number (digits, no leading zero, e.g. 123)`,
    );
  }
  return `pr-${prNumber}`;
}

const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const CONFIG_KEY = /^([A-Za-z0-9_-]+:)?[A-Za-z0-9_.-]+$/;

function deployOptions(values: Values, env: Env, ephemeral: boolean): DeployOptions {
  const overrides: ConfigOverride[] = [];
  for (const entry of values.config ?? []) {
    const eq = entry.indexOf("=");
    const key = eq > 0 ? entry.slice(0, eq) : "";
    if (!CONFIG_KEY.test(key)) {
      throw new UsageError(`--config "${entry}": expected key=value with a key like nameDesiredCount`);
    }
    if (key === REGION_CONFIG_KEY) {
      throw new UsageError(
        `--config "${entry}": a stack deploys only to the region its settings file names; change ${REGION_CONFIG_KEY} there`,
      );
    }
    overrides.push({ key, value: entry.slice(eq + 1), source: "--config" });
  }
  const tag = fromFlagOrEnv(values["image-tag"], "--image-tag", env, "IMAGE_TAG");
  if (tag) {
    if (!IMAGE_TAG.test(tag.value)) {
      throw new UsageError(
        `${tag.source} "${tag.value}": expected a Docker tag (letters, digits, "_", ".", "-"; at most 128)`,
      );
    }
    overrides.push({ key: IMAGE_TAG_CONFIG_KEY, ...tag });
  }
  const requests = fromFlagOrEnv(values["smoke-requests"], "--smoke-requests", env, "SMOKE_REQUESTS");
  return {
    json: values.json === true,
    overrides: lastWins(overrides),
    // An ephemeral stack is throw-away by definition: nobody is asked.
    yes: ephemeral || values.yes === true,
    refresh: values["no-refresh"] !== true,
    smokeRequests: requests ? parseInteger(requests.source, requests.value, 0, 1000) : DEFAULT_SMOKE_REQUESTS,
    // Only the flags given, so an options object compares equal to one written out by hand.
    ...optional("savePlan", nonEmpty("--save-plan", values["save-plan"])),
    ...optional("plan", nonEmpty("--plan", values.plan)),
    ...optional("previewOnly", values["preview-only"]),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value === "") throw new UsageError(`${flag}: expected a file path`);
  return value;
}

/** A later override of the same key replaces an earlier one, as repeated `pulumi config set` would. */
function lastWins(overrides: ConfigOverride[]): ConfigOverride[] {
  const byKey = new Map<string, ConfigOverride>();
  for (const o of overrides) {
    byKey.delete(o.key);
    byKey.set(o.key, o);
  }
  return [...byKey.values()];
}

function fromFlagOrEnv(
  flagValue: string | undefined,
  flag: string,
  env: Env,
  envName: string,
): { value: string; source: string } | undefined {
  if (flagValue !== undefined) return { value: flagValue, source: flag };
  const fromEnv = env[envName];
  return fromEnv ? { value: fromEnv, source: envName } : undefined;
}

function parseSmoke(url: string, values: Values): Command {
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new UsageError(`smoke <url>: "${url}" is not a URL; expected e.g. http://127.0.0.1:8080/`);
  }
  if (parsedUrl.protocol !== "http:" && parsedUrl.protocol !== "https:") {
    throw new UsageError(`smoke <url>: "${url}" must be http:// or https://`);
  }
  return {
    kind: "smoke",
    url,
    requests:
      values.requests === undefined
        ? DEFAULT_SMOKE_REQUESTS
        : parseInteger("--requests", values.requests, 1, 10_000),
    deadlineMs:
      values.deadline === undefined
        ? DEFAULT_SMOKE_DEADLINE_MS
        : parseDuration("--deadline", values.deadline),
    minDistinctTasks:
      values["expect-tasks"] === undefined
        ? DEFAULT_MIN_DISTINCT_TASKS
        : parseExpectTasks(values["expect-tasks"]),
    json: values.json === true,
  };
}

export function parseInteger(what: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`${what} "${raw}": expected a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const MIN_DURATION_MS = 100;
const MAX_DURATION_MS = 3_600_000;
/** `500ms`, `90s`, `2m`, or bare seconds; between 100 ms and 1 h. */
export function parseDuration(what: string, raw: string): number {
  const match = DURATION.exec(raw);
  const ms = match ? Number(match[1]) * DURATION_UNIT_MS[match[2] ?? "s"] : NaN;
  if (!(ms >= MIN_DURATION_MS && ms <= MAX_DURATION_MS)) {
    throw new UsageError(`${what} "${raw}": expected a duration from 100ms to 60m, like 500ms, 120s or 2m`);
  }
  return Math.round(ms);
}

export const DEFAULT_SWEEP_TTL_MS = 24 * 3_600_000;
export const DEFAULT_SWEEP_RETRIES = 3;
export const DEFAULT_SWEEP_RETRY_DELAY_MS = 60_000;
const TTL = /^(\d+)(m|h|d)$/;
const TTL_UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The sweeper's age limit: `90m`, `24h`, `7d`; from 10 minutes to 30 days. */
export function parseTtl(raw: string): number {
  const match = TTL.exec(raw);
  const ms = match ? Number(match[1]) * TTL_UNIT_MS[match[2]] : NaN;
  if (!(ms >= 600_000 && ms <= 30 * 86_400_000)) {
    throw new UsageError(`--ttl "${raw}": expected an age from 10m to 30d, like 90m, 24h or 7d`);
  }
  return ms;
}

/** `>1` (more than one), `>=3` or `3` (at least three): the minimum number of distinct name tasks. */
export function parseExpectTasks(raw: string): number {
  const match = /^(>=|>)?(\d+)$/.exec(raw.trim());
  const min = match ? Number(match[2]) + (match[1] === ">" ? 1 : 0) : NaN;
  if (!(min >= 1 && min <= 100)) {
    throw new UsageError(
      `--expect-tasks "${raw}": expected >N, >=N or N distinct name tasks, at least 1 (e.g. >1)`,
    );
  }
  return min;
}
