// Flags of `npm start` (the local topology), parsed and validated without side effects.
import { parseArgs } from "node:util";
// The program's own rule for namespace names (RFC 1035: labels of 1-63 characters, 253 in all).
import { isDnsName } from "../packages/ecs-cloudmap-consul/shared/naming";

export interface CliOptions {
  namespace: string;
  tasks: number;
  ttlSeconds: number;
  deregisterDelayMs: number;
  helloPort: number;
  dnsPort: number;
  uiPort: number;
  recordType: "A" | "SRV";
  verbose: boolean;
}

export type CliParse =
  { kind: "run"; options: CliOptions } | { kind: "help" } | { kind: "error"; message: string };

export const USAGE = `Usage: npm start -- [options]

Runs the local topology: a DNS server playing Cloud Map, name tasks on 127.0.0.2, .3, …
and hello on 127.0.0.1, wired together the way ECS + Cloud Map would.

Options:
  --namespace <name>        DNS namespace (default: internal)
  --tasks <n>               name tasks to start, 1-50 (default: 3)
  --ttl <seconds>           TTL of the service records, 0-3600 (default: 5)
  --deregister-delay <s>    seconds between a task stopping and leaving DNS, 0-600 (default: 2)
  --port <port>             hello's port on 127.0.0.1, 0 = any free port (default: 8080)
  --dns-port <port>         DNS server port (UDP+TCP) on 127.0.0.1, 0 = any free port (default: 0)
  --ui-port <port>          the live page's port on 127.0.0.1, 0 = any free port (default: 0)
  --record-type <A|SRV>     record type hello discovers name with (default: A)
  --verbose                 show every log line of every process
  --help                    this text
`;

/** A TTL short enough that a new task gets traffic within seconds, long enough that hello asks DNS rarely. */
export const DEFAULTS: CliOptions = {
  namespace: "internal",
  tasks: 3,
  ttlSeconds: 5,
  deregisterDelayMs: 2000,
  helloPort: 8080,
  dnsPort: 0,
  uiPort: 0,
  recordType: "A",
  verbose: false,
};

/** A flag's whole-number value within [min, max]; the error names the flag and the range. Every CLI here uses it. */
export function wholeNumberFlag(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new Error(`--${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  return raw === undefined ? fallback : wholeNumberFlag(flag, raw, min, max);
}

function seconds(flag: string, raw: string | undefined, fallbackMs: number, max: number): number {
  if (raw === undefined) return fallbackMs;
  if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) > max) {
    throw new Error(
      `--${flag} must be a number of seconds from 0 to ${max} (e.g. 2 or 0.5), got ${JSON.stringify(raw)}`,
    );
  }
  return Math.round(Number(raw) * 1000);
}

export function parseCliArgs(argv: string[]): CliParse {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        namespace: { type: "string" },
        tasks: { type: "string" },
        ttl: { type: "string" },
        "deregister-delay": { type: "string" },
        port: { type: "string" },
        "dns-port": { type: "string" },
        "ui-port": { type: "string" },
        "record-type": { type: "string" },
        verbose: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) return { kind: "help" };
    if (positionals.length > 0)
      throw new Error(`unexpected argument ${JSON.stringify(positionals[0])} (options start with --)`);
    const namespace = values.namespace ?? DEFAULTS.namespace;
    if (!isDnsName(namespace)) {
      throw new Error(
        `--namespace must be a lower-case DNS name such as "internal" or "local.example" (labels of a-z, 0-9 and -, 1-63 characters each, 253 in all), got ${JSON.stringify(namespace)}`,
      );
    }
    const recordType = (values["record-type"] ?? DEFAULTS.recordType).toUpperCase();
    if (recordType !== "A" && recordType !== "SRV") {
      throw new Error(`--record-type must be A or SRV, got ${JSON.stringify(values["record-type"])}`);
    }
    return {
      kind: "run",
      options: {
        namespace,
        tasks: integer("tasks", values.tasks, DEFAULTS.tasks, 1, 50),
        ttlSeconds: integer("ttl", values.ttl, DEFAULTS.ttlSeconds, 0, 3600),
        deregisterDelayMs: seconds(
          "deregister-delay",
          values["deregister-delay"],
          DEFAULTS.deregisterDelayMs,
          600,
        ),
        helloPort: integer("port", values.port, DEFAULTS.helloPort, 0, 65535),
        dnsPort: integer("dns-port", values["dns-port"], DEFAULTS.dnsPort, 0, 65535),
        uiPort: integer("ui-port", values["ui-port"], DEFAULTS.uiPort, 0, 65535),
        recordType,
        verbose: values.verbose ?? false,
      },
    };
  } catch (err) {
    // parseArgs's own errors (unknown option, missing value) are clear already; keep them and point at --help.
    return { kind: "error", message: (err as Error).message };
  }
}
