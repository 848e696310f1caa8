// Public API of the discovery module: everything another Node service needs to call a DNS-discovered service.
export { createServiceClient, IDEMPOTENT_METHODS } from "./client";
export type { ServiceClient, RequestOptions, ServiceResponse, ClientMetrics } from "./client";
// The same discovery, balancing and ejection for callers that make their own connections (TCP, TLS):
// everything the connections entry exports, plus what only the HTTP client takes.
export * from "./connections";
export { DISCOVERY_MODES, ENV_OPTION_NAMES, parseServiceUrl } from "./options";
export type {
  ServiceClientOptions,
  ResolvedOptions,
  DiscoveryMode,
  OptionName,
  EnvOptionName,
} from "./options";
export {
  ServiceUnavailableError,
  NoTargetsError,
  DnsUnavailableError,
  AllTriesFailedError,
  DeadlineExceededError,
  AllTargetsEjectedError,
  RequestAbortedError,
  ResponseTooLargeError,
} from "./errors";
export type { ServiceErrorCode } from "./errors";
export type { TargetMetrics } from "./pool";
