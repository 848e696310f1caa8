/**
 * The packages the package tests host, and one running plugin per package shared by the test files
 * (starting the plugin type-checks the package with ts-node, as the CLI's language host does: tens of
 * seconds, so each package is started once per mocha run).
 */
import * as fs from "fs";
import * as path from "path";
import * as prettier from "prettier";
import * as ts from "typescript";
import { computedState, mockCall, mockId } from "../../plan/program";
import { EngineDouble, Plugin, ProviderAnswers, ROOT, startPlugin } from "./plugin-host";
import { typeScriptSources } from "../infra/sources";

/** The engine double answers as the repository's mocks do, so both sides of a comparison see the same cloud. */
export const MOCK_ANSWERS: ProviderAnswers = {
  state: computedState,
  id: mockId,
  call: (token, args) => mockCall({ token, inputs: args, provider: "" }),
};

/** The component package this repository ships. */
export const PACKAGE_DIR = path.join(ROOT, "packages", "ecs-cloudmap-consul");
/** The harness's self-test package: one component, one child, one data-source call. */
export const FIXTURE_DIR = path.join(__dirname, "fixture");
/** The committed schema of a package: its public API, diffed on every change. */
export const schemaSnapshot = (dir: string): string => path.join(dir, "schema.json");

/** Project and stack the Construct requests and the in-process mocks share (names derive from them). */
export const PROJECT = "ecs-cloudmap-consul";
export const STACK = "test";

/** The existing infrastructure every example takes as config, as `pulumi config set` would store it. */
export const EXISTING_CONFIG: Record<string, string> = {
  vpcId: "vpc-0abc1234def567890",
  subnetIds: JSON.stringify(["subnet-0aaa1111", "subnet-0bbb2222"]),
  clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/platform",
  clusterName: "platform",
  executionRoleArn: "arn:aws:iam::123456789012:role/platform-task-execution",
  namespaceId: "ns-abcdef1234567890",
  namespaceArn: "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abcdef1234567890",
  namespaceName: "internal.example",
  hostedZoneId: "Z0123456789ABCDEFGHIJ",
  consulHttpAddr: "http://consul.internal.example:8500",
  region: "eu-west-1",
  consulTokenSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:consul-token-AbCdEf",
};

export interface Hosted {
  readonly plugin: Plugin;
  readonly engine: EngineDouble;
  /** Milliseconds from spawning the plugin to its printed port. */
  readonly startMs: number;
}

const hosted = new Map<string, Promise<Hosted>>();

/** The plugin of `dir`, started on first use with an engine double answering as `answers` does. */
export function host(dir: string, answers: ProviderAnswers): Promise<Hosted> {
  let running = hosted.get(dir);
  if (!running) {
    running = (async () => {
      const engine = new EngineDouble(answers, PROJECT, STACK);
      const address = await engine.start();
      const started = Date.now();
      const plugin = await startPlugin(dir, address);
      return { plugin, engine, startMs: Date.now() - started };
    })();
    hosted.set(dir, running);
  }
  return running;
}

/** Stops every plugin this run started (a root-level `after` calls it). */
export async function stopAll(): Promise<void> {
  const all = [...hosted.values()];
  hosted.clear();
  for (const running of all) {
    const { plugin, engine } = await running.catch(() => ({ plugin: undefined, engine: undefined }));
    await plugin?.stop();
    await engine?.stop();
  }
}

// Outside mocha (the regeneration script) the caller stops them.
if (typeof after === "function") after(stopAll);

/** A Pulumi package schema, the parts the tests read. */
export interface SchemaProperty {
  type?: string;
  $ref?: string;
  items?: SchemaProperty;
  additionalProperties?: SchemaProperty;
  description?: string;
  optional?: boolean;
  plain?: boolean;
  secret?: boolean;
}
export interface SchemaObject {
  type?: string;
  description?: string;
  isComponent?: boolean;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
  inputProperties?: Record<string, SchemaProperty>;
  requiredInputs?: string[];
  enum?: { name?: string; value: string | number; description?: string }[];
}
export interface PackageSchema {
  name: string;
  version: string;
  description?: string;
  resources: Record<string, SchemaObject>;
  types: Record<string, SchemaObject>;
  dependencies?: { name: string; version: string }[];
}

/** The snapshot text of a schema at `file`: JSON as the repository's prettier formats it (its lint checks it). */
export async function snapshotText(schema: PackageSchema, file: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(schema), { ...options, filepath: file });
}

/** Resources, inputs and outputs of a schema (object types' fields counted separately). */
export function schemaSize(schema: PackageSchema): {
  resources: number;
  inputs: number;
  outputs: number;
  types: number;
  typeFields: number;
} {
  const resources = Object.values(schema.resources);
  const types = Object.values(schema.types);
  return {
    resources: resources.length,
    inputs: resources.reduce((n, r) => n + Object.keys(r.inputProperties ?? {}).length, 0),
    outputs: resources.reduce((n, r) => n + Object.keys(r.properties ?? {}).length, 0),
    types: types.length,
    typeFields: types.reduce((n, t) => n + Object.keys(t.properties ?? {}).length, 0),
  };
}

