// Environment parsing that collects every problem instead of stopping at the first one.
// Each app is built from its own folder, so each carries this file; a test keeps the copies identical.
export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  readonly errors: string[] = [];

  constructor(private readonly env: Env) {}

  /** Integer in [min, max]; `fallback` when unset or empty. */
  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === "") return fallback;
    const value = Number(raw.trim());
    if (!Number.isInteger(value) || value < min || value > max) {
      this.errors.push(
        `${name}=${JSON.stringify(raw)} is invalid: expected an integer from ${min} to ${max}`,
      );
      return fallback;
    }
    return value;
  }

  /** Non-empty string without whitespace; `fallback` when unset or empty. */
  word(name: string, fallback: string): string {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === "") return fallback;
    if (/\s/.test(raw.trim())) {
      this.errors.push(`${name}=${JSON.stringify(raw)} is invalid: expected a value without spaces`);
      return fallback;
    }
    return raw.trim();
  }

  /** `parse` returns undefined for a bad value; `allowed` says what a good one looks like. */
  parsed<T>(
    name: string,
    fallback: T,
    parse: (raw: string) => T | undefined,
    allowed: string,
    required = false,
  ): T {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === "") {
      if (required) this.errors.push(`${name} is required: expected ${allowed}`);
      return fallback;
    }
    const value = parse(raw.trim());
    if (value === undefined) {
      this.errors.push(`${name}=${JSON.stringify(raw)} is invalid: expected ${allowed}`);
      return fallback;
    }
    return value;
  }

  /**
   * The SIGTERM drain's two settings: DRAIN_DELAY_MS (keep serving, default 5 s) must end before
   * DRAIN_TIMEOUT_MS (the whole drain, default 10 s; the container's stop timeout must exceed it).
   */
  drain(): { drainDelayMs: number; drainTimeoutMs: number } {
    const drainDelayMs = this.int("DRAIN_DELAY_MS", 5000, 0, 600_000);
    const drainTimeoutMs = this.int("DRAIN_TIMEOUT_MS", 10_000, 0, 600_000);
    if (drainDelayMs > 0 && drainDelayMs >= drainTimeoutMs) {
      this.errors.push(
        `DRAIN_DELAY_MS (${drainDelayMs}) is invalid: expected less than DRAIN_TIMEOUT_MS (${drainTimeoutMs})`,
      );
    }
    return { drainDelayMs, drainTimeoutMs };
  }

  /** The HTTP server's limits on slow clients (see http-server.ts). */
  serverTimeouts(): { headersTimeoutMs: number; requestTimeoutMs: number } {
    const headersTimeoutMs = this.int("HEADERS_TIMEOUT_MS", 10_000, 100, 600_000);
    const requestTimeoutMs = this.int("REQUEST_TIMEOUT_MS", 30_000, 100, 600_000);
    if (headersTimeoutMs > requestTimeoutMs) {
      this.errors.push(
        `HEADERS_TIMEOUT_MS (${headersTimeoutMs}) is invalid: expected at most REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
      );
    }
    return { headersTimeoutMs, requestTimeoutMs };
  }

  oneOf<T extends string>(name: string, fallback: T, choices: readonly T[]): T {
    const match = (raw: string): T | undefined => choices.find((c) => c.toLowerCase() === raw.toLowerCase());
    return this.parsed(name, fallback, match, `one of ${choices.join(", ")}`);
  }
}
