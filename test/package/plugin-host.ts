/**
 * Hosts a source-based component package the way the Pulumi CLI does, and plays the engine around it.
 *
 * The CLI's Node.js language host starts a plugin as `node <sdk>/cmd/run-plugin <package dir>
 * <engine address>` with the package's folder as working directory; the plugin prints its gRPC port
 * on stdout. `startPlugin` does the same, then talks to it with the SDK's own generated stubs
 * (`@pulumi/pulumi/proto`). `EngineDouble` serves what the plugin calls back: the Engine service
 * (Log, root resource) and the ResourceMonitor (features, registrations, invokes), answering
 * registrations and invokes with the same functions the in-process mocks use (plan/program.ts), so
 * a component constructed over gRPC and one constructed under mocks see the same provider answers.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as pluginproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import * as resrpc from "@pulumi/pulumi/proto/resource_grpc_pb";

export const ROOT = path.resolve(__dirname, "..", "..");
const RUN_PLUGIN = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin");

/** The wire's markers (the SDK's runtime/rpc.ts): values that are not plain JSON. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One resource the plugin registered with the monitor. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly urn: string;
  /** URN of the parent; "" for none. */
  readonly parent: string;
  /** The registration's inputs as sent on the wire (protobuf Struct as JSON). */
  readonly object: Record<string, Json>;
  readonly dependencies: string[];
}

export interface Invocation {
  readonly token: string;
  readonly args: Record<string, Json>;
}

/** What the engine double answers a registration or an invoke with (the mocks' functions). */
export interface ProviderAnswers {
  /** State of a custom resource: inputs plus provider-computed outputs. */
  state(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown>;
  /** The id of a custom resource. */
  id(name: string): string;
  /** The result of a data-source call. */
  call(token: string, args: Record<string, unknown>): Record<string, unknown>;
}

const promisify =
  <Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown) =>
  (req: Req): Promise<Res> =>
    new Promise((resolve, reject) => {
      fn(req, (err, res) => (err ? reject(err) : resolve(res as Res)));
    });

/** Output values, secrets and resource references unwrapped to plain JSON; unknowns kept as UNKNOWN. */
export function plainValue(value: Json): Json {
  if (Array.isArray(value)) return value.map(plainValue);
  if (value === null || typeof value !== "object") return value;
  const sig = value[SIG_KEY];
  if (sig === SECRET_SIG) return { secret: plainValue(value.value ?? null) };
  if (sig === OUTPUT_SIG) {
    const inner = "value" in value ? plainValue(value.value) : UNKNOWN;
    return value.secret === true ? { secret: inner } : inner;
  }
  if (sig === RESOURCE_SIG)
    return { resource: typeof value.urn === "string" ? value.urn : JSON.stringify(value.urn) };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
}

/** The ResourceMonitor and Engine services a plugin calls back while it constructs a component. */
export class EngineDouble {
  readonly registrations: Registration[] = [];
  readonly invocations: Invocation[] = [];
  /** Every Engine.Log call: severity name and message. */
  readonly logs: { severity: string; message: string }[] = [];
  /** Outputs a component registered (RegisterResourceOutputs), by URN. */
  readonly outputs = new Map<string, Record<string, Json>>();
  /** Features the plugin asked about. */
  readonly featureQueries: string[] = [];
  private readonly server = new grpc.Server();
  private rootResource = "";
  address = "";

  constructor(
    private readonly answers: ProviderAnswers,
    private readonly project: string,
    private readonly stack: string,
  ) {}

