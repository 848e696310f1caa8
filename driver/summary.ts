import type { OpMap, OpType, OutputMap } from "@pulumi/pulumi/automation";
import type { ConfigOverride } from "./args";
import type { ExitCode } from "./errors";
import { formatChanges } from "./progress";
import type { ConsulCheckResult } from "./consul-check";
import type { SmokeResult } from "./smoke";
import type { SweptStack } from "./commands";

/** The one object `--json` prints: everything CI needs to comment on a PR or gate a deploy. */
export interface RunReport {
  command: "preview" | "up" | "refresh" | "destroy" | "recover" | "init" | "ephemeral" | "smoke" | "sweep";
  stack?: string;
  ok: boolean;
  exitCode: ExitCode;
  durationSeconds: number;
  overrides?: ConfigOverride[];
  /** preview: what would change, by operation. */
  changeSummary?: OpMap;
  /** up / refresh / destroy: what changed, by operation. */
  resourceChanges?: OpMap;
  /** Stack outputs after up, secrets masked. */
  outputs?: Record<string, unknown>;
  smoke?: SmokeResult;
  /** The Consul sync proof after up, when the stack syncs with Consul. */
  consulCheck?: ConsulCheckResult;
  /** Ephemeral mode: whether the throw-away stack was destroyed and removed. */
  removed?: boolean;
  /** preview --save-plan: where the update plan was written. */
  plan?: string;
  /** sweep: each ephemeral stack it looked at and what became of it. */
  swept?: SweptStack[];
  /** One line a person reads first, also used as the PR comment headline. */
  summary: string;
  error?: string;
}

const PREVIEW_LABELS: ReadonlyArray<[OpType, string]> = [
  ["create", "to create"],
  ["update", "to update"],
  ["replace", "to replace"],
  ["delete", "to delete"],
  ["import", "to import"],
  ["read", "to read"],
  ["same", "unchanged"],
];

/** `3 to create, 1 to update, 20 unchanged`. */
export function formatPreviewChanges(changes: OpMap | undefined): string {
  return formatChanges(changes, PREVIEW_LABELS);
}

/** True when a preview would change something (anything other than `same`). */
export function hasChanges(changes: OpMap | undefined): boolean {
  return Object.entries(changes ?? {}).some(([op, n]) => op !== "same" && (n ?? 0) > 0);
}

export const SECRET_MASK = "[secret]";

/** Output values for printing and JSON: secrets never leave the process. */
export function plainOutputs(outputs: OutputMap): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const key of Object.keys(outputs).sort()) {
    const output = outputs[key];
    plain[key] = output.secret ? SECRET_MASK : (output.value as unknown);
  }
  return plain;
}

export function formatOutputs(outputs: OutputMap): string[] {
  const plain = plainOutputs(outputs);
  const keys = Object.keys(plain);
  if (keys.length === 0) return ["Outputs: (none)"];
  const width = Math.max(...keys.map((k) => k.length));
  return [
    "Outputs:",
    ...keys.map((k) => {
      const v = plain[k];
      return `  ${k.padEnd(width)}  ${typeof v === "string" ? v : JSON.stringify(v)}`;
    }),
  ];
}

/** The stack output that holds hello's public URL (index.ts: the ALB's or the API's `http(s)://…/`). */
export const HELLO_URL_OUTPUT = "helloUrl";
/** Config key with the desired name task count; decides how many distinct tasks the smoke test needs. */
export const NAME_COUNT_KEY = "nameDesiredCount";

/** More than one name task must answer when more than one runs; a single-task stack needs just one. */
export function minDistinctTasks(desiredCount: unknown, fallback: number): number {
  const n =
    typeof desiredCount === "number"
      ? desiredCount
      : typeof desiredCount === "string"
        ? Number(desiredCount)
        : NaN;
  if (!Number.isInteger(n) || n < 1) return fallback;
  return n > 1 ? 2 : 1;
}
