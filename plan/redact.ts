/**
 * Secrets never reach a plan: values Pulumi marks secret, and properties that hold secret
 * material by their nature (a Secrets Manager value, a password) whether marked or not.
 */

export const REDACTED = "[secret]";

/** The marker key Pulumi puts on serialized secret values. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Inputs that hold secret material by type, marked secret or not. */
const SECRET_INPUTS_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  "aws:secretsmanager/secretVersion:SecretVersion": ["secretString", "secretBinary", "secretStringWo"],
  "aws:ssm/parameter:Parameter": ["value", "insecureValue", "valueWo"],
  "random:index/randomPassword:RandomPassword": ["result"],
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
};

/** Property names that hold secret material wherever they appear. */
const SECRET_KEYS =
  /^(password|passwd|secret|secretString|secretBinary|privateKey|token|apiKey|accessKey|secretAccessKey)$/i;

export function isSecretValue(value: unknown): boolean {
  return typeof value === "object" && value !== null && SECRET_SIG in value;
}

/** A deep copy with every secret replaced by REDACTED. */
export function redact(value: unknown): unknown {
  if (isSecretValue(value)) return REDACTED;
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEYS.test(k) && v !== undefined ? REDACTED : redact(v),
      ]),
    );
  }
  return value;
}

/** A resource's inputs with secrets replaced, including the ones its type always treats as secret. */
export function redactInputs(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const out = redact(inputs) as Record<string, unknown>;
  for (const key of SECRET_INPUTS_BY_TYPE[type] ?? []) {
    if (out[key] !== undefined) out[key] = REDACTED;
  }
  return out;
}
