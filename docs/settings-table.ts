/**
 * The settings table of docs/settings.md, generated from Pulumi.yaml (the one source of each setting's
 * type, default and description) and the stack files. `npm run docs:settings` rewrites it between the
 * markers; a test fails when the committed copy is stale.
 */
import exit from "exit-x";
import * as fs from "fs";
import * as path from "path";
import { listStacks, loadProjectFile, loadStackConfig, ROOT } from "../plan/program";

export const TABLE_BEGIN = "<!-- settings table: generated from Pulumi.yaml by `npm run docs:settings` -->";
export const TABLE_END = "<!-- end of settings table -->";
export const SETTINGS_DOC = path.join(ROOT, "docs", "settings.md");

/** A value as a table cell: code, with a sha256 digest shortened so the table stays readable. */
function cell(value: string): string {
  if (value === "") return '`""`';
  const shown = value.replace(/sha256:([0-9a-f]{4})[0-9a-f]{56}([0-9a-f]{4})/g, "sha256:$1…$2");
  return `\`${shown.replace(/\|/g, "\\|")}\``;
}

/** The settings table: one row per setting, with its value in each stack (empty: the default). */
export function settingsTable(): string {
  const project = loadProjectFile();
  const stacks = listStacks();
  const configs = stacks.map((stack) => loadStackConfig(stack));
  const header = ["key", "type", "default", ...stacks, "meaning"];
  const rows = [
    [
      "`aws:region`",
      "string",
      "(required)",
      ...configs.map((c) => cell(c["aws:region"] ?? "")),
      "AWS region.",
    ],
    ...Object.entries(project.config).map(([key, spec]) => [
      `\`${key}\``,
      spec.type,
      cell(String(spec.default)),
      ...configs.map((c) => {
        const value = c[`${project.name}:${key}`];
        return value === undefined ? "" : cell(value);
      }),
      spec.description.replace(/\|/g, "\\|"),
    ]),
  ];
  return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

/** `doc` with the table between the markers replaced by `table`. */
export function withSettingsTable(doc: string, table: string): string {
  const begin = doc.indexOf(TABLE_BEGIN);
  const end = doc.indexOf(TABLE_END);
  if (begin < 0 || end < begin)
    throw new Error(`docs/settings.md needs the markers ${TABLE_BEGIN} … ${TABLE_END}`);
  return `${doc.slice(0, begin + TABLE_BEGIN.length)}\n${table}\n${doc.slice(end)}`;
}

if (require.main === module) {
  try {
    const doc = fs.readFileSync(SETTINGS_DOC, "utf8");
    const updated = withSettingsTable(doc, settingsTable());
    if (updated !== doc) fs.writeFileSync(SETTINGS_DOC, updated);
    console.log(
      updated === doc
        ? "docs/settings.md: settings table already current"
        : "docs/settings.md: settings table updated",
    );
    exit(0);
  } catch (err) {
    // A missing marker or an unreadable Pulumi.yaml: the message names it; a stack trace would not help.
    process.stderr.write(`docs:settings: ${(err as Error).message}\n`);
    exit(1);
  }
}
