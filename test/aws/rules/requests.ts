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
    return Object.fromEntries(Object.entries(inputs).filter(([k, v]) => !mapped.includes(k) && !PROVIDER_ONLY.has(k) && v !== undefined));
}

/** aws.ecs.TaskDefinition -> ECS RegisterTaskDefinition. The API names members as the inputs do. */
export function registerTaskDefinitionRequest(inputs: Json): Json {
    const { containerDefinitions, tags, skipDestroy: _skip, trackLatest: _track, ...others } = inputs;
    return withoutUndefined({
        ...rest(others, []),
        containerDefinitions: typeof containerDefinitions === "string" ? JSON.parse(containerDefinitions) : containerDefinitions,
        tags: tagList(tags, "key", "value"),
    });
}

/** aws.ecs.Service -> ECS CreateService (blocks become lists as the API wants them). */
export function createEcsServiceRequest(inputs: Json): Json {
    const mapped = [
        "name", "cluster", "taskDefinition", "desiredCount", "capacityProviderStrategies", "networkConfiguration", "serviceRegistries",
        "deploymentCircuitBreaker", "deploymentMinimumHealthyPercent", "deploymentMaximumPercent", "enableExecuteCommand", "propagateTags",
        "enableEcsManagedTags", "loadBalancers", "healthCheckGracePeriodSeconds", "tags", "launchType", "platformVersion",
        "waitForSteadyState", "forceNewDeployment", "triggers",
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
            ? { awsvpcConfiguration: withoutUndefined({ subnets: net.subnets, securityGroups: net.securityGroups, assignPublicIp: net.assignPublicIp === true ? "ENABLED" : "DISABLED" }) }
            : undefined,
        serviceRegistries: registries && !isEmptyBlock(registries) ? [registries] : undefined,
        deploymentConfiguration: Object.keys(percents).length > 0 ? percents : undefined,
        enableExecuteCommand: inputs.enableExecuteCommand,
        propagateTags: inputs.propagateTags,
        enableECSManagedTags: inputs.enableEcsManagedTags,
        loadBalancers: Array.isArray(inputs.loadBalancers) && inputs.loadBalancers.length > 0 ? inputs.loadBalancers : undefined,
        healthCheckGracePeriodSeconds: inputs.healthCheckGracePeriodSeconds,
        tags: tagList(inputs.tags, "key", "value"),
    });
}

function dnsConfig(value: unknown): Json | undefined {
    if (!isObject(value)) return undefined;
    return withoutUndefined({
        NamespaceId: value.namespaceId,
        RoutingPolicy: value.routingPolicy,
        DnsRecords: Array.isArray(value.dnsRecords) ? value.dnsRecords.map((r: Json) => withoutUndefined({ Type: r.type, TTL: r.ttl })) : undefined,
    });
}

/** aws.servicediscovery.Service -> Cloud Map CreateService. An empty block is not sent. */
export function createCloudMapServiceRequest(inputs: Json): Json {
    const mapped = ["name", "namespaceId", "description", "dnsConfig", "healthCheckConfig", "healthCheckCustomConfig", "type", "tags", "forceDestroy"];
    const custom = inputs.healthCheckCustomConfig;
    const check = inputs.healthCheckConfig;
    return withoutUndefined({
        ...rest(inputs, mapped),
        Name: inputs.name,
        NamespaceId: inputs.namespaceId,
        Description: inputs.description,
        DnsConfig: dnsConfig(inputs.dnsConfig),
        HealthCheckConfig: isObject(check) && !isEmptyBlock(check)
            ? withoutUndefined({ Type: check.type, ResourcePath: check.resourcePath, FailureThreshold: check.failureThreshold })
            : undefined,
        HealthCheckCustomConfig: isObject(custom) && !isEmptyBlock(custom) ? withoutUndefined({ FailureThreshold: custom.failureThreshold }) : undefined,
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
