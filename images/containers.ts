// The local topology as containers on a private Docker network: "Cloud Map" (the local DNS server
// and its instance API, run from the hello image), N name tasks and hello, each run the way the task
// definitions say (image's HEALTHCHECK, APP_USER, read-only root filesystem). This process plays
// ECS: it registers a name task once its health check passes, and deregisters it when the task is
// told to stop (SIGTERM from `docker stop`, or any kill) or dies, before the drain ends.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import * as ts from "typescript";
import { APP_USER } from "../packages/ecs-cloudmap-consul/service/container-definition";
import { TARGET_PREFIX } from "../local/cloudmap-api";
import { docker, dockerOut } from "./docker";

export const LABEL = "ecs-cloudmap-consul.images";
const TASK_LABEL = "ecs-cloudmap-consul.task";
/** Container port of both apps (the task definitions' default, and the images' EXPOSE). */
export const APP_PORT = 3000;
const API_PORT = 8080;
const DNS_PORT = 53;
const SERVICE = "name";
/**
 * The local DNS server and what it needs (paths from the repository root, kept as they are so the
 * relative imports resolve), transpiled for the container; dns-packet and exit-x come from the hello image.
 */
const CLOUDMAP_SOURCES = [
  "local/cloudmap-main.ts",
  "local/cloudmap-api.ts",
  "local/dns-server.ts",
  "local/dns-answer.ts",
  "local/dns-transport.ts",
  "apps/hello/src/discovery/records.ts",
];

export interface ContainerTopologyOptions {
  /** Prefix of container and network names, e.g. "ecc" → ecc-name-1, ecc-hello, ecc-net. */
  prefix: string;
  images: { hello: string; name: string };
  nameTasks?: number;
  namespace?: string;
  ttlSeconds?: number;
  /** hello's published port on 127.0.0.1; 0 = one the engine picks. */
  helloPort?: number;
  /** Bound on each container's start until healthy. Default 60 s (the HEALTHCHECK interval is 10 s). */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface TaskContainer {
  id: string;
  container: string;
  ip: string;
}

export interface Deregistration {
  id: string;
  /** The Docker event that triggered it: "kill" (with its signal) or "die". */
  cause: string;
  at: number;
}

export interface ContainerTopology {
  network: string;
  helloUrl: string;
  /** Cloud Map's instance API on 127.0.0.1. */
  apiUrl: string;
  /** Every container: cloudmap, the name tasks, hello. */
  containers(): string[];
  tasks(): TaskContainer[];
  cloudMap: { container: string; ip: string };
  hello: string;
  /** ListInstances of the name service. */
  instances(): Promise<{ id: string; ip: string; port: number }[]>;
  deregistrations(): Deregistration[];
  stop(): Promise<void>;
}

/** What one `docker events --format '{{json .}}'` line says, as far as deregistration cares. */
export interface ContainerEvent {
  action: string;
  task?: string;
  signal?: string;
}

export function parseEvent(line: string): ContainerEvent | undefined {
  try {
    const e = JSON.parse(line) as {
      Action?: string;
      status?: string;
      Actor?: { Attributes?: Record<string, string> };
    };
    const attributes = e.Actor?.Attributes ?? {};
    return { action: e.Action ?? e.status ?? "", task: attributes[TASK_LABEL], signal: attributes.signal };
  } catch {
    return undefined;
  }
}

/** ECS deregisters a task as it starts stopping (any signal) or when it died on its own. */
export function deregistrationCause(e: ContainerEvent): string | undefined {
  if (!e.task) return undefined;
  if (e.action === "kill") return `kill (signal ${e.signal ?? "?"})`;
  if (e.action === "die") return "die";
  return undefined;
}

/** Removes whatever an earlier run with this prefix left behind. */
export async function removeLeftovers(prefix: string): Promise<void> {
  const ids = (await dockerOut(["ps", "-aq", "--filter", `label=${LABEL}=${prefix}`]))
    .split("\n")
    .filter(Boolean);
  if (ids.length > 0) await docker(["rm", "-f", ...ids]);
  const networks = (await dockerOut(["network", "ls", "-q", "--filter", `label=${LABEL}=${prefix}`]))
    .split("\n")
    .filter(Boolean);
  if (networks.length > 0) await docker(["network", "rm", ...networks]);
}

/** The local DNS server's sources as CommonJS, in a directory the container's user can read. */
function transpileCloudMap(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloudmap-"));
  for (const file of CLOUDMAP_SOURCES) {
    const source = fs.readFileSync(path.join(__dirname, "..", file), "utf8");
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
      fileName: file,
    });
    const target = path.join(dir, file.replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, outputText, { mode: 0o644 });
    // Readable by the container's user whatever our umask is.
    for (let d = path.dirname(target); d.startsWith(dir); d = path.dirname(d)) fs.chmodSync(d, 0o755);
  }
  return dir;
}

