/**
 * examples/: one small program per language that adds a discoverable service and the consul-aws
 * sync to existing infrastructure given as config. The TypeScript one runs under the mocks; the
 * others cannot run here (no Pulumi CLI to generate their SDK), so each is parsed by its language's
 * own tool where it runs here (Python's py_compile and ast, gofmt, a YAML parser) and every
 * component, argument name and literal type it uses is checked against the committed schema, in
 * the spelling that language's generated SDK uses (snake_case, Go field names, camelCase).
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { runMocked } from "../infra/harness";
import {
  EXISTING_CONFIG,
  PACKAGE_DIR,
  PackageSchema,
  PROJECT,
  SchemaProperty,
  schemaSnapshot,
  STACK,
} from "./packages";
import { ROOT } from "./plugin-host";
import { goName, pythonName, refName } from "./reference";

const EXAMPLES = path.join(ROOT, "examples");
const LANGUAGES = ["typescript", "python", "go", "yaml"] as const;

/** The kind of a literal value in an example; "expr" when it is computed (config, another output). */
type Kind = "string" | "number" | "boolean" | "array" | "object" | "expr";
interface Use {
  readonly component: string;
  /** Argument name → kind of its value, under the schema's name. */
  readonly args: Record<string, Kind>;
}

const loadSchema = (): PackageSchema =>
  JSON.parse(fs.readFileSync(schemaSnapshot(PACKAGE_DIR), "utf8")) as PackageSchema;

/** What is wrong with these uses against the schema: unknown components, arguments, kinds; missing required ones. */
function problems(
  schema: PackageSchema,
  uses: readonly Use[],
  spell: (schemaName: string) => string,
): string[] {
  const found: string[] = [];
  const kindOf = (p: SchemaProperty): Kind => {
    if (p.$ref === "pulumi.json#/Any") return "expr";
    if (p.$ref) return refName(p.$ref).includes(":") ? "string" : "object";
    if (p.type === "integer") return "number";
    return (p.type as Kind | undefined) ?? "expr";
  };
  for (const use of uses) {
    const token = Object.keys(schema.resources).find((t) => t.split(":").pop() === use.component);
    if (!token) {
      found.push(`${use.component}: no such component in the schema`);
      continue;
    }
    const inputs = schema.resources[token].inputProperties ?? {};
    const bySpelling = new Map(Object.keys(inputs).map((name) => [spell(name), name]));
    for (const [arg, kind] of Object.entries(use.args)) {
      const name = bySpelling.get(arg);
      if (!name) {
        found.push(`${use.component}.${arg}: no such input`);
        continue;
      }
      const expected = kindOf(inputs[name]);
      if (kind !== "expr" && expected !== "expr" && kind !== expected) {
        found.push(`${use.component}.${arg}: a ${kind}, the schema wants a ${expected}`);
      }
    }
    for (const required of schema.resources[token].requiredInputs ?? []) {
      if (!(spell(required) in use.args))
        found.push(`${use.component}: required ${spell(required)} is not set`);
    }
  }
  return found;
}

