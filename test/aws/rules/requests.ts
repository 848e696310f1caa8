/**
 * What the AWS provider sends for a resource's inputs: the API request, built the way the
 * provider builds it, including where it differs from the inputs (empty blocks are dropped).
 * Each builder maps every input it knows and leaves unknown ones in the request, so the API
 * model reports them as unexpected: a new input needs a mapping here before it passes.
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A nested block with no attribute set: the provider sends nothing for it (terraform-provider-aws#44285). */
export function isEmptyBlock(value: unknown): boolean {
  return isObject(value) && Object.values(value).every((v) => v === undefined || v === null);
}

function withoutUndefined(obj: Json): Json {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

function tagList(tags: unknown, keyName: string, valueName: string): Json[] | undefined {
  if (!isObject(tags)) return undefined;
  return Object.entries(tags).map(([k, v]) => ({ [keyName]: k, [valueName]: v }));
}

/** Inputs only the provider reads; they never reach the API. */
const PROVIDER_ONLY = new Set(["tagsAll", "region"]);

function rest(inputs: Json, mapped: readonly string[]): Json {
  return Object.fromEntries(
    Object.entries(inputs).filter(
      ([k, v]) => !mapped.includes(k) && !PROVIDER_ONLY.has(k) && v !== undefined,
    ),
  );
}

/** aws.ecs.TaskDefinition -> ECS RegisterTaskDefinition. The API names members as the inputs do. */
export function registerTaskDefinitionRequest(inputs: Json): Json {
  const { containerDefinitions, tags, skipDestroy: _skip, trackLatest: _track, ...others } = inputs;
  return withoutUndefined({
    ...rest(others, []),
    containerDefinitions:
      typeof containerDefinitions === "string" ? JSON.parse(containerDefinitions) : containerDefinitions,
    tags: tagList(tags, "key", "value"),
  });
}

/** aws.ecs.Service -> ECS CreateService (blocks become lists as the API wants them). */
export function createEcsServiceRequest(inputs: Json): Json {
  const mapped = [
    "name",
    "cluster",
    "taskDefinition",
    "desiredCount",
    "capacityProviderStrategies",
    "networkConfiguration",
    "serviceRegistries",
    "deploymentCircuitBreaker",
    "deploymentMinimumHealthyPercent",
    "deploymentMaximumPercent",
    "enableExecuteCommand",
    "propagateTags",
    "enableEcsManagedTags",
    "loadBalancers",
    "healthCheckGracePeriodSeconds",
    "tags",
    "launchType",
    "platformVersion",
    "waitForSteadyState",
    "forceNewDeployment",
    "triggers",
    "serviceConnectConfiguration",
  ];
  const net = inputs.networkConfiguration as Json | undefined;
  const registries = inputs.serviceRegistries as Json | undefined;
  const breaker = inputs.deploymentCircuitBreaker;
  const percents = withoutUndefined({
    maximumPercent: inputs.deploymentMaximumPercent,
    minimumHealthyPercent: inputs.deploymentMinimumHealthyPercent,
    deploymentCircuitBreaker: isEmptyBlock(breaker) ? undefined : breaker,
  });
  return withoutUndefined({
    ...rest(inputs, mapped),
    serviceName: inputs.name ?? "generated-by-provider",
    cluster: inputs.cluster,
    taskDefinition: inputs.taskDefinition,
    desiredCount: inputs.desiredCount,
    launchType: inputs.launchType,
    platformVersion: inputs.platformVersion,
    capacityProviderStrategy: inputs.capacityProviderStrategies,
    networkConfiguration: net
      ? {
          awsvpcConfiguration: withoutUndefined({
            subnets: net.subnets,
            securityGroups: net.securityGroups,
            assignPublicIp: net.assignPublicIp === true ? "ENABLED" : "DISABLED",
          }),
        }
      : undefined,
    serviceRegistries: registries && !isEmptyBlock(registries) ? [registries] : undefined,
    deploymentConfiguration: Object.keys(percents).length > 0 ? percents : undefined,
    enableExecuteCommand: inputs.enableExecuteCommand,
    propagateTags: inputs.propagateTags,
    enableECSManagedTags: inputs.enableEcsManagedTags,
    loadBalancers:
      Array.isArray(inputs.loadBalancers) && inputs.loadBalancers.length > 0
        ? inputs.loadBalancers
        : undefined,
    healthCheckGracePeriodSeconds: inputs.healthCheckGracePeriodSeconds,
    serviceConnectConfiguration: serviceConnectConfiguration(inputs.serviceConnectConfiguration),
    tags: tagList(inputs.tags, "key", "value"),
  });
}

function dnsConfig(value: unknown): Json | undefined {
  if (!isObject(value)) return undefined;
  return withoutUndefined({
    NamespaceId: value.namespaceId,
    RoutingPolicy: value.routingPolicy,
    DnsRecords: Array.isArray(value.dnsRecords)
      ? value.dnsRecords.map((r: Json) => withoutUndefined({ Type: r.type, TTL: r.ttl }))
      : undefined,
  });
}

/** aws.servicediscovery.Service -> Cloud Map CreateService. An empty block is not sent. */
export function createCloudMapServiceRequest(inputs: Json): Json {
  const mapped = [
    "name",
    "namespaceId",
    "description",
    "dnsConfig",
    "healthCheckConfig",
    "healthCheckCustomConfig",
    "type",
    "tags",
    "forceDestroy",
  ];
  const custom = inputs.healthCheckCustomConfig;
  const check = inputs.healthCheckConfig;
  return withoutUndefined({
    ...rest(inputs, mapped),
    Name: inputs.name,
    NamespaceId: inputs.namespaceId,
    Description: inputs.description,
    DnsConfig: dnsConfig(inputs.dnsConfig),
    HealthCheckConfig:
      isObject(check) && !isEmptyBlock(check)
        ? withoutUndefined({
            Type: check.type,
            ResourcePath: check.resourcePath,
            FailureThreshold: check.failureThreshold,
          })
        : undefined,
    HealthCheckCustomConfig:
      isObject(custom) && !isEmptyBlock(custom)
        ? withoutUndefined({ FailureThreshold: custom.failureThreshold })
        : undefined,
    Type: inputs.type,
    Tags: tagList(inputs.tags, "Key", "Value"),
  });
}

/** aws.servicediscovery.PrivateDnsNamespace -> Cloud Map CreatePrivateDnsNamespace. */
export function createPrivateDnsNamespaceRequest(inputs: Json): Json {
  return withoutUndefined({
    ...rest(inputs, ["name", "vpc", "description", "tags"]),
    Name: inputs.name,
    Vpc: inputs.vpc,
    Description: inputs.description,
    Tags: tagList(inputs.tags, "Key", "Value"),
  });
}

/** Service Connect as ECS takes it: the provider's `clientAlias` blocks are the API's `clientAliases`; a client sends no services. */
function serviceConnectConfiguration(value: unknown): Json | undefined {
  if (!isObject(value)) return undefined;
  const services = Array.isArray(value.services) ? (value.services as Json[]) : [];
  return withoutUndefined({
    enabled: value.enabled,
    namespace: value.namespace,
    services:
      services.length > 0
        ? services.map((s) =>
            withoutUndefined({
              ...rest(s, ["portName", "discoveryName", "clientAlias"]),
              portName: s.portName,
              discoveryName: s.discoveryName,
              clientAliases: s.clientAlias,
            }),
          )
        : undefined,
    logConfiguration: value.logConfiguration,
  });
}

/** apigatewayv2 tags are a map in the API, as in the inputs. */
function apiTags(tags: unknown): Json | undefined {
  return isObject(tags) ? tags : undefined;
}

/** aws.apigatewayv2.Api -> API Gateway v2 CreateApi. */
export function createApiRequest(inputs: Json): Json {
  return withoutUndefined({
    ...rest(inputs, ["name", "protocolType", "description", "disableExecuteApiEndpoint", "tags"]),
    Name: inputs.name,
    ProtocolType: inputs.protocolType,
    Description: inputs.description,
    DisableExecuteApiEndpoint: inputs.disableExecuteApiEndpoint,
    Tags: apiTags(inputs.tags),
  });
}

/** aws.apigatewayv2.VpcLink -> CreateVpcLink. */
export function createVpcLinkRequest(inputs: Json): Json {
  return withoutUndefined({
    ...rest(inputs, ["name", "subnetIds", "securityGroupIds", "tags"]),
    Name: inputs.name,
    SubnetIds: inputs.subnetIds,
    SecurityGroupIds: inputs.securityGroupIds,
    Tags: apiTags(inputs.tags),
  });
}

/** aws.apigatewayv2.Integration -> CreateIntegration (`timeoutMilliseconds` is the API's TimeoutInMillis). */
export function createIntegrationRequest(inputs: Json): Json {
  const mapped = [
    "apiId",
    "integrationType",
    "integrationMethod",
    "connectionType",
    "connectionId",
    "integrationUri",
    "payloadFormatVersion",
    "timeoutMilliseconds",
    "description",
  ];
  return withoutUndefined({
    ...rest(inputs, mapped),
    ApiId: inputs.apiId,
    IntegrationType: inputs.integrationType,
    IntegrationMethod: inputs.integrationMethod,
    ConnectionType: inputs.connectionType,
    ConnectionId: inputs.connectionId,
    IntegrationUri: inputs.integrationUri,
    PayloadFormatVersion: inputs.payloadFormatVersion,
    TimeoutInMillis: inputs.timeoutMilliseconds,
    Description: inputs.description,
  });
}

/** aws.apigatewayv2.Route -> CreateRoute. */
export function createRouteRequest(inputs: Json): Json {
  return withoutUndefined({
    ...rest(inputs, ["apiId", "routeKey", "target", "authorizationType"]),
    ApiId: inputs.apiId,
    RouteKey: inputs.routeKey,
    Target: inputs.target,
    AuthorizationType: inputs.authorizationType,
  });
}

/** aws.apigatewayv2.Stage -> CreateStage (`name` is the API's StageName). */
export function createStageRequest(inputs: Json): Json {
  const logs = inputs.accessLogSettings;
  const route = inputs.defaultRouteSettings;
  return withoutUndefined({
    ...rest(inputs, [
      "apiId",
      "name",
      "autoDeploy",
      "accessLogSettings",
      "defaultRouteSettings",
      "description",
      "tags",
    ]),
    ApiId: inputs.apiId,
    StageName: inputs.name,
    AutoDeploy: inputs.autoDeploy,
    Description: inputs.description,
    AccessLogSettings: isObject(logs)
      ? withoutUndefined({ DestinationArn: logs.destinationArn, Format: logs.format })
      : undefined,
    DefaultRouteSettings: isObject(route)
      ? withoutUndefined({
          ThrottlingBurstLimit: route.throttlingBurstLimit,
          ThrottlingRateLimit: route.throttlingRateLimit,
          DetailedMetricsEnabled: route.detailedMetricsEnabled,
          DataTraceEnabled: route.dataTraceEnabled,
          LoggingLevel: route.loggingLevel,
        })
      : undefined,
    Tags: apiTags(inputs.tags),
  });
}