async function ipOf(container: string, network: string): Promise<string> {
  return dockerOut([
    "inspect",
    "--format",
    `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`,
    container,
  ]);
}

async function publishedUrl(container: string, port: number): Promise<string> {
  const line = (await dockerOut(["port", container, `${port}/tcp`]))
    .split("\n")
    .find((l) => l.startsWith("127.0.0.1:"));
  if (!line) throw new Error(`${container}: port ${port} is not published on 127.0.0.1`);
  return `http://${line}/`;
}

/** Waits for the image's HEALTHCHECK to report healthy; fails early if the container stops or turns unhealthy. */
export async function waitHealthy(container: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [status, health] = (
      await dockerOut([
        "inspect",
        "--format",
        "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
        container,
      ])
    ).split(" ");
    if (health === "healthy") return;
    if (status !== "running" || health === "unhealthy" || health === "none" || Date.now() > deadline) {
      const logs = await docker(["logs", "--tail", "20", container]).then(
        (r) => `${r.stdout}${r.stderr}`,
        () => "",
      );
      const why =
        health === "none"
          ? "has no HEALTHCHECK"
          : status !== "running"
            ? `is ${status}`
            : health === "unhealthy"
              ? "is unhealthy"
              : `is not healthy within ${timeoutMs} ms`;
      throw new Error(`${container} ${why}. Last output:\n${logs.trim()}`);
    }
    await sleep(500);
  }
}

