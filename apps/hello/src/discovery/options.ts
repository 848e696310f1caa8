// The client's options as one table, OPTIONS: each option's type, default, allowed values, the
// variable the apps read it from and what it does. Everything else is derived from that table: the
// option types, CLIENT_DEFAULTS and OPTION_LIMITS, the checks createServiceClient and createTargetSet
// run before doing anything, the apps' environment reading (readOptionsFromEnv) and the apps' README
// table (docs/discovery-table.ts). A new option is one row here, plus the code that acts on it.
import net from "node:net";
import type { DnsServer } from "./dns-servers";
import { InvalidOptionError } from "./errors";
import { silentLogger, type Logger } from "./logger";

interface Row {
  /** "connections": also an option of createTargetSet (DNS, balancing, ejection). "http": the HTTP client's only. */
  readonly scope: "connections" | "http";
  /** The variable hello and the forwarder read it from; none: set only through the library. */
  readonly env?: string;
  /** What it does, as the README's table says it. */
  readonly description: string;
}

export interface NumberRow extends Row {
  readonly type: "integer" | "number";
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** The variable holds the value times this, as an integer (100: a percentage for a fraction). */
  readonly envScale?: number;
  /** Must not exceed this other option (its full key, e.g. "ejection.maxMs"). */
  readonly atMost?: string;
}

export interface ChoiceRow extends Row {
  readonly type: "choice";
  readonly choices: readonly string[];
  readonly default: string;
}

export type OptionRow = NumberRow | ChoiceRow;

/**
 * Every option the client takes besides `url`, `dnsServers` and the injected `log`, `now`, `random`.
 * A key `group.member` is the member of an object option (`ejection: { baseMs }`).
 */
