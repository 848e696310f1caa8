/**
 * ecs-cloudmap-consul: ECS Fargate services discovered through AWS Cloud Map and kept in sync with
 * Consul by consul-aws, as components any Pulumi program can use. Every ComponentResource exported
 * here is in the package's schema (`ecs-cloudmap-consul:index:<Class>`), so Python, Go, C# and YAML
 * programs get it through `pulumi package add`; the functions and constants below are for
 * TypeScript programs only (the schema has no functions).
 *
 * Folders: service/ (a Fargate service in a namespace and its building blocks), consul/ (the
 * Consul side: consul-aws, a server, reaching an external Consul, the catalog check), network/
 * (VPC, cluster, namespace, front doors), shared/ (argument rules, names, tags, IAM documents).
 */

// ---- components (the schema) ----
export {
  Network,
  type NetworkArgs,
  type NatStrategy,
  NAT_STRATEGIES,
  networkArgProblems,
} from "./network/network";
export {
  Cluster,
  type ClusterArgs,
  type ContainerInsights,
  CONTAINER_INSIGHTS,
  clusterArgProblems,
} from "./network/cluster";
export {
  Namespace,
  type NamespaceArgs,
  type NamespaceOptions,
  type CleanupOnDeleteArgs,
  namespaceArgProblems,
} from "./network/namespace";
export {
  LoadBalancer,
  type LoadBalancerArgs,
  type LoadBalancerOptions,
  loadBalancerArgProblems,
} from "./network/load-balancer";
export { ApiGateway, type ApiGatewayArgs, apiGatewayArgProblems } from "./network/api-gateway";
export {
  DiscoverableService,
  type DiscoverableServiceArgs,
  type DiscoverableServiceWiring,
  type ServiceConnectArgs,
  type AutoscalingArgs,
  type DeploymentAlarmsArgs,
  discoverableServiceArgProblems,
} from "./service/discoverable-service";
export {
  type ConsulForwarderArgs,
  type ConsulServiceArgs,
  CONSUL_SERVICES_FORMAT,
  FORWARDER_CONTAINER,
  parseConsulServices,
} from "./consul/consul-forwarder";
export {
  ConsulSync,
  type ConsulSyncArgs,
  type ConsulSyncOptions,
  type ConsulSyncWiring,
  consulSyncArgProblems,
  consulAwsImage,
  consulAwsVersion,
  imageDigest,
  parseConsulAddress,
} from "./consul/consul-sync";
export {
  ConsulServer,
  type ConsulServerArgs,
  type ConsulServerOptions,
  ConsulManagementToken,
  type ConsulManagementTokenArgs,
  consulServerArgProblems,
  CONSUL_HTTP_PORT,
} from "./consul/consul-server";
export {
  ConsulReach,
  type ConsulReachArgs,
  type ConsulReachOptions,
  type ConsulDns,
  type ConsulRoute,
  ConsulDnsKind,
  ConsulRouteKind,
  consulReachArgProblems,
  dnsServerProblems,
  ROUTE_ID,
} from "./consul/consul-reach";
export {
  ConsulCatalogCheck,
  type ConsulCatalogCheckArgs,
  CHECK_CONTAINER,
} from "./consul/consul-catalog-check";
export { DestroyRunner, DESTROY_RUNNERS } from "./shared/destroy-runner";

export {
  DiscoveryEnvironment,
  type DiscoveryEnvironmentArgs,
  type EmbeddedConsulArgs,
  type ExternalConsulArgs,
  type EnvironmentConsulArgs,
  type EnvironmentParts,
  type EnvironmentConsulParts,
  discoveryEnvironmentArgProblems,
  environmentParts,
} from "./environment/discovery-environment";

// ---- for TypeScript programs: the rules the components check, names, tags ----
export {
  CAPACITY_STRATEGIES,
  CapacityProvider,
  type CapacityProviderStrategyItem,
  type CapacityStrategy,
  capacityProviderStrategy,
} from "./service/capacity";
export { pinnedImage } from "./service/pinned-image";
export {
  type ArgNames,
  type ArgProblem,
  argName,
  assertValidArgs,
  check,
  cidrsOverlap,
  imageByDigest,
  imageByTagOrDigest,
  integerIn,
  IPV4,
  matches,
  oneOf,
  parseIpv4Cidr,
  SECRET_ARN,
  SECRET_ARN_ALLOWED,
  shownValue,
} from "./shared/arg-checks";
export {
  type CatalogNames,
  type SyncPrefixes,
  DNS_LABEL,
  isDnsName,
  isUnderDomain,
  namesOfCloudMapService,
  namesOfConsulService,
  namesOfServiceConnectService,
  serviceConnectCloudMapName,
} from "./shared/naming";
export { componentTags, createTaggingProvider, type TaggedArgs } from "./shared/tags";
