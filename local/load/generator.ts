// Steady traffic through hello for the live page: an open loop at a fixed rate (requests start on
// schedule whether or not earlier ones have finished, like real clients), bounded in rate,
// duration and requests in flight, and only ever aimed at a loopback address.
import * as http from "node:http";
import * as net from "node:net";
import { httpGet } from "../net-util";

export const LOAD_LIMITS = {
  minRate: 1,
  maxRate: 1000,
  maxDurationSeconds: 600,
  /** Beyond this many unanswered requests new ones are skipped (counted), not queued. */
  maxInFlight: 256,
  requestTimeoutMs: 5000,
} as const;

export interface LoadSettings {
  /** Requests per second. */
  rate: number;
  durationSeconds: number;
}

export interface LoadStatus {
  running: boolean;
  rate: number;
  durationSeconds: number;
  startedAt: number | null;
  /** When it stops by itself (epoch ms). */
  endsAt: number | null;
  sent: number;
  ok: number;
  /** Answers other than 200, errors and timeouts. */
  failed: number;
  /** Not sent because maxInFlight requests were still unanswered. */
  skipped: number;
  inFlight: number;
  lastFailure: string | null;
}

/** The status before the first start: nothing sent, nothing running. */
export const LOAD_OFF: Readonly<LoadStatus> = {
  running: false,
  rate: 0,
  durationSeconds: 0,
  startedAt: null,
  endsAt: null,
  sent: 0,
  ok: 0,
  failed: 0,
  skipped: 0,
  inFlight: 0,
  lastFailure: null,
};

export type LoadSettingsResult = { ok: true; settings: LoadSettings } | { ok: false; error: string };

/** Checks a request body such as {"rate":100,"durationSeconds":60}; the error names the field and its range. */
export function parseLoadSettings(body: unknown): LoadSettingsResult {
  if (typeof body !== "object" || body === null)
    return { ok: false, error: 'expected a JSON object such as {"rate":100,"durationSeconds":60}' };
  const { rate, durationSeconds = 60 } = body as Record<string, unknown>;
  const { minRate, maxRate, maxDurationSeconds } = LOAD_LIMITS;
  if (typeof rate !== "number" || !Number.isInteger(rate) || rate < minRate || rate > maxRate) {
    return {
      ok: false,
      error: `rate must be a whole number of requests per second from ${minRate} to ${maxRate}, got ${JSON.stringify(rate)}`,
    };
  }
  if (
    typeof durationSeconds !== "number" ||
    !Number.isInteger(durationSeconds) ||
    durationSeconds < 1 ||
    durationSeconds > maxDurationSeconds
  ) {
    return {
      ok: false,
      error: `durationSeconds must be a whole number from 1 to ${maxDurationSeconds}, got ${JSON.stringify(durationSeconds)}`,
    };
  }
  return { ok: true, settings: { rate, durationSeconds } };
}

/** Throws unless `url` is http:// on 127.0.0.0/8 or ::1: the switch must never send traffic elsewhere. */
export function assertLoopbackUrl(url: string): void {
  const { protocol, hostname } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, "");
  const loopback = (net.isIPv4(host) && host.startsWith("127.")) || host === "::1";
  if (protocol !== "http:" || !loopback)
    throw new Error(`the load generator only targets http:// on a loopback address, got ${url}`);
}

/** Requests due after `elapsedMs` at `rate` per second, minus those already started. */
export function requestsDue(rate: number, elapsedMs: number, started: number): number {
  return Math.max(0, Math.floor((rate * elapsedMs) / 1000) - started);
}

const PACE_MS = 20;

export class LoadGenerator {
  private timer: NodeJS.Timeout | undefined;
  private agent: http.Agent | undefined;
  private state: LoadStatus = { ...LOAD_OFF };
  /** Bumped on each start, so answers of an earlier run do not count in the next one. */
  private run = 0;

  constructor(private readonly targetUrl: string) {
    assertLoopbackUrl(targetUrl);
  }

  status(): LoadStatus {
    return { ...this.state };
  }

  /** Starts (or restarts with new settings) from zeroed counters. */
  start(settings: LoadSettings): LoadStatus {
    this.stop();
    const run = ++this.run;
    const startedAt = Date.now();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.state = {
      ...LOAD_OFF,
      ...settings,
      running: true,
      startedAt,
      endsAt: startedAt + settings.durationSeconds * 1000,
    };
    const agent = this.agent;
    this.timer = setInterval(() => {
      const now = Date.now();
      const endsAt = this.state.endsAt ?? now;
      const due = requestsDue(
        settings.rate,
        Math.min(now, endsAt) - startedAt,
        this.state.sent + this.state.skipped,
      );
      for (let i = 0; i < due; i++) {
        if (this.state.inFlight >= LOAD_LIMITS.maxInFlight) this.state.skipped++;
        else this.send(agent, run);
      }
      if (now >= endsAt) this.stop();
    }, PACE_MS);
    return this.status();
  }

  /** Stops starting requests; those in flight still finish and count. */
  stop(): LoadStatus {
    clearInterval(this.timer);
    this.timer = undefined;
    this.state.running = false;
    const agent = this.agent;
    this.agent = undefined;
    // Idle sockets go now; busy ones once their answer is in (or their timeout passed).
    if (agent) setTimeout(() => agent.destroy(), LOAD_LIMITS.requestTimeoutMs + 100).unref();
    return this.status();
  }

  /** Stops and drops every connection at once (the topology is going away). */
  close(): void {
    const agent = this.agent;
    this.stop();
    agent?.destroy();
  }

  private send(agent: http.Agent, run: number): void {
    this.state.sent++;
    this.state.inFlight++;
    const settle = (failure: string | null) => {
      if (run !== this.run) return;
      this.state.inFlight--;
      if (failure === null) this.state.ok++;
      else {
        this.state.failed++;
        this.state.lastFailure = failure;
      }
    };
    httpGet(this.targetUrl, LOAD_LIMITS.requestTimeoutMs, agent).then(
      (r) => settle(r.status === 200 ? null : `HTTP ${r.status}: ${r.body.slice(0, 160).trim()}`),
      (err: Error) => settle(err.message),
    );
  }
}
