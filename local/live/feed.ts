// The live page's data: one tick every intervalMs reads hello's /metrics once, each running name
// task's /metrics once and the DNS server's counters, then builds one snapshot (model.ts)
// that every connected page receives as the same JSON text. Ticks never overlap, so a slow or
// hung process cannot make requests pile up, however many pages are open.
import * as http from "node:http";
import {
  buildSnapshot,
  detectEvents,
  parseHelloMetrics,
  type About,
  type LiveEvent,
  type LiveSnapshot,
  type TickInput,
} from "./model";
import type { LoadGenerator } from "../load/generator";
import { httpGet } from "../net-util";
import { SERVICE, type Topology } from "../topology/topology";

export interface LiveFeedOptions {
  /** Default 400 ms (2.5 snapshots per second). */
  intervalMs?: number;
  /** Rates and latency quantiles are over this much time. Default 2000 ms. */
  windowMs?: number;
  /** Per /metrics request. Default 300 ms (below the interval). */
  fetchTimeoutMs?: number;
  /** Events kept and sent with each snapshot. Default 100. */
  keepEvents?: number;
  ttlSeconds: number;
  deregisterDelayMs: number;
}

export type SnapshotListener = (json: string, snapshot: LiveSnapshot) => void;

export class LiveFeed {
  /** Ticks so far and /metrics requests sent so far (at most one per process per tick). */
  readonly stats = { ticks: 0, metricsRequests: 0 };
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly keepEvents: number;
  private readonly about: About;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly listeners = new Set<SnapshotListener>();
  private history: TickInput[] = [];
  private events: LiveEvent[] = [];
  private nextEventId = 1;
  private last: { snapshot: LiveSnapshot; json: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly topology: Pick<Topology, "tasks" | "helloUrl" | "dns" | "namespace" | "dnsAddress">,
    private readonly load: Pick<LoadGenerator, "status">,
    options: LiveFeedOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 400;
    this.windowMs = options.windowMs ?? 2000;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 300;
    this.keepEvents = options.keepEvents ?? 100;
    this.about = {
      helloUrl: topology.helloUrl,
      service: SERVICE,
      namespace: topology.namespace,
      dnsAddress: `${topology.dnsAddress.host}:${topology.dnsAddress.port}`,
      ttlSeconds: options.ttlSeconds,
      deregisterDelayMs: options.deregisterDelayMs,
      intervalMs: this.intervalMs,
      windowMs: this.windowMs,
    };
  }

  /** Takes the first snapshot now and keeps ticking until stop(). */
  async start(): Promise<void> {
    await this.tick();
    this.schedule(this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.agent.destroy();
    this.listeners.clear();
  }

  /** The newest snapshot and its JSON text. */
  current(): { snapshot: LiveSnapshot; json: string } | undefined {
    return this.last;
  }

  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      // A bug in one tick must not end the stream: the next tick starts from fresh readings.
      void this.tick()
        .catch((err: Error) => process.stderr.write(`live view: tick failed: ${err.stack ?? err.message}\n`))
        .then(() => this.schedule(Math.max(0, this.intervalMs - (Date.now() - started))));
    }, delayMs);
  }

  private async metrics(url: string): Promise<unknown> {
    this.stats.metricsRequests++;
    const r = await httpGet(url, this.fetchTimeoutMs, this.agent);
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return JSON.parse(r.body);
  }

  private async tick(): Promise<void> {
    const at = Date.now();
    const tasks = this.topology.tasks();
    // A hung task would only time out, and a stopped one refuse: ask the ones that can answer.
    const asked = tasks.filter((t) => t.state === "running" || t.state === "stopping");
    const [hello, ...names] = await Promise.allSettled([
      this.metrics(`${this.topology.helloUrl}metrics`).then(parseHelloMetrics),
      ...asked.map((t) => this.metrics(`${t.url}metrics`)),
    ]);
    if (this.stopped) return;
    const served: Record<string, number> = {};
    names.forEach((r, k) => {
      const requests = r.status === "fulfilled" ? (r.value as { requests?: unknown }).requests : undefined;
      if (typeof requests === "number") served[asked[k].id] = requests;
    });
    const input: TickInput = {
      at,
      tasks,
      served,
      hello: hello.status === "fulfilled" ? hello.value : undefined,
      helloError:
        hello.status === "rejected" ? String((hello.reason as Error).message ?? hello.reason) : undefined,
      dnsQueries: this.topology.dns.queries().total,
      load: this.load.status(),
    };
    this.history = [...this.history.filter((h) => h.at >= at - this.windowMs), input];
    this.stats.ticks++;
    const prev = this.last?.snapshot;
    const snapshot = buildSnapshot(this.history, prev, this.stats.ticks, this.about);
    for (const draft of detectEvents(prev, snapshot))
      this.events.push({ ...draft, id: this.nextEventId++, at });
    this.events = this.events.slice(-this.keepEvents);
    snapshot.events = this.events;
    const json = JSON.stringify(snapshot);
    this.last = { snapshot, json };
    for (const listener of this.listeners) listener(json, snapshot);
  }
}
