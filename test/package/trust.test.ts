/**
 * What makes the package trustworthy to adopt, kept true by tests: its README's reference equals
 * what the committed schema says (the schema test keeps that equal to the plugin's answer), the
 * CHANGELOG names every component and every moved type token with its alias, the version is one
 * release, and the license is the repository's.
 */
import * as assert from "assert";
import * as fs from "fs";
import { isBuiltin } from "module";
import * as path from "path";
import { PACKAGE_DIR, PackageSchema, schemaSnapshot } from "./packages";
import { ROOT } from "./plugin-host";
import { renderReference, withReference } from "./reference";
import { typeScriptSources } from "../infra/sources";
import { FORMER_TYPES, type MovedComponent } from "../../packages/ecs-cloudmap-consul/shared/former-type";

const read = (file: string) => fs.readFileSync(path.join(PACKAGE_DIR, file), "utf8");
/** What an install gives the package's code: its dependencies and the peers the program provides. */
const manifestDeps = () => {
  const { dependencies, peerDependencies } = JSON.parse(read("package.json")) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  return { ...dependencies, ...peerDependencies };
};
const manifest = () => JSON.parse(read("package.json")) as { name: string; version: string; license: string };

/** `withFormerType(opts, FORMER_TYPES.<Class>)` in the package's sources: the aliases the components keep. */
function formerTokens(): string[] {
  const found = new Set<string>();
  for (const file of typeScriptSources(PACKAGE_DIR)) {
    const uses = fs.readFileSync(file, "utf8").matchAll(/withFormerType\(\s*[^,]+,\s*FORMER_TYPES\.(\w+)\)/g);
    for (const m of uses) found.add(FORMER_TYPES[m[1] as MovedComponent]);
  }
  return [...found].sort();
}

describe("component package: README, CHANGELOG, LICENSE", () => {
  const snapshot = schemaSnapshot(PACKAGE_DIR);

  it("the README's reference section is generated from schema.json (npm run docs:package)", () => {
    assert.ok(
      fs.existsSync(snapshot),
      "packages/ecs-cloudmap-consul/schema.json is missing: run npm run docs:package",
    );
    const schema = JSON.parse(fs.readFileSync(snapshot, "utf8")) as PackageSchema;
    const readme = read("README.md");
    assert.strictEqual(
      readme,
      withReference(readme, renderReference(schema)),
      "the README's reference is stale: run npm run docs:package",
    );
  });

  it("the README says how to install per language and lists, with commands, what needs the Pulumi CLI", () => {
    const readme = read("README.md");
    for (const needed of [
      "npm install",
      "pulumi package add",
      "## What it creates, and what it costs",
      "## Limitations",
    ]) {
      assert.ok(readme.includes(needed), `README lacks ${needed}`);
    }
    // npm installs a git repository's root (the sample stacks), never this subfolder: the commands
    // offered install the tarball `npm pack` makes.
    const commands = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n"));
    assert.ok(
      commands.some((c) => /^cd packages\/ecs-cloudmap-consul && npm pack\b/.test(c)),
      "README: no npm pack command",
    );
    for (const command of commands.filter((c) => /\bnpm (install|i)\b/.test(c))) {
      assert.doesNotMatch(command, /git\+|github:|\.git\b/, `README offers an npm git install: ${command}`);
    }
    const notVerified = readme.slice(readme.indexOf("Not verified here"));
    for (const lang of fs.readdirSync(path.join(ROOT, "examples")).filter((d) => !d.includes("."))) {
      assert.match(
        notVerified,
        new RegExp(`cd examples/${lang} && .*pulumi up`),
        `no pulumi up command for examples/${lang}`,
      );
    }
  });

  it("the CHANGELOG has the package.json version, every component, and every moved token with its new one", () => {
    const changelog = read("CHANGELOG.md");
    const { name, version } = manifest();
    assert.match(version, /^\d+\.\d+\.\d+$/);
    assert.ok(changelog.includes(`\n## ${version}\n`), `CHANGELOG.md has no "## ${version}" section`);
    const schema = JSON.parse(fs.readFileSync(snapshot, "utf8")) as PackageSchema;
    const tokens = Object.keys(schema.resources).sort();
    const mentioned = [
      ...new Set([...changelog.matchAll(new RegExp(`${name}:index:[A-Za-z0-9]+`, "g"))].map((m) => m[0])),
    ].sort();
    assert.deepStrictEqual(mentioned, tokens, "the CHANGELOG's components are not the schema's");
    const formers = formerTokens();
    assert.ok(formers.length > 0, "no withFormerType alias found in the package: the scan is broken");
    for (const former of formers) {
      const moved = `${name}:index:${former.split(":").pop()}`;
      assert.ok(
        changelog.includes(`| \`${former}\` | \`${moved}\` |`),
        `CHANGELOG.md does not list the move ${former} → ${moved}`,
      );
    }
    const listed = [...changelog.matchAll(/^\| `([^`]+)` \| `[^`]+` \|$/gm)].map((m) => m[1]).sort();
    assert.deepStrictEqual(listed, formers, "the CHANGELOG lists a move the code keeps no alias for");
  });

  it("declares every package its sources import (an installed copy gets nothing else)", () => {
    const declared = new Set(Object.keys(manifestDeps()));
    const missing = new Set<string>();
    for (const full of typeScriptSources(PACKAGE_DIR)) {
      const text = fs.readFileSync(full, "utf8");
      for (const m of text.matchAll(/(?:from|import|require\()\s*"([^".][^"]*)"/g)) {
        const spec = m[1].startsWith("node:") ? undefined : m[1];
        if (!spec || isBuiltin(spec)) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
        if (!declared.has(name)) missing.add(`${name} (${path.relative(PACKAGE_DIR, full)})`);
      }
    }
    assert.deepStrictEqual([...missing].sort(), []);
  });

  it("asks for the Node.js its dependencies need: one lower bound, the highest of theirs", () => {
    /** `>=20`, `>=20.0.0` → [20, 0, 0]; anything else is not a plain lower bound. */
    const floor = (range: string, who: string): number[] => {
      const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
      assert.ok(m, `${who}: engines.node ${range} is not a plain lower bound`);
      return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
    };
    const compare = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
    const needed = Object.keys(manifestDeps())
      .map((name) => {
        const dep = JSON.parse(
          fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8"),
        ) as { engines?: { node?: string } };
        return dep.engines?.node === undefined ? [0, 0, 0] : floor(dep.engines.node, name);
      })
      .reduce((a, b) => (compare(a, b) >= 0 ? a : b));
    const own = (JSON.parse(read("package.json")) as { engines?: { node?: string } }).engines?.node;
    assert.ok(own, "package.json has no engines.node");
    assert.deepStrictEqual(floor(own, "ecs-cloudmap-consul"), needed);
  });

  it("is licensed as the repository is: Apache-2.0, with the license's text", () => {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { license: string };
    assert.strictEqual(manifest().license, root.license);
    assert.strictEqual(root.license, "Apache-2.0");
    const text = read("LICENSE");
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
  });
});