export const OPTIONS = {
  mode: {
    type: "choice",
    choices: ["dns", "proxy"],
    default: "dns",
    scope: "http",
    env: "DISCOVERY_MODE",
    description:
      "`dns`: the client's own DNS queries and balancing over the tasks. `proxy`: no DNS client of its own — every request goes to the URL's host:port, resolved by the OS per connection (ECS Service Connect puts the alias in `/etc/hosts` and its proxy balances), through one keep-alive pool; timeouts, deadline and tries apply (tries go to the same upstream), ejection does not, and the DNS options are unused",
  },
  recordType: {
    type: "choice",
    choices: ["A", "AAAA", "SRV"],
    default: "A",
    scope: "http",
    env: "DISCOVERY_RECORD_TYPE",
    description:
      "`A` or `AAAA` (IPv6): port from the URL. `SRV`: port from each record, A or AAAA addresses, weights and priorities honoured",
  },
  ttlMinSeconds: {
    type: "integer",
    default: 1,
    min: 1,
    max: 3600,
    atMost: "ttlMaxSeconds",
    scope: "connections",
    env: "DISCOVERY_TTL_MIN_SECONDS",
    description: "lower clamp of the record TTL, seconds (a TTL of 0 would mean a query per request)",
  },
  ttlMaxSeconds: {
    type: "integer",
    default: 60,
    min: 1,
    max: 86_400,
    scope: "connections",
    env: "DISCOVERY_TTL_MAX_SECONDS",
    description: "upper clamp of the record TTL, seconds",
  },
  refreshAt: {
    type: "number",
    default: 1,
    min: 0.5,
    max: 1,
    envScale: 100,
    scope: "connections",
    env: "DISCOVERY_REFRESH_AT_PERCENT",
    description: "refresh after this share of the clamped TTL (1, 100 %: one query per TTL)",
  },
  dnsTimeoutMs: {
    type: "integer",
    default: 1000,
    min: 10,
    max: 30_000,
    scope: "connections",
    env: "DNS_TIMEOUT_MS",
    description: "per DNS exchange, per server",
  },
  maxTargets: {
    // Cloud Map answers with 8 records at most; room for plain DNS with more, not for thousands.
    type: "integer",
    default: 64,
    min: 1,
    max: 1000,
    scope: "connections",
    env: "DISCOVERY_MAX_TARGETS",
    description:
      "targets taken from one DNS answer at most; SRV: the lowest priorities, the rest are not looked up",
  },
  maxDnsLookupsInFlight: {
    // One round for Cloud Map's 8 SRV records when the answer carries no addresses (consul-aws's).
    type: "integer",
    default: 8,
    min: 1,
    max: 64,
    scope: "connections",
    env: "DNS_MAX_LOOKUPS_IN_FLIGHT",
    description: "SRV targets sent without an address are looked up this many at a time",
  },
  connectTimeoutMs: {
    type: "integer",
    default: 500,
    min: 1,
    max: 60_000,
    scope: "http",
    env: "CONNECT_TIMEOUT_MS",
    description:
      "per try: until connected (or a pooled connection is free); the forwarder: until the instance accepted the connection",
  },
  responseTimeoutMs: {
    type: "integer",
    default: 1000,
    min: 1,
    max: 600_000,
    scope: "http",
    env: "RESPONSE_TIMEOUT_MS",
    description: "per try: from connected to the whole response",
  },
  deadlineMs: {
    type: "integer",
    default: 3000,
    min: 1,
    max: 600_000,
    scope: "http",
    env: "REQUEST_DEADLINE_MS",
    description: "all tries of one request together",
  },
  maxResponseBytes: {
    type: "integer",
    default: 1_048_576,
    min: 1,
    max: 268_435_456,
    scope: "http",
    env: "MAX_RESPONSE_BYTES",
    description:
      "largest response body kept; a larger one ends the request with `ResponseTooLargeError` (hello: `NAME_ANSWER_TOO_LARGE`, 502)",
  },
  maxTries: {
    type: "integer",
    default: 3,
    min: 1,
    max: 10,
    scope: "http",
    env: "MAX_TRIES",
    description: "tries per request (the forwarder: per connection), each on a different task",
  },
  busySlack: {
    type: "integer",
    default: 8,
    min: 0,
    max: 1_000_000,
    scope: "connections",
    env: "BALANCER_BUSY_SLACK",
    description:
      "skip a task with this many more requests (the forwarder: open connections) in flight than the least busy one; its turn is given back once it catches up",
  },
  maxSocketsPerTarget: {
    type: "integer",
    default: 256,
    min: 1,
    max: 65_536,
    scope: "http",
    description: "keep-alive connections per task at most",
  },
  "ejection.consecutiveFailures": {
    type: "integer",
    default: 3,
    min: 1,
    max: 1000,
    scope: "connections",
    env: "EJECTION_CONSECUTIVE_FAILURES",
    description: "failed tries in a row that eject a task",
  },
  "ejection.baseMs": {
    type: "integer",
    default: 2000,
    min: 1,
    max: 3_600_000,
    atMost: "ejection.maxMs",
    scope: "connections",
    env: "EJECTION_BASE_MS",
    description: "first ejection; doubles with each further one (minus up to the jitter)",
  },
  "ejection.maxMs": {
    type: "integer",
    default: 30_000,
    min: 1,
    max: 3_600_000,
    scope: "connections",
    env: "EJECTION_MAX_MS",
    description: "cap of an ejection",
  },
  "ejection.maxEjectionPercent": {
    type: "integer",
    default: 50,
    min: 0,
    max: 100,
    scope: "connections",
    env: "EJECTION_MAX_PERCENT",
    description: "at most this share of tasks ejected at once; at least one task always stays in",
  },
  "ejection.jitter": {
    type: "number",
    default: 0.2,
    min: 0,
    max: 1,
    scope: "connections",
    description: "fraction of an ejection that is random, so several callers do not probe a task at once",
  },
} as const satisfies Record<string, OptionRow>;

// ---- Types derived from the table ----

