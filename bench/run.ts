// `npm run bench`: the local topology under fixed-concurrency load (autocannon) for the scenarios
// steady, crash, hang and scale-out. A fresh topology per scenario and run; medians over --runs.
import exit from "exit-x";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { AppProcess } from "../local/topology/app-process";
import { setTimeout as sleep } from "node:timers/promises";
import { getJson } from "../local/net-util";
import { wholeNumberFlag } from "../local/cli/args";
import { servedByTask, startTopology, type Topology } from "../local/topology/topology";
import { median, medianOf, skewPercent, shares, table } from "./stats";

const SCENARIOS = ["steady", "crash", "hang", "scale-out"] as const;
type Scenario = (typeof SCENARIOS)[number];
const DEREGISTER_DELAY_MS = 2000;
const VICTIM = "name-2";
/** Bare proxies (bench/bare-proxy.ts) measured beside hello in the steady scenario. */
const BASELINES = ["bare-undici", "bare-http"] as const;
type Baseline = (typeof BASELINES)[number];

interface BenchOptions {
  durationS: number;
  warmUpS: number;
  connections: number;
  runs: number;
  ttlSeconds: number;
  responseDelayMs: number;
  scenarios: Scenario[];
  verbose: boolean;
  timeline: boolean;
  /** hello tuning variables, e.g. BALANCER_BUSY_SLACK=1000 (repeatable --hello-env). */
  helloEnv: Record<string, string>;
  baselines: Baseline[];
  /** Write V8 CPU profiles of hello (and the baselines) into this directory. */
  profileDir: string | undefined;
}

interface Figures extends Record<string, number> {
  okPerSecond: number;
  p50: number;
  p99: number;
  failed: number;
  served: number;
  skew: number;
  deviationPoints: number;
  dnsPerSecond: number;
  dnsPerTtl: number;
  directRatio: number;
  retries: number;
  ejections: number;
  /** scale-out: seconds from the new task's registration to its first request. */
  scaleOutS: number;
}

interface ScenarioRun {
  figures: Figures;
  shares: Record<string, number>;
  perSecond: number[];
}

const USAGE = `Usage: npm run bench -- [--duration 10] [--warmup 5] [--connections 32] [--runs 1] [--ttl 5]
                        [--delay-ms 0] [--scenarios steady,crash,hang,scale-out] [--timeline] [--hello-env NAME=value]
                        [--baseline bare-undici,bare-http] [--profile DIR] [--verbose]

  --duration     seconds of load per scenario (the event happens at one third)
  --warmup       seconds of unmeasured load first (JIT, pools), on every fresh topology
  --connections  concurrent keep-alive connections to hello
  --runs         repeat every scenario N times and print medians
  --ttl          DNS TTL of the name service in seconds
  --delay-ms     name's RESPONSE_DELAY_MS (simulated work per request)
  --hello-env    NAME=value for hello (its tuning variables), repeatable
  --timeline     print the responses of each second (shows the dip around the event)
  --baseline     in steady, also load bare proxies (no DNS, retries, timeouts, ejection or metrics:
                 round robin over the fixed task list through keep-alive pools) on the same
                 topology, in an order rotated per run, and print hello's share of each
  --profile      write V8 CPU profiles of hello and the baselines into DIR (bench/profile-summary.ts reads them)
  --verbose      pass the processes' log lines through
`;

