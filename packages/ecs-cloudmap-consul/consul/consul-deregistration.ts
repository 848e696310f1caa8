/**
 * Destroy that removes consul-aws's entries from an external Consul without the operator's machine
 * ever talking to Consul. That Consul is reached only from inside the VPC (its address routes
 * through a peering or transit gateway, its name resolves through the VPC's Resolver rule), so a
 * dynamic resource whose delete calls it from a laptop or CI runner fails there. Instead, deleting
 * this resource starts a one-off ECS task in the VPC (ECS RunTask: an AWS API call), waits for it
 * to stop and checks its exit code; the task deregisters consul-aws's node, which takes every
 * service and check consul-aws wrote with it.
 *
 * Pulumi deletes it after consul-aws's ECS service (which depends on it, so it cannot register
 * again) and before whatever the task needs (cluster, task definition, security group rules,
 * routes, the transit gateway attachment, DNS forwarding), which it depends on.
 *
 * Two runners carry the same code (shared/destroy-runner.ts): a Lambda function whose `index.js` is
 * `consulDeregistrationHandler` serialized (any language), and a dynamic resource whose provider
 * Pulumi serializes into the state (TypeScript programs only). Both run without ts-node and without
 * this module's imports: they and every function they call live in this one file, and SDK modules
 * are required when they run.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the provider's methods require SDK modules
   when they run: Pulumi serializes them without this module's imports (see above). */
import * as pulumi from "@pulumi/pulumi";
import type * as EcsSdk from "@aws-sdk/client-ecs";
import type { InvocationLifecycle } from "../shared/destroy-runner";

// Unexported: a reference to an exported const would make the serializer capture the whole module.
const NODE = "consul-aws";
const CONTAINER = "consul-deregister";
/** The container of the deregistration task. */
export const DEREGISTER_CONTAINER = CONTAINER;

/**
 * The task's shell script: PUT /v1/catalog/deregister for consul-aws's node, with the token (and
 * CA) from the environment. Exit 0 when Consul answers 200, else curl's or Consul's status.
 */
export function deregisterScript(): string {
  return [
    "set -u",
    'ca=""',
    'if [ -n "${CONSUL_CACERT_PEM:-}" ]; then printf \'%s\\n\' "$CONSUL_CACERT_PEM" > /tmp/ca.pem; ca="--cacert /tmp/ca.pem"; fi',
    `code=$(curl -s -o /tmp/answer -w '%{http_code}' --max-time 10 $ca -X PUT -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" -d '{"Node":"${NODE}"}' "$CONSUL_HTTP_ADDR/v1/catalog/deregister")`,
    'echo "DEREGISTER ${code} $(head -c 200 /tmp/answer 2>/dev/null)"',
    '[ "$code" = 200 ]',
  ].join("\n");
}

/** What the delete needs to start the task; all stored in the state when the resource is created or updated. */
export interface ConsulDeregistrationInputs {
  /** false: delete does nothing (consulDeregisterOnDestroy false, stored by an `up`). */
  readonly enabled: boolean;
  readonly region: string;
  readonly cluster: string;
  readonly taskDefinitionArn: string;
  readonly subnetIds: string[];
  readonly securityGroupId: string;
  /** Consul's address, for the error message only. */
  readonly consulHttpAddr: string;
}

/** What the deregistration needs of an ECS client: `send`, so any v3 client (or a stub) fits. */
export interface EcsSender {
  send(command: unknown): Promise<unknown>;
}

type EcsModule = Pick<typeof EcsSdk, "RunTaskCommand" | "DescribeTasksCommand">;

export interface DeregistrationOptions {
  /** Between DescribeTasks polls. Default 5 s. */
  readonly pollMs?: number;
  /** Longest wait for the task to stop. Default 5 min (image pull, secrets, one curl). */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Runs the task and resolves when it stopped with exit code 0; otherwise rejects saying why. */
export async function runDeregistration(
  client: EcsSender,
  ecs: EcsModule,
  inputs: ConsulDeregistrationInputs,
  options: DeregistrationOptions = {},
): Promise<void> {
  const pollMs = options.pollMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = (await client.send(
    new ecs.RunTaskCommand({
      cluster: inputs.cluster,
      taskDefinition: inputs.taskDefinitionArn,
      launchType: "FARGATE",
      count: 1,
      startedBy: "consul-deregistration",
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: inputs.subnetIds,
          securityGroups: [inputs.securityGroupId],
          assignPublicIp: "DISABLED",
        },
      },
    }),
  )) as EcsSdk.RunTaskCommandOutput;
  const taskArn = started.tasks?.[0]?.taskArn;
  if (!taskArn) {
    const why = (started.failures ?? []).map((f) => `${f.reason ?? "?"} ${f.detail ?? ""}`.trim()).join("; ");
    throw new Error(`ECS did not start the deregistration task: ${why || "no task and no failure reported"}`);
  }
  for (let waited = 0; ; waited += pollMs) {
    const out = (await client.send(
      new ecs.DescribeTasksCommand({ cluster: inputs.cluster, tasks: [taskArn] }),
    )) as EcsSdk.DescribeTasksCommandOutput;
    const task = out.tasks?.[0];
    if (task?.lastStatus === "STOPPED") {
      const exitCode = task.containers?.find((c) => c.name === CONTAINER)?.exitCode;
      if (exitCode === 0) return;
      throw new Error(
        `the deregistration task ${taskArn} ${exitCode === undefined ? `stopped without running: ${task.stoppedReason ?? "no reason given"}` : `exited ${exitCode} (its log says what Consul answered)`}`,
      );
    }
    if (waited >= timeoutMs)
      throw new Error(
        `the deregistration task ${taskArn} did not stop within ${Math.round(timeoutMs / 1000)} s (last status ${task?.lastStatus ?? "unknown"})`,
      );
    await sleep(pollMs);
  }
}