type Table = typeof OPTIONS;
/** A row's key: "maxTries", "ejection.baseMs". */
export type OptionKey = keyof Table;
/** "ejection.baseMs" → "ejection"; "maxTries" → "maxTries". */
type NameOf<K> = K extends `${infer G}.${string}` ? G : K;
/** An option as the client takes it: a plain key, or an object option ("ejection"). */
export type OptionName = NameOf<OptionKey>;
type MembersOf<G extends string> = OptionKey extends infer K
  ? K extends `${G}.${infer M}`
    ? M
    : never
  : never;
type ValueOfRow<R> = R extends { readonly choices: readonly (infer C)[] } ? C : number;
type ValueOf<N extends OptionName> = N extends OptionKey
  ? ValueOfRow<Table[N]>
  : { [M in MembersOf<N>]: ValueOfRow<Table[Extract<`${N}.${M}`, OptionKey>]> };
/** The names of the options whose rows (any member's, for an object option) match `R`. */
type NamesWhere<R> = { [K in OptionKey]: Table[K] extends R ? NameOf<K> : never }[OptionKey];

/** Every option of the table with its value: what the client runs with. */
export type TableOptions = { [N in OptionName]: ValueOf<N> };
/** The options createTargetSet takes too (DNS, balancing, ejection). */
export type ConnectionOptionName = NamesWhere<{ readonly scope: "connections" }>;
/** The options hello and the forwarder can read from a variable. */
export type EnvOptionName = NamesWhere<{ readonly env: string }>;
type NumericOptionName = NamesWhere<{ readonly type: "integer" | "number" }>;

/**
 * "dns": the client asks DNS itself (TTL-aware, SRV, one query per TTL) and balances over the
 * tasks, with retries on another task and ejection. "proxy": no DNS client of its own; every
 * request goes to the URL's host:port, resolved by the OS per connection (e.g. an ECS Service
 * Connect alias in /etc/hosts, whose proxy balances), through one keep-alive pool; timeouts,
 * deadline and tries still apply, ejection does not.
 */
export type DiscoveryMode = TableOptions["mode"];
export type EjectionPolicy = TableOptions["ejection"];

export const RECORD_TYPES = OPTIONS.recordType.choices;
export const DISCOVERY_MODES = OPTIONS.mode.choices;

/** The table's options as a caller passes them: each optional, an object option's members too. */
type TableArguments = { [N in OptionName]?: N extends OptionKey ? ValueOf<N> : Partial<ValueOf<N>> };

/** See OPTIONS for what each option of the table does, its default and its allowed values. */
export interface ServiceClientOptions extends TableArguments {
  /** Base URL of the service, e.g. http://name.internal:3000/ (http only). */
  url: string;
  /** DNS servers to ask, in order; default: the system resolvers. */
  dnsServers?: readonly DnsServer[];
  /** Where the client's few log lines go (target set changes, ejections, DNS failures). Default: nowhere. */
  log?: Logger;
  /** The clock (epoch ms) for ejections, deadlines and timestamps; timeouts still run on real timers. */
  now?: () => number;
  /** Uniform [0, 1) randomness for ejection jitter and SRV weighted choice. */
  random?: () => number;
}

export interface ResolvedOptions extends TableOptions {
  url: string;
  dnsServers: readonly DnsServer[] | undefined;
  log: Logger;
  now: () => number;
  random: () => number;
}

export interface Range {
  min: number;
  max: number;
  integer: boolean;
}

export type OptionLimits = {
  readonly [N in NumericOptionName]: N extends OptionKey ? Range : { readonly [M in MembersOf<N>]: Range };
};

// ---- Values derived from the table ----

const ROWS = Object.entries(OPTIONS) as Array<[OptionKey, OptionRow]>;

/** Where a row's value sits: ["maxTries"] or ["ejection", "baseMs"]. */
function pathOf(key: string): [string] | [string, string] {
  const dot = key.indexOf(".");
  return dot < 0 ? [key] : [key.slice(0, dot), key.slice(dot + 1)];
}

function nameOf(key: string): string {
  return pathOf(key)[0];
}

type Nested = Record<string, unknown>;

function setAt(target: Nested, key: string, value: unknown): void {
  const [name, member] = pathOf(key);
  if (member === undefined) target[name] = value;
  else ((target[name] ??= {}) as Nested)[member] = value;
}

