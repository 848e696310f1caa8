/**
 * The package README's reference section, rendered from the committed schema (which the schema test
 * keeps equal to what the plugin answers): each component's inputs and outputs with their Python and
 * Go names, and the object types they use. `npm run docs:package` writes it; test/package/readme
 * fails when the README's copy is stale.
 */
import { PackageSchema, SchemaObject, SchemaProperty } from "./packages";

export const BEGIN = "<!-- reference:begin (generated from schema.json by `npm run docs:package`) -->";
export const END = "<!-- reference:end -->";

/** A schema name as the generated Python SDK spells it (`vpcId` → `vpc_id`, `consulCaPem` → `consul_ca_pem`). */
export function pythonName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();
}

/** A schema name as the generated Go SDK spells a field (`vpcId` → `VpcId`). */
export function goName(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The last part of a token or a `$ref`: `…#/types/pkg:index:Foo` → `Foo`, a resource ref → its token. */
export function refName(ref: string): string {
  const target = decodeURIComponent(ref.split("#/").pop() ?? ref);
  if (target.startsWith("types/")) return target.slice("types/".length).split(":").pop() ?? target;
  if (target.startsWith("resources/")) return target.slice("resources/".length);
  return target;
}

export function typeText(p: SchemaProperty): string {
  if (p.$ref) {
    const name = refName(p.$ref);
    return name.includes(":") ? `\`${name}\` (resource)` : `[${name}](#${name.toLowerCase()})`;
  }
  if (p.type === "array" && p.items) return `${typeText(p.items)}[]`;
  if (p.type === "object" && p.additionalProperties) return `map of ${typeText(p.additionalProperties)}`;
  return p.type ?? "any";
}

const cell = (text: string | undefined) =>
  (text ?? "")
    .trim()
    .replace(/\|/g, "\\|")
    .replace(/\s*\n\s*/g, " ");

function inputTable(properties: Record<string, SchemaProperty>, required: readonly string[]): string[] {
  const rows = ["| input | Python / Go | type | required | description |", "|---|---|---|---|---|"];
  for (const [name, p] of Object.entries(properties)) {
    rows.push(
      `| \`${name}\` | \`${pythonName(name)}\` / \`${goName(name)}\` | ${typeText(p)}${p.secret ? " (secret)" : ""} | ` +
        `${required.includes(name) ? "yes" : "no"} | ${cell(p.description)} |`,
    );
  }
  return rows;
}

function outputTable(properties: Record<string, SchemaProperty>): string[] {
  const rows = ["| output | type | description |", "|---|---|---|"];
  for (const [name, p] of Object.entries(properties)) {
    rows.push(`| \`${name}\` | ${typeText(p)} | ${cell(p.description)} |`);
  }
  return rows;
}

function typeSection(token: string, t: SchemaObject): string[] {
  const name = token.split(":").pop() ?? token;
  const lines = [`### ${name}`, ""];
  if (t.enum) {
    lines.push(`One of: ${t.enum.map((e) => `\`${String(e.value)}\``).join(", ")}.`, "");
    return lines;
  }
  lines.push(...inputTable(t.properties ?? {}, t.required ?? []), "");
  return lines;
}

/** The reference section, between the markers. */
export function renderReference(schema: PackageSchema): string {
  const lines = [BEGIN, ""];
  const resources = Object.entries(schema.resources).sort(([a], [b]) => a.localeCompare(b));
  lines.push("| component | type token |", "|---|---|");
  for (const [token] of resources) {
    const name = token.split(":").pop() ?? token;
    lines.push(`| [${name}](#${name.toLowerCase()}) | \`${token}\` |`);
  }
  lines.push("");
  for (const [token, r] of resources) {
    const name = token.split(":").pop() ?? token;
    lines.push(`### ${name}`, "", cell(r.description) || "(no description)", "");
    lines.push(...inputTable(r.inputProperties ?? {}, r.requiredInputs ?? []), "");
    lines.push(...outputTable(r.properties ?? {}), "");
  }
  const types = Object.entries(schema.types).sort(([a], [b]) => a.localeCompare(b));
  if (types.length > 0) {
    lines.push(
      "### Object types",
      "",
      "Inputs made of several fields (a Python dict or `…Args` class, a Go `…Args` struct).",
      "",
    );
    for (const [token, t] of types)
      lines.push(...typeSection(token, t).map((l) => l.replace(/^### /, "#### ")));
  }
  lines.push(END);
  return lines.join("\n");
}

/** `readme` with its reference section replaced by `reference`; throws when the markers are missing. */
export function withReference(readme: string, reference: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`the README has no ${BEGIN} … ${END} section`);
  return readme.slice(0, start) + reference + readme.slice(end + END.length);
}
