/**
 * A resource input as text for the review: strings as they are, numbers and booleans printed, a
 * missing value as `fallback`, anything else as JSON (never "[object Object]").
 */
export function displayText(value: unknown, fallback = ""): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return JSON.stringify(value);
}
