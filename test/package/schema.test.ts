/**
 * The package's schema, produced the way `pulumi package add` gets it: the SDK's run-plugin hosts
 * the package folder, and GetSchema is called over gRPC. The schema is what every other language's
 * SDK is generated from, so it is snapshot-tested (packages/…/schema.json): a change to the public
 * API is a visible diff. `npm run docs:package` rewrites the snapshot and the README's tables.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  FIXTURE_DIR,
  host,
  MOCK_ANSWERS,
  inputFields,
  PACKAGE_DIR,
  PackageSchema,
  schemaSize,
  schemaSnapshot,
  snapshotText,
  sourceFacts,
} from "./packages";
import { EngineDouble, ROOT, startPlugin } from "./plugin-host";

/** A default's text as prose carries it: no backticks, no closing period, spaces collapsed. */
const normalized = (text: string) => text.replace(/`/g, "").replace(/\s+/g, " ").replace(/\.$/, "").trim();

/** A `@default` that says there is none (a required field, or unset means "not created"). */
const NO_DEFAULT = /^(none|required|n\/a|-|—|undefined)\b/i;

/**
 * The plugin's stderr without Node's process warnings (a dependency's deprecation notice, such as
 * the AWS SDK's on Node 20, printed as `(node:<pid>) …Warning: …` up to Node's `--trace-warnings`
 * hint): what is left is the host's, the analyzer's or ts-node's.
 */
function withoutNodeWarnings(text: string): string {
  return text.replace(/^\(node:\d+\) [\s\S]*?^\(Use `node --trace-warnings[^\n]*\n?/gm, "");
}

const packageReady = fs.existsSync(path.join(PACKAGE_DIR, "PulumiPlugin.yaml"));

