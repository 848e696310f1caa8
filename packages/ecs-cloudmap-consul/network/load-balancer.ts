import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import {
  ArgProblem,
  assertValidArgs,
  CERTIFICATE_ARN,
  check,
  integerIn,
  matches,
  port,
} from "../shared/arg-checks";
import { isDnsName } from "../shared/naming";
import { componentTags, TaggedArgs } from "../shared/tags";
import {
  createSecurityGroup,
  egressTo,
  Scope,
  SecurityGroupMember,
  tcpRule,
  keepScope,
  scopeOf,
} from "../service/task-resources";

/** An ALB's own settings, the part of LoadBalancerArgs that is not where it lives (DiscoveryEnvironment takes these). */
export interface LoadBalancerOptions extends TaggedArgs {
  /**
   * Port the targets listen on (1-65535); the ALB may reach them on this port only.
   * @default required
   */
  readonly targetPort: number;
  /**
   * Path the target group probes.
   * Default: "/health".
   * @default "/health"
   */
  readonly healthCheckPath?: string;
  /**
   * ACM certificate in the stack's region: adds an HTTPS listener and turns port 80 into a redirect.
   * It must cover `domainName`, which is then required: no certificate covers the ALB's own name.
   * @default undefined (HTTP only)
   * @example "arn:aws:acm:eu-west-1:111111111111:certificate/6f1c2a9e-3b7d-4e21-9c55-0a8e4d2b7f10"
   */
  readonly certificateArn?: string;
  /**
   * The name clients use (a lowercase DNS name): an alias A record in `hostedZoneId` points it at
   * the ALB, and `url` uses it.
   * @default undefined (url is the ALB's own name; required with certificateArn)
   * @example "hello.example.com"
   */
  readonly domainName?: string;
  /**
   * Route 53 public hosted zone that holds `domainName` (`Z` and up to 32 letters and digits).
   * @default undefined (required with domainName)
   * @example "Z0123456789ABCDEFGHIJ"
   */
  readonly hostedZoneId?: string;
  /**
   * Seconds a deregistering target keeps draining (0-300).
   * Default: 15.
   * @default 15
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * Protect the ALB from deletion.
   * Default: false.
   * @default false
   */
  readonly deletionProtection?: boolean;
}

export interface LoadBalancerArgs extends LoadBalancerOptions {
  /**
   * VPC of the target group.
   * @default required
   */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Public subnets in at least two AZs (an ALB needs two).
   * @default required
   */
  readonly publicSubnetIds: pulumi.Input<string[]>;
}

// #region argument checks
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,32}$/;

/** What is wrong with LoadBalancer's arguments; empty when nothing is. */
export function loadBalancerArgProblems(
  args: Pick<
    LoadBalancerArgs,
    "targetPort" | "certificateArn" | "deregistrationDelaySeconds" | "domainName" | "hostedZoneId"
  >,
): ArgProblem[] {
  const pairing: ArgProblem[] = [];
  if (args.certificateArn !== undefined && args.domainName === undefined)
    pairing.push({
      arg: "certificateArn",
      message:
        "needs domainName (and hostedZoneId): clients must reach the ALB by a name the certificate covers, and none covers the ALB's own",
    });
  if (args.domainName !== undefined && args.hostedZoneId === undefined)
    pairing.push({
      arg: "hostedZoneId",
      message: `is required with domainName: the Route 53 hosted zone that holds ${args.domainName}, for its alias record`,
    });
  if (args.hostedZoneId !== undefined && args.domainName === undefined)
    pairing.push({
      arg: "domainName",
      message: "is required with hostedZoneId: the name to point at the ALB",
    });
  return [
    ...check("targetPort", args.targetPort, port),
    ...check(
      "certificateArn",
      args.certificateArn,
      matches(CERTIFICATE_ARN, "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"),
    ),
    ...check("domainName", args.domainName, (v) =>
      isDnsName(v) && v.includes(".")
        ? undefined
        : "must be a lowercase DNS name of at least two labels, like hello.example.com",
    ),
    ...check("hostedZoneId", args.hostedZoneId, matches(HOSTED_ZONE_ID, "a Route 53 hosted zone id (Z…)")),
    ...pairing,
    ...check("deregistrationDelaySeconds", args.deregistrationDelaySeconds, integerIn(0, 300)),
  ];
}
// #endregion

/** Public ALB forwarding to an ip target group; the only thing open to the internet. */
/** The CloudWatch dimensions of the load balancer and its target group. */
export interface LoadBalancerDimensions {
  /** `app/<name>/<id>`. */
  LoadBalancer: string;
  /** `targetgroup/<name>/<id>`. */
  TargetGroup: string;
}

