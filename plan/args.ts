/** Command line of `npm run plan`, parsed without side effects. */
import { parseArgs } from "util";
import { Format, FORMATS } from "./render";

export const USAGE = `Usage: npm run plan -- <stack> [--format text|json|markdown] [--out FILE] [--diff <other stack>] [--config key=value ...]

Runs the Pulumi program under Pulumi's mock runtime with the stack's settings (no credentials,
no Pulumi CLI) and prints its resources, network flows, outputs and a Mermaid diagram.
  --format   text (default), json or markdown (GitHub renders the diagram)
  --out      write to FILE instead of stdout
  --diff     compare <stack> with <other stack> instead
  --config   set a project setting for this plan only, e.g. --config discoveryMode=serviceConnect`;

export interface PlanArgs {
  readonly stack: string;
  readonly format: Format;
  readonly out: string | undefined;
  readonly diff: string | undefined;
  /** Bare project keys (no `project:` prefix) → value. */
  readonly overrides: Readonly<Record<string, string>>;
}

export class PlanUsageError extends Error {
  readonly exitCode = 2;
}

/** `undefined` means help was asked for. */
export function parsePlanArgs(
  argv: readonly string[],
  stacks: readonly string[],
  declaredKeys: readonly string[],
): PlanArgs | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        format: { type: "string" },
        out: { type: "string" },
        diff: { type: "string" },
        config: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new PlanUsageError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  if (positionals.length !== 1)
    throw new PlanUsageError(
      `expected exactly one stack (one of ${stacks.join(", ")}), got ${positionals.length}\n\n${USAGE}`,
    );
  const [stack] = positionals;
  for (const [flag, name] of [
    ["stack", stack],
    ["--diff", values.diff],
  ] as const) {
    if (name !== undefined && !stacks.includes(name))
      throw new PlanUsageError(
        `${flag}: unknown stack "${name}": one of ${stacks.join(", ")} (a Pulumi.<stack>.yaml)`,
      );
  }
  const format = values.format ?? "text";
  if (!(FORMATS as readonly string[]).includes(format))
    throw new PlanUsageError(`--format: must be one of ${FORMATS.join(", ")}, got "${format}"`);
  if (values.out === "") throw new PlanUsageError("--out: needs a file name");
  const overrides: Record<string, string> = {};
  for (const item of values.config ?? []) {
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq) : "";
    if (!declaredKeys.includes(key))
      throw new PlanUsageError(
        `--config: "${item}" must be key=value with a key Pulumi.yaml declares (e.g. discoveryMode=serviceConnect)`,
      );
    overrides[key] = item.slice(eq + 1);
  }
  return { stack, format: format as Format, out: values.out, diff: values.diff, overrides };
}
