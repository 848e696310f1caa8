/**
 * AWS API requests checked against AWS's own service models, offline.
 *
 * Two models per API: the current one the `aws-sdk` (v2) package ships under `apis/` (required
 * members, types, unknown members; its minified form carries no constraints), and the full model
 * botocore ships (Debian package python3-botocore), which adds enums, ranges and patterns. Both go
 * through the SDK's own `ParamValidator` with every check switched on; nothing is copied by hand.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { gunzipSync } from "zlib";

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

/** The two parts of the SDK's core used here (documented in its source, not in its typings). */
interface SdkCore {
  Model: { Api: new (model: unknown) => unknown };
  ParamValidator: new (validation: Record<string, boolean>) => {
    validate(shape: unknown, params: object): true;
  };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AWS = require("aws-sdk/lib/core") as SdkCore;

/** The service models used here: aws-sdk file stem -> botocore directory. */
export const MODELS = {
  ecs: { sdk: "ecs-2014-11-13", botocore: "ecs/2014-11-13" },
  servicediscovery: { sdk: "servicediscovery-2017-03-14", botocore: "servicediscovery/2017-03-14" },
  apigatewayv2: { sdk: "apigatewayv2-2018-11-29", botocore: "apigatewayv2/2018-11-29" },
  route53: { sdk: "route53-2013-04-01", botocore: "route53/2013-04-01" },
  cloudwatch: { sdk: "monitoring-2010-08-01", botocore: "cloudwatch/2010-08-01" },
} as const;
export type ServiceModel = keyof typeof MODELS;

interface Operation {
  readonly input: unknown;
}
interface Api {
  readonly operations: Record<string, Operation>;
}

const apis = new Map<string, Api | undefined>();

/** A model file as botocore ships it: plain JSON (older releases, Debian's) or gzipped (newer). */
function readModel(file: string): unknown {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  if (fs.existsSync(`${file}.gz`))
    return JSON.parse(gunzipSync(fs.readFileSync(`${file}.gz`)).toString("utf8"));
  return undefined;
}

function loadApi(key: string, file: string | undefined): Api | undefined {
  if (!apis.has(key)) {
    const model = file ? readModel(file) : undefined;
    apis.set(key, model ? (new AWS.Model.Api(model) as Api) : undefined);
  }
  return apis.get(key);
}

let botocoreDir: string | null | undefined;

/** botocore's data directory (the python3 on PATH, else Debian's python3-botocore), or undefined. */
export function botocoreDataDir(): string | undefined {
  if (botocoreDir === undefined) {
    const candidates: string[] = [];
    try {
      const out = execFileSync(
        "python3",
        ["-c", "import botocore, os; print(os.path.dirname(botocore.__file__))"],
        { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
      );
      candidates.push(path.join(out.trim(), "data"));
    } catch {
      // no python3 with botocore on PATH
    }
    candidates.push("/usr/lib/python3/dist-packages/botocore/data");
    const hasModels = (dir: string) =>
      Object.values(MODELS).every(
        (m) => readModel(path.join(dir, m.botocore, "service-2.json")) !== undefined,
      );
    botocoreDir = candidates.find((dir) => fs.existsSync(dir) && hasModels(dir)) ?? null;
  }
  return botocoreDir ?? undefined;
}

/** A shape of botocore's full model of `service` (its enums and patterns), or undefined without botocore. */
export function constraintShape(service: ServiceModel, shape: string): Record<string, unknown> | undefined {
  const dir = botocoreDataDir();
  const model = dir
    ? (readModel(path.join(dir, MODELS[service].botocore, "service-2.json")) as
        { shapes: Record<string, Record<string, unknown>> } | undefined)
    : undefined;
  return model?.shapes[shape];
}

/** Why the constraint checks cannot run here, or undefined when they can. */
export function constraintModelsMissing(): string | undefined {
  return botocoreDataDir()
    ? undefined
    : "AWS's full service models (enums, ranges, patterns) come from python3-botocore: apt-get install python3-botocore";
}

/** Lower camel case, as the SDK names operations: RegisterTaskDefinition -> registerTaskDefinition. */
function operationKey(operation: string): string {
  return operation[0].toLowerCase() + operation.slice(1);
}

function validateWith(api: Api | undefined, operation: string, params: object, label: string): string[] {
  if (!api) return [];
  const op = api.operations[operationKey(operation)];
  if (!op) return [`${label}: the model has no operation ${operation}`];
  try {
    new AWS.ParamValidator({ min: true, max: true, pattern: true, enum: true }).validate(op.input, params);
    return [];
  } catch (e) {
    const err = e as Error & { errors?: Error[] };
    return (err.errors ?? [err]).map((x) => `${label}: ${x.message}`);
  }
}

/**
 * Problems AWS would reject `params` for, as `<model>: <validator message>`. Empty: valid.
 * Checks the current model always and the constraint model when it is installed.
 */
export function validateRequest(service: ServiceModel, operation: string, params: object): string[] {
  const model = MODELS[service];
  const current = loadApi(`sdk:${service}`, require.resolve(`aws-sdk/apis/${model.sdk}.min.json`));
  const dir = botocoreDataDir();
  const full = dir
    ? loadApi(`botocore:${service}`, path.join(dir, model.botocore, "service-2.json"))
    : undefined;
  const label = `${service} ${operation}`;
  return [
    ...new Set([
      ...validateWith(current, operation, params, label),
      ...validateWith(full, operation, params, label),
    ]),
  ];
}

/**
 * Problems AWS's current model (aws-sdk's `apis/<stem>.min.json`: members, required, types) finds in
 * `params`, without botocore's: for an API whose Debian botocore model predates what is used (its
 * Lambda model, 1.29, has no LoggingConfig and no runtime after nodejs18.x, so it would refuse valid
 * requests).
 */
export function validateCurrentModel(stem: string, operation: string, params: object): string[] {
  const api = loadApi(`sdk:${stem}`, require.resolve(`aws-sdk/apis/${stem}.min.json`));
  return validateWith(api, operation, params, `${stem} ${operation}`);
}
