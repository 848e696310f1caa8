// Bounded closed-loop load through hello: `concurrency` clients on keep-alive connections, each
// sending its next GET when the last one is answered, until the time or the request count runs out.
// What the end-to-end tests and the image checks count failed requests with (the live page's
// open-loop generator is generator.ts).
import * as http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { httpGet } from "../net-util";

export interface LoadOptions {
  concurrency: number;
  /** Hard bound on the time requests are started in. */
  durationMs: number;
  /** Hard bound on the number of requests. */
  maxRequests: number;
  /** Per request: a request taking longer counts as failed. Default 5000 ms. */
  timeoutMs?: number;
  /** Runs once, `duringAfterMs` into the load (e.g. a `docker stop`); the load goes on meanwhile. */
  during?: () => Promise<void>;
  duringAfterMs?: number;
}

export interface LoadResult {
  ok: number;
  /** One entry per failed request: status or error, and when it started (ms since the start). */
  failures: string[];
  /** Successful answers per name task, from the body "Hello (from …) Sophia (from name-2)". */
  byTask: Record<string, number>;
  maxLatencyMs: number;
}

/** The name task in hello's answer "Hello (from hello-1) Sophia (from name-3)"; undefined for any other body. */
export function taskOfAnswer(body: string): string | undefined {
  return /^Hello \(from [^)]+\) \S+ \(from ([^)]+)\)$/.exec(body.trim())?.[1];
}

/** A request counts as ok only with status 200 and a well-formed answer. */
export async function runLoad(url: string, o: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const result: LoadResult = { ok: 0, failures: [], byTask: {}, maxLatencyMs: 0 };
  const start = Date.now();
  let started = 0;
  const client = async (): Promise<void> => {
    while (started < o.maxRequests && Date.now() - start < o.durationMs) {
      started++;
      const t0 = Date.now();
      try {
        const r = await httpGet(url, o.timeoutMs ?? 5000, agent);
        const task = taskOfAnswer(r.body);
        if (r.status === 200 && task !== undefined) {
          result.ok++;
          result.byTask[task] = (result.byTask[task] ?? 0) + 1;
        } else {
          result.failures.push(`status ${r.status} at ${t0 - start} ms: ${r.body.slice(0, 160)}`);
        }
      } catch (err) {
        result.failures.push(`${(err as Error).message} at ${t0 - start} ms`);
      }
      result.maxLatencyMs = Math.max(result.maxLatencyMs, Date.now() - t0);
    }
  };
  const during = o.during ? sleep(o.duringAfterMs ?? 0).then(o.during) : Promise.resolve();
  try {
    await Promise.all([...Array.from({ length: o.concurrency }, client), during]);
  } finally {
    agent.destroy();
  }
  return result;
}
