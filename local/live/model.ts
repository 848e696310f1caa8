// The live view's numbers as pure functions of what was sampled: rates and shares from counters,
// latency quantiles from histogram differences, the snapshot the page draws, and the event log
// entries found by comparing two snapshots. The sampling itself is in feed.ts.
import { quantileBetween, type LatencyHistogram as Histogram } from "../../apps/hello/src/latency";
import type { LoadStatus } from "../load/generator";
import type { TaskInfo } from "../topology/topology";

export interface Sample {
  at: number;
  value: number;
}

/**
 * Per second, over the samples of the last `windowMs` up to `now`. A series that stopped before
 * `now` (a killed or hung task answers no /metrics) is taken as flat since its last sample: a
 * process that does not answer serves nothing. 0 with too little data or a counter that went back.
 */
export function rateOver(samples: readonly Sample[], windowMs: number, now: number): number {
  if (samples.length === 0) return 0;
  const last = samples[samples.length - 1];
  const series = last.at < now ? [...samples, { at: now, value: last.value }] : samples;
  const newest = series[series.length - 1];
  const base = series.find((s) => s.at >= now - windowMs) ?? newest;
  const seconds = (newest.at - base.at) / 1000;
  if (seconds <= 0 || newest.value < base.value) return 0;
  return (newest.value - base.value) / seconds;
}

/** Each value's fraction of the total (all 0 when the total is 0). */
export function shares(values: readonly number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => (total > 0 ? v / total : 0));
}

// hello's cumulative latency histogram and its quantiles between two readings: the same function
// hello's EMF metrics use, so the page and CloudWatch show the same p50/p99 for the same interval.
export { quantileBetween };
export type { Histogram };

