// The local stand-in for ECS + Cloud Map: a DNS server for the namespace, name tasks as real
// processes on 127.0.0.2, .3, … (same port), and hello on 127.0.0.1 resolving name through that DNS.
import * as path from "node:path";
import { AppProcess, type Exit } from "./app-process";
import { DnsServer } from "../cloudmap/dns-server";
import { assertBindable, freePort, getJson, httpGet, waitUntil } from "../net-util";

export const SERVICE = "name";
/** Loopback host part of the first name task (127.0.0.2); hello has 127.0.0.1. */
const FIRST_TASK_HOST = 2;
const LAST_TASK_HOST = 254;

export interface TopologyOptions {
  /** Cloud Map namespace. Default "internal". */
  namespace?: string;
  /** Name tasks started at once. Default 3. */
  nameTasks?: number;
  /** TTL of the service records. Default 5 s. */
  ttlSeconds?: number;
  /** TTL of negative answers (SOA minimum). Default 1 s. */
  negativeTtlSeconds?: number;
  /** Delay between a task stopping and its deregistration (ECS does not wait for the TTL). Default 2000 ms. */
  deregisterDelayMs?: number;
  /** SIGTERM -> SIGKILL grace period for a graceful stop (ECS's stopTimeout). Default 10000 ms. */
  stopTimeoutMs?: number;
  /** hello's port on 127.0.0.1; 0 = a free one. Default 0. */
  helloPort?: number;
  /** The name tasks' common port; 0 = a free one. Default 0. */
  namePort?: number;
  /** The DNS server's port (UDP and TCP) on 127.0.0.1; 0 = a free one. Default 0. */
  dnsPort?: number;
  /** Record type hello discovers tasks with (hello's DISCOVERY_RECORD_TYPE). Default "A". */
  recordType?: "A" | "SRV";
  /** Extra environment for every name task, e.g. { RESPONSE_DELAY_MS: "50" }. */
  nameEnv?: Record<string, string>;
  /** Extra environment for hello (its tuning variables). */
  helloEnv?: Record<string, string>;
  /** Pass the processes' output through to stdout. */
  verbose?: boolean;
  /** Bound on each process's start (listening + healthy). Default 15000 ms. */
  startTimeoutMs?: number;
  /** Where apps/name and apps/hello are. Default: the repository's apps/. */
  appsDir?: string;
  /** Told about things that happen on their own, e.g. a task process exiting. */
  onEvent?: (event: TopologyEvent) => void;
}

export type TopologyEvent =
  | { kind: "exited"; id: string; exit: Exit; expected: boolean }
  | { kind: "registered" | "deregistered"; id: string };

export type TaskState = "running" | "hung" | "stopping" | "stopped";

export interface TaskInfo {
  id: string;
  ip: string;
  port: number;
  url: string;
  pid: number | undefined;
  state: TaskState;
  /** Whether DNS lists it right now. */
  registered: boolean;
  /** How its process ended (SIGKILL for a kill, code 0 for a drained stop); undefined while it runs. */
  exit?: Exit;
}

export interface Topology {
  namespace: string;
  helloUrl: string;
  /** hello's NAME_SERVER, e.g. http://name.internal:41234/ */
  nameServerUrl: string;
  dnsAddress: { host: string; port: number };
  /** The DNS server itself: registry, query counters, stop() for the "DNS down" case. */
  dns: DnsServer;
  tasks(): TaskInfo[];
  addTask(): Promise<TaskInfo>;
  /** Stops a task (SIGKILL, or SIGTERM when graceful) and deregisters it deregisterDelayMs later. Resolves once it exited. */
  stopTask(id: string, opts?: { graceful?: boolean }): Promise<void>;
  /** SIGSTOP: the kernel still accepts connections, nothing answers. DNS keeps listing it. */
  hangTask(id: string): void;
  /** SIGCONT. */
  resumeTask(id: string): void;
  /** Signals hello (SIGTERM by default) and resolves with its exit. */
  stopHello(signal?: NodeJS.Signals): Promise<Exit>;
  helloPid: number | undefined;
  /** Last output lines of a task or of "hello". */
  logs(id: string): string[];
  /** Every JSON line a task or "hello" wrote on stdout, parsed, in order (its logs and EMF metric lines). */
  jsonLines(id: string): Record<string, unknown>[];
  /** Kills everything it started and stops DNS. Safe to call twice. */
  stop(): Promise<void>;
}

