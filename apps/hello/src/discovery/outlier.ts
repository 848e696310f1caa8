// Passive outlier ejection: pure rules, the caller owns the clock and the randomness.

// The policy's fields, defaults and bounds are rows of the options table (options.ts, `ejection.*`).
import type { EjectionPolicy } from "./options";
export type { EjectionPolicy };

export interface OutlierState {
  consecutiveFailures: number;
  /** Ejections since the last success: drives the back-off. */
  ejections: number;
  /** Epoch ms until which the target is out of rotation; 0 when in. */
  ejectedUntil: number;
}

export const HEALTHY: OutlierState = Object.freeze({ consecutiveFailures: 0, ejections: 0, ejectedUntil: 0 });

/** Length of the n-th ejection (n >= 1): base * 2^(n-1), capped, minus up to `jitter` of it. */
export function ejectionDurationMs(n: number, policy: EjectionPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(n - 1, 0), 30);
  const capped = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(capped * (1 - policy.jitter * random()));
}

/** How many of `total` targets may be ejected at once: never all of them, none of a single one. */
export function maxEjectable(total: number, maxEjectionPercent: number): number {
  if (total <= 1 || maxEjectionPercent <= 0) return 0;
  return Math.min(total - 1, Math.max(1, Math.floor((total * maxEjectionPercent) / 100)));
}

export function isEjected(state: OutlierState, now: number): boolean {
  return state.ejectedUntil > now;
}

export interface FailureContext {
  now: number;
  /** Targets in the current record set. */
  total: number;
  /** Targets ejected right now (not counting this one). */
  ejectedNow: number;
  random: () => number;
}

/**
 * A failed try. The failure streak is kept across an ejection, so a target that fails its first
 * try after coming back is ejected again at once, for twice as long.
 */
export function recordFailure(
  state: OutlierState,
  policy: EjectionPolicy,
  ctx: FailureContext,
): { state: OutlierState; ejected: boolean } {
  const consecutiveFailures = state.consecutiveFailures + 1;
  const canEject =
    !isEjected(state, ctx.now) &&
    consecutiveFailures >= policy.consecutiveFailures &&
    ctx.ejectedNow < maxEjectable(ctx.total, policy.maxEjectionPercent);
  if (!canEject) return { state: { ...state, consecutiveFailures }, ejected: false };
  const ejections = state.ejections + 1;
  const ejectedUntil = ctx.now + ejectionDurationMs(ejections, policy, ctx.random);
  return { state: { consecutiveFailures, ejections, ejectedUntil }, ejected: true };
}

/** A successful try puts the target back in rotation and forgets its history. */
export function recordSuccess(): OutlierState {
  return HEALTHY;
}
