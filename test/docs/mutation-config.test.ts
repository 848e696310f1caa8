/** The mutation setup measures the code it names: mutants in the package reach the tests that import it. */
import * as assert from "assert";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

interface StrykerConfigModule {
  default: { mutate: string[]; inPlace?: boolean };
}

describe("mutation config", () => {
  it("mutates in place while a target mutates the package that tests import through its node_modules link", () => {
    process.env.MUTATION_TARGET = "settings";
    // Node 20.19+ loads an ES module with require(); the config reads MUTATION_TARGET when loaded.
    const load = createRequire(__filename);
    const config = (load(path.join(ROOT, "mutation", "stryker.config.mjs")) as StrykerConfigModule).default;
    delete process.env.MUTATION_TARGET;
    const link = fs.realpathSync(path.join(ROOT, "node_modules", "ecs-cloudmap-consul"));
    const packageDir = path.relative(ROOT, link);
    assert.strictEqual(
      packageDir,
      path.join("packages", "ecs-cloudmap-consul"),
      "the program links the package",
    );
    const inPackage = config.mutate.filter((m) => m.startsWith(`${packageDir}/`));
    assert.ok(inPackage.length > 0, "the settings target mutates package files");
    // A sandbox copy keeps node_modules as a link to the unmutated sources: those mutants would
    // survive unseen (the settings score fell from 89 % to 80 % that way).
    assert.strictEqual(config.inPlace, true);
  });
});
