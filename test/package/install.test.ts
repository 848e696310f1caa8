/**
 * The package as a TypeScript program gets it from npm, for real: `npm pack` (its prepack builds
 * dist/), the tarball installed as a real copy into a fresh program's node_modules, that program
 * type-checked by tsc against the shipped declarations and run the way Pulumi's Node.js host runs a
 * program (the installed SDK's `cmd/run` with ts-node registered, the test playing the engine), and
 * the plugin host started from the installed copy.
 *
 * 0.1.0 declared `main` and `types` as index.ts. The repository's program reaches the package
 * through a link, whose real path is outside node_modules, so ts-node compiled it; a copy installed
 * under node_modules is one ts-node never compiles, and Node then failed on its TypeScript syntax.
 * The case "0.1.0's manifest" keeps that failure reproduced.
 *
 * Packing and installing run once for the file. The pack runs in a copy of the package folder, so
 * the checkout gets no dist/ while other tests read it. The install is npm's own (`--prefer-offline`:
 * every package comes from npm's cache when it is there, the registry otherwise) so that npm's
 * dependency resolution, not the test, decides how many copies of @pulumi/pulumi the program gets.
 */
import * as assert from "assert";
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import {
  EXISTING_CONFIG,
  MOCK_ANSWERS,
  PACKAGE_DIR,
  PackageSchema,
  schemaSize,
  schemaSnapshot,
  snapshotText,
} from "./packages";
import { EngineDouble, plainValue, ROOT, startPlugin } from "./plugin-host";

const EXAMPLE_DIR = path.join(ROOT, "examples", "typescript");
const STACK = "dev";

interface Manifest {
  name: string;
  version: string;
  main?: string;
  types?: string;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, "utf8")) as T;

/** The version of a package the repository has installed: the consumer asks npm for the same one. */
const installedVersion = (name: string): string =>
  readJson<Manifest>(path.join(ROOT, "node_modules", name, "package.json")).version;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Ran {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}
const npm = (args: string[], cwd: string) => run(process.platform === "win32" ? "npm.cmd" : "npm", args, cwd);

/**
 * `Interface.member` → its doc comment (lines trimmed: the emitter re-indents), for every exported
 * interface a TypeScript file (source or .d.ts) declares.
 */
function memberDocs(file: string): Map<string, string> {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const docs = new Map<string, string>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    if (!ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return;
    for (const member of node.members) {
      const text = ts
        .getJSDocCommentsAndTags(member)
        .map((d) =>
          d
            .getText()
            .split("\n")
            .map((line) => line.trim())
            .join("\n"),
        )
        .join("\n");
      if (member.name && text) docs.set(`${node.name.text}.${member.name.getText()}`, text);
    }
  });
  return docs;
}

