import { readMetricsSettings, type MetricsSettings } from "./emf";
import { EnvReader, type Env } from "./env";

export interface NameConfig {
  port: number;
  host: string;
  taskName: string;
  responseDelayMs: number;
  /** Keep serving this long after SIGTERM (each answer closing its connection). */
  drainDelayMs: number;
  /** Bounds on a client sending its request head, and its whole request. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  drainTimeoutMs: number;
  /** EMF metrics on stdout (METRICS_INTERVAL_MS, METRICS_STACK). */
  metrics: MetricsSettings;
}

export type ConfigResult = { ok: true; config: NameConfig } | { ok: false; errors: string[] };

/** Reads name's settings; every bad variable is reported, not only the first. */
export function parseNameConfig(env: Env, hostname: string): ConfigResult {
  const read = new EnvReader(env);
  const config: NameConfig = {
    port: read.int("PORT", 3000, 0, 65535),
    host: read.word("HOST", "0.0.0.0"),
    taskName: read.word("TASK_NAME", hostname),
    responseDelayMs: read.int("RESPONSE_DELAY_MS", 0, 0, 60_000),
    ...read.drain(),
    ...read.serverTimeouts(),
    metrics: readMetricsSettings(read),
  };
  return read.errors.length > 0 ? { ok: false, errors: read.errors } : { ok: true, config };
}