export interface InputField {
  /** `Component.input` or `Type.field`. */
  readonly where: string;
  readonly owner: { kind: "component" | "type"; name: string };
  readonly field: string;
  readonly property: SchemaProperty;
  readonly required: boolean;
}

/**
 * Every field a consumer sets, with its description: each component's inputs and the fields of the
 * object types they use. `where` names it as `Component.input` or `Type.field`.
 */
export function inputFields(schema: PackageSchema): InputField[] {
  const short = (token: string) => token.split(":").pop() ?? token;
  const fields: InputField[] = [];
  for (const [token, resource] of Object.entries(schema.resources)) {
    for (const [name, property] of Object.entries(resource.inputProperties ?? {})) {
      fields.push({
        where: `${short(token)}.${name}`,
        owner: { kind: "component", name: short(token) },
        field: name,
        property,
        required: (resource.requiredInputs ?? []).includes(name),
      });
    }
  }
  for (const [token, type] of Object.entries(schema.types)) {
    for (const [name, property] of Object.entries(type.properties ?? {})) {
      fields.push({
        where: `${short(token)}.${name}`,
        owner: { kind: "type", name: short(token) },
        field: name,
        property,
        required: (type.required ?? []).includes(name),
      });
    }
  }
  return fields;
}

/** What the tests read from the package's TypeScript sources (parsed, not type-checked). */
export interface SourceFacts {
  /** The `@default` tag of `field` of interface `iface`, following `extends` within the package. */
  defaultOf(iface: string, field: string): string | undefined;
  /** The interface that types a class's constructor `args`. */
  argsOf(className: string): string | undefined;
  /** Private, protected and `#` members of a class. */
  hiddenMembers(className: string): Set<string>;
  /** The first ComponentResource subclass (files in sorted order) whose Args interface the package declares. */
  firstComponentArgs(): [component: string, argsInterface: string, file: string];
}

/**
 * Facts from the package's sources. The SDK's analyzer copies a doc comment's text into the schema
 * but drops its tags, so a default that lives only in a `@default` tag never reaches a Python or Go
 * user; and it turns every class field into an output, private ones included.
 */
export function sourceFacts(dir: string): SourceFacts {
  const interfaces = new Map<string, { defaults: Map<string, string>; bases: string[]; file: string }>();
  const classes = new Map<string, { args?: string; hidden: Set<string>; component: boolean }>();
  const order: string[] = [];
  const files = typeScriptSources(dir);
  for (const file of files) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    source.forEachChild((node) => {
      if (ts.isClassDeclaration(node) && node.name) {
        const ctor = node.members.find(ts.isConstructorDeclaration);
        const args = ctor?.parameters[1]?.type;
        const hidden = new Set<string>();
        for (const member of node.members) {
          const name = member.name?.getText();
          if (!name) continue;
          const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
          const isHidden = modifiers.some(
            (m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword,
          );
          if (isHidden || name.startsWith("#")) hidden.add(name.replace(/^#/, ""));
        }
        for (const param of ctor?.parameters ?? []) {
          const modifiers = ts.getModifiers(param) ?? [];
          if (
            modifiers.some(
              (m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword,
            )
          ) {
            hidden.add(param.name.getText());
          }
        }
        const component = (node.heritageClauses ?? []).some((c) =>
          c.types.some((t) => /ComponentResource$/.test(t.expression.getText())),
        );
        classes.set(node.name.text, {
          args: args && ts.isTypeReferenceNode(args) ? args.typeName.getText() : undefined,
          hidden,
          component,
        });
        order.push(node.name.text);
        return;
      }
      if (!ts.isInterfaceDeclaration(node)) return;
      const defaults = new Map<string, string>();
      for (const member of node.members) {
        if (!ts.isPropertySignature(member)) continue;
        const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === "default");
        if (tag) defaults.set(member.name.getText(), (ts.getTextOfJSDocComment(tag.comment) ?? "").trim());
      }
      const bases = (node.heritageClauses ?? []).flatMap((c) =>
        c.types.map((t) => t.expression.getText().split(".").pop() ?? ""),
      );
      interfaces.set(node.name.text, { defaults, bases, file });
    });
  }
  const lookup = (iface: string, field: string, seen = new Set<string>()): string | undefined => {
    const found = interfaces.get(iface);
    if (!found || seen.has(iface)) return undefined;
    seen.add(iface);
    return (
      found.defaults.get(field) ?? found.bases.map((b) => lookup(b, field, seen)).find((d) => d !== undefined)
    );
  };
  return {
    defaultOf: (iface, field) => lookup(iface, field),
    argsOf: (name) => classes.get(name)?.args,
    hiddenMembers: (name) => classes.get(name)?.hidden ?? new Set(),
    firstComponentArgs: () => {
      for (const name of order) {
        const found = classes.get(name);
        const iface = found?.args === undefined ? undefined : interfaces.get(found.args);
        if (found?.component && found.args && iface) return [name, found.args, iface.file];
      }
      throw new Error(`no ComponentResource subclass with a declared Args interface under ${dir}`);
    },
  };
}