/** A Python program's calls of `ecs_cloudmap_consul.<Component>(name, key=value…)`, read with Python's own ast. */
function pythonUses(file: string): Use[] {
  const script = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
def kind(v):
    if isinstance(v, ast.Constant):
        return {bool: "boolean", int: "number", float: "number", str: "string"}.get(type(v.value), "expr")
    if isinstance(v, (ast.List, ast.Tuple)): return "array"
    if isinstance(v, ast.Dict): return "object"
    return "expr"
uses = []
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == "ecs_cloudmap_consul":
        uses.append({"component": node.func.attr, "args": {k.arg: kind(k.value) for k in node.keywords if k.arg != "opts"}})
print(json.dumps(uses))
`;
  return JSON.parse(execFileSync("python3", ["-c", script, file], { encoding: "utf8" })) as Use[];
}

/** A Go program's `ecscloudmapconsul.New<Component>(ctx, name, &ecscloudmapconsul.<Component>Args{ Field: value, … })`. */
function goUses(text: string): Use[] {
  const uses: Use[] = [];
  for (const m of text.matchAll(
    /ecscloudmapconsul\.New(\w+)\(ctx, "[^"]*", &ecscloudmapconsul\.(\w+)Args\{\n([\s\S]*?)\n\t\t\}\)/g,
  )) {
    assert.strictEqual(m[1], m[2], `New${m[1]} takes ${m[2]}Args`);
    const args: Record<string, Kind> = {};
    for (const field of m[3].matchAll(/^\t{3}(\w+):\s+(.+)$/gm)) {
      const value = field[2].replace(/,$/, "");
      args[field[1]] = /^\[\]/.test(value)
        ? "array"
        : /^\d+(\.\d+)?$/.test(value)
          ? "number"
          : /^"/.test(value)
            ? "string"
            : /^(true|false)$/.test(value)
              ? "boolean"
              : "expr";
    }
    uses.push({ component: m[1], args });
  }
  return uses;
}

/** A YAML program's resources of the package's types, properties as written (`${…}` is computed). */
function yamlUses(doc: {
  resources?: Record<string, { type: string; properties?: Record<string, unknown> }>;
}): Use[] {
  const kind = (v: unknown): Kind =>
    typeof v === "string"
      ? /^\$\{.*\}$/.test(v)
        ? "expr"
        : "string"
      : Array.isArray(v)
        ? "array"
        : typeof v === "object" && v !== null
          ? "object"
          : (typeof v as Kind);
  return Object.values(doc.resources ?? {})
    .filter((r) => r.type.startsWith("ecs-cloudmap-consul:"))
    .map((r) => ({
      component: r.type.split(":").pop() ?? r.type,
      args: Object.fromEntries(Object.entries(r.properties ?? {}).map(([k, v]) => [k, kind(v)])),
    }));
}

describe("component package: examples/ for TypeScript, Python, Go and YAML", function () {
  this.timeout(120_000);

  for (const lang of LANGUAGES) {
    it(`${lang}: a complete program taking the existing VPC, subnets, cluster and namespace as config`, () => {
      const project = yaml.load(fs.readFileSync(path.join(EXAMPLES, lang, "Pulumi.yaml"), "utf8")) as {
        name: string;
        runtime: string | { name: string };
        config: Record<string, unknown>;
        packages?: Record<string, string>;
      };
      const runtime = typeof project.runtime === "string" ? project.runtime : project.runtime.name;
      assert.strictEqual(runtime, { typescript: "nodejs", python: "python", go: "go", yaml: "yaml" }[lang]);
      assert.deepStrictEqual(Object.keys(project.config).sort(), Object.keys(EXISTING_CONFIG).sort());
      if (lang !== "typescript") {
        // `pulumi package add` records the package in Pulumi.yaml; the path is the repository's folder.
        assert.strictEqual(
          path.resolve(EXAMPLES, lang, project.packages?.["ecs-cloudmap-consul"] ?? ""),
          PACKAGE_DIR,
        );
      }
    });
  }

  it("typescript: runs under the mocks and builds both components with their children", async () => {
    const config = Object.fromEntries(
      Object.entries(EXISTING_CONFIG).map(([k, v]) => [`${PROJECT}:${k}`, v]),
    );
    const entry = path.join(EXAMPLES, "typescript", "index.ts");
    const run = await runMocked(
      () => {
        delete require.cache[require.resolve(entry)];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(entry) as Record<string, unknown>;
      },
      { "aws:region": "eu-west-1", ...config },
      STACK,
    );
    if (run.error) throw run.error;
    const types = run.resources.map((r) => r.type);
    for (const component of [
      "ecs-cloudmap-consul:index:DiscoverableService",
      "ecs-cloudmap-consul:index:ConsulSync",
    ]) {
      assert.ok(types.includes(component), `the example built no ${component}`);
      assert.ok(
        run.resources.some((r) => r.parentType === component),
        `${component} has no children`,
      );
    }
    assert.ok(
      run.resources.some((r) => r.type === "aws:ecs/service:Service"),
      "no ECS service",
    );
    assert.match(String(run.outputs.serviceDnsName), /^web\.internal\.example$/);
  });

  it("python: compiles (py_compile) and uses only the schema's components and snake_case inputs", () => {
    const file = path.join(EXAMPLES, "python", "__main__.py");
    // The bytecode goes to a temporary folder, not into examples/.
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "py-compile-"));
    const compiled = spawnSync("python3", ["-m", "py_compile", file], {
      encoding: "utf8",
      env: { ...process.env, PYTHONPYCACHEPREFIX: cache },
    });
    fs.rmSync(cache, { recursive: true, force: true });
    assert.strictEqual(compiled.status, 0, compiled.stderr);
    const uses = pythonUses(file);
    assert.deepStrictEqual(uses.map((u) => u.component).sort(), ["ConsulSync", "DiscoverableService"]);
    assert.deepStrictEqual(problems(loadSchema(), uses, pythonName), []);
  });

  it("go: uses only the schema's components and Go field names", () => {
    const uses = goUses(fs.readFileSync(path.join(EXAMPLES, "go", "main.go"), "utf8"));
    assert.deepStrictEqual(uses.map((u) => u.component).sort(), ["ConsulSync", "DiscoverableService"]);
    assert.deepStrictEqual(problems(loadSchema(), uses, goName), []);
  });

  it("go: gofmt -e parses it (skipped without gofmt: Debian package golang-go, which .ci/run installs)", function () {
    const file = path.join(EXAMPLES, "go", "main.go");
    const formatted = spawnSync("gofmt", ["-l", "-e", file], { encoding: "utf8" });
    if (formatted.error && "code" in formatted.error && formatted.error.code === "ENOENT") this.skip();
    assert.strictEqual(formatted.error, undefined);
    assert.strictEqual(formatted.status, 0, formatted.stderr);
    assert.strictEqual(formatted.stdout, "", "main.go is not gofmt-formatted");
  });

  it("yaml: parses, and uses only the schema's components and camelCase inputs", () => {
    const doc = yaml.load(fs.readFileSync(path.join(EXAMPLES, "yaml", "Pulumi.yaml"), "utf8")) as Parameters<
      typeof yamlUses
    >[0];
    const uses = yamlUses(doc);
    assert.deepStrictEqual(uses.map((u) => u.component).sort(), ["ConsulSync", "DiscoverableService"]);
    assert.deepStrictEqual(
      problems(loadSchema(), uses, (n) => n),
      [],
    );
  });

  it("yaml-environment: a new DiscoveryEnvironment and a service after it (dependsOn), only the schema's names", () => {
    const doc = yaml.load(
      fs.readFileSync(path.join(EXAMPLES, "yaml-environment", "Pulumi.yaml"), "utf8"),
    ) as Parameters<typeof yamlUses>[0] & {
      resources: Record<string, { options?: { dependsOn?: string[] } }>;
      packages?: Record<string, string>;
    };
    const uses = yamlUses(doc);
    assert.deepStrictEqual(uses.map((u) => u.component).sort(), [
      "DiscoverableService",
      "DiscoveryEnvironment",
    ]);
    assert.deepStrictEqual(
      problems(loadSchema(), uses, (n) => n),
      [],
    );
    assert.deepStrictEqual(doc.resources.web.options?.dependsOn, ["${dev}"]);
    assert.strictEqual(
      path.resolve(EXAMPLES, "yaml-environment", doc.packages?.["ecs-cloudmap-consul"] ?? ""),
      PACKAGE_DIR,
    );
    // The environment's nested objects name only the schema's fields.
    const schema = loadSchema();
    const env = Object.values(doc.resources).find((r) => r.type.endsWith(":DiscoveryEnvironment"));
    const unknown: string[] = [];
    const walk = (value: unknown, ref: string | undefined, at: string) => {
      if (!ref || typeof value !== "object" || value === null || Array.isArray(value)) return;
      const fields = schema.types[ref.replace("#/types/", "")]?.properties ?? {};
      for (const [key, v] of Object.entries(value)) {
        if (!(key in fields)) unknown.push(`${at}.${key}`);
        else walk(v, fields[key].$ref, `${at}.${key}`);
      }
    };
    const inputs = schema.resources["ecs-cloudmap-consul:index:DiscoveryEnvironment"].inputProperties ?? {};
    for (const [key, v] of Object.entries(env?.properties ?? {})) walk(v, inputs[key]?.$ref, key);
    assert.deepStrictEqual(unknown, []);
  });

  it("the schema check reports a misspelt input, a wrong kind, an unknown component and a missing required input", () => {
    const schema = loadSchema();
    const token = Object.keys(schema.resources).find((t) => t.endsWith(":DiscoverableService")) ?? "";
    const required = schema.resources[token].requiredInputs ?? [];
    const args: Record<string, Kind> = Object.fromEntries(required.map((r) => [pythonName(r), "expr"]));
    assert.deepStrictEqual(problems(schema, [{ component: "DiscoverableService", args }], pythonName), []);
    const [first] = required;
    const broken = { ...args, [`${pythonName(first)}x`]: "expr" as Kind };
    delete broken[pythonName(first)];
    const found = problems(
      schema,
      [
        { component: "DiscoverableService", args: broken },
        { component: "Nope", args: {} },
      ],
      pythonName,
    );
    assert.ok(
      found.some((p) => p.includes(`${pythonName(first)}x: no such input`)),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => p.includes(`required ${pythonName(first)} is not set`)),
      found.join("\n"),
    );
    assert.ok(
      found.some((p) => p.startsWith("Nope: no such component")),
      found.join("\n"),
    );
    const inputs = schema.resources[token].inputProperties ?? {};
    const stringInput = Object.keys(inputs).find((n) => inputs[n].type === "string");
    assert.ok(stringInput);
    const wrongKind = problems(
      schema,
      [{ component: "DiscoverableService", args: { ...args, [pythonName(stringInput)]: "number" } }],
      pythonName,
    );
    assert.ok(
      wrongKind.some((p) => p.includes("a number, the schema wants a string")),
      wrongKind.join("\n"),
    );
  });
});
