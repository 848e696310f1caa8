/** The README's tables that mirror code: generated (settings) or checked against the code (components). */
import * as assert from "assert";
import * as fs from "fs";
import { README, settingsTable, TABLE_BEGIN, TABLE_END, withSettingsTable } from "../../docs/settings-table";
import { componentSources } from "./sources";

describe("infra README tables", () => {
  const readme = fs.readFileSync(README, "utf8");

  it("the settings table is the one Pulumi.yaml and the stack files generate (npm run docs:settings)", () => {
    assert.strictEqual(
      readme,
      withSettingsTable(readme, settingsTable()),
      "stale: run npm run docs:settings",
    );
    const table = readme.slice(readme.indexOf(TABLE_BEGIN), readme.indexOf(TABLE_END));
    assert.match(table, /^\| `consulMode` \| string \| `off` \| `embedded` \| `external` \| /m);
  });

  it("the components table names every component class in the package and the program, and only those", () => {
    const classes = componentSources()
      .flatMap((f) => [
        ...fs
          .readFileSync(f, "utf8")
          .matchAll(/^export class (\w+) extends pulumi\.(?:ComponentResource|dynamic\.Resource)\b/gm),
      ])
      .map((m) => m[1])
      .sort();
    const section = readme.slice(readme.indexOf("| component | what it makes |"));
    const table = section.slice(0, section.indexOf("\n\n"));
    const named = [...table.matchAll(/^\| ([^|]+) \|/gm)]
      .flatMap((m) => [...m[1].matchAll(/`(\w+)`/g)].map((n) => n[1]))
      .sort();
    assert.deepStrictEqual(named, classes);
  });
});
