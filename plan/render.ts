/** A plan, or the diff of two, as text, JSON or GitHub Markdown. */
import { flowText, PlanDiff } from "./diff";
import { Flow } from "./flows";
import { Plan } from "./model";

export const FORMATS = ["text", "json", "markdown"] as const;
export type Format = (typeof FORMATS)[number];

function value(v: unknown): string {
  if (v === undefined) return "(unset)";
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null))
    return v.map(String).join(", ");
  return JSON.stringify(v);
}

function flowLine(f: Flow): string {
  const why = f.descriptions.filter((d) => d !== "").join("; ");
  return `${flowText(f)}${why ? `  (${why})` : ""}`;
}

function counts(plan: Plan): string {
  const custom = plan.resources.filter((r) => !r.component).length;
  return `${custom} resources in ${plan.resources.length - custom} components, ${plan.flows.length} network flows`;
}

function modes(plan: Plan): string {
  return ["discoveryMode", "frontDoor"]
    .filter((k) => plan.settings[k] !== undefined)
    .map((k) => `${k}=${String(plan.settings[k])}`)
    .join(" ");
}

function planText(plan: Plan): string {
  const lines = [
    `Plan of stack ${plan.stack} (${plan.project}), offline under Pulumi mocks: ${counts(plan)}`,
  ];
  if (modes(plan)) lines.push(`Modes: ${modes(plan)}`);
  lines.push("", "Resources");
  for (const r of plan.resources) {
    const pad = "  ".repeat(r.depth + 1);
    lines.push(`${pad}${r.kind} ${r.name}`);
    for (const [k, v] of Object.entries(r.properties)) lines.push(`${pad}    ${k}: ${value(v)}`);
  }
  lines.push("", "Network flows (from security-group rules)");
  for (const f of plan.flows) lines.push(`  ${flowLine(f)}`);
  lines.push("", "Outputs");
  for (const [k, v] of Object.entries(plan.outputs)) lines.push(`  ${k}: ${value(v)}`);
  if (plan.warnings.length > 0) {
    lines.push("", "Warnings");
    for (const w of plan.warnings) lines.push(`  ${w}`);
  }
  lines.push("", "Diagram (Mermaid)", plan.diagram);
  return lines.join("\n") + "\n";
}

/** Markdown-safe inline code (no backticks inside, pipes escaped for tables). */
function code(text: string): string {
  return "`" + text.replace(/`/g, "'").replace(/\|/g, "\\|") + "`";
}

function planMarkdown(plan: Plan): string {
  const lines = [
    `### Offline plan of \`${plan.stack}\``,
    "",
    `${counts(plan)}${modes(plan) ? ` · ${modes(plan)}` : ""} · built under Pulumi mocks, no AWS calls`,
    "",
  ];
  lines.push("```mermaid", plan.diagram, "```", "");
  lines.push("| from | to | protocol/ports | rules | why |", "|---|---|---|---|---|");
  for (const f of plan.flows) {
    const [from, to] = [f.from, f.to].map((e) => ("group" in e ? e.group : e.cidr));
    lines.push(
      `| ${code(from)} | ${code(to)} | ${f.protocol}/${f.ports}${f.complete ? "" : " ⚠️ one side only"} | ${f.rules.map(code).join(" ")} | ${f.descriptions.join("; ").replace(/\|/g, "\\|")} |`,
    );
  }
  if (plan.warnings.length > 0) lines.push("", "**Warnings**", "", ...plan.warnings.map((w) => `- ${w}`));
  lines.push("", "<details><summary>Resources</summary>", "");
  for (const r of plan.resources) {
    const props = Object.entries(r.properties).map(([k, v]) => code(`${k}: ${value(v)}`));
    lines.push(
      `${"  ".repeat(r.depth)}- **${r.kind}** ${code(r.name)}${props.length > 0 ? ` — ${props.join(" · ")}` : ""}`,
    );
  }
  lines.push("", "</details>", "", "<details><summary>Outputs</summary>", "");
  for (const [k, v] of Object.entries(plan.outputs)) lines.push(`- ${code(k)}: ${code(value(v))}`);
  lines.push("", "</details>");
  return lines.join("\n") + "\n";
}

export function renderPlan(plan: Plan, format: Format): string {
  if (format === "json") return JSON.stringify(plan, null, 2) + "\n";
  return format === "markdown" ? planMarkdown(plan) : planText(plan);
}

function diffText(d: PlanDiff): string {
  const lines = [`Differences from ${d.from} to ${d.to}`];
  const section = (title: string, items: string[]) => {
    lines.push("", `${title} (${items.length})`);
    for (const i of items) lines.push(`  ${i}`);
  };
  section(
    "Settings",
    d.settings.map((s) => `${s.key}: ${value(s.from)} → ${value(s.to)}`),
  );
  section(`Only in ${d.from}`, d.removed);
  section(`Only in ${d.to}`, d.added);
  section(
    "Changed properties",
    d.changed.map((c) => `${c.kind} ${c.resource} ${c.property}: ${value(c.from)} → ${value(c.to)}`),
  );
  section(`Flows only in ${d.from}`, d.flowsRemoved);
  section(`Flows only in ${d.to}`, d.flowsAdded);
  return lines.join("\n") + "\n";
}

function diffMarkdown(d: PlanDiff): string {
  const lines = [`### \`${d.from}\` → \`${d.to}\``];
  const section = (title: string, items: string[]) => {
    lines.push("", `**${title}** (${items.length})`, "");
    for (const i of items) lines.push(`- ${i}`);
  };
  section(
    "Settings",
    d.settings.map((s) => `${code(s.key)}: ${code(value(s.from))} → ${code(value(s.to))}`),
  );
  section(`Only in ${d.from}`, d.removed.map(code));
  section(`Only in ${d.to}`, d.added.map(code));
  section(
    "Changed properties",
    d.changed.map(
      (c) =>
        `${c.kind} ${code(c.resource)} ${code(c.property)}: ${code(value(c.from))} → ${code(value(c.to))}`,
    ),
  );
  section(`Flows only in ${d.from}`, d.flowsRemoved.map(code));
  section(`Flows only in ${d.to}`, d.flowsAdded.map(code));
  return lines.join("\n") + "\n";
}

export function renderDiff(d: PlanDiff, format: Format): string {
  if (format === "json") return JSON.stringify(d, null, 2) + "\n";
  return format === "markdown" ? diffMarkdown(d) : diffText(d);
}
