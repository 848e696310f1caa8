// Failures of the discovery client, each with a stable `code` callers can branch on (the style of
// undici's lib/core/errors.js). Messages are for people and may change; codes do not.

export type ServiceErrorCode =
  | "DISCOVERY_INVALID_OPTION"
  | "DISCOVERY_NO_TARGETS"
  | "DISCOVERY_DNS_UNAVAILABLE"
  | "DISCOVERY_ALL_TRIES_FAILED"
  | "DISCOVERY_DEADLINE_EXCEEDED"
  | "DISCOVERY_ALL_TARGETS_EJECTED"
  | "DISCOVERY_RESPONSE_TOO_LARGE"
  | "DISCOVERY_ABORTED";

export class ServiceClientError extends Error {
  readonly code: ServiceErrorCode;

  constructor(message: string, code: ServiceErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ServiceClientError";
    this.code = code;
  }
}

/** createServiceClient (or a request) was given a bad option; `option` names it. */
export class InvalidOptionError extends ServiceClientError {
  constructor(
    readonly option: string,
    expected: string,
    got: unknown,
  ) {
    super(`invalid option ${option}: expected ${expected}, got ${describe(got)}`, "DISCOVERY_INVALID_OPTION");
    this.name = "InvalidOptionError";
  }
}

/** No task could answer. The subclass (and `code`) says why; the message is fit for a 503 body. */
export class ServiceUnavailableError extends ServiceClientError {
  constructor(
    message: string,
    code: ServiceErrorCode,
    /** Tries made (0 when there was nothing to try). */
    readonly tries: number,
    /** One line per failed try: "host:port: reason". */
    readonly reasons: readonly string[],
  ) {
    super(message, code);
    this.name = "ServiceUnavailableError";
  }
}

/** DNS answered: the service has no task (NXDOMAIN, NODATA or an empty set). */
export class NoTargetsError extends ServiceUnavailableError {
  constructor(message: string) {
    super(message, "DISCOVERY_NO_TARGETS", 0, []);
    this.name = "NoTargetsError";
  }
}

/** DNS did not answer (timeout, SERVFAIL, REFUSED, unreachable) and no target is cached. */
export class DnsUnavailableError extends ServiceUnavailableError {
  constructor(
    message: string,
    readonly dnsError: string,
  ) {
    super(message, "DISCOVERY_DNS_UNAVAILABLE", 0, []);
    this.name = "DnsUnavailableError";
  }
}

/** Every try (up to maxTries, each on another task) failed before the deadline. */
export class AllTriesFailedError extends ServiceUnavailableError {
  constructor(message: string, tries: number, reasons: readonly string[]) {
    super(message, "DISCOVERY_ALL_TRIES_FAILED", tries, reasons);
    this.name = "AllTriesFailedError";
  }
}

/** The request's deadline passed before any try succeeded (or before DNS first answered). */
export class DeadlineExceededError extends ServiceUnavailableError {
  constructor(message: string, tries: number, reasons: readonly string[]) {
    super(message, "DISCOVERY_DEADLINE_EXCEEDED", tries, reasons);
    this.name = "DeadlineExceededError";
  }
}

/** Every known task is ejected, and the last-resort tries on them failed too. */
export class AllTargetsEjectedError extends ServiceUnavailableError {
  constructor(message: string, tries: number, reasons: readonly string[]) {
    super(message, "DISCOVERY_ALL_TARGETS_EJECTED", tries, reasons);
    this.name = "AllTargetsEjectedError";
  }
}

/**
 * A task answered with a body larger than maxResponseBytes: the try was cut off at the limit (the
 * connection dropped) and the task counted as failing; not retried, since the request ran.
 */
export class ResponseTooLargeError extends ServiceClientError {
  constructor(
    message: string,
    /** host:port of the task that answered. */
    readonly target: string,
    readonly limit: number,
  ) {
    super(message, "DISCOVERY_RESPONSE_TOO_LARGE");
    this.name = "ResponseTooLargeError";
  }
}

/**
 * The caller's AbortSignal fired, or the caller closed the client: no further try is made;
 * `cause` is the signal's reason (or an Error saying the client was closed).
 */
export class RequestAbortedError extends ServiceClientError {
  constructor(reason: unknown) {
    super("request aborted by the caller", "DISCOVERY_ABORTED", { cause: reason });
    this.name = "AbortError";
  }
}

function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined || typeof value === "number" || typeof value === "boolean" || value === null)
    return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value); // a cycle: "[object Object]"
  }
}
