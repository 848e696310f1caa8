// What hello answers when it cannot greet: a small fixed set of codes and messages. The details
// (which task, which socket error, which limit) go to the log, never into a response: a caller
// learns what happened, not hello's internals.
import { ServiceClientError, type ServiceErrorCode } from "./discovery";

export const ERROR_ANSWERS = {
  STARTING: { status: 503, message: "hello is starting" },
  NAME_NOT_REGISTERED: { status: 503, message: "no name task is registered" },
  NAME_UNAVAILABLE: { status: 503, message: "no name task answered" },
  NAME_BAD_STATUS: { status: 502, message: "name answered with an error" },
  NAME_ANSWER_TOO_LARGE: { status: 502, message: "name's answer was larger than hello accepts" },
  INTERNAL_ERROR: { status: 500, message: "hello failed to answer" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorAnswerCode = keyof typeof ERROR_ANSWERS;

/** The response body: "<CODE>: <message>", one line. */
export function errorBody(code: ErrorAnswerCode): string {
  return `${code}: ${ERROR_ANSWERS[code].message}\n`;
}

const BY_CLIENT_CODE: Partial<Record<ServiceErrorCode, ErrorAnswerCode>> = {
  DISCOVERY_NO_TARGETS: "NAME_NOT_REGISTERED",
  DISCOVERY_DNS_UNAVAILABLE: "NAME_UNAVAILABLE",
  DISCOVERY_ALL_TRIES_FAILED: "NAME_UNAVAILABLE",
  DISCOVERY_DEADLINE_EXCEEDED: "NAME_UNAVAILABLE",
  DISCOVERY_ALL_TARGETS_EJECTED: "NAME_UNAVAILABLE",
  DISCOVERY_RESPONSE_TOO_LARGE: "NAME_ANSWER_TOO_LARGE",
};

/** The answer for an error the discovery client threw (anything else is hello's own fault). */
export function errorAnswerFor(err: unknown): ErrorAnswerCode {
  if (err instanceof ServiceClientError) return BY_CLIENT_CODE[err.code] ?? "INTERNAL_ERROR";
  return "INTERNAL_ERROR";
}
