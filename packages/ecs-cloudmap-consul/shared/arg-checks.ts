/**
 * Argument checks, as pulumi-awsx does them: a component checks its own arguments at the top of
 * its constructor and throws before it registers anything. A rule says what is allowed; whoever
 * reports it names the value: the component its argument, `parseSettings` the stack setting the
 * argument came from. So one rule serves both, and both report every problem at once.
 */

/** What is wrong with one value ("must be ..."), or undefined when it is fine. */
export type Rule<V> = (value: V) => string | undefined;

/** One problem with one argument. */
export interface ArgProblem {
  /** The argument's path in the component's Args, e.g. `autoscaling.minCount`. */
  readonly arg: string;
  /** What is allowed, e.g. "must be an integer from 0 to 300". */
  readonly message: string;
  /** The value refused; shown after the message unless empty. */
  readonly value?: unknown;
}

/** How a reader knows an argument: by its own name, or by the stack setting it came from. */
export type ArgNames = (arg: string) => string;

/** Arguments named as themselves (a component called directly). */
export const argName: ArgNames = (arg) => arg;

export function integerIn(min: number, max: number): Rule<number> {
  return (value) =>
    Number.isInteger(value) && value >= min && value <= max
      ? undefined
      : `must be an integer from ${min} to ${max}`;
}

export function oneOf<T>(allowed: readonly T[]): Rule<T> {
  return (value) => (allowed.includes(value) ? undefined : `must be one of ${allowed.join(", ")}`);
}

export function matches(pattern: RegExp, allowed: string): Rule<string> {
  return (value) => (pattern.test(value) ? undefined : `must be ${allowed}`);
}

/** The problem of `value` under `rule`, if any, as one ArgProblem. */
export function check<V>(arg: string, value: V | undefined, rule: Rule<V>): ArgProblem[] {
  if (value === undefined) return [];
  const message = rule(value);
  return message === undefined ? [] : [{ arg, message, value }];
}

/** `problems` of a nested argument, each named by its path under `prefix` (`network.cidrBlock`). */
export function under(prefix: string, problems: readonly ArgProblem[]): ArgProblem[] {
  return problems.map((p) => ({ ...p, arg: `${prefix}.${p.arg}` }));
}

/** `, got "x"` (or `, got 5`); nothing when there is no value. */
export function shownValue(value: unknown): string {
  if (value === undefined) return "";
  return `, got ${typeof value === "string" ? `"${value}"` : JSON.stringify(value)}`;
}

/**
 * Throws one error listing every problem, naming the component and each argument. Called first
 * thing in a constructor, before `super`, so a refused component registers nothing.
 */
export function assertValidArgs(component: string, name: string, problems: readonly ArgProblem[]): void {
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  - ${p.arg}: ${p.message}${shownValue(p.value)}`);
  throw new Error(`${component} "${name}": invalid arguments:\n${lines.join("\n")}`);
}

// ---- formats several components share ----

/** Parses `a.b.c.d/n`; undefined unless it is a network address (host bits zero). */
export function parseIpv4Cidr(value: string): { readonly prefix: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostSize = 2 ** (32 - prefix);
  return address % hostSize === 0 ? { prefix } : undefined;
}

function ipv4Range(cidr: string): [number, number] {
  const [address, prefix] = cidr.split("/");
  const start = address
    .split(".")
    .map(Number)
    .reduce((acc, o) => acc * 256 + o, 0);
  return [start, start + 2 ** (32 - Number(prefix)) - 1];
}

/** Whether two IPv4 network CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [aStart, aEnd] = ipv4Range(a);
  const [bStart, bEnd] = ipv4Range(b);
  return aStart <= bEnd && bStart <= aEnd;
}

export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

const ARN_PREFIX = "arn:aws(?:-[a-z]+)*";
/** A complete secret ARN: ECS refuses a partial one (without the 6 characters AWS appends) at task start. */
export const SECRET_ARN = new RegExp(
  `^${ARN_PREFIX}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`,
);
export const SECRET_ARN_ALLOWED =
  "the complete Secrets Manager ARN, ending in the 6 characters AWS appends to the name (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf)";
export const CERTIFICATE_ARN = new RegExp(`^${ARN_PREFIX}:acm:[a-z0-9-]+:\\d{12}:certificate/[0-9a-f-]+$`);
export const KMS_KEY_ARN = new RegExp(`^${ARN_PREFIX}:kms:[a-z0-9-]+:\\d{12}:key/[0-9a-f-]+$`);
/** A customer-managed KMS key, for the components that encrypt with one. */
export const kmsKeyArn = matches(KMS_KEY_ARN, "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)");

/** An image pinned by digest, with or without a tag: what a task runs can never move. */
export const IMAGE_BY_DIGEST = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$/;
export const IMAGE_BY_DIGEST_ALLOWED = "an image pinned by digest, registry/repo[:tag]@sha256:<64 hex>";
export const imageByDigest = matches(IMAGE_BY_DIGEST, IMAGE_BY_DIGEST_ALLOWED);
/**
 * An image by tag, by digest or both: what a user may write. A tag alone is resolved to its digest
 * at deploy time (`pinnedImage`), so a task still runs a digest. `latest` is refused: it moves by
 * design, so every deploy would roll the tasks.
 */
export const IMAGE_BY_TAG_OR_DIGEST =
  /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+((:[A-Za-z0-9._-]+)(@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$/;
export const IMAGE_BY_TAG_OR_DIGEST_ALLOWED =
  "an image by version tag or digest, registry/repo:tag or registry/repo[:tag]@sha256:<64 hex> (a tag is resolved to its digest at deploy; not latest)";
export const imageByTagOrDigest: Rule<string> = (value) =>
  IMAGE_BY_TAG_OR_DIGEST.test(value) && !/:latest(@|$)/.test(value)
    ? undefined
    : `must be ${IMAGE_BY_TAG_OR_DIGEST_ALLOWED}`;

/** The retention values CloudWatch Logs accepts (0 = forever is excluded on purpose). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
export const logRetentionDays: Rule<number> = oneOf<number>(LOG_RETENTION_DAYS);

/** A TCP port a container listens on. */
export const port = integerIn(1, 65535);
