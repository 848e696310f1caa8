/**
 * Code that runs at `pulumi destroy`, from a program in any language.
 *
 * A Pulumi dynamic resource keeps its code as a closure serialized into the state, and the engine
 * runs it in `pulumi-resource-pulumi-nodejs`, started in the consuming program's directory: a
 * Python, Go, C# or YAML program has no node_modules there, so the delete cannot load
 * @pulumi/pulumi or the AWS SDK (pulumi/pulumi#5455, "Dynamic providers fail to load when used
 * from multi-lang components", open). The `lambda` runner instead deploys the same function as an
 * AWS Lambda function and an `aws.lambda.Invocation` with lifecycle scope CRUD: the AWS provider
 * invokes it on create, update and delete, so the work runs in AWS whatever language the program is.
 *
 * Invocation's event (terraform-provider-aws internal/service/lambda/invocation.go, `buildInput`,
 * and its acceptance tests): the input JSON object plus a `tf` key, `{action, prev_input}` —
 * create: `prev_input` null; update: the new input, `prev_input` the old one; delete: the stored
 * input, `prev_input` the stored input too. A function error fails that create, update or delete
 * (`FunctionError` in the Invoke answer), so a failed cleanup stops the destroy. The provider's
 * synchronous Invoke sets no client timeout of its own (terraform-provider-aws#31606: its data
 * source waits beyond 30 min), so the function's timeout bounds the wait. `function_name` and
 * `triggers` force a replacement, and a replacement deletes the old Invocation, which runs the work:
 * triggers are only what makes that right (the namespace's id).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ArgProblem } from "./arg-checks";
import { lambdaLogsPolicy, lambdaTrustPolicy, PolicyDocument } from "./policies";
import type { Scope } from "../service/task-resources";

/**
 * What runs the destroy-time work: `lambda`, an AWS Lambda function invoked by the AWS provider
 * (works from any language); `dynamicProvider`, a Pulumi dynamic resource (TypeScript programs
 * only; what 0.1.0 deployed).
 */
export const DestroyRunner = { lambda: "lambda", dynamicProvider: "dynamicProvider" } as const;
export type DestroyRunner = (typeof DestroyRunner)[keyof typeof DestroyRunner];
export const DESTROY_RUNNERS: readonly DestroyRunner[] = Object.values(DestroyRunner);

/** Lambda's Node.js 24 runtime: it ships the AWS SDK for JavaScript v3, which the functions require. */
export const DESTROY_FUNCTION_RUNTIME = "nodejs24.x";

/** The key `aws.lambda.Invocation` adds to the input in CRUD scope (its default `terraformKey`). */
export interface InvocationLifecycle<T> {
  readonly tf?: {
    readonly action: "create" | "update" | "delete";
    readonly prev_input: T | null;
  };
}

/**
 * True in the process the Pulumi CLI starts to host this package for a program in another language
 * (`node <sdk>/cmd/run-plugin <package dir>`): a Construct call. A dynamic resource registered
 * there gets a provider the engine cannot start (see above).
 */
export function inPluginHost(main: string | undefined = require.main?.filename): boolean {
  return main !== undefined && /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run-plugin([\\/]index\.js)?$/.test(main);
}

/** The problem with `runner` (the setting `arg`), if any: an unknown value, or a dynamic provider where it cannot run. */
export function destroyRunnerProblems(
  arg: string,
  runner: DestroyRunner | undefined,
  pluginHost: boolean = inPluginHost(),
): ArgProblem[] {
  if (runner === undefined) return [];
  if (!DESTROY_RUNNERS.includes(runner))
    return [{ arg, message: `must be one of ${DESTROY_RUNNERS.join(", ")}`, value: runner }];
  if (runner === DestroyRunner.dynamicProvider && pluginHost)
    return [
      {
        arg,
        message:
          `must be ${DestroyRunner.lambda} when the package is used through \`pulumi package add\` (a Python, Go, C#, ` +
          `YAML or generated TypeScript SDK): a dynamic provider's code cannot load there at destroy ` +
          `(allowed: ${DESTROY_RUNNERS.join(", ")}; ${DestroyRunner.dynamicProvider} only from a TypeScript program that imports the package)`,
        value: runner,
      },
    ];
  return [];
}

/** The handler's module text: the function and everything it calls, serialized as Pulumi serializes a dynamic provider. */
export async function destroyFunctionCode(handler: (event: never) => Promise<unknown>): Promise<string> {
  const serialized = await pulumi.runtime.serializeFunction(handler, { exportName: "handler" });
  return serialized.text;
}

export interface DestroyFunctionSpec {
  /** The Lambda handler: self-contained, SDK modules required inside, the input as its event. */
  readonly handler: (event: never) => Promise<unknown>;
  /** What the function may do besides writing its own log. */
  readonly policy: pulumi.Input<PolicyDocument>;
  readonly timeoutSeconds: number;
  readonly logRetentionDays: number;
  /** The event (a JSON object): stored by the Invocation, sent again on delete. */
  readonly input: pulumi.Input<Record<string, unknown>>;
  /** Values whose change replaces the Invocation: the old one's delete runs the work on the old values. */
  readonly triggers?: Record<string, pulumi.Input<string>>;
  /** What must outlive the work on destroy (and exist before it is created). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export interface DestroyFunction {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly policies: aws.iam.RolePolicy[];
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** Invokes the function on create, update and delete; what must run before the work depends on it. */
  readonly invocation: aws.lambda.Invocation;
}

/**
 * A Lambda function running `handler` (no VPC: it calls AWS APIs only), its role and log group,
 * and the Invocation that calls it. The Invocation depends on the role's policies and the log
 * group, so on destroy the function still has its rights and its log when the work runs.
 */
export function createDestroyFunction(
  name: string,
  args: DestroyFunctionSpec,
  scope: Scope,
): DestroyFunction {
  const opts = { parent: scope.parent };
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-fn-logs`,
    {
      name: `/aws/lambda/${pulumi.getProject()}-${pulumi.getStack()}/${name}`,
      retentionInDays: args.logRetentionDays,
      tags: scope.tags,
    },
    opts,
  );
  const role = new aws.iam.Role(
    `${name}-fn-role`,
    { assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()), tags: scope.tags },
    opts,
  );
  const policies = [
    new aws.iam.RolePolicy(
      `${name}-fn-logs`,
      { role: role.id, policy: pulumi.jsonStringify(logGroup.arn.apply((arn) => lambdaLogsPolicy(arn))) },
      opts,
    ),
    new aws.iam.RolePolicy(
      `${name}-fn-calls`,
      { role: role.id, policy: pulumi.jsonStringify(args.policy) },
      opts,
    ),
  ];
  const fn = new aws.lambda.Function(
    `${name}-fn`,
    {
      runtime: DESTROY_FUNCTION_RUNTIME,
      handler: "index.handler",
      code: new pulumi.asset.AssetArchive({
        "index.js": new pulumi.asset.StringAsset(destroyFunctionCode(args.handler)),
      }),
      role: role.arn,
      timeout: args.timeoutSeconds,
      memorySize: 256,
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      description: `Runs at destroy: ${name}`,
      tags: scope.tags,
    },
    opts,
  );
  const invocation = new aws.lambda.Invocation(
    `${name}`,
    {
      functionName: fn.name,
      input: pulumi.jsonStringify(args.input),
      lifecycleScope: "CRUD",
      triggers: args.triggers,
    },
    { ...opts, dependsOn: [...args.dependsOn, fn, logGroup, ...policies] },
  );
  return { function: fn, role, policies, logGroup, invocation };
}