/** The options, or "help" for --help. */
function parseOptions(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "5" },
      connections: { type: "string", default: "32" },
      runs: { type: "string", default: "1" },
      ttl: { type: "string", default: "5" },
      "delay-ms": { type: "string", default: "0" },
      scenarios: { type: "string", default: SCENARIOS.join(",") },
      verbose: { type: "boolean", default: false },
      timeline: { type: "boolean", default: false },
      "hello-env": { type: "string", multiple: true, default: [] },
      baseline: { type: "string", default: "" },
      profile: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";
  const baselines = values.baseline
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  for (const b of baselines) {
    if (!(BASELINES as readonly string[]).includes(b))
      throw new Error(`--baseline: unknown baseline ${JSON.stringify(b)}; allowed: ${BASELINES.join(", ")}`);
  }
  const scenarios = values.scenarios.split(",").map((s) => s.trim());
  for (const s of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`--scenarios: unknown scenario ${JSON.stringify(s)}; allowed: ${SCENARIOS.join(", ")}`);
  }
  return {
    durationS: wholeNumberFlag("duration", values.duration, 3, 600),
    warmUpS: wholeNumberFlag("warmup", values.warmup, 1, 600),
    connections: wholeNumberFlag("connections", values.connections, 1, 1000),
    runs: wholeNumberFlag("runs", values.runs, 1, 50),
    ttlSeconds: wholeNumberFlag("ttl", values.ttl, 1, 3600),
    responseDelayMs: wholeNumberFlag("delay-ms", values["delay-ms"], 0, 10_000),
    scenarios: scenarios as Scenario[],
    verbose: values.verbose,
    timeline: values.timeline,
    helloEnv: Object.fromEntries(
      values["hello-env"].map((kv) => {
        const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(kv);
        if (!m)
          throw new Error(
            `--hello-env must look like NAME=value (e.g. BALANCER_BUSY_SLACK=8), got ${JSON.stringify(kv)}`,
          );
        return [m[1], m[2]];
      }),
    ),
    baselines: baselines as Baseline[],
    profileDir: values.profile === undefined ? undefined : path.resolve(values.profile),
  };
}

/** hello's metrics counters, read defensively: the bench prints them, it does not depend on their shape. */
async function helloCounter(topology: Topology, key: string): Promise<number> {
  const metrics = await getJson<Record<string, unknown>>(`${topology.helloUrl}metrics`).catch(
    (): Record<string, unknown> => ({}),
  );
  const value = metrics[key];
  return typeof value === "number" ? value : Number.NaN;
}

/** Runs the load; `perSecond` gets the responses completed in each second (for --timeline). */
async function load(
  url: string,
  o: BenchOptions,
  durationS: number,
  perSecond: number[] = [],
): Promise<autocannon.Result> {
  const instance = autocannon({ url, connections: o.connections, duration: durationS, timeout: 10 });
  instance.on("tick", ({ counter }) => perSecond.push(counter));
  return instance;
}

/** Environment that makes a process write its CPU profile into --profile's directory on exit (bench/cpu-profile.ts). */
function profileEnv(o: BenchOptions, name: string): Record<string, string> {
  if (!o.profileDir) return {};
  return {
    NODE_OPTIONS: `--require ${require.resolve("ts-node/register/transpile-only")} --require ${path.join(__dirname, "cpu-profile.ts")}`,
    BENCH_CPU_PROFILE: path.join(o.profileDir, `${name}.cpuprofile`),
  };
}

interface BaselineFigures {
  okPerSecond: number;
  p99: number;
  failed: number;
}

/** One bare proxy over the topology's tasks: started, warmed up, loaded like hello, stopped. */
async function measureBaseline(
  kind: Baseline,
  topology: Topology,
  o: BenchOptions,
  run: number,
): Promise<BaselineFigures> {
  const proc = new AppProcess({
    label: kind,
    script: path.join(__dirname, "bare-proxy.ts"),
    env: {
      BARE_KIND: kind.replace(/^bare-/, ""),
      BARE_TARGETS: topology
        .tasks()
        .map((t) => `${t.ip}:${t.port}`)
        .join(","),
      PORT: "0",
      // The proxy is TypeScript: ts-node compiles it once at start-up (the profiling preload adds it too).
      NODE_OPTIONS: `--require ${require.resolve("ts-node/register/transpile-only")}`,
      ...profileEnv(o, `${kind}-run${run}`),
    },
    startTimeoutMs: 15_000,
    verbose: o.verbose,
  });
  try {
    const { port } = await proc.listening;
    const url = `http://127.0.0.1:${port}/`;
    await load(url, o, o.warmUpS);
    const result = await load(url, o, o.durationS);
    return {
      okPerSecond: result["2xx"] / result.duration,
      p99: result.latency.p99,
      failed: result.non2xx + result.errors,
    };
  } finally {
    proc.signal("SIGTERM");
    await Promise.race([proc.exited, sleep(5000)]);
    await proc.kill();
  }
}

