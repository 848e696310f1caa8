/**
 * Destroy that succeeds after a sync or a Service Connect run. consul-aws creates Cloud Map
 * services ("Imported from Consul") and ECS Service Connect creates one per endpoint; no stack
 * owns either, and Cloud Map refuses to delete a namespace that still holds services. A dynamic
 * resource runs this cleanup when it is deleted, which Pulumi does after consul-aws's and the
 * apps' ECS services are gone (they depend on it) and before the namespace is deleted. It calls
 * only Cloud Map's API: nothing on delete needs a network path the operator's machine lacks
 * (consul-aws's entries in an external Consul are removed from inside the VPC, see
 * consul-deregistration.ts).
 *
 * The logic lives in plain functions that take their client, so tests drive them against a
 * stubbed Cloud Map client. Two runners carry the same code (shared/destroy-runner.ts): a Lambda
 * function whose `index.js` is `namespaceCleanupHandler` serialized (any language), and a dynamic
 * resource whose provider Pulumi serializes into the state (TypeScript programs only). Both run
 * without ts-node and without this module's imports: the handler, the provider's methods and
 * every function they call live in this one file, and SDK modules are required when they run.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the provider's methods require SDK modules
   when they run: Pulumi serializes them without this module's imports (see above). */
import * as pulumi from "@pulumi/pulumi";
import type * as CloudMapSdk from "@aws-sdk/client-servicediscovery";
import type { InvocationLifecycle } from "../shared/destroy-runner";

// Module-level constants the provider's methods use stay unexported: TypeScript turns a reference
// to an exported const into `exports.X`, which would make the serializer capture the whole module.
const IMPORTED = "Imported from Consul";
/** The description consul-aws gives every service it creates in Cloud Map. */
export const IMPORTED_DESCRIPTION = IMPORTED;

type CloudMapModule = Pick<
  typeof CloudMapSdk,
  | "ListServicesCommand"
  | "ListInstancesCommand"
  | "DeregisterInstanceCommand"
  | "GetOperationCommand"
  | "DeleteServiceCommand"
>;

/** What the cleanup needs of a Cloud Map client: `send`, so any v3 client (or a stub) fits. */
export interface CloudMapSender {
  send(command: unknown): Promise<unknown>;
}

export interface CleanupOptions {
  /** Between GetOperation polls and DeleteService retries. Default: 2 s. */
  readonly pollMs?: number;
  /** Give up waiting for one service's deregistrations after this long. Default: 120 s. */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (message: string) => void;
}

export interface CleanupReport {
  /** Names of the imported services deleted. */
  readonly deletedServices: string[];
  /** Names of imported services that were already gone when their turn came. */
  readonly vanishedServices: string[];
  readonly deregisteredInstances: number;
}

