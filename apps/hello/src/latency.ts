// Latency of hello's GET / as a cumulative histogram: fixed bucket bounds, counts only ever grow,
// so a reader takes two snapshots and subtracts them for the quantiles of any window it likes.

/** Upper bounds (ms, inclusive) of the buckets; one more bucket counts everything slower. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 3000, 5000, 10_000,
];

export interface LatencyHistogram {
  /** Bucket upper bounds in ms. */
  le: number[];
  /** le.length + 1 counts: counts[i] is requests with le[i-1] < ms <= le[i]; the last one is > le[le.length - 1]. */
  counts: number[];
}

export class LatencyRecorder {
  private readonly counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);

  record(ms: number): void {
    let i = 0;
    while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]) i++;
    this.counts[i] += 1;
  }

  snapshot(): LatencyHistogram {
    return { le: [...LATENCY_BOUNDS_MS], counts: [...this.counts] };
  }
}

/**
 * The q-quantile (0..1) of the requests counted between two readings of a cumulative histogram,
 * interpolated linearly inside its bucket; the overflow bucket reports the largest bound.
 * null when nothing was counted in between or the readings do not match.
 */
export function quantileBetween(
  older: LatencyHistogram | undefined,
  newer: LatencyHistogram,
  q: number,
): number | null {
  const counts = newer.counts.map((c, i) => c - (older?.counts[i] ?? 0));
  if (older && (older.le.length !== newer.le.length || counts.some((c) => c < 0))) return null;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0 || seen + counts[i] < rank) {
      seen += counts[i];
      continue;
    }
    if (i >= newer.le.length) return newer.le[newer.le.length - 1];
    const lower = i === 0 ? 0 : newer.le[i - 1];
    return lower + ((newer.le[i] - lower) * (rank - seen)) / counts[i];
  }
  return newer.le[newer.le.length - 1];
}
