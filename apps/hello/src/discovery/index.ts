// Public API of the discovery module: everything another Node service needs to call a DNS-discovered service.
export { createServiceClient, ServiceUnavailableError, CLIENT_DEFAULTS, IDEMPOTENT_METHODS } from "./client";
export type { ServiceClient, ServiceClientOptions, RequestOptions, ServiceResponse, ClientMetrics } from "./client";
export type { TargetMetrics } from "./pool";
export type { EjectionPolicy } from "./outlier";
export type { DnsServer } from "./dns-servers";
export { parseDnsServer, systemDnsServers } from "./dns-servers";
export type { RecordType, Target } from "./records";
export type { Logger } from "./logger";
