/**
 * Runs the Pulumi program (what index.ts runs: settings from config, then
 * `createInfrastructure`) under Pulumi's mock runtime and records every resource it registers,
 * with its parent. Nothing else is faked: components, settings and naming run for real. Like the
 * Pulumi CLI, it fills in Pulumi.yaml's defaults for settings the stack leaves out. The offline
 * plan and the infra tests share this runner.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as yaml from "js-yaml";
import { stackProgram } from "../program/infrastructure";

export const ROOT = path.resolve(__dirname, "..");
export const PROJECT = "ecs-cloudmap-consul";
/** The account id every mocked ARN carries. */
export const MOCK_ACCOUNT = "123456789012";
export const ACCOUNT = MOCK_ACCOUNT;
/** What the mocked random provider generates for the embedded Consul's management token. */
export const MOCK_UUID = "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f";
const REGION = "eu-west-1";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
  /** The state the mock returned: inputs plus provider-computed outputs (ARNs, ids). */
  readonly state: Record<string, unknown>;
  /** URN the mock monitor gave the resource. */
  urn?: string;
  /** URN of the parent resource; undefined at top level. */
  parentUrn?: string;
  /** Type token of the parent resource, from the URN; undefined at top level. */
  parentType?: string;
  /** URNs it waits for: explicit dependsOn (components expanded to their children) and resources its inputs come from. */
  dependencies: string[];
  /** `<provider urn>::<provider id>` of an explicit provider; undefined for the default one. */
  provider?: string;
  /** A component's providers by package (what its children inherit), as references like `provider`. */
  providers?: Record<string, string>;
  /** Resource options the engine acts on when the resource changes: replace order and ignored or replace-forcing properties. */
  options?: { deleteBeforeReplace: boolean; ignoreChanges: string[]; replaceOnChanges: string[] };
  /** Its aliases as the SDK sent them (a URN, or a spec the engine completes from the resource). */
  aliases?: AliasRequest[];
}

/** One alias of a registration request: a whole URN, or a spec whose empty fields mean "as now". */
export interface AliasRequest {
  readonly urn?: string;
  readonly name?: string;
  readonly type?: string;
  readonly stack?: string;
  readonly project?: string;
  readonly parentUrn?: string;
  readonly noParent?: boolean;
}

export interface ProgramRun {
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, unknown>;
  /** Stack outputs that are Pulumi secrets (their values must never be printed). */
  readonly secretOutputs: readonly string[];
  readonly error?: Error;
  /** What the program warned about (placeholders left in a preview's settings). */
  readonly warnings?: readonly string[];
}

export interface RunOptions {
  /**
   * Run as a preview (`pulumi.runtime.isDryRun()` true for the program: placeholders warn) or as
   * an update (`up`: placeholders stop the program before it registers anything).
   * @default true: the offline plan and the graph tests are previews
   */
  readonly dryRun?: boolean;
}

/** Stacks that have a Pulumi.<stack>.yaml next to Pulumi.yaml. */
export function listStacks(): string[] {
  return fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The `config:` map of a stack file's text; `file` names it in every error (empty, not YAML, not
 * a mapping, a `config:` that is not a mapping).
 */
export function parseStackFile(text: string, file: string): Record<string, unknown> {
  const expected = "expected a YAML mapping with a `config:` block, as in Pulumi.dev.yaml";
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (err) {
    throw new Error(`${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (doc === undefined || doc === null) throw new Error(`${file} is empty: ${expected}`);
  if (!isMapping(doc)) throw new Error(`${file} is not a mapping: ${expected}`);
  if (doc.config === undefined || doc.config === null) return {};
  if (!isMapping(doc.config)) throw new Error(`${file}: \`config:\` is not a mapping: ${expected}`);
  return doc.config;
}

/** The `config:` map of Pulumi.<stack>.yaml as written (a secret stays `{ secure: … }`). */
export function readStackFile(stack: string): Record<string, unknown> {
  const file = `Pulumi.${stack}.yaml`;
  return parseStackFile(fs.readFileSync(path.join(ROOT, file), "utf8"), file);
}

/** The `config:` map of Pulumi.<stack>.yaml, values as strings (as the CLI hands them over). */
export function loadStackConfig(stack: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(readStackFile(stack))) config[key] = String(value);
  return config;
}

/** A setting as Pulumi.yaml declares it. */
export interface SettingSpec {
  readonly type: "string" | "integer" | "boolean";
  readonly default: string | number | boolean;
  readonly description: string;
}

/** Pulumi.yaml parsed. */
export function loadProjectFile(): {
  name: string;
  runtime: unknown;
  config: Record<string, SettingSpec>;
} {
  return yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as ReturnType<
    typeof loadProjectFile
  >;
}

/**
 * What the Pulumi CLI does before a program runs: every setting Pulumi.yaml declares with a
 * default and the stack leaves unset gets that default (as text, as the CLI hands it over).
 */