function errorName(err: unknown): string {
  return typeof err === "object" && err !== null && "name" in err ? String(err.name) : "";
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every service of the namespace, across pages. */
export async function listNamespaceServices(
  client: CloudMapSender,
  sd: CloudMapModule,
  namespaceId: string,
): Promise<CloudMapSdk.ServiceSummary[]> {
  const services: CloudMapSdk.ServiceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = (await client.send(
      new sd.ListServicesCommand({
        Filters: [{ Name: "NAMESPACE_ID", Values: [namespaceId], Condition: "EQ" }],
        NextToken: nextToken,
      }),
    )) as CloudMapSdk.ListServicesCommandOutput;
    services.push(...(page.Services ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return services;
}

/**
 * Deregisters every instance of one service and waits until Cloud Map has finished: DeleteService
 * fails with ResourceInUse while instances remain, and DeregisterInstance is asynchronous (it
 * returns an OperationId to poll). Returns how many instances were deregistered.
 */
export async function drainService(
  client: CloudMapSender,
  sd: CloudMapModule,
  serviceId: string,
  options: CleanupOptions = {},
): Promise<number> {
  const pollMs = options.pollMs ?? 2000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const sleep = options.sleep ?? defaultSleep;
  const operations: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = (await client.send(
      new sd.ListInstancesCommand({ ServiceId: serviceId, NextToken: nextToken }),
    )) as CloudMapSdk.ListInstancesCommandOutput;
    for (const instance of page.Instances ?? []) {
      try {
        const out = (await client.send(
          new sd.DeregisterInstanceCommand({ ServiceId: serviceId, InstanceId: instance.Id }),
        )) as CloudMapSdk.DeregisterInstanceCommandOutput;
        if (out.OperationId) operations.push(out.OperationId);
      } catch (err) {
        if (errorName(err) !== "InstanceNotFound") throw err; // already gone: what we wanted
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);

  let waited = 0;
  const pending = new Set(operations);
  while (pending.size > 0) {
    for (const id of [...pending]) {
      const { Operation } = (await client.send(
        new sd.GetOperationCommand({ OperationId: id }),
      )) as CloudMapSdk.GetOperationCommandOutput;
      if (Operation?.Status === "SUCCESS") pending.delete(id);
      else if (Operation?.Status === "FAIL") {
        throw new Error(
          `Cloud Map could not deregister an instance of ${serviceId} (operation ${id}): ${Operation.ErrorCode ?? ""} ${Operation.ErrorMessage ?? ""}`.trim(),
        );
      }
    }
    if (pending.size === 0) break;
    if (waited >= timeoutMs)
      throw new Error(
        `Cloud Map deregistrations of ${serviceId} still pending after ${Math.round(timeoutMs / 1000)} s: ${[...pending].join(", ")}`,
      );
    await sleep(pollMs);
    waited += pollMs;
  }
  return operations.length;
}

/**
 * Removes the services consul-aws created in the namespace and those named in `alsoNamed` (the
 * ones ECS Service Connect created), and nothing else: the stack's own services are Pulumi's to
 * delete. A service that vanishes mid-way, e.g. because a still-running consul-aws removed it,
 * counts as done.
 */
export async function deleteImportedServices(
  client: CloudMapSender,
  sd: CloudMapModule,
  namespaceId: string,
  options: CleanupOptions = {},
  alsoNamed: readonly string[] = [],
): Promise<CleanupReport> {
  const pollMs = options.pollMs ?? 2000;
  const sleep = options.sleep ?? defaultSleep;
  const log = options.log ?? (() => undefined);
  const report = {
    deletedServices: [] as string[],
    vanishedServices: [] as string[],
    deregisteredInstances: 0,
  };
  const imported = (await listNamespaceServices(client, sd, namespaceId)).filter(
    (s) => s.Description === IMPORTED || alsoNamed.includes(s.Name ?? ""),
  );
  for (const service of imported) {
    const name = service.Name ?? service.Id ?? "?";
    try {
      const drained = await drainService(client, sd, String(service.Id), options);
      // Cloud Map can report the deregistration done a moment before DeleteService agrees.
      for (let attempt = 0; ; attempt++) {
        try {
          await client.send(new sd.DeleteServiceCommand({ Id: service.Id }));
          break;
        } catch (err) {
          if (errorName(err) !== "ResourceInUse" || attempt >= 5) throw err;
          await sleep(pollMs);
        }
      }
      report.deregisteredInstances += drained;
      report.deletedServices.push(name);
      log(`deleted Cloud Map service ${name} (${drained} instance(s)), which no stack owns`);
    } catch (err) {
      if (errorName(err) !== "ServiceNotFound") throw err;
      report.vanishedServices.push(name);
    }
  }
  return report;
}

export interface NamespaceCleanupInputs {
  readonly namespaceId: string;
  readonly region: string;
  /** Cloud Map services ECS Service Connect may have created (by name). */
  readonly serviceConnectServices: string[];
}

const cleanupProvider: pulumi.dynamic.ResourceProvider = {
  create(inputs: NamespaceCleanupInputs) {
    return Promise.resolve({ id: `cleanup-${inputs.namespaceId}`, outs: inputs });
  },
  diff(_id: string, olds: NamespaceCleanupInputs, news: NamespaceCleanupInputs) {
    const replaces = olds.namespaceId !== news.namespaceId ? ["namespaceId"] : [];
    return Promise.resolve({
      changes: JSON.stringify(olds) !== JSON.stringify(news),
      replaces,
      deleteBeforeReplace: false,
    });
  },
  update(_id: string, _olds: NamespaceCleanupInputs, news: NamespaceCleanupInputs) {
    return Promise.resolve({ outs: news });
  },
  // Unchanged since 0.1.0, as cleanNamespace below: its serialized text is in every deployed stack's state.
  async delete(_id: string, props: NamespaceCleanupInputs) {
    const sd =
      require("@aws-sdk/client-servicediscovery") as typeof import("@aws-sdk/client-servicediscovery");
    const client = new sd.ServiceDiscoveryClient({ region: props.region });
    await deleteImportedServices(client, sd, props.namespaceId, {}, props.serviceConnectServices ?? []);
  },
};

/** What the Lambda function runs on delete: the provider's `delete`, with a log and a report. */
async function cleanNamespace(
  props: NamespaceCleanupInputs,
  log: (message: string) => void = () => undefined,
): Promise<CleanupReport> {
  const sd = require("@aws-sdk/client-servicediscovery") as typeof import("@aws-sdk/client-servicediscovery");
  const client = new sd.ServiceDiscoveryClient({ region: props.region });
  return deleteImportedServices(client, sd, props.namespaceId, { log }, props.serviceConnectServices ?? []);
}

/**
 * The Lambda function's handler (runner `lambda`): on delete, the cleanup with the inputs the
 * Invocation stored; on create and update, nothing (it answers what it did, stored as the
 * Invocation's `result`). A thrown error is a function error, which fails the delete.
 */
export async function namespaceCleanupHandler(
  event: NamespaceCleanupInputs & InvocationLifecycle<NamespaceCleanupInputs>,
): Promise<{ readonly action: string; readonly report?: CleanupReport }> {
  const action = event.tf?.action ?? "none";
  if (action !== "delete") return { action };
  // Delete's event carries the stored input at its top level and as prev_input.
  const stored: NamespaceCleanupInputs = event.tf?.prev_input ?? event;
  return { action, report: await cleanNamespace(stored, (message) => console.log(message)) };
}

export interface NamespaceCleanupArgs {
  /**
   * Cloud Map namespace to empty of consul-aws's services.
   * @default required
   */
  readonly namespaceId: pulumi.Input<string>;
  /**
   * Region of the namespace (and of the secrets).
   * @default required
   * @example "eu-west-1"
   */
  readonly region: string;
  /**
   * Names of the Cloud Map services ECS Service Connect creates in the namespace (its discovery names).
   * Default: [].
   * @default []
   */
  readonly serviceConnectServices?: readonly string[];
}

/**
 * Deleting this resource empties the namespace of the services consul-aws and ECS Service Connect
 * created. Make it depend on the namespace; make consul-aws and the Service Connect services depend on it.
 */
export class NamespaceCleanup extends pulumi.dynamic.Resource {
  constructor(name: string, args: NamespaceCleanupArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      cleanupProvider,
      name,
      {
        namespaceId: args.namespaceId,
        region: args.region,
        serviceConnectServices: [...(args.serviceConnectServices ?? [])],
      },
      opts,
      "namespaceCleanup",
      "NamespaceCleanup",
    );
  }
}