describe("component package: the schema through the plugin host", function () {
  // Each plugin start type-checks its package with ts-node, as the CLI's language host does.
  this.timeout(600_000);

  it("the repository ships the package folder (PulumiPlugin.yaml, package.json, tsconfig.json, index.ts)", () => {
    for (const file of ["PulumiPlugin.yaml", "package.json", "tsconfig.json", "index.ts"]) {
      assert.ok(
        fs.existsSync(path.join(PACKAGE_DIR, file)),
        `packages/ecs-cloudmap-consul/${file} is missing`,
      );
    }
    assert.match(
      fs.readFileSync(path.join(PACKAGE_DIR, "PulumiPlugin.yaml"), "utf8"),
      /^runtime:\s*nodejs\s*$/m,
    );
  });

  for (const dir of packageReady ? [FIXTURE_DIR, PACKAGE_DIR] : [FIXTURE_DIR]) {
    const label = path.relative(ROOT, dir);
    describe(label, () => {
      let schema: PackageSchema;
      let engine: EngineDouble;
      let stderr: () => string;

      before(async () => {
        const hosted = await host(dir, MOCK_ANSWERS);
        engine = hosted.engine;
        stderr = hosted.plugin.stderr;
        const started = Date.now();
        schema = JSON.parse(await hosted.plugin.getSchema()) as PackageSchema;
        const size = schemaSize(schema);
        console.log(
          `      ${label}: plugin up in ${hosted.startMs} ms, GetSchema ${Date.now() - started} ms; ` +
            `${size.resources} resources, ${size.inputs} inputs, ${size.outputs} outputs, ` +
            `${size.types} object types with ${size.typeFields} fields`,
        );
      });

      it("GetSchema answers with no analyzer error or warning (plugin stderr, engine log)", () => {
        const complaints = engine.logs.filter((l) => l.severity === "WARNING" || l.severity === "ERROR");
        assert.deepStrictEqual(complaints, []);
        assert.strictEqual(withoutNodeWarnings(stderr()).trim(), "", "the plugin wrote to stderr");
        assert.ok(Object.keys(schema.resources).length > 0, "the schema has no resources");
      });

      it("names and versions the schema as package.json does; every token is <package>:index:<Class>", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
          name: string;
          version: string;
        };
        assert.strictEqual(schema.name, manifest.name);
        assert.strictEqual(schema.version, manifest.version);
        assert.match(manifest.version, /^\d+\.\d+\.\d+$/, "package.json's version is not a semantic version");
        for (const token of [...Object.keys(schema.resources), ...Object.keys(schema.types)]) {
          assert.match(token, new RegExp(`^${manifest.name}:index:[A-Z][A-Za-z0-9]*$`));
        }
      });

      it("documents every input, and states its default where the source's @default gives one", () => {
        const facts = sourceFacts(dir);
        const problems: string[] = [];
        for (const field of inputFields(schema)) {
          const description = (field.property.description ?? "").trim();
          if (description === "") {
            problems.push(`${field.where}: no description`);
            continue;
          }
          const iface = field.owner.kind === "component" ? facts.argsOf(field.owner.name) : field.owner.name;
          const tag = iface === undefined ? undefined : facts.defaultOf(iface, field.field);
          if (tag === undefined || field.required || NO_DEFAULT.test(tag)) continue;
          if (!/default/i.test(description) || !normalized(description).includes(normalized(tag))) {
            problems.push(`${field.where}: @default ${tag} is not in its description ("${description}")`);
          }
        }
        assert.deepStrictEqual(problems, []);
      });

      it("documents every output", () => {
        const undocumented = Object.entries(schema.resources).flatMap(([token, resource]) =>
          Object.entries(resource.properties ?? {})
            .filter(([, property]) => (property.description ?? "").trim() === "")
            .map(([name]) => `${token.split(":").pop() ?? token}.${name}`),
        );
        assert.deepStrictEqual(undocumented, []);
      });

      it("has no private or protected member of a component among its outputs", () => {
        const facts = sourceFacts(dir);
        const leaked: string[] = [];
        for (const [token, resource] of Object.entries(schema.resources)) {
          const component = token.split(":").pop() ?? token;
          for (const name of Object.keys(resource.properties ?? {})) {
            if (facts.hiddenMembers(component).has(name)) leaked.push(`${component}.${name}`);
          }
        }
        assert.deepStrictEqual(leaked, []);
      });

      it("matches the committed schema snapshot (npm run docs:package regenerates it)", async () => {
        const file = schemaSnapshot(dir);
        const actual = await snapshotText(schema, file);
        if (process.env.UPDATE_PACKAGE_SCHEMA === "1") fs.writeFileSync(file, actual);
        assert.ok(fs.existsSync(file), `${path.relative(ROOT, file)} is missing: run npm run docs:package`);
        assert.strictEqual(
          actual,
          fs.readFileSync(file, "utf8"),
          `${path.relative(ROOT, file)} is stale: the public API changed; review the diff and run npm run docs:package`,
        );
      });
    });
  }

  it("refuses a union reintroduced into a component's Args (a mutated copy, not the package)", async () => {
    const dir = packageReady ? PACKAGE_DIR : FIXTURE_DIR;
    const facts = sourceFacts(dir);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "package-union-"));
    const copy = path.join(tmp, path.basename(dir));
    fs.cpSync(dir, copy, { recursive: true, filter: (src) => path.basename(src) !== "node_modules" });
    // The copy resolves @pulumi/* as the package does: through the repository's node_modules.
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(tmp, "node_modules"), "dir");
    if (fs.existsSync(path.join(dir, "node_modules"))) {
      fs.symlinkSync(path.join(dir, "node_modules"), path.join(copy, "node_modules"), "dir");
    }
    const [component, argsInterface, file] = facts.firstComponentArgs();
    const target = path.join(copy, path.relative(dir, file));
    const text = fs.readFileSync(target, "utf8");
    const opening = new RegExp(`interface ${argsInterface}\\b[^{]*\\{`).exec(text);
    assert.ok(opening, `no interface ${argsInterface} in ${file}`);
    const at = opening.index + opening[0].length;
    fs.writeFileSync(
      target,
      `${text.slice(0, at)}\n  /** Size as a number or a name. @default 1 */\n  unionSize?: number | string;${text.slice(at)}`,
    );
    const engine = new EngineDouble(MOCK_ANSWERS, "mutant", "test");
    const plugin = await startPlugin(copy, await engine.start());
    try {
      await assert.rejects(
        plugin.getSchema(),
        (err: Error) =>
          /Union types are not supported/.test(err.message) && err.message.includes("unionSize"),
        `GetSchema accepted a union in ${component}'s Args`,
      );
    } finally {
      await plugin.stop();
      await engine.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
