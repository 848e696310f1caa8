// Entry point for callers that make their own connections (TCP, TLS, database drivers): the target
// set and what configuring it takes, without the HTTP client, so undici is never loaded. Everything
// here is also exported by ./index, which re-exports this entry.
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
  CONNECTION_OPTION_NAMES,
  describeRange,
  readOptionsFromEnv,
} from "./options";
export type { Range, OptionRow, TableOptions, ConnectionOptionName, VariableReader } from "./options";
export { ServiceClientError, InvalidOptionError } from "./errors";
export type { EjectionPolicy } from "./outlier";
export type { DnsServer } from "./dns-servers";
export { parseDnsServer, systemDnsServers } from "./dns-servers";
export type { RecordType, Target } from "./records";
export { jsonLogger, silentLogger } from "./logger";
export type { Logger, LogLevel } from "./logger";