export function withProjectDefaults(config: Readonly<Record<string, string>>): Record<string, string> {
  const project = loadProjectFile();
  const defaults = Object.fromEntries(
    Object.entries(project.config).map(([key, spec]) => [`${project.name}:${key}`, String(spec.default)]),
  );
  return { ...defaults, ...config };
}

function fakeHex(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

/** The id the mock gives every resource. */
export function mockId(name: string): string {
  return `${name}-id`;
}

/**
 * The id of the route table of a subnet: random-looking like AWS's, so that code which sorts ids
 * or relies on their order shows here what it does on AWS.
 */
export function mockRouteTableId(subnetId: string): string {
  return `rtb-${fakeHex(subnetId).slice(0, 17)}`;
}

/** The ARN the mock gives a resource unless its type has a more specific one below. */
export function mockArn(type: string, name: string): string {
  return `arn:aws:${(type.split(":")[1] ?? "mock").split("/")[0]}:${REGION}:${MOCK_ACCOUNT}:${name}`;
}

/** Provider-computed outputs the program reads, by type. */
export function computedState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const base = { ...inputs, name: inputs.name ?? name, arn: mockArn(type, name) };
  switch (type) {
    case "awsx:ec2:Vpc": {
      const azs = Number(inputs.numberOfAvailabilityZones ?? 3);
      const ids = (kind: string) => Array.from({ length: azs }, (_, i) => `subnet-${kind}-${i}`);
      return { vpcId: "vpc-mock", publicSubnetIds: ids("public"), privateSubnetIds: ids("private") };
    }
    case "aws:servicediscovery/service:Service":
      return {
        ...base,
        arn: `arn:aws:servicediscovery:${REGION}:${MOCK_ACCOUNT}:service/srv-${fakeHex(name).slice(0, 16)}`,
      };
    case "random:index/randomUuid:RandomUuid":
      return { result: MOCK_UUID };
    case "aws:secretsmanager/secret:Secret":
      return { ...base, arn: `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT}:secret:${name}-AbCdEf` };
    case "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace":
      return {
        ...base,
        arn: `arn:aws:servicediscovery:${REGION}:${MOCK_ACCOUNT}:namespace/ns-mock1234`,
        hostedZone: "Z0MOCKZONE",
      };
    case "aws:ecr/repository:Repository":
      return {
        ...base,
        registryId: MOCK_ACCOUNT,
        repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
      };
    case "docker:index/image:Image": {
      const imageName = String(inputs.imageName);
      return { ...base, repoDigest: `${imageName.replace(/:[^:/]+$/, "")}@sha256:${fakeHex(imageName)}` };
    }
    case "aws:lb/loadBalancer:LoadBalancer":
      // zoneId: the ALBs' canonical hosted zone in eu-west-1, what an alias record names.
      return {
        ...base,
        dnsName: `${name}-123.${REGION}.elb.amazonaws.com`,
        zoneId: "Z32O12XQLNTSW2",
        arnSuffix: `app/${name}/${fakeHex(name).slice(0, 16)}`,
      };
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { ...base, arn: `arn:aws:cloudwatch:${REGION}:${MOCK_ACCOUNT}:alarm:${String(inputs.name)}` };
    case "aws:lb/targetGroup:TargetGroup":
      return { ...base, arnSuffix: `targetgroup/${name}/${fakeHex(name).slice(0, 16)}` };
    case "aws:apigatewayv2/api:Api":
      return {
        ...base,
        apiEndpoint: `https://${name}-mock.execute-api.${REGION}.amazonaws.com`,
        executionArn: `arn:aws:execute-api:${REGION}:${MOCK_ACCOUNT}:${name}-mock`,
      };
    case "aws:apigatewayv2/stage:Stage":
      // A `$default` stage is served at the API's root.
      return {
        ...base,
        invokeUrl: `https://${String(inputs.apiId).replace(/-id$/, "")}-mock.execute-api.${REGION}.amazonaws.com/`,
      };
    default:
      return base;
  }
}

export function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  switch (args.token) {
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return {
        userName: "AWS",
        password: "mock-registry-password",
        proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
      };
    case "docker:index/getRegistryImage:getRegistryImage": {
      // The registry's answer for a tag: a digest derived from the name, so each tag has its own.
      const name = String((args.inputs as { name?: unknown }).name);
      return { id: name, name, sha256Digest: `sha256:${fakeHex(`registry:${name}`)}` };
    }
    case "aws:ec2/getRouteTables:getRouteTables": {
      // One route table per private subnet, as awsx creates them; AWS lists them in no set order.
      const filters = (args.inputs as { filters?: { values: string[] }[] }).filters ?? [];
      return { ids: (filters[0]?.values ?? []).map(mockRouteTableId) };
    }
    case "aws:ec2/getVpc:getVpc": {
      // An existing VPC looked up by id (the package's bring-your-own-VPC path and its test fixture).
      const id = String((args.inputs as { id?: unknown }).id);
      return { id, cidrBlock: "10.0.0.0/16", arn: mockArn("aws:ec2/vpc:Vpc", id) };
    }
    case "aws:ec2/getRouteTable:getRouteTable": {
      const subnetId = String((args.inputs as { subnetId?: string }).subnetId);
      return { id: mockRouteTableId(subnetId), routeTableId: mockRouteTableId(subnetId) };
    }
    default:
      throw new Error(`unexpected invoke ${args.token}`);
  }
}