function getAt(source: Nested, key: string): unknown {
  const [name, member] = pathOf(key);
  if (member === undefined) return source[name];
  const group = source[name];
  return typeof group === "object" && group !== null ? (group as Nested)[member] : undefined;
}

function tableOf<T>(rows: ReadonlyArray<[string, OptionRow]>, value: (row: OptionRow) => T): Nested {
  const out: Nested = {};
  for (const [key, row] of rows) setAt(out, key, value(row));
  return out;
}

function rangeOf(row: NumberRow): Range {
  return { min: row.min, max: row.max, integer: row.type === "integer" };
}

export const CLIENT_DEFAULTS = tableOf(ROWS, (row) => row.default) as unknown as TableOptions;

/** Allowed values of every numeric option (the apps' variables use the same bounds). */
export const OPTION_LIMITS = tableOf(
  ROWS.filter((entry): entry is [OptionKey, NumberRow] => entry[1].type !== "choice"),
  (row) => rangeOf(row as NumberRow),
) as unknown as OptionLimits;

const namesWhere = (keep: (row: OptionRow) => boolean): string[] => [
  ...new Set(ROWS.filter(([, row]) => keep(row)).map(([key]) => nameOf(key))),
];
export const CONNECTION_OPTION_NAMES = namesWhere(
  (row) => row.scope === "connections",
) as readonly ConnectionOptionName[];
export const ENV_OPTION_NAMES = namesWhere((row) => row.env !== undefined) as readonly EnvOptionName[];

// ---- Checks ----

export function describeRange(r: Range): string {
  return `${r.integer ? "an integer" : "a number"} from ${r.min} to ${r.max}`;
}

function checkNumber(option: string, value: unknown, r: Range): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < r.min ||
    value > r.max ||
    (r.integer && !Number.isInteger(value))
  ) {
    throw new InvalidOptionError(option, describeRange(r), value);
  }
  return value;
}

function checkRow(key: string, row: OptionRow, value: unknown): unknown {
  if (row.type === "choice") {
    if (!row.choices.includes(value as string))
      throw new InvalidOptionError(key, `one of ${row.choices.join(", ")}`, value);
    return value;
  }
  return checkNumber(key, value, rangeOf(row));
}

function checkFunction<T>(option: string, value: T | undefined, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "function") throw new InvalidOptionError(option, "a function", value);
  return value;
}

/** An http:// URL with a host, no credentials, query or fragment; normalized, or undefined. */
export function parseServiceUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (
    url.protocol !== "http:" ||
    url.hostname === "" ||
    url.username !== "" ||
    url.password !== "" ||
    url.search !== "" ||
    url.hash !== ""
  )
    return undefined;
  return url.toString();
}

function checkDnsServers(value: readonly DnsServer[] | undefined): readonly DnsServer[] | undefined {
  if (value === undefined) return undefined;
  const expected = "an array of { host: an IP address, port: 1-65535 }";
  if (!Array.isArray(value)) throw new InvalidOptionError("dnsServers", expected, value);
  value.forEach((s: DnsServer, i) => {
    if (
      typeof s !== "object" ||
      s === null ||
      net.isIP(String(s.host)) === 0 ||
      !Number.isInteger(s.port) ||
      s.port < 1 ||
      s.port > 65535
    ) {
      throw new InvalidOptionError(`dnsServers[${i}]`, "{ host: an IP address, port: 1-65535 }", s);
    }
  });
  return value as readonly DnsServer[]; // Array.isArray narrowed it to any[]
}

/** The rows among `keys` whose value exceeds their `atMost` option's. */
function outOfOrder(values: Nested, keys: ReadonlySet<string>): Array<[NumberRow, string, number, number]> {
  const found: Array<[NumberRow, string, number, number]> = [];
  for (const [key, row] of ROWS) {
    if (row.type === "choice" || row.atMost === undefined || !keys.has(key) || !keys.has(row.atMost))
      continue;
    const value = getAt(values, key) as number;
    const limit = getAt(values, row.atMost) as number;
    if (value > limit) found.push([row, key, value, limit]);
  }
  return found;
}