describe("component package: installed from an npm tarball into a TypeScript program", function () {
  this.timeout(600_000);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "package-install-"));
  const checkout = path.join(tmp, "checkout", path.basename(PACKAGE_DIR));
  const consumer = path.join(tmp, "consumer");
  const installed = path.join(consumer, "node_modules", "ecs-cloudmap-consul");
  const sdk = path.join(consumer, "node_modules", "@pulumi", "pulumi");
  let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };

  before(() => {
    // The package folder as a checkout has it, without a build; its tools and types resolve
    // through the repository's node_modules, as they do in the repository.
    fs.cpSync(PACKAGE_DIR, checkout, {
      recursive: true,
      filter: (src) => !["node_modules", "dist"].includes(path.basename(src)),
    });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(path.dirname(checkout), "node_modules"), "dir");
    const pack = npm(["pack", "--json", "--pack-destination", tmp], checkout);
    assert.strictEqual(pack.status, 0, `npm pack failed:\n${pack.stderr}`);
    [packed] = JSON.parse(pack.stdout) as (typeof packed)[];

    // A new program: the TypeScript example's code, config schema and tsconfig, and a package.json
    // that depends on the tarball and on the SDK and tools every Pulumi TypeScript program has.
    fs.mkdirSync(consumer);
    for (const file of ["index.ts", "Pulumi.yaml", "tsconfig.json"]) {
      fs.copyFileSync(path.join(EXAMPLE_DIR, file), path.join(consumer, file));
    }
    const version = (name: string) => installedVersion(name);
    fs.writeFileSync(
      path.join(consumer, "package.json"),
      JSON.stringify(
        {
          name: "discoverable-service-typescript",
          private: true,
          main: "index.ts",
          dependencies: {
            "@pulumi/pulumi": version("@pulumi/pulumi"),
            "ecs-cloudmap-consul": `file:../${packed.filename}`,
          },
          devDependencies: {
            "@types/node": version("@types/node"),
            "ts-node": version("ts-node"),
            typescript: version("typescript"),
          },
        },
        null,
        2,
      ),
    );
    const install = npm(
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"],
      consumer,
    );
    assert.strictEqual(install.status, 0, `npm install failed:\n${install.stderr}`);
    console.log(
      `      npm pack ${pack.ms} ms (${packed.files.length} files, ${packed.size} bytes packed, ` +
        `${packed.unpackedSize} unpacked); npm install ${install.ms} ms`,
    );
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the tarball holds dist/ (JS, declarations, maps), the sources the plugin host reads, and nothing else", () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(checkout, "tsconfig.json"),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) =>
          assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
      },
    );
    assert.ok(config && config.fileNames.length > 0, "the package's tsconfig.json names no sources");
    const sources = config.fileNames.map((f) => path.relative(checkout, f).split(path.sep).join("/"));
    const expected = [
      "CHANGELOG.md",
      "LICENSE",
      "PulumiPlugin.yaml",
      "README.md",
      "entry.js",
      "package.json",
      "schema.json",
      "tsconfig.json",
      ...sources,
      ...sources.flatMap((s) => {
        const base = `dist/${s.replace(/\.ts$/, "")}`;
        return [`${base}.js`, `${base}.js.map`, `${base}.d.ts`, `${base}.d.ts.map`];
      }),
    ].sort();
    assert.deepStrictEqual(packed.files.map((f) => f.path).sort(), expected);
    const manifest = readJson<Manifest>(path.join(installed, "package.json"));
    assert.strictEqual(manifest.main, "entry.js");
    assert.strictEqual(manifest.types, "dist/index.d.ts");
  });

  it("entry.js: a checkout runs its sources under a TypeScript loader even with dist/ built, and dist/ without one", () => {
    const tsNode = path.join(ROOT, "node_modules", "ts-node", "register", "transpile-only");
    /** The package's files Node loaded when `dir` was required, relative to `dir`. */
    const loaded = (dir: string, loader: string[]): string[] => {
      const real = fs.realpathSync(dir);
      const script =
        `require(${JSON.stringify(real)});` +
        `console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(real + path.sep)}))));`;
      const ran = run(process.execPath, [...loader, "-e", script], dir);
      assert.strictEqual(ran.status, 0, ran.stderr);
      const files = JSON.parse(ran.stdout.trim().split("\n").pop() ?? "[]") as string[];
      return files.map((f) => path.relative(real, f).split(path.sep).join("/"));
    };
    // npm pack built dist/ in the checkout copy: the sources still win under ts-node.
    assert.ok(fs.existsSync(path.join(checkout, "dist", "index.js")), "the pack left no dist/ to ignore");
    const checkoutTs = loaded(checkout, ["-r", tsNode]);
    assert.ok(checkoutTs.includes("index.ts"), checkoutTs.join());
    assert.deepStrictEqual(
      checkoutTs.filter((f) => f.startsWith("dist/")),
      [],
    );
    const checkoutJs = loaded(checkout, []);
    assert.ok(checkoutJs.includes("dist/index.js"), checkoutJs.join());
    assert.deepStrictEqual(
      checkoutJs.filter((f) => f.endsWith(".ts")),
      [],
    );
    // An installed copy under ts-node: the cmd/run case below (ts-node would refuse its sources).
  });

  it("the declarations keep every documented Args field's doc comment (editors show them)", () => {
    let compared = 0;
    const missing: string[] = [];
    for (const file of fs.readdirSync(path.join(installed, "dist"), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".d.ts")) continue;
      const source = memberDocs(path.join(installed, file.replace(/\.d\.ts$/, ".ts")));
      const declared = memberDocs(path.join(installed, "dist", file));
      for (const [member, doc] of source) {
        compared++;
        if (declared.get(member) !== doc) missing.push(member);
      }
    }
    assert.ok(compared > 100, `only ${compared} documented interface members found`);
    assert.deepStrictEqual(missing, []);
  });

  it("a fresh program type-checks (strict) against the shipped declarations, not the sources", () => {
    const tsc = run(
      process.execPath,
      [path.join(consumer, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "--listFiles", "-p", "."],
      consumer,
    );
    assert.strictEqual(tsc.status, 0, tsc.stdout + tsc.stderr);
    const fromPackage = tsc.stdout
      .split("\n")
      .filter((f) => f.startsWith(`${installed}${path.sep}`))
      .map((f) => path.relative(installed, f));
    assert.ok(fromPackage.includes(path.join("dist", "index.d.ts")), "tsc did not read dist/index.d.ts");
    assert.deepStrictEqual(
      fromPackage.filter((f) => !f.startsWith(`dist${path.sep}`) || !f.endsWith(".d.ts")),
      [],
      "tsc read package files other than its declarations",
    );
    assert.strictEqual(
      readJson<{ compilerOptions: { strict?: boolean } }>(path.join(consumer, "tsconfig.json"))
        .compilerOptions.strict,
      true,
    );
  });

  /** The program run by the installed SDK's `cmd/run` as the CLI's language host starts it, against an engine double. */
  async function runProgram(): Promise<{ ran: Ran; engine: EngineDouble }> {
    const project = "discoverable-service-typescript";
    const engine = new EngineDouble(MOCK_ANSWERS, project, STACK);
    const address = await engine.start();
    try {
      const config = Object.fromEntries(
        Object.entries(EXISTING_CONFIG).map(([k, v]) => [`${project}:${k}`, v]),
      );
      // Async: the engine double answers on this process's event loop while the program runs.
      const ran = await new Promise<Ran>((resolve, reject) => {
        const started = Date.now();
        const child: ChildProcessWithoutNullStreams = spawn(
          process.execPath,
          [
            path.join(sdk, "cmd", "run"),
            `--monitor=${address}`,
            `--engine=${address}`,
            `--project=${project}`,
            `--stack=${STACK}`,
            ".",
          ],
          {
            cwd: consumer,
            env: {
              ...process.env,
              PULUMI_NODEJS_TYPESCRIPT: "true",
              // The host's own switch for ts-node's type check: tsc checked the program above, and
              // what ts-node leaves alone (node_modules) is the same either way.
              PULUMI_NODEJS_TRANSPILE_ONLY: "true",
              PULUMI_CONFIG: JSON.stringify({ "aws:region": "eu-west-1", ...config }),
            },
          },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("exit", (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
      });
      return { ran, engine };
    } finally {
      await engine.stop();
    }
  }

  it("runs under Pulumi's Node.js host (cmd/run, ts-node) and registers both components with their children", async () => {
    const { ran, engine } = await runProgram();
    const errors = engine.logs.filter((l) => l.severity === "ERROR").map((l) => l.message);
    assert.strictEqual(ran.status, 0, `cmd/run exited ${ran.status}:\n${errors.join("\n")}\n${ran.stderr}`);
    console.log(`      cmd/run ${ran.ms} ms, ${engine.registrations.length} registrations`);
    for (const component of [
      "ecs-cloudmap-consul:index:DiscoverableService",
      "ecs-cloudmap-consul:index:ConsulSync",
    ]) {
      const registered = engine.registrations.find((r) => r.type === component);
      assert.ok(registered, `the program registered no ${component}`);
      assert.ok(
        engine.registrations.some((r) => r.parent === registered.urn && r.custom),
        `${component} registered no child resource`,
      );
    }
    assert.ok(
      engine.registrations.some((r) => r.type === "aws:ecs/service:Service"),
      "no ECS service",
    );
    const stack = engine.registrations.find((r) => r.type === "pulumi:pulumi:Stack");
    assert.ok(stack, "no stack resource");
    const outputs = plainValue(engine.outputs.get(stack.urn) ?? {}) as Record<string, unknown>;
    assert.strictEqual(outputs.serviceDnsName, "web.internal.example");
  });

  it("0.1.0's manifest (main and types: index.ts) cannot be loaded from node_modules: ts-node skips it", async () => {
    const file = path.join(installed, "package.json");
    const shipped = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(shipped), main: "index.ts", types: "index.ts" }));
    try {
      const { ran, engine } = await runProgram();
      assert.notStrictEqual(
        ran.status,
        0,
        "the program ran with main: index.ts installed under node_modules",
      );
      const said = engine.logs.map((l) => l.message).join("\n") + ran.stderr;
      // Node itself read the TypeScript, as JavaScript: ts-node left the file alone.
      assert.match(said, /SyntaxError/, said);
      assert.strictEqual(
        engine.registrations.some((r) => r.type.startsWith("ecs-cloudmap-consul:")),
        false,
      );
    } finally {
      fs.writeFileSync(file, shipped);
    }
  });

  it("the program has one @pulumi/pulumi, its own: the package declares it a peer, not a dependency", () => {
    const manifest = readJson<Manifest>(path.join(installed, "package.json"));
    assert.ok(manifest.peerDependencies?.["@pulumi/pulumi"], "@pulumi/pulumi is no peer dependency");
    assert.strictEqual(manifest.dependencies?.["@pulumi/pulumi"], undefined);
    // Provider SDKs: caret ranges, so npm can share the program's copy (one default provider each).
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      if (name.startsWith("@pulumi/")) assert.match(range, /^\^\d+\.\d+\.\d+$/, `${name}: ${range}`);
    }
    const ls = npm(["ls", "@pulumi/pulumi", "--all", "--parseable"], consumer);
    assert.strictEqual(ls.status, 0, ls.stderr);
    const copies = [...new Set(ls.stdout.split("\n").filter(Boolean))];
    assert.deepStrictEqual(copies, [sdk]);
    const fromPackage = require.resolve("@pulumi/pulumi", { paths: [installed] });
    const fromProgram = require.resolve("@pulumi/pulumi", { paths: [consumer] });
    assert.strictEqual(fromPackage, fromProgram);
  });

  it("the plugin host started from the installed copy answers GetSchema with the committed schema", async () => {
    const engine = new EngineDouble(MOCK_ANSWERS, "ecs-cloudmap-consul", STACK);
    const address = await engine.start();
    const started = Date.now();
    const plugin = await startPlugin(installed, address, 120_000, path.join(sdk, "cmd", "run-plugin"));
    try {
      const text = await plugin.getSchema();
      const schema = JSON.parse(text) as PackageSchema;
      const size = schemaSize(schema);
      console.log(
        `      plugin from node_modules: GetSchema after ${Date.now() - started} ms; ${size.resources} resources`,
      );
      const snapshot = schemaSnapshot(PACKAGE_DIR);
      assert.strictEqual(await snapshotText(schema, snapshot), fs.readFileSync(snapshot, "utf8"));
    } finally {
      await plugin.stop();
      await engine.stop();
    }
  });
});
