/**
 * Construct over gRPC, with the test playing the engine: each public component, requested the way a
 * Python program's request reaches the plugin, must register the same resources (type, name,
 * parent) with the same inputs as the same component built in-process by a TypeScript program under
 * the repository's mocks. Both sides get the same provider answers (plan/program.ts's mocks), so a
 * difference is the plugin path's: a dropped or renamed child, an input lost in translation, a
 * default applied differently when a value arrives as an output, a double, or a secret.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { runMocked } from "../infra/harness";
import { ConstructCase, FIXTURE_CASES, PACKAGE_CASES, programResourceUrn } from "./construct-cases";
import { FIXTURE_DIR, host, MOCK_ANSWERS, PACKAGE_DIR, PackageSchema, PROJECT, STACK } from "./packages";
import { Json, OUTPUT_SIG, plainValue, Registration, ROOT, SECRET_SIG, SIG_KEY } from "./plugin-host";

const STACK_URN = `urn:pulumi:${STACK}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${STACK}`;

/** A registration as the comparison sees it: parent by type and name, inputs as plain values. */
export interface Registered {
  readonly key: string;
  readonly parent: string;
  readonly inputs: Json;
}

const parentKey = (urn: string): string => {
  if (!urn) return "<root>";
  const [, , qualified, name] = urn.split("::");
  const type = qualified.split("$").pop() ?? qualified;
  return type === "pulumi:pulumi:Stack" ? "<root>" : `${type}::${name}`;
};

export const normalize = (r: Pick<Registration, "type" | "name" | "parent" | "object">): Registered => ({
  key: `${r.type}::${r.name}`,
  parent: parentKey(r.parent),
  inputs: plainValue(r.object),
});

/** What one side registered that the other did not, or registered differently; empty when equal. */
export function differences(plugin: readonly Registered[], mocked: readonly Registered[]): string[] {
  const byKey = (list: readonly Registered[]) => new Map(list.map((r) => [r.key, r]));
  const [p, m] = [byKey(plugin), byKey(mocked)];
  const found: string[] = [];
  for (const key of m.keys()) if (!p.has(key)) found.push(`missing over gRPC: ${key}`);
  for (const key of p.keys()) if (!m.has(key)) found.push(`only over gRPC: ${key}`);
  for (const [key, over] of p) {
    const local = m.get(key);
    if (!local) continue;
    if (over.parent !== local.parent)
      found.push(`${key}: parent ${over.parent} over gRPC, ${local.parent} in-process`);
    try {
      assert.deepStrictEqual(over.inputs, local.inputs);
    } catch {
      found.push(
        `${key}: inputs differ\n  gRPC:       ${JSON.stringify(over.inputs)}\n  in-process: ${JSON.stringify(local.inputs)}`,
      );
    }
  }
  return found;
}

/** The Construct request a Python program's call becomes. */
export function pythonRequest(token: string, c: ConstructCase, monitor: string): provproto.ConstructRequest {
  const wire: Record<string, Json> = {};
  const req = new provproto.ConstructRequest()
    .setProject(PROJECT)
    .setStack(STACK)
    .setOrganization("organization")
    .setDryrun(false)
    .setParallel(16)
    .setMonitorendpoint(monitor)
    .setType(token)
    .setName(c.name)
    .setParent(STACK_URN)
    .setAcceptsOutputValues(true);
  req.getConfigMap().set("aws:region", "eu-west-1");
  for (const [key, value] of Object.entries(c.inputs)) {
    const fromResource = c.fromResources?.includes(key) ?? false;
    const secret = c.secrets?.includes(key) ?? false;
    if (!fromResource && !secret) {
      wire[key] = value;
      continue;
    }
    const dependencies = fromResource
      ? [programResourceUrn(PROJECT, STACK, "aws:index/placeholder:Placeholder", `program-${key}`)]
      : [];
    wire[key] = { [SIG_KEY]: OUTPUT_SIG, value, ...(secret ? { secret: true } : {}), dependencies };
    if (dependencies.length > 0) {
      req
        .getInputdependenciesMap()
        .set(key, new provproto.ConstructRequest.PropertyDependencies().setUrnsList(dependencies));
    }
  }
  return req.setInputs(structproto.Struct.fromJavaScript(wire));
}

/** The TypeScript program's view of the same inputs: outputs stay outputs, secrets stay secret. */
function typescriptArgs(c: ConstructCase): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(c.inputs).map(([key, value]): [string, unknown] => {
      if (c.secrets?.includes(key)) return [key, pulumi.secret(value)];
      if (c.fromResources?.includes(key)) return [key, pulumi.output(value)];
      return [key, value];
    }),
  );
}

interface MonitorLike {
  registerResource(
    req: {
      getType(): string;
      getName(): string;
      getParent(): string;
      getObject(): structproto.Struct | undefined;
    },
    cb: unknown,
  ): unknown;
}

