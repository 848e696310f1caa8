// Target choice: round robin, skipping a target that is clearly busier than the least busy one.
//
// Plain round robin gives an exact spread over equal tasks; the busy guard keeps a task that
// accepts connections but stops answering (or slows down) from collecting a round-robin share of
// stuck requests: once its outstanding count exceeds the least busy target's by more than
// `busySlack`, it is passed over until it catches up or is ejected.

export interface Candidate {
  /** Requests in flight on this target. */
  outstanding: number;
  /** False when excluded (already tried for this request, or ejected). */
  eligible: boolean;
}

export interface Pick {
  /** Index into the candidates, -1 when none is eligible. */
  index: number;
  /** Cursor to pass to the next call. */
  cursor: number;
}

export function pickTarget(candidates: readonly Candidate[], cursor: number, busySlack: number): Pick {
  const n = candidates.length;
  let least = Infinity;
  for (const c of candidates) if (c.eligible && c.outstanding < least) least = c.outstanding;
  if (least === Infinity) return { index: -1, cursor };
  const start = ((cursor % n) + n) % n;
  for (let i = 0; i < n; i++) {
    const index = (start + i) % n;
    const c = candidates[index];
    if (c.eligible && c.outstanding <= least + busySlack) return { index, cursor: index + 1 };
  }
  return { index: -1, cursor }; // unreachable: the least busy eligible candidate always qualifies
}
