// Target choice: the lowest SRV priority that has an eligible target; within it round robin (or
// RFC 2782 weighted choice when the weights differ), skipping a target that is clearly busier
// than the least busy one.
//
// Plain round robin gives an exact spread over equal tasks; the busy guard keeps a task that
// accepts connections but stops answering from collecting a round-robin share of stuck requests:
// once its outstanding count exceeds the least busy target's by more than `busySlack`, it is
// passed over until it catches up or is ejected. A turn passed over is owed (`debt`) and given
// back as soon as the task is within the slack again, so a task that only lags now and then
// (descheduled on a busy machine) still gets its exact share, and a slower one gets as much as it
// takes within the slack; the owner clears the debt of a task that fails, so a hung task is
// never repaid.
//
// Called for every try, so it allocates nothing: candidates carry their own flags and the
// round-robin position lives in a small object the caller keeps.

export interface Candidate {
  /** Requests in flight on this target. */
  outstanding: number;
  /** False when excluded (already tried for this request, or ejected). */
  eligible: boolean;
  /** SRV priority (lower first); 0 when absent. */
  priority?: number;
  /** SRV weight within its priority; 1 when absent. */
  weight?: number;
  /** Round-robin turns passed over by the busy guard and not yet given back. */
  debt?: number;
}

export interface Rotation {
  /** Where the next round-robin scan starts. */
  cursor: number;
}

/**
 * A bound on owed turns, only so the count cannot grow without end. Repaying never floods a
 * task: a turn is given back only while the task is within the slack.
 */
export const MAX_DEBT = 100_000;

const priorityOf = (c: Candidate): number => c.priority ?? 0;
const weightOf = (c: Candidate): number => c.weight ?? 1;

/**
 * Index of the candidate to try, or -1 when none is eligible; advances `rotation`. `random`
 * (uniform [0, 1)) is used only when weights differ.
 */
export function pickTarget(
  candidates: Candidate[],
  rotation: Rotation,
  busySlack: number,
  random: () => number = Math.random,
): number {
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

  const start = rotation.cursor % n;
  // A turn owed to a task that is within the slack again comes first (the rotation stays put).
  for (let k = 0; k < n; k++) {
    const index = start + k < n ? start + k : start + k - n;
    const c = candidates[index];
    if ((c.debt ?? 0) > 0 && c.eligible && priorityOf(c) === priority && c.outstanding <= limit) {
      c.debt = (c.debt ?? 0) - 1;
      return index;
    }
  }
  for (let k = 0; k < n; k++) {
    const index = start + k < n ? start + k : start + k - n;
    const c = candidates[index];
    if (!c.eligible || priorityOf(c) !== priority) continue;
    if (c.outstanding <= limit) {
      rotation.cursor = index + 1;
      return index;
    }
    c.debt = Math.min(MAX_DEBT, (c.debt ?? 0) + 1); // its turn, passed over: owed
  }
  return -1; // unreachable: the least busy eligible candidate always qualifies
}

/**
 * RFC 2782's selection: weight-0 records first, a random integer in [0, sum of weights], the
 * first record whose running sum reaches it (so weight 0 is chosen only on a 0). Without weight-0
 * records the number is drawn from [1, sum], which makes the shares exactly proportional.
 */
function weightedPick(
  candidates: readonly Candidate[],
  priority: number,
  limit: number,
  random: () => number,
): number {
  let sum = 0;
  let firstZero = -1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (!c.eligible || priorityOf(c) !== priority || c.outstanding > limit) continue;
    sum += weightOf(c);
    if (weightOf(c) === 0 && firstZero < 0) firstZero = i;
  }
  const chosen =
    firstZero >= 0
      ? Math.min(sum, Math.floor(random() * (sum + 1)))
      : 1 + Math.min(sum - 1, Math.floor(random() * sum));
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
