// A bounded HTTP load generator for the end-to-end tests (node's http client, keep-alive),
// and small helpers to read the apps' metrics.
import * as fs from "node:fs";
import * as http from "node:http";
import { getJson, httpGet } from "../../local/net-util";
import type { Topology } from "../../local/topology";

export interface LoadOptions {
  concurrency: number;
  /** Hard bound on the time requests are started in. */
  durationMs: number;
  /** Hard bound on the number of requests. */
  maxRequests: number;
  /** Per request: a request taking longer counts as failed. */
  timeoutMs?: number;
}

export interface LoadResult {
  ok: number;
  /** One entry per failed request: status or error, and when it happened (ms since the start). */
  failures: string[];
  /** Successful answers per name task, from the body "Hello (from …) Sophia (from name-2)". */
  byTask: Record<string, number>;
  maxLatencyMs: number;
}

export function taskOfBody(body: string): string | undefined {
  return /\(from ([^)]+)\)\s*$/.exec(body.trim())?.[1];
}

export async function runLoad(url: string, o: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const result: LoadResult = { ok: 0, failures: [], byTask: {}, maxLatencyMs: 0 };
  const start = Date.now();
  let started = 0;
  const worker = async () => {
    while (started < o.maxRequests && Date.now() - start < o.durationMs) {
      started++;
      const t0 = Date.now();
      try {
        const r = await httpGet(url, o.timeoutMs ?? 5000, agent);
        if (r.status === 200) {
          result.ok++;
          const task = taskOfBody(r.body) ?? "?";
          result.byTask[task] = (result.byTask[task] ?? 0) + 1;
        } else {
          result.failures.push(`status ${r.status} at ${t0 - start} ms: ${r.body.slice(0, 120)}`);
        }
      } catch (err) {
        result.failures.push(`${(err as Error).message} at ${t0 - start} ms`);
      }
      result.maxLatencyMs = Math.max(result.maxLatencyMs, Date.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  agent.destroy();
  return result;
}

export type HelloMetrics = Record<string, unknown>;

export function helloMetrics(topology: Topology): Promise<HelloMetrics> {
  return getJson<HelloMetrics>(`${topology.helloUrl}metrics`);
}

/** A numeric top-level counter of hello's /metrics; fails clearly when the contract's field is missing. */
export function counter(metrics: HelloMetrics, key: string): number {
  const v = metrics[key];
  if (typeof v !== "number")
    throw new Error(`hello /metrics has no numeric "${key}": ${JSON.stringify(metrics).slice(0, 300)}`);
  return v;
}

/** PIDs of our live child processes (Linux /proc): proves a topology left nothing behind. */
export function childPids(): number[] {
  if (process.platform !== "linux") return [];
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the ")" that closes the command name: state, ppid, …
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) === process.pid && state !== "Z") pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}
