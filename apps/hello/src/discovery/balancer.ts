// Target choice: the lowest SRV priority that has an eligible target; within it round robin (or
// RFC 2782 weighted choice when the weights differ), skipping a target that is clearly busier
// than the least busy one.
//
// Plain round robin gives an exact spread over equal tasks; the busy guard keeps a task that
// accepts connections but stops answering (or slows down) from collecting a round-robin share of
// stuck requests: once its outstanding count exceeds the least busy target's by more than
// `busySlack`, it is passed over until it catches up or is ejected.
//
// Called for every try, so it allocates nothing: candidates carry their own `eligible` flag.

export interface Candidate {
  /** Requests in flight on this target. */
  outstanding: number;
  /** False when excluded (already tried for this request, or ejected). */
  eligible: boolean;
  /** SRV priority (lower first); 0 when absent. */
  priority?: number;
  /** SRV weight within its priority; 1 when absent. */
  weight?: number;
}

const priorityOf = (c: Candidate): number => c.priority ?? 0;
const weightOf = (c: Candidate): number => c.weight ?? 1;

/**
 * Index of the candidate to try, or -1 when none is eligible. Round robin starts at `cursor`
 * (pass the last pick + 1); `random` (uniform [0, 1)) is used only when weights differ.
 */
export function pickTarget(candidates: readonly Candidate[], cursor: number, busySlack: number, random: () => number = Math.random): number {
  const n = candidates.length;
  let priority = Infinity;
  for (let i = 0; i < n; i++) {
    const c = candidates[i];
    if (c.eligible && priorityOf(c) < priority) priority = priorityOf(c);
  }
  if (priority === Infinity) return -1;
  let least = Infinity;
  let firstWeight = -1;
  let mixedWeights = false;
  for (let i = 0; i < n; i++) {
    const c = candidates[i];
    if (!c.eligible || priorityOf(c) !== priority) continue;
    if (c.outstanding < least) least = c.outstanding;
    if (firstWeight < 0) firstWeight = weightOf(c);
    else if (weightOf(c) !== firstWeight) mixedWeights = true;
  }
  const limit = least + busySlack;
  if (mixedWeights) return weightedPick(candidates, priority, limit, random);
  const start = cursor % n;
  for (let k = 0; k < n; k++) {
    const index = start + k < n ? start + k : start + k - n;
    const c = candidates[index];
    if (c.eligible && priorityOf(c) === priority && c.outstanding <= limit) return index;
  }
  return -1; // unreachable: the least busy eligible candidate always qualifies
}

/**
 * RFC 2782's selection: weight-0 records first, a random integer in [0, sum of weights], the
 * first record whose running sum reaches it (so weight 0 is chosen only on a 0). Without weight-0
 * records the number is drawn from [1, sum], which makes the shares exactly proportional.
 */
function weightedPick(candidates: readonly Candidate[], priority: number, limit: number, random: () => number): number {
  let sum = 0;
  let firstZero = -1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (!c.eligible || priorityOf(c) !== priority || c.outstanding > limit) continue;
    sum += weightOf(c);
    if (weightOf(c) === 0 && firstZero < 0) firstZero = i;
  }
  const chosen = firstZero >= 0 ? Math.min(sum, Math.floor(random() * (sum + 1))) : 1 + Math.min(sum - 1, Math.floor(random() * sum));
  if (chosen === 0) return firstZero;
  let running = 0;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (!c.eligible || priorityOf(c) !== priority || c.outstanding > limit) continue;
    running += weightOf(c);
    if (running >= chosen) return i;
  }
  return -1; // unreachable: the running sum reaches `sum`
}