/** What to do when the deregistration fails: advice that works with Pulumi's stored inputs. */
export function deregistrationAdvice(consulHttpAddr: string): string {
  return (
    `consul-aws's node is still registered in ${consulHttpAddr}. Fix what stopped the task and run destroy again, or give up ` +
    `on removing it: set consulDeregisterOnDestroy to false and run \`pulumi up\` (a delete reads the inputs an up stored, ` +
    `not the current settings), then destroy; or drop this resource from the state: \`pulumi state delete <urn>\` with the URN ` +
    `of the ConsulDeregistration that \`pulumi stack --show-urns\` lists. ` +
    `Then remove the entries from a machine that reaches Consul: ` +
    `curl -X PUT -H "X-Consul-Token: <token>" -d '{"Node":"${NODE}"}' ${consulHttpAddr}/v1/catalog/deregister`
  );
}

const provider: pulumi.dynamic.ResourceProvider = {
  create(inputs: ConsulDeregistrationInputs) {
    return Promise.resolve({
      id: `consul-deregistration-${inputs.cluster.split("/").pop() ?? ""}`,
      outs: inputs,
    });
  },
  diff(_id: string, olds: ConsulDeregistrationInputs, news: ConsulDeregistrationInputs) {
    // Every input is only read on delete: an update stores the new ones, nothing runs.
    return Promise.resolve({ changes: JSON.stringify(olds) !== JSON.stringify(news), replaces: [] });
  },
  update(_id: string, _olds: ConsulDeregistrationInputs, news: ConsulDeregistrationInputs) {
    return Promise.resolve({ outs: news });
  },
  // Unchanged since 0.1.0, as the handler below: its serialized text is in every deployed stack's state.
  async delete(_id: string, props: ConsulDeregistrationInputs) {
    if (!props.enabled) return;
    const ecs = require("@aws-sdk/client-ecs") as typeof import("@aws-sdk/client-ecs");
    try {
      await runDeregistration(new ecs.ECSClient({ region: props.region }), ecs, props);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${deregistrationAdvice(props.consulHttpAddr)}`, {
        cause: err,
      });
    }
  },
};

/** What the Lambda function runs on delete: the provider's `delete`, returning whether the task ran. */
async function deregisterOnDelete(props: ConsulDeregistrationInputs): Promise<boolean> {
  if (!props.enabled) return false;
  const ecs = require("@aws-sdk/client-ecs") as typeof import("@aws-sdk/client-ecs");
  try {
    await runDeregistration(new ecs.ECSClient({ region: props.region }), ecs, props);
    return true;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${deregistrationAdvice(props.consulHttpAddr)}`, {
      cause: err,
    });
  }
}

/**
 * The Lambda function's handler (runner `lambda`): on delete, the deregistration with the inputs
 * the Invocation stored; on create and update, nothing. A thrown error is a function error, which
 * fails the delete (the destroy stops rather than leave consul-aws's entries behind silently).
 */
export async function consulDeregistrationHandler(
  event: ConsulDeregistrationInputs & InvocationLifecycle<ConsulDeregistrationInputs>,
): Promise<{ readonly action: string; readonly deregistered?: boolean }> {
  const action = event.tf?.action ?? "none";
  if (action !== "delete") return { action };
  // Delete's event carries the stored input at its top level and as prev_input.
  const stored: ConsulDeregistrationInputs = event.tf?.prev_input ?? event;
  return { action, deregistered: await deregisterOnDelete(stored) };
}

export interface ConsulDeregistrationArgs {
  /**
   * Run the task on delete; false stores "skip" (an `up` must store it before a destroy reads it).
   * @default required
   */
  readonly enabled: boolean;
  /**
   * Region of the cluster.
   * @default required
   * @example "eu-west-1"
   */
  readonly region: string;
  /**
   * ECS cluster (name or ARN) the task runs in.
   * @default required
   */
  readonly cluster: pulumi.Input<string>;
  /**
   * Task definition of the deregistration (container `consul-deregister`).
   * @default required
   */
  readonly taskDefinitionArn: pulumi.Input<string>;
  /**
   * Private subnets the task runs in.
   * @default required
   */
  readonly subnetIds: pulumi.Input<string[]>;
  /**
   * Security group of the task (443 out and the Consul port to its CIDR).
   * @default required
   */
  readonly securityGroupId: pulumi.Input<string>;
  /**
   * Consul's address, named in the error when the task fails.
   * @default required
   * @example "https://consul.example.com:8501"
   */
  readonly consulHttpAddr: string;
}

/**
 * Deleting this resource deregisters consul-aws's node from an external Consul, from a one-off
 * task inside the VPC. Make it depend on what the task needs; make consul-aws depend on it.
 */
export class ConsulDeregistration extends pulumi.dynamic.Resource {
  constructor(name: string, args: ConsulDeregistrationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        enabled: args.enabled,
        region: args.region,
        cluster: args.cluster,
        taskDefinitionArn: args.taskDefinitionArn,
        subnetIds: args.subnetIds,
        securityGroupId: args.securityGroupId,
        consulHttpAddr: args.consulHttpAddr,
      },
      opts,
      "consulDeregistration",
      "ConsulDeregistration",
    );
  }
}
