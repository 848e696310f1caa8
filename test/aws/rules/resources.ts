/**
 * Checks of declared resources against AWS's rules: the API model (through the request the
 * provider sends) plus the few cross-field rules AWS documents but the model cannot express.
 * Each returns findings (empty = fine), so tests can assert both ways and others can add types.
 */
import { validateRequest } from "./api-models";
import {
  createApiRequest,
  createCloudMapServiceRequest,
  createEcsServiceRequest,
  createIntegrationRequest,
  createPrivateDnsNamespaceRequest,
  createRouteRequest,
  createStageRequest,
  createVpcLinkRequest,
  isEmptyBlock,
  registerTaskDefinitionRequest,
} from "./requests";

type Json = Record<string, unknown>;

interface ContainerJson {
  name?: string;
  portMappings?: { containerPort?: number; hostPort?: number }[];
  dependsOn?: { containerName?: string }[];
  mountPoints?: { sourceVolume?: string }[];
}

/** RegisterTaskDefinition as the provider sends it, plus awsvpc and volume/dependency references. */
export function checkTaskDefinition(inputs: Json): string[] {
  const request = registerTaskDefinitionRequest(inputs);
  const findings = validateRequest("ecs", "RegisterTaskDefinition", request);
  const containers = (request.containerDefinitions ?? []) as ContainerJson[];
  const names = new Set(containers.map((c) => c.name));
  const volumes = new Set(((request.volumes ?? []) as { name?: string }[]).map((v) => v.name));
  for (const c of containers) {
    for (const p of c.portMappings ?? []) {
      // awsvpc: "the hostPort can be left blank or it must be the same value as the containerPort".
      if (request.networkMode === "awsvpc" && p.hostPort !== undefined && p.hostPort !== p.containerPort)
        findings.push(
          `${c.name}: hostPort ${p.hostPort} differs from containerPort ${p.containerPort} in awsvpc mode`,
        );
    }
    for (const d of c.dependsOn ?? [])
      if (!names.has(d.containerName))
        findings.push(`${c.name}: dependsOn names no container ${d.containerName}`);
    for (const m of c.mountPoints ?? [])
      if (!volumes.has(m.sourceVolume))
        findings.push(`${c.name}: mountPoints names no task volume ${m.sourceVolume}`);
  }
  return findings;
}

/** Cloud Map CreateService as the provider sends it; a custom health block must survive the trip. */
export function checkCloudMapService(inputs: Json): string[] {
  const request = createCloudMapServiceRequest(inputs);
  const findings = validateRequest("servicediscovery", "CreateService", request);
  if (inputs.healthCheckCustomConfig !== undefined && request.HealthCheckCustomConfig === undefined) {
    findings.push(
      "healthCheckCustomConfig is an empty block: the provider sends nothing, so the service gets no custom health and every update plans a replacement (hashicorp/terraform-provider-aws#44285)",
    );
  }
  return findings;
}

export function checkPrivateDnsNamespace(inputs: Json): string[] {
  return validateRequest(
    "servicediscovery",
    "CreatePrivateDnsNamespace",
    createPrivateDnsNamespaceRequest(inputs),
  );
}

/**
 * ECS CreateService as the provider sends it, and its registry against the Cloud Map service it
 * points at: with SRV records ECS needs containerName + containerPort (or port), and only then
 * puts AWS_INSTANCE_PORT on the instances.
 */
export function checkEcsService(inputs: Json, registryTarget?: Json): string[] {
  const request = createEcsServiceRequest(inputs);
  const findings = validateRequest("ecs", "CreateService", request);
  if (isEmptyBlock(inputs.serviceRegistries))
    findings.push("serviceRegistries is an empty block: the provider sends nothing");
  const registry = inputs.serviceRegistries as Json | undefined;
  if (
    registry &&
    typeof registry.registryArn === "string" &&
    !/^arn:[^:]+:servicediscovery:[^:]+:\d{12}:service\/srv-[A-Za-z0-9]+$/.test(registry.registryArn)
  ) {
    // ECS: "The format of the supplied service registry ARN is invalid" (hashicorp/terraform-provider-aws#4373).
    findings.push(
      `registryArn ${registry.registryArn} is not a Cloud Map service ARN (…:servicediscovery:<region>:<account>:service/srv-…)`,
    );
  }
  if (registry && registryTarget) {
    const records = ((registryTarget.dnsConfig as Json | undefined)?.dnsRecords ?? []) as { type?: string }[];
    const hasSrv = records.some((r) => r.type === "SRV");
    const hasPort = registry.containerPort !== undefined || registry.port !== undefined;
    if (hasSrv && !(registry.containerName !== undefined && hasPort))
      findings.push(
        "the Cloud Map service has SRV records: the registry needs containerName and containerPort (or port)",
      );
    if (!hasSrv)
      findings.push(
        "the Cloud Map service has no SRV record: ECS sets no AWS_INSTANCE_PORT, so consul-aws registers the service without a port",
      );
  }
  return findings;
}