/** Polls a new task's own counter until it served its first request; seconds, NaN after 30 s. */
async function secondsUntilServed(url: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 30_000) {
    const m = await getJson<{ requests: number }>(`${url}metrics`).catch(() => ({ requests: 0 }));
    if (m.requests > 0) return (Date.now() - started) / 1000;
    await sleep(50);
  }
  return Number.NaN;
}

async function runScenario(scenario: Scenario, o: BenchOptions, run: number): Promise<ScenarioRun> {
  const topology = await startTopology({
    nameTasks: 3,
    ttlSeconds: o.ttlSeconds,
    deregisterDelayMs: DEREGISTER_DELAY_MS,
    nameEnv: { RESPONSE_DELAY_MS: String(o.responseDelayMs) },
    helloEnv: { ...o.helloEnv, ...profileEnv(o, `hello-${scenario}-run${run}`) },
    verbose: o.verbose,
  });
  try {
    // Baselines run on the same tasks, before or after hello: the order rotates with the run.
    const baselines = new Map<Baseline, BaselineFigures>();
    const order = scenario === "steady" ? ["hello", ...o.baselines] : ["hello"];
    const rotated = [...order.slice((run - 1) % order.length), ...order.slice(0, (run - 1) % order.length)];
    const helloAt = rotated.indexOf("hello");
    for (const kind of rotated.slice(0, helloAt) as Baseline[])
      baselines.set(kind, await measureBaseline(kind, topology, o, run));

    await load(topology.helloUrl, o, o.warmUpS); // pools, JIT: the first seconds run at a fraction of the speed
    const before = await servedByTask(topology);
    const retriesBefore = await helloCounter(topology, "retries");
    const ejectionsBefore = await helloCounter(topology, "ejections");
    const dnsBefore = topology.dns.queries().total;
    let victimLast: number | undefined;
    let scaleOut: Promise<number> | undefined;

    // The scenario's event a third into the run (the load goes on meanwhile).
    const scenarioEvent = async (): Promise<void> => {
      try {
        if (scenario === "crash") {
          victimLast = (await servedByTask(topology))[VICTIM];
          await topology.stopTask(VICTIM, { graceful: false });
        } else if (scenario === "hang") {
          topology.hangTask(VICTIM);
        } else if (scenario === "scale-out") {
          const added = await topology.addTask(); // resolves once registered in DNS
          scaleOut = secondsUntilServed(added.url);
        }
      } catch (err) {
        process.stderr.write(`bench: ${scenario} event failed: ${(err as Error).message}\n`);
      }
    };
    const event = setTimeout(() => void scenarioEvent(), (o.durationS * 1000) / 3);
    const perSecond: number[] = [];
    const result = await load(topology.helloUrl, o, o.durationS, perSecond);
    clearTimeout(event);
    const dnsQueries = topology.dns.queries().total - dnsBefore;
    if (scenario === "hang") topology.resumeTask(VICTIM);
    await sleep(100);
    const after = await servedByTask(topology);
    if (victimLast !== undefined) after[VICTIM] = victimLast;
    const served: Record<string, number> = {};
    for (const id of Object.keys(after)) served[id] = after[id] - (before[id] ?? 0);
    // Skew over the tasks that served the whole run: in crash/hang/scale-out the victim and
    // the newcomer are uneven by design; the question there is whether the others stay even.
    const wholeRun = Object.keys(served).filter(
      (id) => id in before && (scenario === "steady" || id !== VICTIM),
    );
    const seconds = result.duration;

    let directRatio = Number.NaN;
    if (scenario === "steady") {
      const direct = await load(topology.tasks()[0].url, o, o.durationS);
      directRatio = result["2xx"] / seconds / (direct["2xx"] / direct.duration);
    }
    for (const kind of rotated.slice(helloAt + 1) as Baseline[])
      baselines.set(kind, await measureBaseline(kind, topology, o, run));
    const baselineFigures: Record<string, number> = {};
    for (const [kind, b] of baselines) {
      baselineFigures[`${kind}:okPerSecond`] = b.okPerSecond;
      baselineFigures[`${kind}:p99`] = b.p99;
      baselineFigures[`${kind}:failed`] = b.failed;
      baselineFigures[`${kind}:share`] = result["2xx"] / seconds / b.okPerSecond;
      baselineFigures[`${kind}:p99Ratio`] = result.latency.p99 / b.p99;
    }
    const ids = Object.keys(served).sort();
    const shareList = shares(ids.map((id) => served[id]));
    return {
      figures: {
        okPerSecond: result["2xx"] / seconds,
        p50: result.latency.p50,
        p99: result.latency.p99,
        failed: result.non2xx + result.errors,
        served: Object.values(served).reduce((a, b) => a + b, 0),
        skew: skewPercent(wholeRun.map((id) => served[id])),
        deviationPoints: skewPercent(wholeRun.map((id) => served[id])) / wholeRun.length,
        dnsPerSecond: dnsQueries / seconds,
        dnsPerTtl: dnsQueries / (seconds / o.ttlSeconds),
        directRatio,
        retries: (await helloCounter(topology, "retries")) - retriesBefore,
        ejections: (await helloCounter(topology, "ejections")) - ejectionsBefore,
        scaleOutS: scaleOut ? await scaleOut : Number.NaN,
        ...baselineFigures,
      },
      shares: Object.fromEntries(ids.map((id, k) => [id, shareList[k]])),
      perSecond,
    };
  } finally {
    if (o.profileDir) await topology.stopHello("SIGTERM"); // a normal exit writes the profile
    await topology.stop();
  }
}