/** The parts of hello's /metrics the page shows; read defensively (fields may be added, none removed). */
export interface HelloReading {
  served: number;
  requests: number;
  retries: number;
  failures: number;
  ejections: number;
  dnsQueries: number;
  responses: Record<string, number>;
  latencyMs: Histogram | undefined;
  lastAnswerAt: number | null;
  ttlSeconds: number | null;
  lastError: string | null;
  /** Per "ip:port" of the current record set. */
  targets: Record<string, { requests: number; failures: number; ejected: boolean }>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** hello's /metrics JSON -> what the page needs; throws when it is not hello's metrics at all. */
export function parseHelloMetrics(json: unknown): HelloReading {
  if (!isRecord(json) || typeof json.requests !== "number" || !isRecord(json.targets)) {
    throw new Error(`not hello's /metrics: ${JSON.stringify(json).slice(0, 200)}`);
  }
  const discovery = isRecord(json.discovery) ? json.discovery : {};
  const latency = json.latencyMs;
  const targets: HelloReading["targets"] = {};
  for (const [key, t] of Object.entries(json.targets)) {
    if (isRecord(t))
      targets[key] = { requests: num(t.requests), failures: num(t.failures), ejected: t.ejected === true };
  }
  const answeredAt =
    typeof discovery.lastAnswerAt === "string" ? Date.parse(discovery.lastAnswerAt) : Number.NaN;
  return {
    served: num(json.served),
    requests: num(json.requests),
    retries: num(json.retries),
    failures: num(json.failures),
    ejections: num(json.ejections),
    dnsQueries: num(json.dnsQueries),
    responses: isRecord(json.responses)
      ? Object.fromEntries(Object.entries(json.responses).map(([k, v]) => [k, num(v)]))
      : {},
    latencyMs:
      isRecord(latency) &&
      Array.isArray(latency.le) &&
      Array.isArray(latency.counts) &&
      latency.counts.length === latency.le.length + 1
        ? { le: latency.le.map(num), counts: latency.counts.map(num) }
        : undefined,
    lastAnswerAt: Number.isNaN(answeredAt) ? null : answeredAt,
    ttlSeconds: typeof discovery.ttlSeconds === "number" ? discovery.ttlSeconds : null,
    lastError: typeof discovery.lastError === "string" ? discovery.lastError : null,
    targets,
  };
}

/** Everything sampled in one tick. */
export interface TickInput {
  at: number;
  tasks: TaskInfo[];
  /** GET / served so far, per task whose /metrics answered in this tick. */
  served: Record<string, number>;
  /** undefined: hello's /metrics did not answer (helloError says why). */
  hello: HelloReading | undefined;
  helloError?: string;
  /** Questions the DNS server received so far. */
  dnsQueries: number;
  load: LoadStatus;
}

export type DisplayState = "starting" | "running" | "draining" | "hung" | "killed" | "stopped" | "exited";

export interface TaskView {
  id: string;
  address: string;
  state: DisplayState;
  /** e.g. "SIGKILL" or "code 1" once it exited. */
  exit: string | null;
  /** DNS lists it right now. */
  registered: boolean;
  /** It is in hello's cached record set. */
  inRecordSet: boolean;
  requestsPerSecond: number;
  /** Fraction of the requests all name tasks served in the window. */
  share: number;
  /** GET / served in total (its last /metrics reading). */
  served: number | null;
  ejected: boolean;
  /** Since when hello keeps it out of rotation (epoch ms). */
  ejectedSince: number | null;
}

export interface RecordView {
  /** Task id, or the raw ip:port when no task has that address. */
  task: string;
  address: string;
  ejected: boolean;
}

export interface HelloView {
  up: boolean;
  error: string | null;
  requestsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  served: number;
  retries: number;
  /** Requests no task answered (hello replied 503). */
  failures: number;
  /** hello's answers to GET / with a status other than 200. */
  notOk: number;
  ejections: number;
  dnsQueries: number;
  recordSet: RecordView[];
  ttlSeconds: number | null;
  /** Until hello asks DNS again (never below 0). */
  ttlRemainingMs: number | null;
  dnsError: string | null;
}

export interface EventDraft {
  kind:
    | "added"
    | "registered"
    | "deregistered"
    | "hung"
    | "resumed"
    | "draining"
    | "killed"
    | "stopped"
    | "exited"
    | "ejected"
    | "back"
    | "records"
    | "load"
    | "hello";
  task?: string;
  text: string;
}

export interface LiveEvent extends EventDraft {
  id: number;
  at: number;
}

/** What does not change while the topology runs. */
export interface About {
  helloUrl: string;
  service: string;
  namespace: string;
  dnsAddress: string;
  ttlSeconds: number;
  deregisterDelayMs: number;
  intervalMs: number;
  windowMs: number;
}

export interface LiveSnapshot {
  seq: number;
  at: number;
  about: About;
  tasks: TaskView[];
  hello: HelloView;
  dns: { queries: number; queriesPerSecond: number };
  load: LoadStatus;
  /** The most recent events, oldest first. */
  events: LiveEvent[];
}

export function displayState(t: Pick<TaskInfo, "state" | "registered" | "exit">): DisplayState {
  switch (t.state) {
    case "hung":
      return "hung";
    case "stopping":
      return "draining";
    case "running":
      return t.registered ? "running" : "starting";
    case "stopped":
      if (t.exit?.signal === "SIGKILL") return "killed";
      return t.exit?.code === 0 ? "stopped" : "exited";
  }
}

function describeExit(t: TaskInfo): string | null {
  if (!t.exit) return null;
  return t.exit.signal ?? `code ${t.exit.code}`;
}

/**
 * The snapshot for the newest tick of `history` (oldest first, the last one is now); `prev` carries
 * what spans ticks (since when a task is ejected). Events are added by the caller.
 */
export function buildSnapshot(
  history: readonly TickInput[],
  prev: LiveSnapshot | undefined,
  seq: number,
  about: About,
): LiveSnapshot {
  const { windowMs } = about;
  const now = history[history.length - 1];
  const at = now.at;
  const series = (pick: (h: TickInput) => number | undefined): Sample[] =>
    history.flatMap((h) => {
      const value = pick(h);
      return value === undefined ? [] : [{ at: h.at, value }];
    });

  const rates = now.tasks.map((t) =>
    rateOver(
      series((h) => h.served[t.id]),
      windowMs,
      at,
    ),
  );
  const taskShares = shares(rates);
  const byAddress = new Map(now.tasks.map((t) => [`${t.ip}:${t.port}`, t.id]));
  const targets = now.hello?.targets ?? {};
  const prevTasks = new Map(prev?.tasks.map((t) => [t.id, t]));

  const tasks: TaskView[] = now.tasks.map((t, k) => {
    const address = `${t.ip}:${t.port}`;
    const target = targets[address];
    const ejected = target?.ejected ?? false;
    const before = prevTasks.get(t.id);
    return {
      id: t.id,
      address,
      state: displayState(t),
      exit: describeExit(t),
      registered: t.registered,
      inRecordSet: target !== undefined,
      requestsPerSecond: rates[k],
      share: taskShares[k],
      served: now.served[t.id] ?? before?.served ?? null,
      ejected,
      ejectedSince: ejected ? (before?.ejected ? before.ejectedSince : at) : null,
    };
  });

  const hello = now.hello;
  const helloHistory = history.filter((h) => h.hello && h.at >= at - windowMs);
  const oldest = helloHistory[0]?.hello;
  const latencyOf = (q: number) =>
    hello?.latencyMs
      ? quantileBetween(helloHistory.length > 1 ? oldest?.latencyMs : undefined, hello.latencyMs, q)
      : null;
  const expiresAt =
    hello?.lastAnswerAt != null && hello.ttlSeconds != null
      ? hello.lastAnswerAt + hello.ttlSeconds * 1000
      : null;

  return {
    seq,
    at,
    about,
    tasks,
    hello: {
      up: hello !== undefined,
      error: hello ? null : (now.helloError ?? "no answer"),
      requestsPerSecond: rateOver(
        series((h) => h.hello?.served),
        windowMs,
        at,
      ),
      p50Ms: latencyOf(0.5),
      p99Ms: latencyOf(0.99),
      served: hello?.served ?? 0,
      retries: hello?.retries ?? 0,
      failures: hello?.failures ?? 0,
      notOk: Object.entries(hello?.responses ?? {}).reduce(
        (sum, [status, n]) => (status === "200" ? sum : sum + n),
        0,
      ),
      ejections: hello?.ejections ?? 0,
      dnsQueries: hello?.dnsQueries ?? 0,
      recordSet: Object.entries(targets)
        .map(([address, t]) => ({ task: byAddress.get(address) ?? address, address, ejected: t.ejected }))
        .sort((a, b) => a.task.localeCompare(b.task, "en", { numeric: true })),
      ttlSeconds: hello?.ttlSeconds ?? null,
      ttlRemainingMs: expiresAt === null ? null : Math.max(0, expiresAt - at),
      dnsError: hello?.lastError ?? null,
    },
    dns: {
      queries: now.dnsQueries,
      queriesPerSecond: rateOver(
        series((h) => h.dnsQueries),
        windowMs,
        at,
      ),
    },
    load: now.load,
    events: [],
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const STATE_EVENTS: Partial<Record<DisplayState, (t: TaskView) => EventDraft>> = {
  hung: (t) => ({
    kind: "hung",
    task: t.id,
    text: `${t.id} hung (SIGSTOP): it accepts connections and answers nothing`,
  }),
  draining: (t) => ({
    kind: "draining",
    task: t.id,
    text: `${t.id} draining (SIGTERM): in-flight requests finish`,
  }),
  killed: (t) => ({ kind: "killed", task: t.id, text: `${t.id} killed (SIGKILL)` }),
  stopped: (t) => ({ kind: "stopped", task: t.id, text: `${t.id} stopped after draining (exit 0)` }),
  exited: (t) => ({ kind: "exited", task: t.id, text: `${t.id} exited on its own (${t.exit ?? "unknown"})` }),
};

/** What changed between two snapshots, as event log entries (none for the first snapshot). */
export function detectEvents(prev: LiveSnapshot | undefined, next: LiveSnapshot): EventDraft[] {
  if (!prev) return [];
  const out: EventDraft[] = [];
  const before = new Map(prev.tasks.map((t) => [t.id, t]));
  for (const t of next.tasks) {
    const p = before.get(t.id);
    if (!p) {
      out.push({ kind: "added", task: t.id, text: `${t.id} started on ${t.address}` });
      if (t.registered) out.push({ kind: "registered", task: t.id, text: `${t.id} registered in DNS` });
      continue;
    }
    if (p.state !== t.state) {
      if (p.state === "hung" && t.state === "running")
        out.push({ kind: "resumed", task: t.id, text: `${t.id} resumed (SIGCONT)` });
      else {
        const event = STATE_EVENTS[t.state]?.(t);
        if (event) out.push(event);
      }
    }
    if (!p.registered && t.registered)
      out.push({ kind: "registered", task: t.id, text: `${t.id} registered in DNS` });
    if (p.registered && !t.registered)
      out.push({ kind: "deregistered", task: t.id, text: `${t.id} deregistered from DNS` });
    if (!p.ejected && t.ejected)
      out.push({ kind: "ejected", task: t.id, text: `hello ejected ${t.id} after failed tries` });
    if (p.ejected && !t.ejected && t.inRecordSet) {
      out.push({
        kind: "back",
        task: t.id,
        text: `${t.id} back in hello's rotation after ${seconds(next.at - (p.ejectedSince ?? next.at))}`,
      });
    }
  }
  const had = new Set(prev.hello.recordSet.map((r) => r.task));
  const has = new Set(next.hello.recordSet.map((r) => r.task));
  const joined = [...has].filter((id) => !had.has(id));
  const left = [...had].filter((id) => !has.has(id));
  if (prev.hello.up && next.hello.up && (joined.length > 0 || left.length > 0)) {
    const change = [...joined.map((id) => `+${id}`), ...left.map((id) => `−${id}`)].join(" ");
    out.push({
      kind: "records",
      text: `hello's record set changed (${change}): ${[...has].join(", ") || "empty"}`,
    });
  }
  if (prev.hello.up && !next.hello.up)
    out.push({ kind: "hello", text: `hello's /metrics does not answer (${next.hello.error})` });
  if (!prev.hello.up && next.hello.up) out.push({ kind: "hello", text: "hello's /metrics answers again" });
  if (!prev.load.running && next.load.running) {
    out.push({
      kind: "load",
      text: `load started: ${next.load.rate} requests/s through hello for at most ${next.load.durationSeconds} s`,
    });
  }
  if (prev.load.running && !next.load.running) {
    // Answers still in flight count later: the log gives what is final, the status line the rest.
    out.push({ kind: "load", text: `load stopped after ${next.load.sent} requests` });
  }
  return out;
}
