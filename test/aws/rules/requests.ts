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
const PROVIDER_ONLY = new Set([
  "tagsAll",
  "region",
  // aws.ecs.TaskDefinition
  "skipDestroy",
  "trackLatest",
  // aws.ecs.Service
  "waitForSteadyState",
  "forceNewDeployment",
  "triggers",
  // aws.servicediscovery.Service
  "forceDestroy",
]);

function rest(inputs: Json, mapped: readonly string[]): Json {
  return Object.fromEntries(
    Object.entries(inputs).filter(
      ([k, v]) => !mapped.includes(k) && !PROVIDER_ONLY.has(k) && v !== undefined,
    ),
  );
}

/** An input the API names otherwise, or takes in another shape: its member name and the conversion. */
type Member = string | readonly [name: string, convert: (value: unknown) => unknown];

/**
 * The request of an API whose members are the inputs' names in PascalCase (Cloud Map, API Gateway
 * v2): each input in `same` under that name, each in `other` as it says, every other input as it is.
 */
function pascalCaseRequest(
  inputs: Json,
  same: readonly string[],
  other: Readonly<Record<string, Member>> = {},
): Json {
  const members: [string, unknown][] = [
    ...same.map((key): [string, unknown] => [key[0].toUpperCase() + key.slice(1), inputs[key]]),
    ...Object.entries(other).map(([key, m]): [string, unknown] =>
      typeof m === "string" ? [m, inputs[key]] : [m[0], m[1](inputs[key])],
    ),
  ];
  return withoutUndefined({
    ...rest(inputs, [...same, ...Object.keys(other)]),
    ...Object.fromEntries(members),
  });
}

const cloudMapTags = (tags: unknown) => tagList(tags, "Key", "Value");

/** aws.ecs.TaskDefinition -> ECS RegisterTaskDefinition. The API names members as the inputs do. */
export function registerTaskDefinitionRequest(inputs: Json): Json {
  const { containerDefinitions, tags, ...others } = inputs;
  return withoutUndefined({
    ...rest(others, []),
    containerDefinitions:
      typeof containerDefinitions === "string"
        ? (JSON.parse(containerDefinitions) as unknown)
        : containerDefinitions,
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
    "serviceConnectConfiguration",
    "alarms",
  ];
  const net = inputs.networkConfiguration as Json | undefined;
  const registries = inputs.serviceRegistries as Json | undefined;
  const breaker = inputs.deploymentCircuitBreaker;
  const percents = withoutUndefined({
    maximumPercent: inputs.deploymentMaximumPercent,
    minimumHealthyPercent: inputs.deploymentMinimumHealthyPercent,
    deploymentCircuitBreaker: isEmptyBlock(breaker) ? undefined : breaker,
    // The provider's top-level `alarms` block is the API's deploymentConfiguration.alarms.
    alarms: isEmptyBlock(inputs.alarms) ? undefined : inputs.alarms,
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

/** A health check block as Cloud Map takes it; an empty block is not sent. */
function cloudMapHealthCheck(check: unknown): Json | undefined {
  return isObject(check) && !isEmptyBlock(check)
    ? withoutUndefined({
        Type: check.type,
        ResourcePath: check.resourcePath,
        FailureThreshold: check.failureThreshold,
      })
    : undefined;
}

/** aws.servicediscovery.Service -> Cloud Map CreateService. */
export function createCloudMapServiceRequest(inputs: Json): Json {
  return pascalCaseRequest(inputs, ["name", "namespaceId", "description", "type"], {
    dnsConfig: ["DnsConfig", dnsConfig],
    healthCheckConfig: ["HealthCheckConfig", cloudMapHealthCheck],
    healthCheckCustomConfig: ["HealthCheckCustomConfig", cloudMapHealthCheck],
    tags: ["Tags", cloudMapTags],
  });
}

/** aws.servicediscovery.PrivateDnsNamespace -> Cloud Map CreatePrivateDnsNamespace. */
export function createPrivateDnsNamespaceRequest(inputs: Json): Json {
  return pascalCaseRequest(inputs, ["name", "vpc", "description"], { tags: ["Tags", cloudMapTags] });
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
  return pascalCaseRequest(inputs, ["name", "protocolType", "description", "disableExecuteApiEndpoint"], {
    tags: ["Tags", apiTags],
  });
}

/** aws.apigatewayv2.VpcLink -> CreateVpcLink. */
export function createVpcLinkRequest(inputs: Json): Json {
  return pascalCaseRequest(inputs, ["name", "subnetIds", "securityGroupIds"], { tags: ["Tags", apiTags] });
}

/** aws.apigatewayv2.Integration -> CreateIntegration (`timeoutMilliseconds` is the API's TimeoutInMillis). */
export function createIntegrationRequest(inputs: Json): Json {
  const same = [
    "apiId",
    "integrationType",
    "integrationMethod",
    "connectionType",
    "connectionId",
    "integrationUri",
  ];
  return pascalCaseRequest(inputs, [...same, "payloadFormatVersion", "description"], {
    timeoutMilliseconds: "TimeoutInMillis",
  });
}

/** aws.apigatewayv2.Route -> CreateRoute. */
export function createRouteRequest(inputs: Json): Json {
  return pascalCaseRequest(inputs, ["apiId", "routeKey", "target", "authorizationType"]);
}

/** aws.apigatewayv2.Stage -> CreateStage (`name` is the API's StageName). */
export function createStageRequest(inputs: Json): Json {
  return pascalCaseRequest(inputs, ["apiId", "autoDeploy", "description"], {
    name: "StageName",
    accessLogSettings: [
      "AccessLogSettings",
      (logs) =>
        isObject(logs)
          ? withoutUndefined({ DestinationArn: logs.destinationArn, Format: logs.format })
          : undefined,
    ],
    defaultRouteSettings: [
      "DefaultRouteSettings",
      (route) =>
        isObject(route)
          ? withoutUndefined({
              ThrottlingBurstLimit: route.throttlingBurstLimit,
              ThrottlingRateLimit: route.throttlingRateLimit,
              DetailedMetricsEnabled: route.detailedMetricsEnabled,
              DataTraceEnabled: route.dataTraceEnabled,
              LoggingLevel: route.loggingLevel,
            })
          : undefined,
    ],
    tags: ["Tags", apiTags],
  });
}