/** The component built in-process under the repository's mocks, its registrations as on the wire. */
async function constructInProcess(dir: string, token: string, c: ConstructCase): Promise<Registered[]> {
  const className = token.split(":").pop() ?? token;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(dir) as Record<
    string,
    new (name: string, args: unknown) => pulumi.ComponentResource
  >;
  const Component = exported[className];
  assert.ok(Component, `${path.relative(ROOT, dir)} exports no ${className}`);
  const seen: Registered[] = [];
  const run = await runMocked(
    () => {
      const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
      const inner = monitor.registerResource.bind(monitor);
      monitor.registerResource = (req, cb) => {
        seen.push(
          normalize({
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            object: req.getObject()?.toJavaScript() ?? {},
          }),
        );
        return inner(req, cb);
      };
      new Component(c.name, typescriptArgs(c));
      return {};
    },
    { "aws:region": "eu-west-1" },
    STACK,
  );
  if (run.error) throw run.error;
  return seen;
}

const packageReady = fs.existsSync(path.join(PACKAGE_DIR, "PulumiPlugin.yaml"));

describe("component package: Construct over gRPC matches the TypeScript program under mocks", function () {
  this.timeout(600_000);

  it("the comparison reports a dropped child, a changed input and a moved parent", () => {
    const parent = "urn:pulumi:test::p::pulumi:pulumi:Stack$pkg:index:C::c";
    const child = {
      type: "aws:ec2/securityGroup:SecurityGroup",
      name: "c-sg",
      parent,
      object: { vpcId: "vpc-1" },
    };
    const component = { type: "pkg:index:C", name: "c", parent: STACK_URN, object: {} };
    const both = [normalize(component), normalize(child)];
    assert.deepStrictEqual(differences(both, both), []);
    assert.deepStrictEqual(differences([normalize(component)], both), [
      "missing over gRPC: aws:ec2/securityGroup:SecurityGroup::c-sg",
    ]);
    const changed = normalize({ ...child, object: { vpcId: "vpc-2" } });
    assert.match(differences([normalize(component), changed], both).join("\n"), /c-sg: inputs differ/);
    const moved = normalize({ ...child, parent: STACK_URN });
    assert.match(
      differences([normalize(component), moved], both).join("\n"),
      /c-sg: parent <root> over gRPC/,
    );
    // A value that arrives as a secret output value is the same input as a local secret.
    const wrapped = { [SIG_KEY]: OUTPUT_SIG, value: "t", secret: true, dependencies: [] };
    const local = { [SIG_KEY]: SECRET_SIG, value: "t" };
    assert.deepStrictEqual(plainValue(wrapped), plainValue(local));
  });

  for (const [dir, cases] of [
    [FIXTURE_DIR, FIXTURE_CASES],
    ...(packageReady ? [[PACKAGE_DIR, PACKAGE_CASES] as const] : []),
  ] as const) {
    const label = path.relative(ROOT, dir);
    describe(label, () => {
      let schema: PackageSchema;

      before(async () => {
        const { plugin } = await host(dir, MOCK_ANSWERS);
        schema = JSON.parse(await plugin.getSchema()) as PackageSchema;
      });

      it("has a Construct case for every component in the schema", () => {
        assert.deepStrictEqual(Object.keys(schema.resources).sort(), Object.keys(cases).sort());
      });

      for (const [token, c] of Object.entries(cases)) {
        it(`${token.split(":").pop()}: same resources, parents and inputs as in-process`, async () => {
          const { plugin, engine } = await host(dir, MOCK_ANSWERS);
          engine.registrations.length = 0;
          engine.invocations.length = 0;
          const started = Date.now();
          const res = await plugin.construct(pythonRequest(token, c, engine.address));
          const constructMs = Date.now() - started;
          assert.strictEqual(
            res.getUrn(),
            `urn:pulumi:${STACK}::${PROJECT}::pulumi:pulumi:Stack$${token}::${c.name}`,
          );
          const overGrpc = engine.registrations.map(normalize);
          const inProcess = await constructInProcess(dir, token, c);
          console.log(`      ${token}: Construct ${constructMs} ms, ${overGrpc.length} registrations`);
          assert.ok(overGrpc.length > 1, "the component registered no children");
          assert.deepStrictEqual(differences(overGrpc, inProcess), []);
          const types = new Set(engine.registrations.map((r) => r.type));
          assert.deepStrictEqual(
            c.registers.filter((t) => !types.has(t)),
            [],
            "a resource the component must create was not registered",
          );
          // Construct's state carries every output the schema requires, and nothing it does not declare.
          const state = Object.keys(res.getState()?.toJavaScript() ?? {});
          const declared = schema.resources[token].properties ?? {};
          const required = schema.resources[token].required ?? [];
          assert.deepStrictEqual(
            required.filter((o) => !state.includes(o)),
            [],
            "required outputs missing from Construct's state",
          );
          assert.deepStrictEqual(
            state.filter((o) => !(o in declared)),
            [],
            "outputs the schema does not declare",
          );
        });
      }
    });
  }
});
