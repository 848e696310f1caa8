// `npm run bench:live`: what the live page costs the topology. N name tasks, C stream clients and
// optionally the load switch; prints snapshots per second, /metrics requests per tick, snapshot
// size and the CPU time of the process that samples, per tick. Medians over --runs.
import exit from "exit-x";
import * as http from "node:http";
import { parseArgs } from "node:util";
import { startLiveServer } from "../local/live/server";
import { setTimeout as sleep } from "node:timers/promises";
import { wholeNumberFlag } from "../local/cli/args";
import { startTopology } from "../local/topology/topology";
import { median, table } from "./stats";

const USAGE = `Usage: npm run bench:live -- [--tasks 50] [--clients 5] [--duration 10] [--rate 0] [--runs 1]

  --tasks     name tasks (1-250)
  --clients   open /events streams (each one reads every snapshot)
  --duration  seconds measured, after 2 s of settling
  --rate      the load switch's requests/s through hello during the run (0 = off)
  --runs      repeat and print medians
`;

interface Figures {
  snapshotsPerSecond: number;
  requestsPerTick: number;
  snapshotKiB: number;
  cpuMsPerTick: number;
  delivered: number;
}

function openStream(url: string): { received: () => number; close: () => void } {
  let count = 0;
  const req = http.get(`${url}events`, { agent: false }, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (count += chunk.split("\n\n").length - 1));
  });
  req.on("error", () => undefined);
  return { received: () => count, close: () => req.destroy() };
}

async function runOnce(o: {
  tasks: number;
  clients: number;
  durationS: number;
  rate: number;
}): Promise<Figures> {
  const topology = await startTopology({ nameTasks: o.tasks, ttlSeconds: 5 });
  const live = await startLiveServer({ topology, ttlSeconds: 5, deregisterDelayMs: 2000 });
  const streams = Array.from({ length: o.clients }, () => openStream(live.url));
  try {
    if (o.rate > 0) live.load.start({ rate: o.rate, durationSeconds: o.durationS + 5 });
    await sleep(2000);
    const before = {
      ...live.feed.stats,
      cpu: process.cpuUsage(),
      at: Date.now(),
      received: streams.map((s) => s.received()),
    };
    await sleep(o.durationS * 1000);
    const cpu = process.cpuUsage(before.cpu);
    const ticks = live.feed.stats.ticks - before.ticks;
    const seconds = (Date.now() - before.at) / 1000;
    const delivered = streams.map((s, k) => s.received() - before.received[k]);
    return {
      snapshotsPerSecond: ticks / seconds,
      requestsPerTick: (live.feed.stats.metricsRequests - before.metricsRequests) / ticks,
      snapshotKiB: Buffer.byteLength(live.feed.current()?.json ?? "") / 1024,
      // Everything this process did: sampling, snapshots, streams (and the load switch when on).
      cpuMsPerTick: (cpu.user + cpu.system) / 1000 / ticks,
      delivered: delivered.length > 0 ? Math.min(...delivered) / ticks : Number.NaN,
    };
  } finally {
    for (const s of streams) s.close();
    await live.close();
    await topology.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tasks: { type: "string", default: "50" },
      clients: { type: "string", default: "5" },
      duration: { type: "string", default: "10" },
      rate: { type: "string", default: "0" },
      runs: { type: "string", default: "1" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return void process.stdout.write(USAGE);
  const o = {
    tasks: wholeNumberFlag("tasks", values.tasks, 1, 250),
    clients: wholeNumberFlag("clients", values.clients, 0, 32),
    durationS: wholeNumberFlag("duration", values.duration, 2, 600),
    rate: wholeNumberFlag("rate", values.rate, 0, 1000),
  };
  const runs = wholeNumberFlag("runs", values.runs, 1, 20);
  const results: Figures[] = [];
  for (let run = 1; run <= runs; run++) {
    process.stdout.write(`run ${run}/${runs}… `);
    results.push(await runOnce(o));
    process.stdout.write("done\n");
  }
  const m = (key: keyof Figures) => median(results.map((r) => r[key]));
  process.stdout.write(
    `\n${runs > 1 ? `medians of ${runs} runs, ` : ""}${o.tasks} name tasks, ${o.clients} stream clients, ${o.durationS} s, load ${o.rate ? `${o.rate} req/s` : "off"}\n`,
  );
  process.stdout.write(
    `${table([
      [
        "snapshots/s",
        "/metrics requests per tick",
        "snapshot KiB",
        "CPU ms per tick",
        "snapshots per client per tick",
      ],
      [
        m("snapshotsPerSecond").toFixed(2),
        m("requestsPerTick").toFixed(1),
        m("snapshotKiB").toFixed(1),
        m("cpuMsPerTick").toFixed(1),
        Number.isNaN(m("delivered")) ? "-" : m("delivered").toFixed(2),
      ],
    ])}\n`,
  );
}

main().then(
  () => exit(0),
  (err: Error) => {
    process.stderr.write(`error: ${err.message}\n\n${USAGE}`);
    exit(1);
  },
);
