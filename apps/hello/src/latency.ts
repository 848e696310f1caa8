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
