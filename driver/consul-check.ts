/**
 * The Consul side of the smoke test: proof both ways in a deployed stack.
 *  - Cloud Map → Consul: a one-off ECS task inside the VPC (the stack's `consulCatalogCheck.task`)
 *    asks Consul's catalog for hello and name and prints what it got; the driver starts it, waits
 *    for it to stop, and reads its exit code and CloudWatch log.
 *  - Consul → Cloud Map: the driver lists the namespace's services through the Cloud Map API and
 *    expects each known Consul service there, created by consul-aws, with instances.
 * Parsing and deciding are pure functions; the AWS calls go through injected SDK v3 clients.
 */
import type * as Ecs from "@aws-sdk/client-ecs";
import type * as Logs from "@aws-sdk/client-cloudwatch-logs";
import type * as CloudMap from "@aws-sdk/client-servicediscovery";

/** The stack output `consulCatalogCheck` (index.ts), as the driver reads it. */
export interface ConsulCheckInfo {
  readonly mode: "embedded" | "external";
  readonly region: string;
  readonly consulHttpAddr?: string;
  readonly clusterName: string;
  readonly subnetIds: readonly string[];
  readonly task?: {
    readonly taskDefinitionArn: string;
    readonly securityGroupId: string;
    readonly logGroupName: string;
    readonly logStreamPrefix: string;
    readonly containerName: string;
  };
  readonly inConsul: readonly {
    readonly service: string;
    readonly consulName: string;
    readonly port: number;
  }[];
  readonly inCloudMap: {
    readonly namespaceId: string;
    readonly services: readonly { readonly consulName: string; readonly cloudMapName: string }[];
  };
}

/** One entry of Consul's /v1/catalog/service/<name>, the fields we judge. */
export interface CatalogEntry {
  readonly Node: string;
  readonly ServiceName: string;
  readonly ServicePort: number;
  readonly ServiceTags: readonly string[];
  readonly Address?: string;
}

export interface SideResult {
  readonly ok: boolean;
  /** Human-readable findings, one per expected service (or why the side was skipped). */
  readonly lines: string[];
  readonly skipped?: string;
}

export interface ConsulCheckResult {
  readonly ok: boolean;
  readonly consul: SideResult;
  readonly cloudMap: SideResult;
}

const CATALOG_LINE = /^CATALOG ([a-z0-9-]+) (.*)$/;

/** The check task's log lines → catalog entries per Consul service name ("unparseable" when the JSON is bad). */
export function parseCatalogLog(lines: readonly string[]): Map<string, CatalogEntry[] | "unparseable"> {
  const catalog = new Map<string, CatalogEntry[] | "unparseable">();
  for (const line of lines) {
    const match = CATALOG_LINE.exec(line.trim());
    if (!match) continue;
    try {
      const parsed = JSON.parse(match[2]) as unknown;
      catalog.set(match[1], Array.isArray(parsed) ? (parsed as CatalogEntry[]) : "unparseable");
    } catch {
      catalog.set(match[1], "unparseable");
    }
  }
  return catalog;
}

/** consul-aws registers Cloud Map services on node `consul-aws` with tag `aws`, port from the SRV record. */
export function judgeConsulSide(
  expected: ConsulCheckInfo["inConsul"],
  catalog: Map<string, CatalogEntry[] | "unparseable">,
  exitCode: number | undefined,
): SideResult {
  const lines: string[] = [];
  let ok = true;
  for (const want of expected) {
    const entries = catalog.get(want.consulName);
    if (entries === undefined || entries === "unparseable") {
      ok = false;
      lines.push(
        `${want.consulName}: ${entries === undefined ? "not reported by the check task" : "the check task printed JSON that does not parse"}`,
      );
      continue;
    }
    const synced = entries.filter((e) => e.Node === "consul-aws" && (e.ServiceTags ?? []).includes("aws"));
    const withPort = synced.filter((e) => e.ServicePort === want.port);
    if (entries.length === 0) {
      ok = false;
      lines.push(
        `${want.consulName}: not in Consul's catalog (consul-aws has not synced ${want.service} from Cloud Map)`,
      );
    } else if (synced.length === 0) {
      ok = false;
      lines.push(
        `${want.consulName}: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}, none registered by consul-aws (node consul-aws, tag aws)`,
      );
    } else if (withPort.length === 0) {
      ok = false;
      const ports = [...new Set(synced.map((e) => e.ServicePort))].join(", ");
      lines.push(
        `${want.consulName}: ${synced.length} instance(s) from consul-aws, but port ${ports} instead of ${want.port} (the Cloud Map service needs an SRV record for the port)`,
      );
    } else {
      lines.push(
        `${want.consulName}: ${withPort.length} instance(s) from consul-aws on port ${want.port} (${withPort.map((e) => e.Address ?? "?").join(", ")})`,
      );
    }
  }
  if (exitCode !== undefined && exitCode !== 0 && ok) {
    ok = false;
    lines.push(`the check task exited ${exitCode} although every service was printed`);
  }
  return { ok, lines };
}

