/**
 * The tables in docs/ and apps/README.md that mirror code outside the program (the settings and
 * components tables are checked in test/infra): each row is checked against the code it documents,
 * so neither can drift.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseForwarderConfig } from "../../apps/forwarder/src/config";
import { parseHelloConfig } from "../../apps/hello/src/config";
import { OPTIONS, type OptionRow } from "../../apps/hello/src/discovery/options";
import {
  APPS_README,
  discoveryTable,
  READERS,
  TABLE_BEGIN,
  TABLE_END,
  withDiscoveryTable,
} from "../../docs/discovery-table";
import { parseNameConfig } from "../../apps/name/src/config";
import { ERROR_ANSWERS } from "../../apps/hello/src/error-answers";
import { ExitCode } from "../../driver/errors";
import { parseCliArgs } from "../../local/cli/args";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** The rows (cells, trimmed) of the table whose header line is `header`. */
function tableRows(text: string, header: string): string[][] {
  const start = text.indexOf(`${header}\n`);
  assert.ok(start >= 0, `no table headed ${header}`);
  const lines = text.slice(start).split("\n").slice(2);
  const end = lines.findIndex((l) => !l.startsWith("|"));
  return lines.slice(0, end < 0 ? lines.length : end).map((line) =>
    line
      .slice(1, -1)
      .split("|")
      .map((cell) => cell.trim()),
  );
}

/** A cell's value when it is one literal in backticks (`3000`), else undefined (prose such as "the host name"). */
function literal(cell: string): string | undefined {
  return /^`([^`]*)`$/.exec(cell)?.[1];
}

/** The one app table that follows `## <app>` in apps/README.md. */
function appTable(app: string): string[][] {
  const text = read("apps/README.md");
  return tableRows(text.slice(text.indexOf(`## ${app}\n`)), "| variable | default | meaning |");
}

/**
 * The variables an app's config.ts reads: its own literals, plus those of each env.ts method it calls
 * (env.ts is shared by the apps; a method one app never calls reads nothing for it), plus the
 * variables of the discovery options it reads through the library's table.
 */
