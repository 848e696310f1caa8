import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import { ArgProblem, assertValidArgs, check, integerIn, logRetentionDays, port } from "../shared/arg-checks";

import { componentTags, TaggedArgs } from "../shared/tags";
import {
  createLogGroup,
  createSecurityGroup,
  egressTo,
  Scope,
  SecurityGroupMember,
  stackScopedName,
  keepScope,
  scopeOf,
} from "../service/task-resources";

export interface ApiGatewayArgs extends TaggedArgs {
  /**
   * VPC of the VPC Link's security group.
   * @default required
   */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Private subnets the VPC Link places its network interfaces in.
   * @default required
   */
  readonly subnetIds: pulumi.Input<string[]>;
  /**
   * Cloud Map service of the target: it must have SRV records (the port comes from them).
   * @default required
   * @example "arn:aws:servicediscovery:eu-west-1:111111111111:service/srv-0123456789abcdef"
   */
  readonly cloudMapServiceArn: pulumi.Input<string>;
  /**
   * Port the targets listen on (1-65535): the VPC Link's group may reach them on this port only.
   * @default required
   */
  readonly targetPort: number;
  /**
   * Steady requests per second (1-10000) and burst (1-5000) across the stage: API Gateway's
   * account-level defaults are 10 000 and 5 000, which a stage cannot exceed.
   * @default required
   * @example { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle: ThrottleArgs;
  /**
   * Retention of the access-log group, days (a value CloudWatch accepts).
   * @default required
   */
  readonly logRetentionDays: number;
}

/** API Gateway's throttle on the $default stage. */
export interface ThrottleArgs {
  /**
   * Steady requests per second (1-10000).
   * @default required
   */
  readonly rateLimit: number;
  /**
   * Burst of requests (1-5000).
   * @default required
   */
  readonly burstLimit: number;
}

// #region argument checks
/** What is wrong with ApiGateway's arguments; empty when nothing is. */
export function apiGatewayArgProblems(
  args: Pick<ApiGatewayArgs, "targetPort" | "throttle" | "logRetentionDays">,
): ArgProblem[] {
  return [
    ...check("targetPort", args.targetPort, port),
    ...check("throttle.rateLimit", args.throttle.rateLimit, integerIn(1, 10000)),
    ...check("throttle.burstLimit", args.throttle.burstLimit, integerIn(1, 5000)),
    ...check("logRetentionDays", args.logRetentionDays, logRetentionDays),
  ];
}
// #endregion

/** One JSON line per request in the access log (API Gateway's $context variables). */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  path: "$context.path",
  status: "$context.status",
  responseLength: "$context.responseLength",
  latencyMs: "$context.responseLatency",
  integrationStatus: "$context.integrationStatus",
  integrationLatencyMs: "$context.integrationLatency",
  integrationError: "$context.integration.error",
});

/**
 * API Gateway HTTP API in front of a Cloud Map service: a VPC Link into the private subnets,
 * an HTTP_PROXY integration that finds the tasks through Cloud Map, a default route, and a
 * `$default` stage (served at the root, so no stage prefix reaches the app) with access logs
 * and throttling. Reachable from the internet on HTTPS only, with AWS's certificate.
 */
export class ApiGateway extends pulumi.ComponentResource implements SecurityGroupMember {
  /** Name this component was given; its children's names start with it. */
  public readonly componentName: string;
  /** Security group of the VPC link; services admit it on their port. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Id of the HTTP API. */
  public readonly apiId: pulumi.Output<string>;
  /** `https://<api-id>.execute-api.<region>.amazonaws.com/` */
  public readonly url: pulumi.Output<string>;
  /** The port the VPC Link reaches its targets on. */
  public readonly targetPort: number;
  private get scope(): Scope {
    return scopeOf(this);
  }

  constructor(name: string, args: ApiGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("ApiGateway", name, apiGatewayArgProblems(args));
    super(packageType("ApiGateway"), name, {}, withFormerType(opts, FORMER_TYPES.ApiGateway));
    this.componentName = name;
    this.targetPort = args.targetPort;
    const scope: Scope = { parent: this, tags: componentTags(name, args.tags) };
    keepScope(this, scope);

    // Egress only, added by allowTo: the link opens connections, nothing connects to it.
    const securityGroup = createSecurityGroup(
      `${name}-link`,
      args.vpcId,
      `${name} API Gateway VPC Link`,
      scope,
    );
    const vpcLink = new aws.apigatewayv2.VpcLink(
      `${name}-link`,
      {
        name: stackScopedName(name),
        subnetIds: args.subnetIds,
        securityGroupIds: [securityGroup.id],
        tags: scope.tags,
      },
      { parent: this },
    );
    const api = new aws.apigatewayv2.Api(
      `${name}-api`,
      { name: stackScopedName(name), protocolType: "HTTP", tags: scope.tags },
      { parent: this },
    );
    const integration = new aws.apigatewayv2.Integration(
      `${name}-integration`,
      {
        apiId: api.id,
        integrationType: "HTTP_PROXY",
        integrationMethod: "ANY",
        connectionType: "VPC_LINK",
        connectionId: vpcLink.id,
        integrationUri: args.cloudMapServiceArn,
        // Private HTTP_PROXY integrations of HTTP APIs take only payload format 1.0.
        payloadFormatVersion: "1.0",
      },
      { parent: this },
    );
    new aws.apigatewayv2.Route(
      `${name}-default-route`,
      { apiId: api.id, routeKey: "$default", target: pulumi.interpolate`integrations/${integration.id}` },
      { parent: this },
    );
    const accessLogs = createLogGroup(name, args.logRetentionDays, scope, {
      prefix: "/apigateway",
      suffix: "-access-logs",
    });
    const stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: api.id,
        name: "$default",
        autoDeploy: true,
        accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
        defaultRouteSettings: {
          throttlingRateLimit: args.throttle.rateLimit,
          throttlingBurstLimit: args.throttle.burstLimit,
        },
        tags: scope.tags,
      },
      { parent: this },
    );

    this.securityGroupId = securityGroup.id;
    this.apiId = api.id;
    this.url = stage.invokeUrl;
    this.registerOutputs({
      componentName: this.componentName,
      targetPort: this.targetPort,
      securityGroupId: this.securityGroupId,
      apiId: this.apiId,
      url: this.url,
    });
  }

  /** Let the VPC Link reach a target component on the target port only, over tcp. */
  public allowTo(target: SecurityGroupMember): pulumi.Resource {
    const description = `API Gateway VPC Link to ${target.componentName} on ${this.targetPort}/tcp`;
    return egressTo(this, target, this.targetPort, description, this.scope);
  }
}