/** Defaults applied and every option checked; throws InvalidOptionError naming the first bad one. */
export function resolveOptions(options: ServiceClientOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null)
    throw new InvalidOptionError("options", "an object with at least url", options);
  const url = typeof options.url === "string" ? parseServiceUrl(options.url) : undefined;
  if (url === undefined)
    throw new InvalidOptionError(
      "url",
      "an http:// URL with a host and no credentials, query or fragment, e.g. http://name.internal:3000/",
      options.url,
    );
  const given = options as unknown as Nested;
  for (const name of new Set(
    ROWS.map(([key]) => pathOf(key))
      .filter((p) => p.length === 2)
      .map((p) => p[0]),
  )) {
    const group = given[name];
    if (group !== undefined && (typeof group !== "object" || group === null))
      throw new InvalidOptionError(name, "an object", group);
  }
  const values: Nested = {};
  for (const [key, row] of ROWS) {
    const value = getAt(given, key);
    setAt(values, key, value === undefined ? row.default : checkRow(key, row, value));
  }
  const [first] = outOfOrder(values, new Set(ROWS.map(([key]) => key)));
  if (first) {
    const [row, key, value, limit] = first;
    throw new InvalidOptionError(key, `at most ${row.atMost} (${limit})`, value);
  }
  return {
    ...(values as unknown as TableOptions),
    url,
    dnsServers: checkDnsServers(options.dnsServers),
    log: checkFunction("log", options.log, silentLogger),
    now: checkFunction("now", options.now, Date.now),
    random: checkFunction("random", options.random, Math.random),
  };
}

/** The options `names` out of `options` (those given), for handing on. */
export function pickOptions<N extends OptionName, T extends { [P in N]?: unknown }>(
  options: T,
  names: readonly N[],
): Pick<T, N> {
  const out: Partial<Pick<T, N>> = {};
  for (const name of names) if (options[name] !== undefined) out[name] = options[name];
  return out as Pick<T, N>;
}

// ---- Environment ----

/** What reads one variable and collects what is wrong with it: the apps' EnvReader. */
export interface VariableReader {
  readonly errors: string[];
  int(name: string, fallback: number, min: number, max: number): number;
  oneOf<T extends string>(name: string, fallback: T, choices: readonly T[]): T;
}

/**
 * The options `names` from their variables (OPTIONS' `env`), each checked against its row; an option
 * without a variable takes its default. `defaults` replaces the table's default for this reader.
 * Problems go to `read.errors`, each naming the variable and what it allows.
 */
export function readOptionsFromEnv<N extends OptionName>(
  read: VariableReader,
  names: readonly N[],
  defaults: { readonly [P in N]?: TableOptions[P] } = {},
): Pick<TableOptions, N> {
  const wanted = new Set<string>(names);
  const rows = ROWS.filter(([key]) => wanted.has(nameOf(key)));
  const values: Nested = {};
  for (const [key, row] of rows) {
    const fallback = (getAt(defaults, key) ?? row.default) as number | string;
    let value: number | string;
    if (row.env === undefined) value = fallback;
    else if (row.type === "choice") value = read.oneOf(row.env, String(fallback), row.choices);
    else {
      const scale = row.envScale ?? 1;
      const [min, max, initial] = [row.min, row.max, Number(fallback)].map((v) => Math.round(v * scale));
      value = read.int(row.env, initial, min, max) / scale;
    }
    setAt(values, key, value);
  }
  for (const [row, key, value, limit] of outOfOrder(values, new Set(rows.map(([key]) => key)))) {
    const other = OPTIONS[row.atMost as OptionKey] as OptionRow;
    const scale = row.envScale ?? 1;
    read.errors.push(
      `${row.env ?? key} (${value * scale}) is invalid: expected at most ${other.env ?? row.atMost} (${limit * scale})`,
    );
  }
  return values as Pick<TableOptions, N>;
}