/** consul-aws creates Consul services in Cloud Map with this description; they must also have instances. */
export function judgeCloudMapSide(
  expected: ConsulCheckInfo["inCloudMap"]["services"],
  services: readonly CloudMap.ServiceSummary[],
  instanceCounts: ReadonlyMap<string, number>,
): SideResult {
  const lines: string[] = [];
  let ok = true;
  for (const want of expected) {
    const found = services.find((s) => s.Name === want.cloudMapName);
    if (!found) {
      ok = false;
      lines.push(
        `${want.cloudMapName}: not in the Cloud Map namespace (consul-aws has not synced ${want.consulName} from Consul)`,
      );
    } else if (found.Description !== "Imported from Consul") {
      ok = false;
      lines.push(
        `${want.cloudMapName}: in Cloud Map but not created by consul-aws (description ${JSON.stringify(found.Description ?? "")})`,
      );
    } else if ((instanceCounts.get(String(found.Id)) ?? 0) === 0) {
      ok = false;
      lines.push(`${want.cloudMapName}: created by consul-aws but has no instances yet`);
    } else {
      lines.push(
        `${want.cloudMapName}: ${instanceCounts.get(String(found.Id))} instance(s) synced from Consul's ${want.consulName}`,
      );
    }
  }
  return { ok, lines };
}

export interface ConsulCheckClients {
  readonly ecs: { send(command: unknown): Promise<unknown> };
  readonly logs: { send(command: unknown): Promise<unknown> };
  readonly cloudMap: { send(command: unknown): Promise<unknown> };
}

/** The SDK modules whose command classes the check uses (injected so the module stays free of value imports). */
export interface ConsulCheckSdk {
  readonly ecs: Pick<typeof Ecs, "RunTaskCommand" | "DescribeTasksCommand">;
  readonly logs: Pick<typeof Logs, "GetLogEventsCommand">;
  readonly cloudMap: Pick<typeof CloudMap, "ListServicesCommand" | "ListInstancesCommand">;
}

export interface ConsulCheckOptions {
  /** Between DescribeTasks polls and Cloud Map retries. Default 10 s. */
  readonly pollMs?: number;
  /** Longest wait for the task to stop. Default 8 min (it polls Consul for up to 3). */
  readonly taskTimeoutMs?: number;
  /** Cloud Map rounds before giving up (consul-aws syncs once per poll interval). Default 12. */
  readonly cloudMapAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (line: string) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts the check task, waits for it to stop, returns its exit code and log lines. */
export async function runCheckTask(
  info: ConsulCheckInfo,
  clients: ConsulCheckClients,
  sdk: ConsulCheckSdk,
  options: ConsulCheckOptions = {},
): Promise<{ exitCode: number | undefined; stoppedReason: string | undefined; lines: string[] }> {
  const task = info.task;
  if (!task) throw new Error("the stack defines no catalog check task");
  const pollMs = options.pollMs ?? 10_000;
  const timeoutMs = options.taskTimeoutMs ?? 8 * 60_000;
  const sleep = options.sleep ?? defaultSleep;
  const started = (await clients.ecs.send(
    new sdk.ecs.RunTaskCommand({
      cluster: info.clusterName,
      taskDefinition: task.taskDefinitionArn,
      launchType: "FARGATE",
      count: 1,
      startedBy: "driver-consul-check",
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...info.subnetIds],
          securityGroups: [task.securityGroupId],
          assignPublicIp: "DISABLED",
        },
      },
    }),
  )) as Ecs.RunTaskCommandOutput;
  const taskArn = started.tasks?.[0]?.taskArn;
  if (!taskArn) {
    const why = (started.failures ?? [])
      .map((f) => `${f.reason ?? "?"}${f.detail ? ` (${f.detail})` : ""}`)
      .join("; ");
    throw new Error(`ECS did not start the catalog check task: ${why || "no task and no failure reported"}`);
  }
  options.log?.(`consul check: started ${taskArn}`);

  let described: Ecs.Task | undefined;
  for (let waited = 0; ; waited += pollMs) {
    const out = (await clients.ecs.send(
      new sdk.ecs.DescribeTasksCommand({ cluster: info.clusterName, tasks: [taskArn] }),
    )) as Ecs.DescribeTasksCommandOutput;
    described = out.tasks?.[0];
    if (described?.lastStatus === "STOPPED") break;
    if (waited >= timeoutMs)
      throw new Error(
        `the catalog check task ${taskArn} did not stop within ${Math.round(timeoutMs / 1000)} s (last status ${described?.lastStatus ?? "unknown"})`,
      );
    await sleep(pollMs);
  }
  const container = described.containers?.find((c) => c.name === task.containerName);

  // awslogs stream name: <prefix>/<container>/<task id>.
  const taskId = taskArn.split("/").pop() ?? taskArn;
  const lines: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 20; page++) {
    const out = (await clients.logs.send(
      new sdk.logs.GetLogEventsCommand({
        logGroupName: task.logGroupName,
        logStreamName: `${task.logStreamPrefix}/${task.containerName}/${taskId}`,
        startFromHead: true,
        nextToken: token,
      }),
    )) as Logs.GetLogEventsCommandOutput;
    lines.push(...(out.events ?? []).map((e) => e.message ?? ""));
    if (!out.nextForwardToken || out.nextForwardToken === token) break; // the same token again: end of stream
    token = out.nextForwardToken;
  }
  return {
    exitCode: container?.exitCode,
    stoppedReason: described.stoppedReason ?? container?.reason,
    lines,
  };
}

