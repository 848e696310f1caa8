import { parseArgs } from "util";
import { UsageError } from "./errors";

export const OPERATIONS = ["preview", "up", "refresh", "destroy"] as const;
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
  /** Where it came from, e.g. `--region` or `AWS_REGION`, so the run log says why a value changed. */
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
}

export type Command =
  | { kind: "help" }
  | { kind: "stack"; stack: string; operation: Operation; options: DeployOptions }
  | { kind: "ephemeral"; stack: string; sourceStack: string; keepOnFailure: boolean; options: DeployOptions }
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
  npm run driver -- <stack> preview|up|refresh|destroy [options]
  npm run driver -- ephemeral <pr-number-or-name> [options] [--keep-on-failure]
  npm run driver -- smoke <url> [--requests N] [--deadline 120s] [--expect-tasks >1] [--json]

Stack options:
  --json                 print one machine-readable JSON object on stdout (progress goes to stderr)
  --region <r>           set aws:region for this run (env AWS_REGION)
  --config <key=value>   set a stack config value for this run; repeatable
  --image-tag <t>        set ${IMAGE_TAG_CONFIG_KEY} for this run (env IMAGE_TAG)
  --yes                  do not ask before up/refresh/destroy (required without a terminal)
  --no-refresh           skip the refresh that runs before up and destroy
  --smoke-requests <N>   requests of the smoke test after up, 0 to skip (env SMOKE_REQUESTS, default ${DEFAULT_SMOKE_REQUESTS})

The stack may come from env PULUMI_STACK: npm run driver -- preview`;

const OPTION_SPECS = {
  json: { type: "boolean" },
  region: { type: "string" },
  config: { type: "string", multiple: true },
  "image-tag": { type: "string" },
  yes: { type: "boolean", short: "y" },
  "no-refresh": { type: "boolean" },
  "smoke-requests": { type: "string" },
  "keep-on-failure": { type: "boolean" },
  requests: { type: "string" },
  deadline: { type: "string" },
  "expect-tasks": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;
type Flag = keyof typeof OPTION_SPECS;

const DEPLOY_FLAGS: Flag[] = ["json", "region", "config", "image-tag"];
const FLAGS_BY_MODE: Record<Operation | "ephemeral" | "smoke", Flag[]> = {
  preview: [...DEPLOY_FLAGS],
  refresh: [...DEPLOY_FLAGS, "yes"],
  up: [...DEPLOY_FLAGS, "yes", "no-refresh", "smoke-requests"],
  destroy: [...DEPLOY_FLAGS, "yes", "no-refresh"],
  ephemeral: [...DEPLOY_FLAGS, "no-refresh", "smoke-requests", "keep-on-failure"],
  smoke: ["json", "requests", "deadline", "expect-tasks"],
};

interface Values {
  json?: boolean;
  region?: string;
  config?: string[];
  "image-tag"?: string;
  yes?: boolean;
  "no-refresh"?: boolean;
  "smoke-requests"?: string;
  "keep-on-failure"?: boolean;
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
  if (first === "ephemeral") {
    expectArity("ephemeral <pr-number-or-name>", positionals, 2);
    checkFlags("ephemeral", values);
    return {
      kind: "ephemeral",
      stack: ephemeralStackName(requireArg(second, "ephemeral <pr-number-or-name>")),
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
    `unknown operation "${arg}": expected one of ${OPERATIONS.join(", ")} (or the commands ephemeral, smoke)`,
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

const EPHEMERAL_SLUG = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** `123`, `#123` and `pr-123` all name the stack `pr-123`; a branch-like name `feat-x` gives `pr-feat-x`. */
export function ephemeralStackName(prOrName: string): string {
  const trimmed = prOrName.trim().replace(/^#/, "");
  if (/^\d+$/.test(trimmed)) return `pr-${Number(trimmed)}`;
  const slug = trimmed.toLowerCase();
  if (!EPHEMERAL_SLUG.test(slug)) {
    throw new UsageError(
      `invalid ephemeral stack "${prOrName}": give a PR number (123) or a name of lowercase letters, digits and "-" (at most 40)`,
    );
  }
  return slug.startsWith("pr-") ? slug : `pr-${slug}`;
}

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const CONFIG_KEY = /^([A-Za-z0-9_-]+:)?[A-Za-z0-9_.-]+$/;

function deployOptions(values: Values, env: Env, ephemeral: boolean): DeployOptions {
  const overrides: ConfigOverride[] = [];
  for (const entry of values.config ?? []) {
    const eq = entry.indexOf("=");
    const key = eq > 0 ? entry.slice(0, eq) : "";
    if (!CONFIG_KEY.test(key)) {
      throw new UsageError(`--config "${entry}": expected key=value with a key like name or aws:region`);
    }
    overrides.push({ key, value: entry.slice(eq + 1), source: "--config" });
  }
  const region = fromFlagOrEnv(values.region, "--region", env, "AWS_REGION");
  if (region) {
    if (!AWS_REGION.test(region.value)) {
      throw new UsageError(
        `${region.source} "${region.value}": expected an AWS region like eu-west-1 or us-east-1`,
      );
    }
    overrides.push({ key: REGION_CONFIG_KEY, ...region });
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
  };
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
