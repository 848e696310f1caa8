// The live targets of one service: a keep-alive agent, counters and outlier state for each.
import http from "node:http";
import { pickTarget } from "./balancer";
import { HEALTHY, isEjected, recordFailure, recordSuccess, type EjectionPolicy, type OutlierState } from "./outlier";
import { targetKey, type Target } from "./records";
import type { Logger } from "./logger";

export interface TargetState {
  readonly key: string;
  readonly target: Target;
  readonly agent: http.Agent;
  outstanding: number;
  requests: number;
  failures: number;
  ejectionsTotal: number;
  outlier: OutlierState;
  /** Dropped from DNS: no new requests; the agent goes once the last one finishes. */
  removed: boolean;
}

export interface TargetMetrics {
  requests: number;
  failures: number;
  outstanding: number;
  ejected: boolean;
  ejections: number;
  consecutiveFailures: number;
}

export interface PoolOptions {
  policy: EjectionPolicy;
  busySlack: number;
  maxSocketsPerTarget: number;
  log: Logger;
  now?: () => number;
  random?: () => number;
}

export class TargetPool {
  private readonly targets = new Map<string, TargetState>();
  private cursor = 0;
  ejections = 0;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: PoolOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  get size(): number {
    return this.targets.size;
  }

  /** Applies a fresh record set: new targets join, vanished ones leave (their agent is destroyed). */
  update(next: readonly Target[]): void {
    const wanted = new Map(next.map((t) => [targetKey(t), t]));
    for (const [key, state] of this.targets) {
      if (wanted.has(key)) continue;
      this.targets.delete(key);
      state.removed = true;
      if (state.outstanding === 0) state.agent.destroy();
    }
    for (const [key, target] of wanted) {
      if (this.targets.has(key)) continue;
      this.targets.set(key, {
        key,
        target,
        agent: new http.Agent({ keepAlive: true, maxSockets: this.opts.maxSocketsPerTarget, maxFreeSockets: this.opts.maxSocketsPerTarget, scheduling: "lifo" }),
        outstanding: 0,
        requests: 0,
        failures: 0,
        ejectionsTotal: 0,
        outlier: HEALTHY,
        removed: false,
      });
    }
  }

  /**
   * Next target for a try, never one in `exclude`. Ejected targets are a last resort, used only
   * when every target in rotation was already tried.
   */
  pick(exclude: ReadonlySet<string>): TargetState | undefined {
    const all = [...this.targets.values()];
    const now = this.now();
    const inRotation = all.map((s) => ({ outstanding: s.outstanding, eligible: !exclude.has(s.key) && !isEjected(s.outlier, now) }));
    let choice = pickTarget(inRotation, this.cursor, this.opts.busySlack);
    if (choice.index < 0) {
      const lastResort = all.map((s) => ({ outstanding: s.outstanding, eligible: !exclude.has(s.key) }));
      choice = pickTarget(lastResort, this.cursor, this.opts.busySlack);
      if (choice.index < 0) return undefined;
    }
    this.cursor = choice.cursor;
    return all[choice.index];
  }

  begin(state: TargetState): void {
    state.outstanding += 1;
    state.requests += 1;
  }

  succeed(state: TargetState): void {
    this.end(state);
    state.outlier = recordSuccess();
  }

  fail(state: TargetState, reason: string): void {
    this.end(state);
    state.failures += 1;
    if (state.removed) return;
    const now = this.now();
    let ejectedNow = 0;
    for (const s of this.targets.values()) if (s !== state && isEjected(s.outlier, now)) ejectedNow += 1;
    const result = recordFailure(state.outlier, this.opts.policy, { now, total: this.targets.size, ejectedNow, random: this.random });
    state.outlier = result.state;
    if (result.ejected) {
      state.ejectionsTotal += 1;
      this.ejections += 1;
      this.opts.log("target ejected", { target: state.key, forMs: result.state.ejectedUntil - now, consecutiveFailures: result.state.consecutiveFailures, reason }, "warn");
    }
  }

  metrics(): Record<string, TargetMetrics> {
    const now = this.now();
    const out: Record<string, TargetMetrics> = {};
    for (const s of this.targets.values()) {
      out[s.key] = {
        requests: s.requests,
        failures: s.failures,
        outstanding: s.outstanding,
        ejected: isEjected(s.outlier, now),
        ejections: s.ejectionsTotal,
        consecutiveFailures: s.outlier.consecutiveFailures,
      };
    }
    return out;
  }

  close(): void {
    for (const s of this.targets.values()) s.agent.destroy();
    this.targets.clear();
  }

  private end(state: TargetState): void {
    state.outstanding -= 1;
    if (state.removed && state.outstanding === 0) state.agent.destroy();
  }
}
