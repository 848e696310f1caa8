/**
 * apps/README.md's table of the discovery options, generated from the client's options table
 * (apps/hello/src/discovery/options.ts: the one source of each option's type, default, bounds,
 * variable and meaning) and from what each app reads of it. `npm run docs:discovery` rewrites it
 * between the markers; a test fails when the README's copy is stale.
 */
import exit from "exit-x";
import * as fs from "fs";
import * as path from "path";
import { FORWARDER_DISCOVERY } from "../apps/forwarder/src/config";
import { HELLO_DISCOVERY } from "../apps/hello/src/config";
import { OPTIONS, type OptionRow } from "../apps/hello/src/discovery/options";

export const TABLE_BEGIN =
  "<!-- discovery options: generated from apps/hello/src/discovery/options.ts by `npm run docs:discovery` -->";
export const TABLE_END = "<!-- end of discovery options -->";
export const APPS_README = path.join(__dirname, "..", "apps", "README.md");

/** An app and the options it reads (names of OPTIONS, an object option for all its members). */
interface Reader {
  app: string;
  names: readonly string[];
  defaults: Readonly<Record<string, unknown>>;
}

export const READERS: readonly Reader[] = [
  { app: "hello", ...HELLO_DISCOVERY },
  { app: "forwarder", ...FORWARDER_DISCOVERY },
];

const code = (value: string | number) => `\`${value}\``;
const escape = (text: string) => text.replace(/\|/g, "\\|");

/** The app-specific default of `key` (e.g. "ejection.baseMs"), if the app has one. */
function appDefault(reader: Reader, key: string): unknown {
  const [name, member] = key.split(".");
  const value = reader.defaults[name];
  return member === undefined ? value : (value as Record<string, unknown> | undefined)?.[member];
}

/** A value in the variable's units (a fraction read as a percentage shows as one). */
function inEnvUnits(row: OptionRow, value: unknown): string {
  return row.type === "choice" ? code(String(value)) : code(Number(value) * (row.envScale ?? 1));
}

function allowed(row: OptionRow): string {
  if (row.type === "choice") return row.choices.map(code).join(", ");
  const scale = row.envScale ?? 1;
  const range = `${row.min * scale}–${row.max * scale}`;
  const kind = row.type === "number" && scale === 1 ? "a number " : "";
  const atMost =
    row.atMost === undefined
      ? ""
      : `, at most ${code((OPTIONS as Record<string, OptionRow>)[row.atMost].env ?? row.atMost)}`;
  return `${kind}${range}${atMost}`;
}

/** Who reads the variable: each app, with its own default when it differs from the table's. */
function readBy(key: string, row: OptionRow): string {
  if (row.env === undefined) return "— (library only)";
  const name = key.split(".")[0];
  const apps = READERS.filter((r) => r.names.includes(name)).map((r) => {
    const own = appDefault(r, key);
    return own === undefined ? r.app : `${r.app} (default ${inEnvUnits(row, own)})`;
  });
  return apps.length > 0 ? apps.join(", ") : "— (no app)";
}

/** The table: one row per option of OPTIONS, in the table's order. */
export function discoveryTable(): string {
  const header = ["variable", "option", "default", "allowed", "read by", "meaning"];
  const rows = Object.entries(OPTIONS as Record<string, OptionRow>).map(([key, row]) => [
    row.env === undefined ? "—" : code(row.env),
    row.type === "number" && (row.envScale ?? 1) !== 1 ? `${code(key)} (÷ ${row.envScale})` : code(key),
    inEnvUnits(row, row.default),
    allowed(row),
    readBy(key, row),
    escape(row.description),
  ]);
  return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

/** `readme` with the table between the markers replaced by `table`. */
export function withDiscoveryTable(readme: string, table: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin)
    throw new Error(`apps/README.md needs the markers ${TABLE_BEGIN} … ${TABLE_END}`);
  return `${readme.slice(0, begin + TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

if (require.main === module) {
  try {
    const readme = fs.readFileSync(APPS_README, "utf8");
    const updated = withDiscoveryTable(readme, discoveryTable());
    if (updated !== readme) fs.writeFileSync(APPS_README, updated);
    console.log(
      updated === readme
        ? "apps/README.md: discovery table already current"
        : "apps/README.md: discovery table updated",
    );
    exit(0);
  } catch (err) {
    process.stderr.write(`docs:discovery: ${(err as Error).message}\n`);
    exit(1);
  }
}