async function resolve(value: unknown): Promise<unknown> {
  const out = pulumi.output(value) as unknown as pulumi.Output<unknown>;
  return new Promise((done) => out.apply((v) => done(v)));
}

/** The parts of Pulumi's MockMonitor this runner reads: registrations and their parents. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getProvider(): string;
  getProvidersMap(): { toObject(): [string, string][] };
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getAliasesList(): {
    getUrn(): string;
    hasSpec(): boolean;
    getSpec():
      | {
          getName(): string;
          getType(): string;
          getStack(): string;
          getProject(): string;
          getParenturn(): string;
          getNoparent(): boolean;
        }
      | undefined;
  }[];
}

function aliasOf(alias: ReturnType<RegisterRequest["getAliasesList"]>[number]): AliasRequest {
  const spec = alias.getSpec();
  if (!alias.hasSpec() || !spec) return { urn: alias.getUrn() };
  return {
    name: spec.getName() || undefined,
    type: spec.getType() || undefined,
    stack: spec.getStack() || undefined,
    project: spec.getProject() || undefined,
    parentUrn: spec.getParenturn() || undefined,
    noParent: spec.getNoparent() || undefined,
  };
}
interface MockMonitorLike {
  registerResource(req: RegisterRequest, callback: unknown): Promise<void>;
  getRegisteredResources(): Map<string, { urn: string }>;
}

/** `urn:pulumi:stack::project::a$b$type::name` → the last type of the chain and the name. */
export function parseUrn(urn: string): { type: string; name: string; parentType: string | undefined } {
  const [, , qualifiedType, name] = urn.split("::");
  const chain = qualifiedType.split("$");
  return {
    type: chain[chain.length - 1],
    name,
    parentType: chain.length > 1 ? chain[chain.length - 2] : undefined,
  };
}

/** Runs the program (what index.ts runs) with this stack config; never throws, the program's error is returned. */
export async function runProgram(
  config: Record<string, string>,
  stack = "test",
  options: RunOptions = {},
): Promise<ProgramRun> {
  const warnings: string[] = [];
  const run = await runMocked(
    () =>
      stackProgram(pulumi.runtime.allConfig(), {
        dryRun: options.dryRun ?? true,
        warn: (message) => warnings.push(message),
      }),
    config,
    stack,
  );
  return { ...run, warnings };
}

/**
 * Runs `build` (the program, or a few components built directly) under the mocks with this
 * config, and records what it registers; its returned values are the outputs. Never throws.
 */
export async function runMocked(
  build: () => Readonly<Record<string, unknown>>,
  config: Record<string, string> = {},
  stack = "test",
): Promise<ProgramRun> {
  const resources: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const inputs = args.inputs as Record<string, unknown>;
        const state = computedState(args.type, args.name, inputs);
        resources.push({
          type: args.type,
          name: args.name,
          custom: args.custom ?? false,
          inputs,
          state,
          dependencies: [],
        });
        return { id: mockId(args.name), state };
      },
      call: mockCall,
    },
    PROJECT,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(withProjectDefaults(config));
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
  // Mock args carry no parent or dependencies; the registration request does.
  const requests = new Map<
    string,
    {
      parent: string;
      dependencies: string[];
      provider: string;
      providers: Record<string, string>;
      options: NonNullable<RecordedResource["options"]>;
      aliases: AliasRequest[];
    }
  >();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    requests.set(`${req.getType()}::${req.getName()}`, {
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      provider: req.getProvider(),
      providers: Object.fromEntries(req.getProvidersMap().toObject()),
      options: {
        deleteBeforeReplace: req.getDeletebeforereplace(),
        ignoreChanges: req.getIgnorechangesList(),
        replaceOnChanges: req.getReplaceonchangesList(),
      },
      aliases: req.getAliasesList().map(aliasOf),
    });
    return register(req, callback);
  };
  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  let error: Error | undefined;
  try {
    for (const [key, value] of Object.entries(build())) {
      outputs[key] = await resolve(value);
      if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.push(key);
    }
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  await pulumi.runtime.disconnect();

  for (const { urn } of monitor.getRegisteredResources().values()) {
    const { type, name, parentType } = parseUrn(urn);
    const resource = resources.find((r) => r.name === name && r.type === type);
    if (!resource) continue;
    resource.urn = urn;
    resource.parentType = parentType;
    const request = requests.get(`${type}::${name}`);
    resource.parentUrn = request?.parent || undefined;
    resource.dependencies = request?.dependencies ?? [];
    resource.provider = request?.provider || undefined;
    resource.providers = request?.providers;
    resource.options = request?.options;
    resource.aliases = request?.aliases;
  }
  return { resources, outputs, secretOutputs, error };
}
