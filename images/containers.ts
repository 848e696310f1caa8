// The local topology as containers on a private Docker network: "Cloud Map" (the local DNS server
// and its instance API, run from the hello image), N name tasks and hello, each run the way the task
// definitions say (image's HEALTHCHECK, APP_USER, read-only root filesystem). This process plays
// ECS: it registers a name task once its health check passes, and deregisters it when the task is
// told to stop (SIGTERM from `docker stop`, or any kill) or dies, before the drain ends.
// With a forwarder image it adds the Vault case: a service consul-aws imported from Consul (SRV
// records only, its instance naming) served by TLS containers, and the forwarder container in front
// of it, which an app container of the same task reaches at 127.0.0.1 (it shares the forwarder's
// network namespace, as containers of one awsvpc task do).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import * as ts from "typescript";
import { APP_USER } from "../packages/ecs-cloudmap-consul/service/container-definition";
import { TARGET_PREFIX } from "../local/cloudmap/api";
import { consulAwsInstanceId, selfSignedCertificate } from "../local/topology/consul-import";
import type { ProbeResult } from "../local/topology/vault-client";
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
  "local/cloudmap/main.ts",
  "local/cloudmap/api.ts",
  "local/cloudmap/dns-server.ts",
  "local/cloudmap/dns-answer.ts",
  "local/cloudmap/dns-transport.ts",
  "apps/hello/src/discovery/records.ts",
  // The Vault case: its TLS instances and the client in the forwarder's network namespace.
  "local/topology/tls-backend.ts",
  "local/topology/vault-probe-main.ts",
  "local/topology/vault-client.ts",
];
/** The imported service: its name in Cloud Map, the port its instances and the forwarder listen on. */
const IMPORTED = { service: "vault", port: 8200 } as const;
/** The Cloud Map service id consul-aws got from CreateService (the prefix of its instance ids). */
const IMPORTED_SERVICE_ID = "srv-containersimport";
/** The forwarder's admin port (its image default). */
const FORWARDER_ADMIN_PORT = 9901;

export interface ContainerTopologyOptions {
  /** Prefix of container and network names, e.g. "ecc" → ecc-name-1, ecc-hello, ecc-net. */
  prefix: string;
  /** With `forwarder`, the Vault case too (imported service, its instances, the forwarder). */
  images: { hello: string; name: string; forwarder?: string };
  nameTasks?: number;
  /** Instances of the imported service (with images.forwarder). Default 3. */
  importedInstances?: number;
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
  /** The Vault case; present when images.forwarder was given. */
  imported?: ImportedServiceContainers;
  stop(): Promise<void>;
}

export interface ImportedInstanceContainer {
  /** consul-aws's instance id, `<service id>_<ip>_<port>`. */
  id: string;
  /** What the instance answers as (its container's short name, e.g. vault-2). */
  name: string;
  container: string;
  ip: string;
  port: number;
}

export interface ImportedServiceContainers {
  /** `<service>.<namespace>`: SRV records only. */
  serviceName: string;
  instances: ImportedInstanceContainer[];
  /** The forwarder container: 127.0.0.1:<port> in its network namespace forwards to the service. */
  forwarder: string;
  port: number;
  /** SHA-256 fingerprint of the instances' certificate, as a TLS client sees it. */
  fingerprint256: string;
  /**
   * `count` calls to https://127.0.0.1:<port>/v1/sys/health, each a new connection, from a container
   * that shares the forwarder's network namespace (an app of the same task) and knows nothing else.
   */
  probe(count: number): Promise<ProbeResult>;
  /** The forwarder's GET /metrics, read inside its container. */
  metrics(): Promise<unknown>;
  /** SIGKILL: the instance is gone, Cloud Map still lists it (consul-aws notices only at its next poll). */
  kill(id: string): Promise<void>;
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
  let certDir: string | undefined;
  let apiUrl = "";

  const stop = async (): Promise<void> => {
    events?.kill();
    await removeLeftovers(prefix);
    for (const dir of [codeDir, certDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
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
      `SERVICES=${images.forwarder ? `${SERVICE},${IMPORTED.service}` : SERVICE}`,
      "--env",
      `SRV_ONLY_SERVICES=${images.forwarder ? IMPORTED.service : ""}`,
      images.hello,
      "node",
      "/opt/cloudmap/local/cloudmap/main.js",
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

    let imported: ImportedServiceContainers | undefined;
    if (images.forwarder) {
      certDir = fs.mkdtempSync(path.join(os.tmpdir(), "imported-cert-"));
      imported = await startImportedService({
        prefix,
        network,
        images: { hello: images.hello, forwarder: images.forwarder },
        count: options.importedInstances ?? 3,
        namespace,
        cloudMapIp,
        codeDir,
        certDir,
        startTimeoutMs,
        register: (id, ip, port) =>
          callCloudMap(apiUrl, "RegisterInstance", {
            ServiceId: IMPORTED.service,
            InstanceId: id,
            Attributes: { AWS_INSTANCE_IPV4: ip, AWS_INSTANCE_PORT: String(port) },
          }).then(() => undefined),
        log,
      });
      containers.push(imported.forwarder);
    }

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
      imported,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined); // nothing half-started is left behind
    throw err;
  }
}

/** Waits for a container without a HEALTHCHECK to print its "listening" line. */
async function waitListening(container: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout, stderr } = await docker(["logs", container]);
    if (/"msg":"listening"/.test(stdout)) return;
    const status = await dockerOut(["inspect", "--format", "{{.State.Status}}", container]);
    if (status !== "running" || Date.now() > deadline)
      throw new Error(`${container} did not start listening (${status}). Output:\n${stdout}${stderr}`);
    await sleep(200);
  }
}

