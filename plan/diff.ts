/** What differs between the plans of two stacks: settings, resources, properties, flows. */
import { endLabel, Flow } from "./flows";
import { Plan, SettingValue } from "./model";

export interface PropertyChange {
  readonly resource: string;
  readonly kind: string;
  readonly property: string;
  readonly from: unknown;
  readonly to: unknown;
}

export interface PlanDiff {
  readonly from: string;
  readonly to: string;
  readonly settings: { key: string; from: SettingValue | undefined; to: SettingValue | undefined }[];
  /** `kind name`, only in `to`. */
  readonly added: string[];
  /** `kind name`, only in `from`. */
  readonly removed: string[];
  readonly changed: PropertyChange[];
  readonly flowsAdded: string[];
  readonly flowsRemoved: string[];
}

export function flowText(f: Flow): string {
  return `${endLabel(f.from)} → ${endLabel(f.to)} ${f.protocol}/${f.ports}${f.complete ? "" : " (one side only)"}`;
}

/** Mock ids carry no meaning across stacks, so resources are matched by type and name. */
function keyOf(r: { kind: string; name: string }): string {
  return `${r.kind} ${r.name}`;
}

export function diffPlans(a: Plan, b: Plan): PlanDiff {
  const settings = [...new Set([...Object.keys(a.settings), ...Object.keys(b.settings)])]
    .filter((k) => a.settings[k] !== b.settings[k])
    .map((key) => ({ key, from: a.settings[key], to: b.settings[key] }));

  const left = new Map(a.resources.map((r) => [keyOf(r), r]));
  const right = new Map(b.resources.map((r) => [keyOf(r), r]));
  const added = [...right.keys()].filter((k) => !left.has(k));
  const removed = [...left.keys()].filter((k) => !right.has(k));

  const changed: PropertyChange[] = [];
  for (const [key, r] of right) {
    const before = left.get(key);
    if (!before) continue;
    for (const property of new Set([...Object.keys(before.properties), ...Object.keys(r.properties)])) {
      const from = before.properties[property];
      const to = r.properties[property];
      if (JSON.stringify(from) !== JSON.stringify(to))
        changed.push({ resource: r.name, kind: r.kind, property, from, to });
    }
  }

  const flowsA = new Set(a.flows.map(flowText));
  const flowsB = new Set(b.flows.map(flowText));
  return {
    from: a.stack,
    to: b.stack,
    settings,
    added,
    removed,
    changed,
    flowsAdded: [...flowsB].filter((f) => !flowsA.has(f)),
    flowsRemoved: [...flowsA].filter((f) => !flowsB.has(f)),
  };
}
