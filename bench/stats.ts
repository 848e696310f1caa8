// Pure arithmetic of the bench: shares, skew, medians, the printed table.

/** Each task's part of the requests, 0..1, in input order (all zero when nothing was served). */
export function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total === 0 ? 0 : c / total));
}

/**
 * Skew in %: the largest deviation of one task's share from the even share, relative to the
 * even share. 3 tasks with 3400/3300/3300 -> |0.34 - 1/3| / (1/3) = 2 %.
 */
export function skewPercent(counts: readonly number[]): number {
  if (counts.length === 0) return 0;
  const even = 1 / counts.length;
  return (Math.max(...shares(counts).map((s) => Math.abs(s - even))) / even) * 100;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Per-field medians over runs of the same scenario (numeric fields only). */
export function medianOf<T extends Record<string, number>>(runs: readonly T[]): T {
  const out: Record<string, number> = {};
  for (const key of Object.keys(runs[0] ?? {})) out[key] = median(runs.map((r) => r[key]));
  return out as T;
}

/** Columns padded to the widest cell; first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "))
    .join("\n");
}