interface ImportedServiceSetup {
  prefix: string;
  network: string;
  images: { hello: string; forwarder: string };
  count: number;
  namespace: string;
  cloudMapIp: string;
  codeDir: string;
  certDir: string;
  startTimeoutMs: number;
  register(id: string, ip: string, port: number): Promise<void>;
  log(line: string): void;
}

/**
 * The Vault case as containers: TLS instances (tls-backend.ts, run from the hello image) registered
 * the way consul-aws registers an imported service, then the forwarder container, healthy once its
 * first SRV lookup found them. Nothing here deregisters an instance: consul-aws would, at its next poll.
 */
async function startImportedService(s: ImportedServiceSetup): Promise<ImportedServiceContainers> {
  const serviceName = `${IMPORTED.service}.${s.namespace}`;
  const certificate = await selfSignedCertificate(s.certDir, serviceName);
  // Read by the containers' user; a throwaway test key in a directory removed with the topology.
  for (const f of [certificate.certFile, certificate.keyFile]) fs.chmodSync(f, 0o644);
  fs.chmodSync(s.certDir, 0o755);
  const mounts = ["--volume", `${s.codeDir}:/opt/cloudmap:ro`, "--volume", `${s.certDir}:/opt/cert:ro`];

  const instances = await Promise.all(
    Array.from({ length: s.count }, async (_, k): Promise<ImportedInstanceContainer> => {
      const name = `${IMPORTED.service}-${k + 1}`;
      const container = `${s.prefix}-${name}`;
      await docker([
        ...commonRunArgs(s.prefix, s.network, container),
        // A stand-in for a Vault server, not one of our images' apps: no HEALTHCHECK of ours applies.
        "--no-healthcheck",
        ...mounts,
        "--env",
        "NODE_PATH=/app/node_modules",
        "--env",
        "HOST=0.0.0.0",
        "--env",
        `PORT=${IMPORTED.port}`,
        "--env",
        `INSTANCE_ID=${name}`,
        "--env",
        "CERT_FILE=/opt/cert/cert.pem",
        "--env",
        "KEY_FILE=/opt/cert/key.pem",
        s.images.hello,
        "node",
        "/opt/cloudmap/local/topology/tls-backend.js",
      ]);
      await waitListening(container, s.startTimeoutMs);
      const ip = await ipOf(container, s.network);
      const id = consulAwsInstanceId(IMPORTED_SERVICE_ID, ip, IMPORTED.port);
      await s.register(id, ip, IMPORTED.port);
      s.log(`${name}: TLS on ${ip}:${IMPORTED.port}, registered as consul-aws does (${id}, SRV only)`);
      return { id, name, container, ip, port: IMPORTED.port };
    }),
  );
  instances.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));

  const forwarder = `${s.prefix}-forwarder`;
  await docker([
    ...commonRunArgs(s.prefix, s.network, forwarder),
    "--env",
    `FORWARDS=${serviceName}=${IMPORTED.port}`,
    "--env",
    `DNS_SERVER=${s.cloudMapIp}:${DNS_PORT}`,
    s.images.forwarder,
  ]);
  await waitHealthy(forwarder, s.startTimeoutMs);
  s.log(`forwarder: healthy, 127.0.0.1:${IMPORTED.port} in its network namespace → ${serviceName} (SRV)`);

  return {
    serviceName,
    instances,
    forwarder,
    port: IMPORTED.port,
    fingerprint256: certificate.fingerprint256,
    async probe(count) {
      const { stdout } = await docker([
        "run",
        "--rm",
        "--label",
        `${LABEL}=${s.prefix}`,
        "--network",
        `container:${forwarder}`,
        "--user",
        APP_USER,
        "--read-only",
        "--no-healthcheck",
        ...mounts,
        "--env",
        "NODE_PATH=/app/node_modules",
        "--env",
        `PORT=${IMPORTED.port}`,
        "--env",
        `COUNT=${count}`,
        "--env",
        `SERVERNAME=${serviceName}`,
        "--env",
        "CA_FILE=/opt/cert/cert.pem",
        s.images.hello,
        "node",
        "/opt/cloudmap/local/topology/vault-probe-main.js",
      ]);
      return JSON.parse(stdout) as ProbeResult;
    },
    async metrics() {
      const script = `fetch("http://127.0.0.1:${FORWARDER_ADMIN_PORT}/metrics").then((r) => r.text()).then((t) => process.stdout.write(t))`;
      return JSON.parse(await dockerOut(["exec", forwarder, "node", "-e", script])) as unknown;
    },
    async kill(id) {
      const instance = instances.find((i) => i.id === id);
      if (!instance)
        throw new Error(`no instance ${id}; instances: ${instances.map((i) => i.id).join(", ")}`);
      await docker(["kill", "--signal", "KILL", instance.container]);
    },
  };
}
