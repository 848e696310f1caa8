// Public API of the discovery module: everything another Node service needs to call a DNS-discovered service.
export { createServiceClient, IDEMPOTENT_METHODS } from "./client";
export type { ServiceClient, RequestOptions, ServiceResponse, ClientMetrics } from "./client";
// The same discovery, balancing and ejection for callers that make their own connections (TCP, TLS).
export { createTargetSet } from "./target-set";
export type {
  TargetSet,
  TargetSetOptions,
  TargetLease,
  TargetSetMetrics,
  TargetLeaseMetrics,
} from "./target-set";
export {
  OPTIONS,
  CLIENT_DEFAULTS,
  OPTION_LIMITS,
  RECORD_TYPES,
  DISCOVERY_MODES,
  CONNECTION_OPTION_NAMES,
  ENV_OPTION_NAMES,
  describeRange,
  parseServiceUrl,
  readOptionsFromEnv,
} from "./options";
export type {
  ServiceClientOptions,
  ResolvedOptions,
  DiscoveryMode,
  Range,
  OptionRow,
  OptionName,
  TableOptions,
  ConnectionOptionName,
  EnvOptionName,
  VariableReader,
} from "./options";
export {
  ServiceClientError,
  InvalidOptionError,
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
export type { EjectionPolicy } from "./outlier";
export type { DnsServer } from "./dns-servers";
export { parseDnsServer, systemDnsServers } from "./dns-servers";
export type { RecordType, Target } from "./records";
export { jsonLogger, silentLogger } from "./logger";
export type { Logger, LogLevel } from "./logger";
