/**
 * The offline plan of one stack: the resource tree with reviewer-relevant properties,
 * the network flows its security groups allow, its outputs and a Mermaid diagram.
 * Built from a mock run of the real program; secrets are redacted before anything else.
 */
import { architectureDiagram } from "./diagram";
import { deriveFlows, endLabel, Flow } from "./flows";
import { RESOURCE_TYPES } from "../policy/resource-types";
import { loadProjectFile, mockId, PROJECT, ProgramRun, readStackFile, RecordedResource } from "./program";
import { hasPicker, reviewProperties } from "./properties";
import { redact, redactInputs, REDACTED } from "./redact";

export interface PlanResource {
  /** URN under the mock runtime: unique, and the parent link. */
  readonly urn: string;
  readonly type: string;
  /** Short type for people: `aws.ecs.Service`, `DiscoverableService`. */
  readonly kind: string;
  readonly name: string;
  readonly parent: string | undefined;
  readonly depth: number;
  readonly component: boolean;
  readonly properties: Record<string, unknown>;
}

export type SettingValue = string | number | boolean;

export interface Plan {
  readonly project: string;
  readonly stack: string;
  /** Every project setting: the stack file over Pulumi.yaml's defaults; secure values redacted. */
  readonly settings: Record<string, SettingValue>;
  /** Resources in tree order (a parent before its children). */
  readonly resources: PlanResource[];
  readonly flows: Flow[];
  readonly outputs: Record<string, unknown>;
  readonly warnings: string[];
  /** Mermaid flowchart source. */
  readonly diagram: string;
}

/** `aws:ecs/service:Service` → `aws.ecs.Service`; project components by class name. */
export function shortType(type: string): string {
  const [pkg, mod = "", cls = ""] = type.split(":");
  if (pkg === PROJECT) return cls;
  const module = mod.split("/")[0];
  return module === "index" || module === "" ? `${pkg}.${cls}` : `${pkg}.${module}.${cls}`;
}

/** A stack-file string as the type Pulumi.yaml declares, so "60" and 60 compare equal. */
function typed(value: string, type: string | undefined): SettingValue {
  if (type === "integer" && /^-?\d+$/.test(value)) return Number(value);
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

/** Settings of a stack as a reviewer reads them: every project key with its effective value. */
export function stackSettings(stack: string): Record<string, SettingValue> {
  const declared = loadProjectFile().config;
  const settings: Record<string, SettingValue> = {};
  for (const [key, spec] of Object.entries(declared)) settings[key] = spec.default;
  for (const [key, value] of Object.entries(readStackFile(stack))) {
    const bare = key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key;
    const secure = typeof value === "object" && value !== null && "secure" in value;
    settings[bare] = secure ? REDACTED : typed(String(value), declared[bare]?.type);
  }
  return settings;
}

/** Replaces mock ids and ARNs by `ref:<resource name>` so references read as names. */
function referenceNames(resources: readonly RecordedResource[]): (value: unknown) => unknown {
  const refs = new Map<string, string>();
  for (const r of resources) {
    refs.set(mockId(r.name), r.name);
    if (typeof r.state.arn === "string") refs.set(r.state.arn, r.name);
  }
  const map = (value: unknown): unknown => {
    if (typeof value === "string") return refs.has(value) ? `ref:${refs.get(value)}` : value;
    if (Array.isArray(value)) return value.map(map);
    if (typeof value === "object" && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, map(v)]));
    return value;
  };
  return map;
}

function treeOrder(resources: readonly RecordedResource[]): { resource: RecordedResource; depth: number }[] {
  const children = new Map<string | undefined, RecordedResource[]>();
  const known = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    const parent = r.parentUrn !== undefined && known.has(r.parentUrn) ? r.parentUrn : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const ordered: { resource: RecordedResource; depth: number }[] = [];
  const visit = (parent: string | undefined, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      ordered.push({ resource: r, depth });
      if (r.urn !== undefined) visit(r.urn, depth + 1);
    }
  };
  visit(undefined, 0);
  return ordered;
}

function flowWarnings(flows: readonly Flow[]): string[] {
  const warnings: string[] = [];
  for (const f of flows) {
    const what = `${endLabel(f.from)} → ${endLabel(f.to)} ${f.protocol}/${f.ports}`;
    if (!f.complete) warnings.push(`one-sided rule, traffic is dropped: ${what} (${f.rules.join(", ")})`);
    if (f.protocol === "all" || f.ports === "all") warnings.push(`all protocols and ports: ${what}`);
    if (f.ports.includes("-")) warnings.push(`port range: ${what}`);
  }
  return warnings;
}

/** Builds the plan of a finished mock run. */
export function buildPlan(stack: string, run: ProgramRun, settings: Record<string, SettingValue>): Plan {
  if (run.error) throw run.error;
  const names = referenceNames(run.resources);
  const groupNames = new Map(
    run.resources.filter((r) => r.type === RESOURCE_TYPES.securityGroup).map((r) => [mockId(r.name), r.name]),
  );
  const flows = deriveFlows(run.resources, (id) => groupNames.get(id));

  const resources: PlanResource[] = treeOrder(run.resources).map(({ resource: r, depth }) => ({
    urn: r.urn ?? `${r.type}::${r.name}`,
    type: r.type,
    kind: shortType(r.type),
    name: r.name,
    parent: r.parentUrn,
    depth,
    component: !r.custom,
    properties: names(reviewProperties(r.type, redactInputs(r.type, r.inputs))) as Record<string, unknown>,
  }));

  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(run.outputs))
    outputs[key] = run.secretOutputs.includes(key) ? REDACTED : redact(value);

  const unknownTypes = [
    ...new Set(run.resources.filter((r) => r.custom && !hasPicker(r.type)).map((r) => r.type)),
  ];
  const warnings = [
    ...(run.warnings ?? []),
    ...flowWarnings(flows),
    ...unknownTypes.map((t) => `no reviewer view for ${t}: its scalar inputs are shown`),
  ];

  const plan = { project: PROJECT, stack, settings, resources, flows, outputs, warnings, diagram: "" };
  return { ...plan, diagram: architectureDiagram(plan, run.resources) };
}