const fixed = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

function report(o: BenchOptions, results: Map<Scenario, ScenarioRun[]>): void {
  const rows: string[][] = [
    [
      "scenario",
      "ok req/s",
      "p50 ms",
      "p99 ms",
      "failed",
      "served",
      "skew %",
      "dev pp",
      "shares",
      "DNS q/s",
      "DNS q/TTL",
      "retries",
      "ejections",
      "vs direct",
    ],
  ];
  const medians = new Map<Scenario, Figures>();
  for (const [scenario, runs] of results) {
    const m = medianOf(runs.map((r) => r.figures));
    medians.set(scenario, m);
    const ids = [...new Set(runs.flatMap((r) => Object.keys(r.shares)))].sort();
    const shareText = ids
      .map(
        (id) => `${id.replace(/^name-/, "")}:${fixed(median(runs.map((r) => r.shares[id] ?? 0)) * 100, 1)}`,
      )
      .join(" ");
    rows.push([
      scenario,
      fixed(m.okPerSecond),
      fixed(m.p50, 1),
      fixed(m.p99, 1),
      fixed(m.failed),
      fixed(m.served),
      fixed(m.skew, 2),
      fixed(m.deviationPoints, 2),
      shareText,
      fixed(m.dnsPerSecond, 2),
      fixed(m.dnsPerTtl, 2),
      fixed(m.retries),
      fixed(m.ejections),
      Number.isFinite(m.directRatio) ? `${fixed(m.directRatio * 100)} %` : "-",
    ]);
  }
  process.stdout.write(
    `\n${o.runs > 1 ? `medians of ${o.runs} runs, ` : ""}${o.connections} connections, ${o.durationS} s per scenario, TTL ${o.ttlSeconds} s, name delay ${o.responseDelayMs} ms\n`,
  );
  process.stdout.write(`${table(rows)}\n`);
  process.stdout.write(
    "skew: largest |share - 1/n| / (1/n) over the tasks that served the whole run (dev pp: the same deviation in percentage points); shares in % per task id\n",
  );
  if (Object.keys(o.helloEnv).length > 0)
    process.stdout.write(`hello tuning: ${JSON.stringify(o.helloEnv)}\n`);
  process.stdout.write("\n");

  const steadyMedian = medians.get("steady");
  if (steadyMedian && o.baselines.length > 0) {
    const baselineRows: string[][] = [
      ["steady vs", "ok req/s", "p99 ms", "failed", "hello's throughput", "hello's p99 ratio"],
    ];
    baselineRows.push([
      "hello",
      fixed(steadyMedian.okPerSecond),
      fixed(steadyMedian.p99, 1),
      fixed(steadyMedian.failed),
      "-",
      "-",
    ]);
    for (const kind of o.baselines) {
      baselineRows.push([
        kind,
        fixed(steadyMedian[`${kind}:okPerSecond`]),
        fixed(steadyMedian[`${kind}:p99`], 1),
        fixed(steadyMedian[`${kind}:failed`]),
        `${fixed(steadyMedian[`${kind}:share`] * 100)} %`,
        `${fixed(steadyMedian[`${kind}:p99Ratio`], 2)}x`,
      ]);
    }
    process.stdout.write(`${table(baselineRows)}\n`);
    process.stdout.write(
      "baselines: same topology and load, measured before or after hello (order rotated per run); share and ratio are medians of the per-run figures\n\n",
    );
  }

  const steady = medians.get("steady");
  const checks: Array<[string, boolean]> = [];
  for (const s of ["crash", "hang"] as const) {
    const m = medians.get(s);
    if (!m) continue;
    checks.push([`${s}: zero failed requests (${fixed(m.failed)})`, m.failed === 0]);
    if (steady)
      checks.push([
        `${s}: throughput >= 80 % of steady (${fixed((m.okPerSecond / steady.okPerSecond) * 100)} %)`,
        m.okPerSecond >= 0.8 * steady.okPerSecond,
      ]);
  }
  if (steady) {
    checks.push([
      `steady: skew <= 1 % (${fixed(steady.skew, 2)} %) over >= 10000 requests (${fixed(steady.served)})`,
      steady.skew <= 1 && steady.served >= 10_000,
    ]);
  }
  for (const [s, m] of medians)
    checks.push([`${s}: <= 1 DNS query per TTL (${fixed(m.dnsPerTtl, 2)})`, m.dnsPerTtl <= 1]);
  const scaleOut = medians.get("scale-out");
  if (scaleOut) {
    checks.push([
      `scale-out: the new task served within TTL + 1 s (${fixed(scaleOut.scaleOutS, 1)} s <= ${o.ttlSeconds + 1} s)`,
      scaleOut.scaleOutS <= o.ttlSeconds + 1,
    ]);
  }
  if (steady && o.baselines.includes("bare-undici")) {
    const share = steady["bare-undici:share"];
    const ratio = steady["bare-undici:p99Ratio"];
    checks.push([`steady: throughput >= 90 % of bare-undici (${fixed(share * 100)} %)`, share >= 0.9]);
    checks.push([`steady: p99 <= 1.2x bare-undici's (${fixed(ratio, 2)}x)`, ratio <= 1.2]);
  }
  for (const [text, ok] of checks) process.stdout.write(`${ok ? "MET " : "MISS"}  ${text}\n`);
}

async function main(): Promise<number> {
  let o: BenchOptions | "help";
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (o === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (o.profileDir) fs.mkdirSync(o.profileDir, { recursive: true });
  const results = new Map<Scenario, ScenarioRun[]>();
  for (let run = 1; run <= o.runs; run++) {
    for (const scenario of o.scenarios) {
      process.stdout.write(`run ${run}/${o.runs}: ${scenario}… `);
      const r = await runScenario(scenario, o, run);
      process.stdout.write(`${fixed(r.figures.okPerSecond)} ok req/s, ${fixed(r.figures.failed)} failed\n`);
      if (o.timeline) process.stdout.write(`  responses per second: ${r.perSecond.join(" ")}\n`);
      results.set(scenario, [...(results.get(scenario) ?? []), r]);
    }
  }
  report(o, results);
  return 0;
}

main().then(exit, (err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  exit(1);
});
