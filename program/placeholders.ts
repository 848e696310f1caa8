/**
 * Placeholder values: what a committed example stack (Pulumi.prod.yaml) holds where a real
 * account's values go. A stack whose settings still hold one would deploy until AWS refuses it
 * (an unknown account, a certificate that does not exist, a domain nobody owns), leaving half a
 * stack behind. So `up` stops before creating anything, naming each setting; a preview and the
 * offline plan still draw the graph, with a warning. The markers are documented in the README.
 */

/** One kind of placeholder, and how to recognise it in a setting's text. */
export interface PlaceholderMarker {
  readonly pattern: RegExp;
  readonly what: string;
}

/** Every marker, in one place. Values that look real (10.60.0.10) cannot be told apart and are not here. */
export const PLACEHOLDER_MARKERS: readonly PlaceholderMarker[] = [
  { pattern: /(?<!\d)222222222222(?!\d)/, what: "the placeholder AWS account 222222222222" },
  {
    // RFC 2606 reserves these for documentation: nobody can own them, so no certificate or DNS answer exists.
    pattern: /(?<![a-z0-9-])example\.(com|net|org)(?![a-z0-9-])/i,
    what: "a reserved documentation domain (example.com, .net, .org)",
  },
  { pattern: /EXAMPLE/, what: "AWS's documentation marker EXAMPLE" },
  { pattern: /0a1b2c3d4e5f/i, what: "the counting placeholder id 0a1b2c3d4e5f…" },
];

/** A setting that still holds a placeholder. */
export interface Placeholder {
  /** The key as given (`ecs-cloudmap-consul:certificateArn`, or bare). */
  readonly key: string;
  readonly value: string;
  /** What the marker found means. */
  readonly what: string;
}

/** Every setting whose value holds a placeholder marker, in key order. */
export function placeholdersIn(config: Readonly<Record<string, string | undefined>>): Placeholder[] {
  const found: Placeholder[] = [];
  for (const key of Object.keys(config).sort()) {
    const value = config[key];
    if (value === undefined) continue;
    const marker = PLACEHOLDER_MARKERS.find((m) => m.pattern.test(value));
    if (marker) found.push({ key, value, what: marker.what });
  }
  return found;
}

/**
 * The message for these placeholders: an error before `up` (nothing created), a warning for a
 * preview or the offline plan (the graph is still drawn).
 */
export function placeholderMessage(found: readonly Placeholder[], when: "up" | "preview"): string {
  const lines = found.map((p) => `  - ${p.key}: "${p.value}" holds ${p.what}`);
  const head =
    when === "up"
      ? `up refused before creating anything: ${found.length} setting(s) still hold a placeholder; set real values (pulumi config set -s <stack> <key> <value>):`
      : `${found.length} setting(s) still hold a placeholder: a preview draws the graph, but up refuses them until they hold real values:`;
  return `${head}\n${lines.join("\n")}`;
}
