// Environment parsing that collects every problem instead of stopping at the first one.
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
      this.errors.push(`${name}=${JSON.stringify(raw)} is invalid: expected an integer from ${min} to ${max}`);
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
}