async function callCloudMap(
  apiUrl: string,
  action: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await fetch(apiUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `${TARGET_PREFIX}${action}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const reply = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`Cloud Map ${action}: ${res.status} ${JSON.stringify(reply)}`);
  return reply;
}

/** The run options every container shares: the task definitions' user and read-only root filesystem. */
function commonRunArgs(prefix: string, network: string, name: string): string[] {
  return [
    "run",
    "--detach",
    "--name",
    name,
    "--label",
    `${LABEL}=${prefix}`,
    "--network",
    network,
    "--user",
    APP_USER,
    "--read-only",
  ];
}

export async function startContainerTopology(options: ContainerTopologyOptions): Promise<ContainerTopology> {
  const { prefix, images } = options;
  const nameTasks = options.nameTasks ?? 3;
  const namespace = options.namespace ?? "internal";
  const ttlSeconds = options.ttlSeconds ?? 5;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const log = options.log ?? (() => undefined);
  const network = `${prefix}-net`;
  const containers: string[] = [];
  const tasks: TaskContainer[] = [];
  const deregistrations: Deregistration[] = [];
  const registered = new Set<string>();
  let events: ChildProcess | undefined;
  let codeDir: string | undefined;
  let apiUrl = "";

  const stop = async (): Promise<void> => {
    events?.kill();
    await removeLeftovers(prefix);
    if (codeDir) fs.rmSync(codeDir, { recursive: true, force: true });
  };

  try {
    await removeLeftovers(prefix);
    codeDir = transpileCloudMap();
    await docker(["network", "create", "--label", `${LABEL}=${prefix}`, network]);

    const cloudMap = `${prefix}-cloudmap`;
    containers.push(cloudMap);
    await docker([
      ...commonRunArgs(prefix, network, cloudMap),
      "--volume",
      `${codeDir}:/opt/cloudmap:ro`,
      "--publish",
      `127.0.0.1::${API_PORT}`,
      "--env",
      "NODE_PATH=/app/node_modules",
      "--env",
      `PORT=${API_PORT}`,
      "--env",
      `DNS_PORT=${DNS_PORT}`,
      "--env",
      `NAMESPACE=${namespace}`,
      "--env",
      `TTL_SECONDS=${ttlSeconds}`,
      "--env",
      `SERVICES=${SERVICE}`,
      images.hello,
      "node",
      "/opt/cloudmap/local/cloudmap-main.js",
    ]);
    const cloudMapIp = await ipOf(cloudMap, network);
    apiUrl = await publishedUrl(cloudMap, API_PORT);

    // ECS's side: deregister a task the moment it is told to stop or dies.
    events = spawn(
      "docker",
      [
        "events",
        "--filter",
        `label=${LABEL}=${prefix}`,
        "--filter",
        "type=container",
        "--format",
        "{{json .}}",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    const eventsReady = sleep(300);
    readline.createInterface({ input: events.stdout! }).on("line", (line) => {
      const event = parseEvent(line);
      const cause = event && deregistrationCause(event);
      if (!event?.task || !cause || !registered.delete(event.task)) return;
      const task = event.task;
      deregistrations.push({ id: task, cause, at: Date.now() });
      callCloudMap(apiUrl, "DeregisterInstance", { ServiceId: SERVICE, InstanceId: task }).then(
        () => log(`${task}: ${cause} → deregistered from Cloud Map`),
        (err: Error) => log(`${task}: deregistration failed: ${err.message}`),
      );
    });
    await eventsReady;
    // ECS registers into a namespace that already exists: the tasks start while Cloud Map comes up.
    const cloudMapReady = waitHealthy(cloudMap, startTimeoutMs);
    cloudMapReady.catch(() => undefined); // awaited below; a failure surfaces there

    const startTask = async (k: number): Promise<void> => {
      const id = `${SERVICE}-${k}`;
      const container = `${prefix}-${id}`;
      containers.push(container);
      await docker([
        ...commonRunArgs(prefix, network, container),
        "--label",
        `${TASK_LABEL}=${id}`,
        "--env",
        `PORT=${APP_PORT}`,
        "--env",
        `TASK_NAME=${id}`,
        images.name,
      ]);
      await waitHealthy(container, startTimeoutMs);
      await cloudMapReady;
      const ip = await ipOf(container, network);
      await callCloudMap(apiUrl, "RegisterInstance", {
        ServiceId: SERVICE,
        InstanceId: id,
        Attributes: { AWS_INSTANCE_IPV4: ip, AWS_INSTANCE_PORT: String(APP_PORT) },
      });
      registered.add(id);
      tasks.push({ id, container, ip });
      log(`${id}: healthy at ${ip}:${APP_PORT}, registered in Cloud Map`);
    };
    await Promise.all([cloudMapReady, ...Array.from({ length: nameTasks }, (_, k) => startTask(k + 1))]);
    tasks.sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));

    const hello = `${prefix}-hello`;
    containers.push(hello);
    await docker([
      ...commonRunArgs(prefix, network, hello),
      "--publish",
      `127.0.0.1:${options.helloPort ?? 0}:${APP_PORT}`,
      "--env",
      `PORT=${APP_PORT}`,
      "--env",
      "TASK_NAME=hello-1",
      "--env",
      `NAME_SERVER=http://${SERVICE}.${namespace}:${APP_PORT}/`,
      "--env",
      `DNS_SERVER=${cloudMapIp}:${DNS_PORT}`,
      images.hello,
    ]);
    await waitHealthy(hello, startTimeoutMs);
    const helloUrl = await publishedUrl(hello, APP_PORT);
    log(`hello: healthy, published on ${helloUrl}`);

    return {
      network,
      helloUrl,
      apiUrl,
      containers: () => [...containers],
      tasks: () => [...tasks],
      cloudMap: { container: cloudMap, ip: cloudMapIp },
      hello,
      async instances() {
        const reply = (await callCloudMap(apiUrl, "ListInstances", { ServiceId: SERVICE })) as {
          Instances: { Id: string; Attributes: { AWS_INSTANCE_IPV4: string; AWS_INSTANCE_PORT: string } }[];
        };
        return reply.Instances.map((i) => ({
          id: i.Id,
          ip: i.Attributes.AWS_INSTANCE_IPV4,
          port: Number(i.Attributes.AWS_INSTANCE_PORT),
        }));
      },
      deregistrations: () => [...deregistrations],
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined); // nothing half-started is left behind
    throw err;
  }
}