  async start(): Promise<string> {
    const unary = <Req, Res>(handler: (req: Req) => Res | Promise<Res>) =>
      ((call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
        Promise.resolve()
          .then(() => handler(call.request))
          .then(
            (res) => callback(null, res),
            (err: Error) => callback({ code: grpc.status.UNKNOWN, details: err.message }, null),
          );
      }) as grpc.handleUnaryCall<Req, Res>;

    this.server.addService(enginerpc.EngineService, {
      log: unary((req: engineproto.LogRequest) => {
        const severity = Object.keys(engineproto.LogSeverity).find(
          (k) => engineproto.LogSeverity[k as keyof typeof engineproto.LogSeverity] === req.getSeverity(),
        );
        this.logs.push({ severity: severity ?? String(req.getSeverity()), message: req.getMessage() });
        return new emptyproto.Empty();
      }),
      getRootResource: unary(() => new engineproto.GetRootResourceResponse().setUrn(this.rootResource)),
      setRootResource: unary((req: engineproto.SetRootResourceRequest) => {
        this.rootResource = req.getUrn();
        return new engineproto.SetRootResourceResponse();
      }),
    });
    this.server.addService(resrpc.ResourceMonitorService, {
      supportsFeature: unary((req: resproto.SupportsFeatureRequest) => {
        this.featureQueries.push(req.getId());
        // What a current engine answers for the features a Node.js SDK asks about.
        const supported = new Set([
          "secrets",
          "resourceReferences",
          "outputValues",
          "deletedWith",
          "aliasSpecs",
          "transforms",
          "invokeTransforms",
          "parameterization",
          "resourceHooks",
        ]);
        return new resproto.SupportsFeatureResponse().setHassupport(supported.has(req.getId()));
      }),
      registerPackage: unary(() => new resproto.RegisterPackageResponse().setRef("engine-double-package")),
      invoke: unary((req: resproto.ResourceInvokeRequest) => {
        const args = (req.getArgs()?.toJavaScript() ?? {}) as Record<string, Json>;
        this.invocations.push({ token: req.getTok(), args });
        const result = this.answers.call(req.getTok(), plainValue(args) as Record<string, unknown>);
        return new provproto.InvokeResponse().setReturn(structproto.Struct.fromJavaScript(toStruct(result)));
      }),
      registerResource: unary((req: resproto.RegisterResourceRequest) => {
        const object = (req.getObject()?.toJavaScript() ?? {}) as Record<string, Json>;
        const parent = req.getParent();
        let qualified = req.getType();
        if (parent) qualified = `${parent.split("::")[2].split("$").pop()}$${qualified}`;
        const urn = `urn:pulumi:${this.stack}::${this.project}::${qualified}::${req.getName()}`;
        this.registrations.push({
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          urn,
          parent,
          object,
          dependencies: req.getDependenciesList(),
        });
        const res = new resproto.RegisterResourceResponse().setUrn(urn);
        // A custom resource's state comes from its provider; so does a remote component's (awsx's
        // Vpc): the engine constructs it through its plugin. The mocks answer both the same way.
        if (req.getCustom() || req.getRemote()) {
          const inputs = plainValue(object) as Record<string, unknown>;
          res.setId(this.answers.id(req.getName()));
          res.setObject(
            structproto.Struct.fromJavaScript(
              toStruct(this.answers.state(req.getType(), req.getName(), inputs)),
            ),
          );
        } else {
          res.setObject(new structproto.Struct());
        }
        return res;
      }),
      registerResourceOutputs: unary((req: resproto.RegisterResourceOutputsRequest) => {
        this.outputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
        return new emptyproto.Empty();
      }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    this.address = `127.0.0.1:${port}`;
    return this.address;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

/** Plain JSON for a Struct: undefined dropped (a Struct has no undefined). */
function toStruct(value: Record<string, unknown>): Record<string, structproto.JavaScriptValue> {
  return JSON.parse(JSON.stringify(value)) as Record<string, structproto.JavaScriptValue>;
}

/** A running plugin: its process, a client of its ResourceProvider service, what it printed. */
export interface Plugin {
  readonly process: ChildProcess;
  readonly port: number;
  readonly client: provrpc.ResourceProviderClient;
  readonly stdout: () => string;
  readonly stderr: () => string;
  getSchema(): Promise<string>;
  construct(req: provproto.ConstructRequest): Promise<provproto.ConstructResponse>;
  stop(): Promise<void>;
}

/**
 * Starts `node run-plugin <dir> <engine address>` in `dir`, as the CLI's Node.js language host
 * does (its RunPlugin), and resolves once the plugin has printed its port. Rejects with what the
 * plugin wrote if it exits first or prints no port within `timeoutMs`. `runPlugin` is the SDK's
 * entry to use: the repository's by default, an installed program's own for a package installed there.
 */
export async function startPlugin(
  dir: string,
  engineAddress: string,
  timeoutMs = 120_000,
  runPlugin = RUN_PLUGIN,
): Promise<Plugin> {
  const child = spawn(process.execPath, [runPlugin, dir, engineAddress], {
    cwd: dir,
    env: { ...process.env, PULUMI_NODEJS_TYPESCRIPT: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`plugin printed no port within ${timeoutMs} ms; stderr:\n${err}`));
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const match = /^(\d+)\s*$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`plugin exited (${code}) before printing a port; stdout:\n${out}\nstderr:\n${err}`));
    });
  });
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    process: child,
    port,
    client,
    stdout: () => out,
    stderr: () => err,
    getSchema: async () => {
      const res = await promisify<provproto.GetSchemaRequest, provproto.GetSchemaResponse>(
        client.getSchema.bind(client),
      )(new provproto.GetSchemaRequest().setVersion(0));
      return res.getSchema();
    },
    construct: (req) =>
      promisify<provproto.ConstructRequest, provproto.ConstructResponse>(client.construct.bind(client))(req),
    stop: async () => {
      client.close();
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** GetPluginInfo's version, for the report that the plugin answers as a provider. */
export async function pluginVersion(plugin: Plugin): Promise<string> {
  const res = await promisify<emptyproto.Empty, pluginproto.PluginInfo>(
    plugin.client.getPluginInfo.bind(plugin.client),
  )(new emptyproto.Empty());
  return res.getVersion();
}
