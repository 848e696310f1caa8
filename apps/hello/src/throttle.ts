// Keeps a per-request warning from flooding the log when every request fails (all tasks down).

/** Lets one call through per `intervalMs`; each call let through learns how many were held back. */
export function throttle(
  intervalMs: number,
  now: () => number = Date.now,
): (emit: (suppressed: number) => void) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (emit) => {
    const t = now();
    if (t - last < intervalMs) {
      suppressed += 1;
      return;
    }
    last = t;
    const held = suppressed;
    suppressed = 0;
    emit(held);
  };
}
