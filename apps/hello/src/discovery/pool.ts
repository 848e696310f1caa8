// The live targets of one service: an undici keep-alive Pool, counters and outlier state for each.
import { Pool } from "undici";
import { pickTarget, type Candidate, type Rotation } from "./balancer";
import {
  HEALTHY,
  isEjected,
  recordFailure,
  recordSuccess,
  type EjectionPolicy,
  type OutlierState,
} from "./outlier";
import { targetKey, type Target } from "./records";
import type { Logger } from "./logger";

export interface TargetState extends Candidate {
  readonly key: string;
  target: Target;
  readonly dispatcher: Pool;
  outstanding: number;
  requests: number;
  failures: number;
  ejectionsTotal: number;
  outlier: OutlierState;
  /** Dropped from DNS: no new requests; its pool closes once the last one finished. */
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
  /** False in proxy mode: the one upstream is never taken out. */
  eject: boolean;
  busySlack: number;
  maxSocketsPerTarget: number;
  /** Bounds undici's own connection attempt (our per-try timer gives up on the try itself). */
  connectTimeoutMs: number;
  log: Logger;
  now: () => number;
  random: () => number;
}

/** undici's origin for a target: IPv6 literals in brackets; a host name is resolved by the OS per connection. */
export function originOf(target: Target): string {
  return `http://${targetKey(target)}`;
}

export class TargetPool {
  private readonly byKey = new Map<string, TargetState>();
  /** The same states as an array: picking walks it without allocating. */
  private list: TargetState[] = [];
  /** Pools of targets that left the record set, closing once their in-flight requests end. */
  private readonly leaving = new Set<Pool>();
  private readonly rotation: Rotation = { cursor: 0 };
  ejections = 0;

  constructor(private readonly opts: PoolOptions) {}

  get size(): number {
    return this.list.length;
  }

  /** Applies a fresh record set: new targets join, vanished ones leave (their pool closes gracefully). */
  update(next: readonly Target[]): void {
    const wanted = new Map(next.map((t) => [targetKey(t), t]));
    for (const [key, state] of this.byKey) {
      if (wanted.has(key)) continue;
      this.byKey.delete(key);
      state.removed = true;
      // In-flight requests finish first (their try timers bound them).
      this.leaving.add(state.dispatcher);
      void state.dispatcher
        .close()
        .catch(() => undefined)
        .finally(() => this.leaving.delete(state.dispatcher));
    }
    for (const [key, target] of wanted) {
      const known = this.byKey.get(key);
      if (known) {
        known.target = target; // SRV priority and weight may change
        known.priority = target.priority;
        known.weight = target.weight;
        continue;
      }
      this.byKey.set(key, {
        key,
        target,
        priority: target.priority,
        weight: target.weight,
        eligible: false,
        dispatcher: new Pool(originOf(target), {
          connections: this.opts.maxSocketsPerTarget,
          pipelining: 1,
          connectTimeout: this.opts.connectTimeoutMs,
          // Our own per-try timers bound the response; undici's would only add a timer per request.
          headersTimeout: 0,
          bodyTimeout: 0,
        }),
        outstanding: 0,
        requests: 0,
        failures: 0,
        ejectionsTotal: 0,
        outlier: HEALTHY,
        removed: false,
      });
    }
    this.list = [...this.byKey.values()];
  }

  /**
   * Next target for a try, never one in `exclude`. Ejected targets are a last resort, used only
   * when every target in rotation was already tried.
   */
  pick(exclude: readonly TargetState[] | undefined): TargetState | undefined {
    const list = this.list;
    const now = this.opts.now();
    for (const s of list)
      s.eligible = (exclude === undefined || !exclude.includes(s)) && !isEjected(s.outlier, now);
    let index = pickTarget(list, this.rotation, this.opts.busySlack, this.opts.random);
    if (index < 0) {
      for (const s of list) s.eligible = exclude === undefined || !exclude.includes(s);
      index = pickTarget(list, this.rotation, this.opts.busySlack, this.opts.random);
      if (index < 0) return undefined;
    }
    return list[index];
  }

  /** True when there are targets and every one of them is ejected right now. */
  allEjected(): boolean {
    const now = this.opts.now();
    return this.list.length > 0 && this.list.every((s) => isEjected(s.outlier, now));
  }

  begin(state: TargetState): void {
    state.outstanding += 1;
    state.requests += 1;
  }

  succeed(state: TargetState): void {
    state.outstanding -= 1;
    if (state.outlier !== HEALTHY) state.outlier = recordSuccess();
  }

  /** The try ended without counting against the target (the caller went away). */
  release(state: TargetState): void {
    state.outstanding -= 1;
  }

  fail(state: TargetState, reason: string): void {
    state.outstanding -= 1;
    state.failures += 1;
    state.debt = 0; // a failing task is owed nothing: the busy guard's turns are for tasks that only lagged
    if (state.removed || !this.opts.eject) return;
    const now = this.opts.now();
    let ejectedNow = 0;
    for (const s of this.list) if (s !== state && isEjected(s.outlier, now)) ejectedNow += 1;
    const result = recordFailure(state.outlier, this.opts.policy, {
      now,
      total: this.list.length,
      ejectedNow,
      random: this.opts.random,
    });
    state.outlier = result.state;
    if (result.ejected) {
      state.ejectionsTotal += 1;
      this.ejections += 1;
      this.opts.log(
        "target ejected",
        {
          target: state.key,
          forMs: result.state.ejectedUntil - now,
          consecutiveFailures: result.state.consecutiveFailures,
          reason,
        },
        "warn",
      );
    }
  }

  metrics(): Record<string, TargetMetrics> {
    const now = this.opts.now();
    const out: Record<string, TargetMetrics> = {};
    for (const s of this.list) {
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

  async close(): Promise<void> {
    const pools = [...this.list.map((s) => s.dispatcher), ...this.leaving];
    this.byKey.clear();
    this.list = [];
    this.leaving.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
