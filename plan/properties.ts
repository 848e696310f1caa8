/**
 * The properties a reviewer reads, per resource type: ports, CIDRs, sizes, counts, images,
 * IAM actions. Inputs arrive already redacted. Types without a picker show their scalar inputs.
 */
import { displayText } from "./display-text";
import { REDACTED } from "./redact";

type Inputs = Record<string, unknown>;
type Props = Record<string, unknown>;
type Picker = (i: Inputs) => Props;

/** Drops undefined, empty arrays and empty objects so the plan shows what is set. */
function compact(props: Props): Props {
  return Object.fromEntries(
    Object.entries(props).filter(([, v]) => {
      if (v === undefined || v === null) return false;
      if (Array.isArray(v)) return v.length > 0;
      if (typeof v === "object") return Object.keys(v).length > 0;
      return true;
    }),
  );
}

function pick(i: Inputs, ...keys: string[]): Props {
  return Object.fromEntries(keys.map((k) => [k, i[k]]));
}

function obj(value: unknown): Inputs {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Inputs) : {};
}

function list(value: unknown): Inputs[] {
  return Array.isArray(value) ? value.map(obj) : [];
}

/** JSON held in a string input (container definitions, policies); a redacted one stays redacted. */
function parseJson(value: unknown): unknown {
  if (value === REDACTED || typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function rule(i: Inputs): Props {
  const port =
    i.ipProtocol === "-1"
      ? "all"
      : i.fromPort === i.toPort
        ? i.fromPort
        : `${String(i.fromPort)}-${String(i.toPort)}`;
  return compact({
    protocol: i.ipProtocol,
    port,
    peer: i.referencedSecurityGroupId ?? i.cidrIpv4 ?? i.cidrIpv6 ?? i.prefixListId,
    description: i.description,
  });
}

function containers(value: unknown): Props[] {
  const parsed = parseJson(value);
  if (!Array.isArray(parsed)) return [{ definitions: parsed }];
  return parsed.map((c: Inputs) =>
    compact({
      name: c.name,
      image: c.image,
      essential: c.essential === false ? false : undefined,
      ports: list(c.portMappings).map((p) =>
        [p.name, `${displayText(p.containerPort)}/${displayText(p.protocol, "tcp")}`, p.appProtocol]
          .filter((x) => x !== undefined)
          .map((x) => displayText(x))
          .join(" "),
      ),
      command: c.command,
      environment: Object.fromEntries(list(c.environment).map((e) => [e.name, e.value])),
      secrets: Object.fromEntries(list(c.secrets).map((s) => [s.name, s.valueFrom])),
      logGroup: obj(obj(c.logConfiguration).options)["awslogs-group"],
    }),
  );
}

function statements(value: unknown): Props[] {
  const doc = obj(parseJson(value));
  if (!Array.isArray(doc.Statement)) return [{ policy: value }];
  return list(doc.Statement).map((s) =>
    compact({
      sid: s.Sid,
      effect: s.Effect,
      actions: s.Action,
      resources: s.Resource,
      principal: s.Principal,
      condition: s.Condition,
    }),
  );
}

function serviceConnect(value: unknown): Props | undefined {
  const sc = obj(value);
  if (sc.enabled !== true) return undefined;
  return compact({
    namespace: sc.namespace,
    services: list(sc.services).map((s) =>
      compact({
        portName: s.portName,
        discoveryName: s.discoveryName,
        clientAliases: list(s.clientAlias).map((a) => `${String(a.dnsName)}:${String(a.port)}`),
      }),
    ),
    logGroup: obj(obj(sc.logConfiguration).options)["awslogs-group"],
  });
}

const PICKERS: Readonly<Record<string, Picker>> = {
  "awsx:ec2:Vpc": (i) => ({
    cidrBlock: i.cidrBlock,
    availabilityZones: i.numberOfAvailabilityZones,
    natGateways: obj(i.natGateways).strategy,
    dnsHostnames: i.enableDnsHostnames,
    dnsSupport: i.enableDnsSupport,
  }),
  "aws:ec2/vpcEndpoint:VpcEndpoint": (i) =>
    pick(i, "serviceName", "vpcEndpointType", "privateDnsEnabled", "securityGroupIds", "routeTableIds"),
  "aws:ec2/securityGroup:SecurityGroup": (i) => pick(i, "description", "ingress", "egress"),
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (i) => ({
    group: i.securityGroupId,
    ...rule(i),
  }),
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (i) => ({
    group: i.securityGroupId,
    ...rule(i),
  }),
  "aws:ecs/cluster:Cluster": (i) => ({
    settings: Object.fromEntries(list(i.settings).map((s) => [s.name, s.value])),
    serviceConnectDefaults: i.serviceConnectDefaults,
  }),
  "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": (i) =>
    pick(i, "capacityProviders", "defaultCapacityProviderStrategies"),
  "aws:ecs/taskDefinition:TaskDefinition": (i) => ({
    cpu: i.cpu,
    memory: i.memory,
    platform: `${String(obj(i.runtimePlatform).operatingSystemFamily)}/${String(obj(i.runtimePlatform).cpuArchitecture)}`,
    taskRole: i.taskRoleArn,
    executionRole: i.executionRoleArn,
    volumes: list(i.volumes).map((v) => v.name),
    containers: containers(i.containerDefinitions),
  }),
  "aws:ecs/service:Service": (i) => {
    const net = obj(i.networkConfiguration);
    return {
      desiredCount: i.desiredCount,
      capacityProviders: list(i.capacityProviderStrategies).map(
        (s) => `${String(s.capacityProvider)} w${String(s.weight)} b${displayText(s.base, "0")}`,
      ),
      subnets: net.subnets,
      securityGroups: net.securityGroups,
      assignPublicIp: net.assignPublicIp,
      deployment: `min ${String(i.deploymentMinimumHealthyPercent)}% / max ${String(i.deploymentMaximumPercent)}%`,
      circuitBreaker:
        obj(i.deploymentCircuitBreaker).enable === true
          ? obj(i.deploymentCircuitBreaker).rollback === true
            ? "rollback"
            : "on"
          : undefined,
      serviceRegistries: i.serviceRegistries,
      serviceConnect: serviceConnect(i.serviceConnectConfiguration),
      loadBalancers: list(i.loadBalancers).map(
        (l) => `${String(l.containerName)}:${String(l.containerPort)} → ${String(l.targetGroupArn)}`,
      ),
      enableExecuteCommand: i.enableExecuteCommand,
    };
  },
  "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": (i) => pick(i, "name", "vpc"),
  "aws:servicediscovery/httpNamespace:HttpNamespace": (i) => pick(i, "name"),
  "aws:servicediscovery/service:Service": (i) => {
    const dns = obj(i.dnsConfig);
    return {
      name: i.name,
      routingPolicy: dns.routingPolicy,
      records: list(dns.dnsRecords).map((r) => `${String(r.type)} ttl ${String(r.ttl)}`),
      healthCheckCustomConfig: i.healthCheckCustomConfig,
      healthCheckConfig: i.healthCheckConfig,
    };
  },
  "aws:route53/record:Record": (i) => pick(i, "name", "type", "ttl", "records"),
  "aws:cloudwatch/logGroup:LogGroup": (i) => pick(i, "name", "retentionInDays", "kmsKeyId"),
  "aws:cloudwatch/metricAlarm:MetricAlarm": (i) => ({
    name: i.name,
    // The metric, or the metric-math expression and the metrics it reads.
    metric:
      typeof i.metricName === "string"
        ? `${String(i.namespace)} ${i.metricName} ${String(i.statistic)}`
        : list(i.metricQueries)
            .map((q) =>
              typeof q.expression === "string"
                ? q.expression
                : `${String(q.id)}=${String(obj(q.metric).metricName)} ${String(obj(q.metric).stat)}`,
            )
            .join("; "),
    when: `${String(i.comparisonOperator)} ${String(i.threshold)} in ${String(i.datapointsToAlarm)} of ${String(i.evaluationPeriods)}`,
    treatMissingData: i.treatMissingData,
    actions: i.alarmActions,
  }),
  "aws:cloudwatch/dashboard:Dashboard": (i) => ({
    name: i.dashboardName,
    widgets: list(obj(parseJson(i.dashboardBody)).widgets).map((w) =>
      String(obj(w.properties).title ?? w.type),
    ),
  }),
  "aws:iam/role:Role": (i) => ({ trust: statements(i.assumeRolePolicy) }),
  "aws:iam/rolePolicy:RolePolicy": (i) => ({ role: i.role, statements: statements(i.policy) }),
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (i) => pick(i, "role", "policyArn"),
  "aws:ecr/repository:Repository": (i) => ({
    scanOnPush: obj(i.imageScanningConfiguration).scanOnPush,
    tagMutability: i.imageTagMutability,
    forceDelete: i.forceDelete,
  }),
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": (i) => ({
    rules: list(obj(parseJson(i.policy)).rules).map((r) => r.description),
  }),
  "docker:index/image:Image": (i) => ({
    imageName: i.imageName,
    context: obj(i.build).context,
    platform: obj(i.build).platform,
    buildArgs: obj(i.build).args,
    registry: obj(i.registry).server,
  }),
  "aws:lb/loadBalancer:LoadBalancer": (i) =>
    pick(
      i,
      "loadBalancerType",
      "internal",
      "subnets",
      "securityGroups",
      "enableDeletionProtection",
      "dropInvalidHeaderFields",
    ),
  "aws:lb/targetGroup:TargetGroup": (i) => ({
    ...pick(i, "targetType", "protocol", "port", "deregistrationDelay"),
    healthCheck: obj(i.healthCheck).path,
  }),
  "aws:lb/listener:Listener": (i) => ({
    ...pick(i, "port", "protocol", "certificateArn", "sslPolicy"),
    actions: list(i.defaultActions).map((a) =>
      a.type === "redirect"
        ? `redirect ${String(obj(a.redirect).protocol)}:${String(obj(a.redirect).port)}`
        : `${String(a.type)} → ${String(a.targetGroupArn)}`,
    ),
  }),
  "aws:appautoscaling/target:Target": (i) => pick(i, "resourceId", "minCapacity", "maxCapacity"),
  "aws:appautoscaling/policy:Policy": (i) => {
    const cfg = obj(i.targetTrackingScalingPolicyConfiguration);
    return {
      policyType: i.policyType,
      metric: obj(cfg.predefinedMetricSpecification).predefinedMetricType,
      targetValue: cfg.targetValue,
    };
  },
  "aws:apigatewayv2/api:Api": (i) => pick(i, "name", "protocolType", "disableExecuteApiEndpoint"),
  "aws:apigatewayv2/vpcLink:VpcLink": (i) => pick(i, "name", "subnetIds", "securityGroupIds"),
  "aws:apigatewayv2/integration:Integration": (i) =>
    pick(
      i,
      "integrationType",
      "integrationMethod",
      "connectionType",
      "connectionId",
      "integrationUri",
      "payloadFormatVersion",
      "timeoutMilliseconds",
    ),
  "aws:apigatewayv2/route:Route": (i) => pick(i, "routeKey", "target", "authorizationType"),
  "aws:apigatewayv2/stage:Stage": (i) => {
    const route = obj(i.defaultRouteSettings);
    return {
      name: i.name,
      autoDeploy: i.autoDeploy,
      accessLogs: obj(i.accessLogSettings).destinationArn,
      throttling:
        route.throttlingRateLimit === undefined
          ? undefined
          : `${displayText(route.throttlingRateLimit)} rps, burst ${displayText(route.throttlingBurstLimit)}`,
    };
  },
};

const MAX_SCALAR = 120;

/** Scalar inputs, for types without a picker (so a new resource type still shows something). */
function scalars(i: Inputs): Props {
  return Object.fromEntries(
    Object.entries(i).filter(
      ([, v]) => ["string", "number", "boolean"].includes(typeof v) && String(v).length <= MAX_SCALAR,
    ),
  );
}

/** The reviewer-relevant properties of one resource (inputs already redacted). */
export function reviewProperties(type: string, inputs: Inputs): Props {
  const picker = PICKERS[type];
  return compact(picker ? picker(inputs) : scalars(inputs));
}

export function hasPicker(type: string): boolean {
  return type in PICKERS;
}