/**
 * ECS Service Connect rules the API model cannot express: each service publishes exactly one
 * client alias (ECS: "clientAliases must have 1 element"; hashicorp/terraform-provider-aws#44027)
 * on a port the task definition names, and a namespace is set.
 */
export function checkServiceConnect(serviceInputs: Json, taskDefinitionInputs: Json | undefined): string[] {
  const sc = serviceInputs.serviceConnectConfiguration as Json | undefined;
  if (!sc || sc.enabled !== true) return [];
  const findings: string[] = [];
  if (typeof sc.namespace !== "string" || sc.namespace === "")
    findings.push("Service Connect is on without a namespace");
  const containers = (
    taskDefinitionInputs
      ? (registerTaskDefinitionRequest(taskDefinitionInputs).containerDefinitions ?? [])
      : []
  ) as { portMappings?: { name?: string }[] }[];
  const portNames = new Set(
    containers.flatMap((c) =>
      (c.portMappings ?? []).map((p) => p.name).filter((n): n is string => n !== undefined),
    ),
  );
  for (const s of (sc.services ?? []) as Json[]) {
    const aliases = (s.clientAlias ?? []) as unknown[];
    if (aliases.length !== 1)
      findings.push(
        `Service Connect service ${String(s.discoveryName ?? s.portName)}: exactly one client alias, got ${aliases.length}`,
      );
    if (!portNames.has(String(s.portName)))
      findings.push(
        `Service Connect portName ${String(s.portName)} names no port mapping of the task definition (named: ${[...portNames].join(", ") || "none"})`,
      );
  }
  return findings;
}

export function checkHttpApi(inputs: Json): string[] {
  const findings = validateRequest("apigatewayv2", "CreateApi", createApiRequest(inputs));
  // VPC Link (v2) private integrations exist for HTTP APIs only.
  if (inputs.protocolType !== "HTTP")
    findings.push(`protocolType ${String(inputs.protocolType)}: a VPC Link to Cloud Map needs an HTTP API`);
  return findings;
}

export function checkVpcLink(inputs: Json): string[] {
  return validateRequest("apigatewayv2", "CreateVpcLink", createVpcLinkRequest(inputs));
}

/**
 * CreateIntegration, and a private integration's target: an HTTP_PROXY over a VPC Link takes
 * payload format 1.0, and a Cloud Map target must have SRV records (API Gateway takes the port
 * from them).
 */
export function checkIntegration(inputs: Json, cloudMapTarget?: Json): string[] {
  const findings = validateRequest("apigatewayv2", "CreateIntegration", createIntegrationRequest(inputs));
  if (inputs.connectionType === "VPC_LINK") {
    if (inputs.integrationType !== "HTTP_PROXY")
      findings.push(`a VPC Link integration must be HTTP_PROXY, got ${String(inputs.integrationType)}`);
    if (inputs.payloadFormatVersion !== "1.0")
      findings.push(
        `HTTP_PROXY integrations take payload format 1.0, got ${String(inputs.payloadFormatVersion)}`,
      );
    const uri = typeof inputs.integrationUri === "string" ? inputs.integrationUri : "";
    if (/:servicediscovery:[^:]+:\d{12}:service\//.test(uri) || cloudMapTarget) {
      const records = ((cloudMapTarget?.dnsConfig as Json | undefined)?.dnsRecords ?? []) as {
        type?: string;
      }[];
      if (!records.some((r) => r.type === "SRV"))
        findings.push(
          "the Cloud Map service behind the VPC Link has no SRV record: API Gateway takes the port from it",
        );
    } else if (!/:elasticloadbalancing:[^:]+:\d{12}:listener\//.test(uri)) {
      findings.push(`integrationUri must be a Cloud Map service or a load balancer listener ARN, got ${uri}`);
    }
  }
  return findings;
}

export function checkRoute(inputs: Json): string[] {
  const findings = validateRequest("apigatewayv2", "CreateRoute", createRouteRequest(inputs));
  const target = inputs.target;
  if (target !== undefined && !(typeof target === "string" && /^integrations\/\S+$/.test(target)))
    findings.push(`route target must be integrations/<id>, got ${JSON.stringify(target)}`);
  return findings;
}

export function checkStage(inputs: Json): string[] {
  return validateRequest("apigatewayv2", "CreateStage", createStageRequest(inputs));
}