interface Task {
  id: string;
  ip: string;
  process: AppProcess;
  state: TaskState;
  deregisterTimer?: NodeJS.Timeout;
}

function validate(
  o: Required<Pick<TopologyOptions, "nameTasks" | "ttlSeconds" | "deregisterDelayMs">>,
): void {
  if (
    !Number.isInteger(o.nameTasks) ||
    o.nameTasks < 0 ||
    o.nameTasks > LAST_TASK_HOST - FIRST_TASK_HOST + 1
  ) {
    throw new Error(
      `nameTasks must be an integer from 0 to ${LAST_TASK_HOST - FIRST_TASK_HOST + 1}, got ${o.nameTasks}`,
    );
  }
  if (!Number.isInteger(o.ttlSeconds) || o.ttlSeconds < 0)
    throw new Error(`ttlSeconds must be an integer >= 0, got ${o.ttlSeconds}`);
  if (!(o.deregisterDelayMs >= 0))
    throw new Error(`deregisterDelayMs must be >= 0, got ${o.deregisterDelayMs}`);
}

export async function startTopology(options: TopologyOptions = {}): Promise<Topology> {
  const namespace = options.namespace ?? "internal";
  const nameTasks = options.nameTasks ?? 3;
  const ttlSeconds = options.ttlSeconds ?? 5;
  const deregisterDelayMs = options.deregisterDelayMs ?? 2000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  validate({ nameTasks, ttlSeconds, deregisterDelayMs });
  const appsDir = options.appsDir ?? path.resolve(__dirname, "..", "..", "apps");
  const emit = options.onEvent ?? (() => undefined);

  const tasks = new Map<string, Task>();
  let nextHost = FIRST_TASK_HOST;
  let hello: AppProcess | undefined;
  let stopping = false;
  const dns = new DnsServer({
    namespace,
    ttlSeconds,
    negativeTtlSeconds: options.negativeTtlSeconds ?? 1,
    services: [SERVICE],
    host: "127.0.0.1",
    port: options.dnsPort ?? 0,
  });

  async function stop(): Promise<void> {
    stopping = true;
    for (const t of tasks.values()) clearTimeout(t.deregisterTimer);
    await Promise.all([...[...tasks.values()].map((t) => t.process.kill()), hello?.kill()]);
    await dns.stop();
  }

  /** Healthy = its own /health answers 200, like the ECS container health check. */
  async function waitHealthy(proc: AppProcess, url: string): Promise<void> {
    const ok = await waitUntil(
      async () => proc.running && (await httpGet(url, 1000)).status === 200,
      startTimeoutMs,
      100,
    );
    if (!ok)
      throw new Error(
        `${proc.label}: GET ${url} did not answer 200 within ${startTimeoutMs} ms. Last output:\n${proc.recentLines().join("\n")}`,
      );
  }

  function scheduleDeregistration(task: Task): void {
    if (task.deregisterTimer || stopping) return;
    task.deregisterTimer = setTimeout(() => {
      if (dns.deregister(task.id)) emit({ kind: "deregistered", id: task.id });
    }, deregisterDelayMs);
  }

  let namePort = options.namePort ?? 0;

  async function launchTask(): Promise<Task> {
    if (nextHost > LAST_TASK_HOST)
      throw new Error(`no loopback address left for another task (last is 127.0.0.${LAST_TASK_HOST})`);
    const ip = `127.0.0.${nextHost}`;
    const id = `${SERVICE}-${nextHost - FIRST_TASK_HOST + 1}`;
    nextHost++;
    await assertBindable(ip);
    if (namePort === 0) namePort = await freePort(ip);
    const proc = new AppProcess({
      label: id,
      script: path.join(appsDir, "name", "dist", "server.js"),
      env: { ...options.nameEnv, PORT: String(namePort), HOST: ip, TASK_NAME: id },
      startTimeoutMs,
      verbose: options.verbose,
    });
    const task: Task = { id, ip, process: proc, state: "running" };
    tasks.set(id, task);
    void proc.exited.then((exit) => {
      const expected = task.state === "stopping" || stopping;
      task.state = "stopped";
      // A crashed task is deregistered the same way as a stopped one.
      scheduleDeregistration(task);
      if (!stopping) emit({ kind: "exited", id, exit, expected });
    });
    await proc.listening;
    await waitHealthy(proc, `http://${ip}:${namePort}/health`);
    dns.register({ id, service: SERVICE, ip, port: namePort, healthy: true });
    emit({ kind: "registered", id });
    return task;
  }

  function info(t: Task): TaskInfo {
    return {
      id: t.id,
      ip: t.ip,
      port: namePort,
      url: `http://${t.ip}:${namePort}/`,
      pid: t.process.pid,
      state: t.state,
      registered: dns.instances().some((i) => i.id === t.id),
      exit: t.process.exitStatus,
    };
  }

  function taskById(id: string): Task {
    const t = tasks.get(id);
    if (!t)
      throw new Error(`no task ${JSON.stringify(id)}; tasks: ${[...tasks.keys()].join(", ") || "none"}`);
    return t;
  }

  try {
    await dns.start();
    // The first task fixes the common port; the others then start side by side.
    if (nameTasks > 0) await launchTask();
    await Promise.all(Array.from({ length: nameTasks - 1 }, () => launchTask()));

    const helloPort = options.helloPort || (await freePort("127.0.0.1"));
    const nameServerUrl = `http://${SERVICE}.${namespace}:${namePort}/`;
    hello = new AppProcess({
      label: "hello",
      script: path.join(appsDir, "hello", "dist", "server.js"),
      env: {
        ...options.helloEnv,
        PORT: String(helloPort),
        HOST: "127.0.0.1",
        NAME_SERVER: nameServerUrl,
        DNS_SERVER: `127.0.0.1:${dns.port}`,
        DISCOVERY_RECORD_TYPE: options.recordType ?? "A",
      },
      startTimeoutMs,
      verbose: options.verbose,
    });
    const helloProcess = hello;
    void helloProcess.exited.then((exit) => {
      if (!stopping) emit({ kind: "exited", id: "hello", exit, expected: false });
    });
    await helloProcess.listening;
    const helloUrl = `http://127.0.0.1:${helloPort}/`;
    await waitHealthy(helloProcess, `${helloUrl}health`);

    return {
      namespace,
      helloUrl,
      nameServerUrl,
      dnsAddress: { host: dns.host, port: dns.port },
      dns,
      get helloPid() {
        return helloProcess.pid;
      },
      tasks: () => [...tasks.values()].map(info),
      addTask: async () => info(await launchTask()),
      async stopTask(id, opts = {}) {
        const t = taskById(id);
        if (t.state === "stopped") return;
        t.state = "stopping";
        scheduleDeregistration(t);
        if (opts.graceful) {
          t.process.signal("SIGTERM");
          t.process.signal("SIGCONT"); // a hung task gets the SIGTERM too once resumed
          const exitedInTime = await Promise.race([
            t.process.exited.then(() => true),
            new Promise<false>((r) => setTimeout(() => r(false), stopTimeoutMs)),
          ]);
          if (exitedInTime) return;
        }
        await t.process.kill();
      },
      hangTask(id) {
        const t = taskById(id);
        if (t.state !== "running") throw new Error(`task ${id} is ${t.state}, can only hang a running task`);
        t.process.signal("SIGSTOP");
        t.state = "hung";
      },
      resumeTask(id) {
        const t = taskById(id);
        if (t.state !== "hung") throw new Error(`task ${id} is ${t.state}, can only resume a hung task`);
        t.process.signal("SIGCONT");
        t.state = "running";
      },
      async stopHello(signal = "SIGTERM") {
        helloProcess.signal(signal);
        return helloProcess.exited;
      },
      logs: (id) => (id === "hello" ? helloProcess.recentLines() : taskById(id).process.recentLines()),
      jsonLines: (id) => (id === "hello" ? helloProcess.lines : taskById(id).process.lines).slice(),
      stop,
    };
  } catch (err) {
    await stop(); // nothing half-started is left behind
    throw err;
  }
}

/** GET / served so far by each running task, from each name task's own /metrics. */
export async function servedByTask(topology: Pick<Topology, "tasks">): Promise<Record<string, number>> {
  const running = topology.tasks().filter((t) => t.state === "running");
  const counts = await Promise.all(running.map((t) => getJson<{ requests: number }>(`${t.url}metrics`)));
  return Object.fromEntries(running.map((t, k) => [t.id, counts[k].requests]));
}