async function cloudMapSnapshot(
  info: ConsulCheckInfo,
  clients: ConsulCheckClients,
  sdk: ConsulCheckSdk,
): Promise<{ services: CloudMap.ServiceSummary[]; counts: Map<string, number> }> {
  const services: CloudMap.ServiceSummary[] = [];
  let next: string | undefined;
  do {
    const page = (await clients.cloudMap.send(
      new sdk.cloudMap.ListServicesCommand({
        Filters: [{ Name: "NAMESPACE_ID", Values: [info.inCloudMap.namespaceId], Condition: "EQ" }],
        NextToken: next,
      }),
    )) as CloudMap.ListServicesCommandOutput;
    services.push(...(page.Services ?? []));
    next = page.NextToken;
  } while (next);
  const counts = new Map<string, number>();
  const wanted = new Set(info.inCloudMap.services.map((s) => s.cloudMapName));
  for (const s of services.filter((x) => wanted.has(String(x.Name)))) {
    const out = (await clients.cloudMap.send(
      new sdk.cloudMap.ListInstancesCommand({ ServiceId: s.Id }),
    )) as CloudMap.ListInstancesCommandOutput;
    counts.set(String(s.Id), (out.Instances ?? []).length);
  }
  return { services, counts };
}

/** Both directions; never throws for a failed proof (that is `ok: false`), only for AWS errors. */
export async function runConsulCheck(
  info: ConsulCheckInfo,
  clients: ConsulCheckClients,
  sdk: ConsulCheckSdk,
  options: ConsulCheckOptions = {},
): Promise<ConsulCheckResult> {
  const sleep = options.sleep ?? defaultSleep;
  let consul: SideResult;
  if (!info.task) {
    consul = {
      ok: true,
      lines: [],
      skipped: "the stack has no catalog check task (set consulImage for an external Consul to get one)",
    };
  } else {
    const run = await runCheckTask(info, clients, sdk, options);
    consul = judgeConsulSide(info.inConsul, parseCatalogLog(run.lines), run.exitCode);
    if (run.exitCode === undefined)
      consul = {
        ok: false,
        lines: [
          ...consul.lines,
          `the check task stopped without an exit code: ${run.stoppedReason ?? "no reason given"}`,
        ],
      };
  }

  let cloudMap: SideResult = {
    ok: true,
    lines: [],
    skipped: "no Consul services listed in consulKnownServices",
  };
  const attempts = options.cloudMapAttempts ?? 12;
  for (let attempt = 1; info.inCloudMap.services.length > 0 && attempt <= attempts; attempt++) {
    const snapshot = await cloudMapSnapshot(info, clients, sdk);
    cloudMap = judgeCloudMapSide(info.inCloudMap.services, snapshot.services, snapshot.counts);
    if (cloudMap.ok || attempt === attempts) break;
    await sleep(options.pollMs ?? 10_000);
  }
  return { ok: consul.ok && cloudMap.ok, consul, cloudMap };
}

export function formatConsulCheck(result: ConsulCheckResult): string {
  const side = (title: string, s: SideResult) =>
    s.skipped
      ? [`${title}: skipped (${s.skipped})`]
      : [`${title}: ${s.ok ? "ok" : "FAILED"}`, ...s.lines.map((l) => `  ${l}`)];
  return [
    `consul sync check ${result.ok ? "passed" : "FAILED"}`,
    ...side("Cloud Map → Consul", result.consul),
    ...side("Consul → Cloud Map", result.cloudMap),
  ].join("\n");
}

/** Real clients and SDK modules for a region (loaded here so tests that inject stubs never load them). */
export async function awsConsulCheckDeps(
  region: string,
): Promise<{ clients: ConsulCheckClients; sdk: ConsulCheckSdk }> {
  const [ecs, logs, cloudMap] = await Promise.all([
    import("@aws-sdk/client-ecs"),
    import("@aws-sdk/client-cloudwatch-logs"),
    import("@aws-sdk/client-servicediscovery"),
  ]);
  return {
    clients: {
      ecs: new ecs.ECSClient({ region }),
      logs: new logs.CloudWatchLogsClient({ region }),
      cloudMap: new cloudMap.ServiceDiscoveryClient({ region }),
    },
    sdk: { ecs, logs, cloudMap },
  };
}
