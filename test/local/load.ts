// Small helpers of the end-to-end tests: hello's metrics, and the child processes left behind.
// (Their load is local/load/closed-loop.ts.)
import * as fs from "node:fs";
import { getJson } from "../../local/net-util";
import type { Topology } from "../../local/topology/topology";

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