function variablesRead(app: string): string[] {
  const config = read(`apps/${app}/src/config.ts`);
  // The env.ts config.ts imports: the app's own, or hello's (the forwarder has no copy).
  const envImport = /from "(\.[./a-z]*\/env)";/.exec(config)?.[1];
  assert.ok(envImport, `apps/${app}/src/config.ts imports no env.ts`);
  const env = read(path.posix.join(`apps/${app}/src`, `${envImport}.ts`));
  const methods = [...env.matchAll(/^ {2}([a-zA-Z]+)\(\).*\{$/gm)];
  const called = methods.map((m, i) => ({
    name: m[1],
    body: env.slice(m.index, methods[i + 1]?.index ?? env.length),
  }));
  const source = [config, ...called.filter((m) => config.includes(`.${m.name}()`)).map((m) => m.body)].join(
    "\n",
  );
  return [
    ...new Set([
      ...[...source.matchAll(/"([A-Z][A-Z0-9_]{2,})"/g)].map((m) => m[1]),
      ...discoveryVariables(app),
    ]),
  ].sort();
}

/** The variables of the discovery options `app` reads (none for an app that reads none). */
function discoveryVariables(app: string): string[] {
  const names = READERS.find((r) => r.app === app)?.names ?? [];
  return Object.entries(OPTIONS as Record<string, OptionRow>)
    .filter(([key, row]) => row.env !== undefined && names.includes(key.split(".")[0]))
    .map(([, row]) => String(row.env));
}

describe("docs tables that mirror code", () => {
  it("local topology flags: every flag with a literal default parses to what no flag gives", () => {
    const rows = tableRows(read("docs/local-topology.md"), "| flag | default | |");
    const none = parseCliArgs([]);
    let checked = 0;
    for (const [flagCell, defaultCell] of rows) {
      const flag = literal(flagCell);
      if (flag === undefined || !flag.startsWith("--")) return assert.fail(`not a flag: ${flagCell}`);
      const value = /^`?([A-Za-z0-9.]+)`?/.exec(defaultCell)?.[1];
      if (value === "off") {
        assert.deepStrictEqual(parseCliArgs([flag]).kind, "run");
        continue;
      }
      assert.ok(value !== undefined, `${flag}: default ${defaultCell}`);
      assert.deepStrictEqual(parseCliArgs([flag, value]), none, `${flag} ${value} is not the default`);
      checked++;
    }
    assert.ok(checked >= 8, `only ${checked} flags checked`);
  });

  it("discovery options: apps/README.md's table is the one generated from the library's options table (`npm run docs:discovery`)", () => {
    const readme = fs.readFileSync(APPS_README, "utf8");
    assert.ok(
      readme.includes(TABLE_BEGIN) && readme.includes(TABLE_END),
      "the markers are in apps/README.md",
    );
    assert.strictEqual(
      readme,
      withDiscoveryTable(readme, discoveryTable()),
      "apps/README.md's discovery table is stale: run `npm run docs:discovery`",
    );
    const rows = tableRows(
      readme.slice(readme.indexOf(TABLE_BEGIN)),
      "| variable | option | default | allowed | read by | meaning |",
    );
    assert.deepStrictEqual(
      rows.map(([, option]) => /`([^`]+)`/.exec(option)?.[1]),
      Object.keys(OPTIONS),
      "one row per option of OPTIONS, in its order",
    );
  });

  it("driver exit codes: the table lists exactly the codes the driver exits with", () => {
    const rows = tableRows(read("docs/driver-and-ci.md"), "| exit code | meaning |");
    const documented = rows.map(([code]) => Number(code)).sort((a, b) => a - b);
    const used = Object.values(ExitCode).sort((a, b) => a - b);
    assert.deepStrictEqual(documented, used);
  });

  it("mutation targets: the table lists exactly the targets `npm run mutation` knows", () => {
    const rows = tableRows(read("docs/mutation.md"), "| target | mutates | tests |");
    const documented = rows.map(([target]) => literal(target)).sort();
    const defined = [...read("mutation/targets.mjs").matchAll(/^ {2}"?([a-z-]+)"?: \{/gm)]
      .map((m) => m[1])
      .sort();
    assert.ok(defined.length >= 4);
    assert.deepStrictEqual(documented, defined);
  });

  it("hello's error answers: the table lists exactly the codes hello answers with, their status and message", () => {
    const text = read("apps/README.md");
    const rows = tableRows(text.slice(text.indexOf("## hello\n")), "| code | status | message |");
    const documented: Record<string, { status: number; message: string }> = {};
    for (const [code, status, message] of rows)
      documented[String(literal(code))] = { status: Number(status), message };
    assert.deepStrictEqual(documented, ERROR_ANSWERS);
  });

  for (const [app, parse, required] of [
    ["name", (env: Record<string, string>) => parseNameConfig(env, "h"), {}],
    [
      "hello",
      (env: Record<string, string>) => parseHelloConfig(env, "h"),
      { NAME_SERVER: "http://10.0.0.5/" },
    ],
    [
      "forwarder",
      (env: Record<string, string>) => parseForwarderConfig(env),
      { FORWARDS: "vault.internal=8200" },
    ],
  ] as const) {
    it(`${app}'s variables: the table names every variable it reads, and each literal default is the default`, () => {
      const rows = appTable(app);
      const text = read("apps/README.md");
      const discoveryRows = tableRows(
        text.slice(text.indexOf(TABLE_BEGIN)),
        "| variable | option | default | allowed | read by | meaning |",
      ).filter((row) => row[4].split(", ").some((reader) => reader.split(" ")[0] === app));
      const named = [...rows, ...discoveryRows].flatMap(([cell]) =>
        [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]),
      );
      for (const variable of variablesRead(app))
        assert.ok(named.includes(variable), `${variable} is not in the table`);
      const base = parse({ ...required });
      assert.ok(base.ok);
      let checked = 0;
      // The discovery table's default, or the app's own where its "read by" cell names one.
      const discoveryDefaults = discoveryRows.map(([cell, , defaultCell, , readBy]) => {
        const own = new RegExp(`${app} \\(default (\`[^\`]*\`)\\)`).exec(readBy)?.[1];
        return [cell, own ?? defaultCell];
      });
      for (const [cell, defaultCell] of [...rows, ...discoveryDefaults]) {
        const variable = literal(cell);
        const value = literal(defaultCell);
        if (variable === undefined || value === undefined) continue;
        assert.deepStrictEqual(
          parse({ ...required, [variable]: value }),
          base,
          `${variable}=${value} is not the default`,
        );
        checked++;
      }
      assert.ok(checked >= 3, `only ${checked} defaults checked`);
    });
  }
});
