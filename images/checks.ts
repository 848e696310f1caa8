// What `npm run images` observes of the images and the running containers. Each function returns
// what it saw; the pass/fail rules are plain functions over those observations.
import { runLoad, type LoadResult } from "../local/load/closed-loop";
import { docker, dockerOut } from "./docker";
import type { ContainerTopology } from "./containers";

export interface ContainerSecurity {
  container: string;
  /** uid of the container's main process (PID 1), read from /proc inside it. */
  uid: number;
  /** The engine's record of --read-only. */
  readOnlyRootfs: boolean;
  /** What writing a file to the world-writable /tmp gave: only a read-only root stops it. */
  writeProbe: string;
}

export async function containerSecurity(container: string): Promise<ContainerSecurity> {
  const status = await dockerOut(["exec", container, "cat", "/proc/1/status"]);
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  const readOnlyRootfs =
    (await dockerOut(["inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", container])) === "true";
  const writeProbe = await docker(["exec", container, "sh", "-c", "echo x > /tmp/write-probe"]).then(
    () => "written",
    (err: Error) => err.message.split("\n").pop() ?? err.message,
  );
  return { container, uid, readOnlyRootfs, writeProbe };
}

export function securityProblems(s: ContainerSecurity): string[] {
  const problems: string[] = [];
  if (!(s.uid > 0)) problems.push(`${s.container} runs as uid ${s.uid}`);
  if (!s.readOnlyRootfs) problems.push(`${s.container} has a writable root filesystem`);
  if (!/read-only file system/i.test(s.writeProbe))
    problems.push(`${s.container}: writing /tmp gave "${s.writeProbe}", not "Read-only file system"`);
  return problems;
}

export async function healthOf(container: string): Promise<{ status: string; probes: number }> {
  const out = await dockerOut([
    "inspect",
    "--format",
    "{{.State.Health.Status}} {{len .State.Health.Log}}",
    container,
  ]);
  const [status, probes] = out.split(" ");
  return { status, probes: Number(probes) };
}

/** The image's user as the engine resolves it with no --user: what the Dockerfile's USER gives. */
export async function imageUid(ref: string): Promise<number> {
  return Number(await dockerOut(["run", "--rm", "--network", "none", "--entrypoint", "id", ref, "-u"]));
}

/** Every path under /app in the image, relative to /app (directories end with "/"). */
export async function appFiles(ref: string): Promise<string[]> {
  const script =
    "const fs=require('fs'),p=require('path');const out=[];" +
    "(function walk(d,r){for(const e of fs.readdirSync(d,{withFileTypes:true})){const rel=r+e.name;" +
    "if(e.isDirectory()){out.push(rel+'/');walk(p.join(d,e.name),rel+'/')}else out.push(rel)}})('/app','');" +
    "process.stdout.write(JSON.stringify(out))";
  return JSON.parse(
    await dockerOut([
      "run",
      "--rm",
      "--network",
      "none",
      "--read-only",
      "--entrypoint",
      "node",
      ref,
      "-e",
      script,
    ]),
  ) as string[];
}

/** npm caches and debug logs left in the image: root's and node's ~/.npm, and /tmp. */
export async function npmLeftovers(ref: string): Promise<string[]> {
  const out = await dockerOut([
    "run",
    "--rm",
    "--network",
    "none",
    "--read-only",
    "--user",
    "0",
    "--entrypoint",
    "sh",
    ref,
    "-c",
    "find /root/.npm /home/node/.npm /tmp -mindepth 1 2>/dev/null; true",
  ]);
  return out.split("\n").filter(Boolean);
}

export interface Lockfile {
  packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
}

/** Packages a production install holds: the lockfile's entries that are not dev-only. */
export function productionPackages(lock: Lockfile): string[] {
  return Object.entries(lock.packages)
    .filter(([key, entry]) => key.startsWith("node_modules/") && !entry.dev)
    .map(([key]) => key)
    .sort();
}

/** Installed packages: every node_modules/<pkg>/package.json (scoped and nested too). */
export function installedPackages(files: readonly string[]): string[] {
  return files
    .filter((f) => /^(node_modules\/(@[^/]+\/)?[^/@][^/]*\/)+package\.json$/.test(f))
    .map((f) => f.replace(/\/package\.json$/, ""))
    .sort();
}

/** What must not be in a runtime image: dev packages, sources or source maps of the build stage. */
export function imageContentProblems(files: readonly string[], lock: Lockfile): string[] {
  const problems: string[] = [];
  const expected = productionPackages(lock);
  const installed = installedPackages(files);
  const extra = installed.filter((p) => !expected.includes(p));
  const missing = expected.filter((p) => !installed.includes(p));
  if (extra.length > 0) problems.push(`packages not in the production set: ${extra.join(", ")}`);
  if (missing.length > 0) problems.push(`production packages missing: ${missing.join(", ")}`);
  const own = files.filter((f) => !f.startsWith("node_modules/"));
  const sources = own.filter(
    (f) =>
      /\.(ts|mts|cts|map)$/.test(f) || f === "src/" || f === "tsconfig.json" || f.endsWith(".tsbuildinfo"),
  );
  if (sources.length > 0) problems.push(`build-stage files: ${sources.join(", ")}`);
  if (!own.includes("dist/server.js") || !own.includes("dist/healthcheck.js"))
    problems.push("dist/server.js or dist/healthcheck.js missing");
  return problems;
}

export interface DrainResult {
  load: LoadResult;
  /** The stopped container's exit code (0: drained; 137: killed). */
  exitCode: number;
  /** Whether it logged {"msg":"drained"}. */
  drained: boolean;
  /** Instances Cloud Map still lists after the stop. */
  listedAfter: string[];
  deregisteredBy?: string;
  stopMs: number;
}

/** `docker stop` on a name task while hello is under load: what the clients and the task saw. */
export async function drainUnderLoad(
  topology: ContainerTopology,
  taskId: string,
  o: { concurrency: number; durationMs: number },
): Promise<DrainResult> {
  const task = topology.tasks().find((t) => t.id === taskId);
  if (!task) throw new Error(`no task ${taskId}`);
  let stopMs = 0;
  const result = await runLoad(topology.helloUrl, {
    concurrency: o.concurrency,
    durationMs: o.durationMs,
    maxRequests: 1_000_000,
    duringAfterMs: Math.round(o.durationMs / 3),
    during: async () => {
      const t0 = Date.now();
      await docker(["stop", task.container]);
      stopMs = Date.now() - t0;
    },
  });
  const exitCode = Number(await dockerOut(["inspect", "--format", "{{.State.ExitCode}}", task.container]));
  const logs = await docker(["logs", task.container]);
  const drained = /"msg":"drained"/.test(logs.stdout);
  const listedAfter = (await topology.instances()).map((i) => i.id);
  const deregisteredBy = topology.deregistrations().find((d) => d.id === taskId)?.cause;
  return { load: result, exitCode, drained, listedAfter, deregisteredBy, stopMs };
}

export function drainProblems(d: DrainResult, taskId: string): string[] {
  const problems: string[] = [];
  if (d.load.failures.length > 0)
    problems.push(`${d.load.failures.length} failed requests, first: ${d.load.failures[0]}`);
  if (d.exitCode !== 0) problems.push(`${taskId} exited ${d.exitCode}, not 0 (a drained exit)`);
  if (!d.drained) problems.push(`${taskId} never logged "drained"`);
  if (d.listedAfter.includes(taskId)) problems.push(`${taskId} is still registered in Cloud Map`);
  if (d.load.ok === 0) problems.push("no request succeeded");
  return problems;
}
