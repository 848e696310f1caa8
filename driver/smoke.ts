import * as http from "http";
import * as https from "https";
import { DEFAULT_MIN_DISTINCT_TASKS, DEFAULT_SMOKE_DEADLINE_MS, DEFAULT_SMOKE_REQUESTS } from "./args";

/** hello's answer per the app contract: "Hello (from <hello host>) <first name> (from <name task>)". */
export const HELLO_ANSWER = /^Hello \(from (.+?)\) (.+?) \(from (.+)\)$/;

export interface SmokeOptions {
  /** Requests per sampling round once hello answers; default 20. */
  requests?: number;
  /** Give up after this long, settling included; default 120 s. */
  deadlineMs?: number;
  /** Distinct name tasks that must answer; default 2 (discovery + client-side balancing work). */
  minDistinctTasks?: number;
  /** Per-request timeout; default 5 s (capped by the time left). */
  requestTimeoutMs?: number;
}

export interface SmokeResult {
  ok: boolean;
  url: string;
  /** Requests sent in total, settling included. */
  attempts: number;
  /** Requests that answered in the contract shape. */
  goodAnswers: number;
  nameTasks: string[];
  helloHosts: string[];
  minDistinctTasks: number;
  elapsedMs: number;
  /** The first well-formed answer, as evidence in logs and the PR comment. */
  sample?: string;
  /** Why it failed, in words a person can act on. */
  failure?: string;
}

type Answer =
  { kind: "answer"; status: number; body: string } | { kind: "error"; code: string; message: string };

const MAX_BODY = 2000;

/** One GET without keep-alive, so successive requests may land on different hello tasks behind the ALB. */
export function getOnce(url: string, timeoutMs: number): Promise<Answer> {
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve) => {
    const req = client.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on("end", () =>
        resolve({ kind: "answer", status: res.statusCode ?? 0, body: body.slice(0, MAX_BODY) }),
      );
      res.on("error", (err: NodeJS.ErrnoException) =>
        resolve({ kind: "error", code: err.code ?? "EIO", message: err.message }),
      );
    });
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })),
    );
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ kind: "error", code: err.code ?? "EIO", message: err.message }),
    );
  });
}

/** What a failed request means, for the final message. */
export function describeFailure(url: string, answer: Answer): string {
  if (answer.kind === "error") {
    switch (answer.code) {
      case "ECONNREFUSED":
        return `nothing listening at ${url} (connection refused)`;
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return `cannot resolve the host of ${url} (${answer.code})`;
      case "ETIMEDOUT":
        return `${url} did not answer in time (${answer.message})`;
      case "ECONNRESET":
        return `${url} closed the connection without an answer`;
      default:
        return `${url} failed: ${answer.code} ${answer.message}`;
    }
  }
  if (answer.status !== 200) return `${url} answered HTTP ${answer.status}: ${quote(answer.body)}`;
  return `${url} answered 200 with an unexpected body ${quote(answer.body)}; expected "Hello (from <host>) <name> (from <task>)"`;
}

function quote(body: string): string {
  const oneLine = body.trim().replace(/\s+/g, " ");
  return JSON.stringify(oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine);
}

/** Backoff while the ALB and tasks settle: 250 ms doubling to 5 s. */
export function backoffMs(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Proves a deployment end to end: waits (bounded, with backoff) until hello answers, then sends
 * rounds of `requests` GETs until answers have come from `minDistinctTasks` distinct name tasks
 * or the deadline passes. Every answer must be 200 in the contract shape once hello is up; a 200
 * of the wrong shape fails at once (it is the wrong service, waiting will not fix it).
 */
export async function smokeTest(url: string, options: SmokeOptions = {}): Promise<SmokeResult> {
  const requests = options.requests ?? DEFAULT_SMOKE_REQUESTS;
  const deadlineMs = options.deadlineMs ?? DEFAULT_SMOKE_DEADLINE_MS;
  const minDistinctTasks = options.minDistinctTasks ?? DEFAULT_MIN_DISTINCT_TASKS;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  const started = Date.now();
  const deadline = started + deadlineMs;
  const nameTasks = new Set<string>();
  const helloHosts = new Set<string>();
  let attempts = 0;
  let goodAnswers = 0;
  let sample: string | undefined;

  const result = (failure?: string): SmokeResult => ({
    ok: failure === undefined,
    url,
    attempts,
    goodAnswers,
    nameTasks: [...nameTasks].sort(),
    helloHosts: [...helloHosts].sort(),
    minDistinctTasks,
    elapsedMs: Date.now() - started,
    sample,
    failure,
  });
  const ask = async (): Promise<{ answer: Answer; match: RegExpExecArray | null }> => {
    attempts++;
    const timeout = Math.max(100, Math.min(requestTimeoutMs, deadline - Date.now()));
    const answer = await getOnce(url, timeout);
    const match =
      answer.kind === "answer" && answer.status === 200 ? HELLO_ANSWER.exec(answer.body.trim()) : null;
    if (match) {
      goodAnswers++;
      sample ??= answer.kind === "answer" ? answer.body.trim() : undefined;
      helloHosts.add(match[1]);
      nameTasks.add(match[3]);
    }
    return { answer, match };
  };
  const isWrongShape = (answer: Answer) => answer.kind === "answer" && answer.status === 200;

  // Phase 1: settle. Refused connections, 5xx and timeouts are expected while targets register.
  for (let retry = 0; ; retry++) {
    const { answer, match } = await ask();
    if (match) break;
    if (isWrongShape(answer)) return result(describeFailure(url, answer));
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const seconds = Math.round((Date.now() - started) / 1000);
      return result(`${describeFailure(url, answer)}; gave up after ${attempts} attempts over ${seconds}s`);
    }
    await sleep(Math.min(backoffMs(retry), remaining)); // the last try lands on the deadline
  }

  // Phase 2: sample in rounds until enough distinct name tasks answered (bounded by the deadline).
  while (nameTasks.size < minDistinctTasks) {
    for (let i = 0; i < requests && Date.now() < deadline; i++) {
      const { answer, match } = await ask();
      if (!match)
        return result(`after hello came up, request ${attempts} failed: ${describeFailure(url, answer)}`);
    }
    if (nameTasks.size >= minDistinctTasks) break;
    if (Date.now() + 1000 >= deadline) {
      return result(
        `answers came from ${nameTasks.size} distinct name task(s) (${[...nameTasks].join(", ")}) over ${goodAnswers} answers; ` +
          `expected at least ${minDistinctTasks}: discovery or client-side balancing is not spreading requests over the name tasks`,
      );
    }
    await sleep(1000); // let DNS TTLs expire and new tasks register before the next round
  }
  return result();
}

export function formatSmokeResult(r: SmokeResult): string {
  const seconds = (r.elapsedMs / 1000).toFixed(1);
  if (!r.ok) return `smoke test FAILED at ${r.url}: ${r.failure}`;
  return (
    `smoke test passed at ${r.url} in ${seconds}s: ${r.goodAnswers} good answers from ` +
    `${r.nameTasks.length} name task(s) [${r.nameTasks.join(", ")}] via ${r.helloHosts.length} hello host(s) ` +
    `(required ≥${r.minDistinctTasks}); e.g. "${r.sample}"`
  );
}
