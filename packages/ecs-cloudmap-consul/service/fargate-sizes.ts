/**
 * Fargate task sizes: the cpu units / memory (MiB) pairs AWS accepts. Anything
 * else is rejected at deploy time, so we reject it while reading the settings.
 */
interface MemoryRange {
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

const FARGATE_MEMORY_BY_CPU: ReadonlyMap<number, readonly MemoryRange[]> = new Map([
  [
    256,
    [
      { min: 512, max: 512, step: 1 },
      { min: 1024, max: 2048, step: 1024 },
    ],
  ],
  [512, [{ min: 1024, max: 4096, step: 1024 }]],
  [1024, [{ min: 2048, max: 8192, step: 1024 }]],
  [2048, [{ min: 4096, max: 16384, step: 1024 }]],
  [4096, [{ min: 8192, max: 30720, step: 1024 }]],
  [8192, [{ min: 16384, max: 61440, step: 4096 }]],
  [16384, [{ min: 32768, max: 122880, step: 8192 }]],
]);

/** The cpu values Fargate accepts, ascending. */
export const FARGATE_CPU_VALUES: readonly number[] = [...FARGATE_MEMORY_BY_CPU.keys()];

/** Human-readable list of the memory sizes allowed for a cpu value ("512, 1024, 2048"). */
export function allowedMemoryFor(cpu: number): string {
  const ranges = FARGATE_MEMORY_BY_CPU.get(cpu);
  if (!ranges) return "none (cpu not supported)";
  return ranges
    .map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max} in steps of ${r.step}`))
    .join(", ");
}

/** True iff Fargate accepts this cpu/memory pair. */
export function isValidFargateSize(cpu: number, memory: number): boolean {
  const ranges = FARGATE_MEMORY_BY_CPU.get(cpu);
  if (!ranges) return false;
  return ranges.some((r) => memory >= r.min && memory <= r.max && (memory - r.min) % r.step === 0);
}