export class LoadBalancer extends pulumi.ComponentResource implements SecurityGroupMember {
  /** Name this component was given; its children's names start with it. */
  public readonly componentName: string;
  /** Security group of the load balancer; services admit it on their port. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Target group (IP targets) the service registers its tasks in. */
  public readonly targetGroupArn: pulumi.Output<string>;
  /** DNS name AWS gives the load balancer. */
  public readonly dnsName: pulumi.Output<string>;
  /**
   * Where clients reach the service: `https://` with a certificate, else `http://`, then the
   * domainName when one is given, else the load balancer's DNS name.
   */
  public readonly url: pulumi.Output<string>;
  /** The `LoadBalancer` and `TargetGroup` dimension values of its AWS/ApplicationELB metrics. */
  public readonly metricDimensions: pulumi.Output<LoadBalancerDimensions>;
  /** Listeners the target service must wait for (a target group must belong to a load balancer). */
  public readonly listeners: aws.lb.Listener[];
  /** The port the ALB reaches its targets on. */
  public readonly targetPort: number;
  private get scope(): Scope {
    return scopeOf(this);
  }

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("LoadBalancer", name, loadBalancerArgProblems(args));
    super(packageType("LoadBalancer"), name, {}, withFormerType(opts, FORMER_TYPES.LoadBalancer));
    this.componentName = name;
    this.targetPort = args.targetPort;
    const scope: Scope = { parent: this, tags: componentTags(name, args.tags) };
    keepScope(this, scope);
    const https = args.certificateArn !== undefined;

    const securityGroup = createSecurityGroup(name, args.vpcId, `${name} public load balancer`, scope);
    for (const port of https ? [80, 443] : [80]) {
      tcpRule(
        "ingress",
        {
          name: `${name}-from-world-${port}`,
          securityGroupId: securityGroup.id,
          port,
          peer: { cidr: "0.0.0.0/0" },
          description: `Public HTTP${port === 443 ? "S" : ""}`,
        },
        scope,
      );
    }

    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: "application",
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [securityGroup.id],
        enableDeletionProtection: args.deletionProtection ?? false,
        dropInvalidHeaderFields: true,
        tags: scope.tags,
      },
      { parent: this },
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        targetType: "ip",
        protocol: "HTTP",
        port: args.targetPort,
        deregistrationDelay: args.deregistrationDelaySeconds ?? 15,
        healthCheck: {
          path: args.healthCheckPath ?? "/health",
          protocol: "HTTP",
          matcher: "200",
          interval: 10,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        tags: scope.tags,
      },
      { parent: this },
    );
    const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];

    const listeners = [
      new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: alb.arn,
          port: 80,
          protocol: "HTTP",
          defaultActions: https
            ? [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]
            : forward,
          tags: scope.tags,
        },
        { parent: this },
      ),
    ];
    if (https) {
      listeners.push(
        new aws.lb.Listener(
          `${name}-https`,
          {
            loadBalancerArn: alb.arn,
            port: 443,
            protocol: "HTTPS",
            certificateArn: args.certificateArn,
            sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
            defaultActions: forward,
            tags: scope.tags,
          },
          { parent: this },
        ),
      );
    }
    this.listeners = listeners;

    // The name clients use, so that the certificate matches it; the alias follows the ALB's address.
    const alias =
      args.domainName !== undefined && args.hostedZoneId !== undefined
        ? new aws.route53.Record(
            `${name}-alias`,
            {
              zoneId: args.hostedZoneId,
              name: args.domainName,
              type: "A",
              aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }],
            },
            { parent: this },
          )
        : undefined;

    this.securityGroupId = securityGroup.id;
    this.targetGroupArn = targetGroup.arn;
    this.dnsName = alb.dnsName;
    // Through the record's output, so whoever reads the URL waits for the record.
    this.url = pulumi.interpolate`${https ? "https" : "http"}://${alias ? alias.name : alb.dnsName}/`;
    this.metricDimensions = pulumi
      .all([alb.arnSuffix, targetGroup.arnSuffix])
      .apply(([lbSuffix, tgSuffix]) => ({ LoadBalancer: lbSuffix, TargetGroup: tgSuffix }));
    this.registerOutputs({
      componentName: this.componentName,
      targetPort: this.targetPort,
      securityGroupId: this.securityGroupId,
      targetGroupArn: this.targetGroupArn,
      dnsName: this.dnsName,
      url: this.url,
      metricDimensions: this.metricDimensions,
    });
  }

  /** Let the ALB reach a target component on the target port only, over tcp. */
  public allowTo(target: SecurityGroupMember): pulumi.Resource {
    const description = `ALB to ${target.componentName} on ${this.targetPort}/tcp`;
    return egressTo(this, target, this.targetPort, description, this.scope);
  }
}
