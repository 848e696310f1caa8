/**
 * consulMode external: how tasks in the VPC reach an existing Consul. Routes send its CIDR from
 * every private route table through a VPC peering connection or a transit gateway; when its
 * address names a host, a Route 53 Resolver rule forwards that host's domain to the DNS servers
 * that know it (an outbound endpoint in the private subnets carries the queries).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConsulDns, ConsulRoute } from "./settings";
import { componentTags, TaggedArgs } from "./tags";
import { createSecurityGroup, Scope, tcpRule } from "./taskResources";

export interface ConsulReachArgs extends TaggedArgs {
  readonly vpcId: pulumi.Input<string>;
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /** Route tables of the private subnets; one route each. */
  readonly privateRouteTableIds: pulumi.Input<string[]>;
  /** How many private route tables there are (one per AZ): resources are declared per table. */
  readonly routeTableCount: number;
  readonly consulCidr: string;
  readonly route: ConsulRoute;
  readonly dns: ConsulDns;
}

/**
 * Exactly two IP addresses in two AZs (the VPC always spans at least two), the minimum a Resolver
 * endpoint takes: each is billed per hour and handles thousands of queries a second, far more
 * than one Consul host's lookups need.
 */
export function resolverIpAddresses(subnetIds: readonly string[]): { subnetId: string }[] {
  return subnetIds.slice(0, 2).map((subnetId) => ({ subnetId }));
}

export class ConsulReach extends pulumi.ComponentResource {
  /** The Resolver rule's id; undefined when the address is an IP. */
  public readonly resolverRuleId: pulumi.Output<string> | undefined;
  private readonly scope: Scope;

  constructor(name: string, args: ConsulReachArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecs-cloudmap-consul:consulReach:ConsulReach", name, {}, opts);
    this.scope = { parent: this, tags: componentTags(name, args.tags) };
    const nextHop =
      args.route.kind === "peering"
        ? { vpcPeeringConnectionId: args.route.id }
        : { transitGatewayId: args.route.id };
    for (let i = 0; i < args.routeTableCount; i++) {
      new aws.ec2.Route(
        `${name}-route-${i}`,
        {
          routeTableId: pulumi.output(args.privateRouteTableIds).apply((ids) => {
            if (ids.length !== args.routeTableCount) {
              throw new Error(
                `expected ${args.routeTableCount} private route tables (one per AZ), found ${ids.length}: ${ids.join(", ")}`,
              );
            }
            return [...ids].sort()[i];
          }),
          destinationCidrBlock: args.consulCidr,
          ...nextHop,
        },
        { parent: this },
      );
    }
    this.resolverRuleId =
      args.dns.kind === "forward" ? this.createForwarding(name, args, args.dns) : undefined;
    this.registerOutputs({ resolverRuleId: this.resolverRuleId });
  }

  private createForwarding(
    name: string,
    args: ConsulReachArgs,
    dns: Extract<ConsulDns, { kind: "forward" }>,
  ): pulumi.Output<string> {
    // DNS is udp and tcp on 53, to the configured servers only.
    const sg = createSecurityGroup(
      `${name}-resolver`,
      args.vpcId,
      `Resolver outbound endpoint: DNS to the servers of ${dns.domain}`,
      this.scope,
    );
    dns.servers.forEach((ip, i) => {
      const description = `DNS for ${dns.domain}`;
      tcpRule(
        "egress",
        {
          name: `${name}-resolver-dns-tcp-${i}`,
          securityGroupId: sg.id,
          port: 53,
          peer: { cidr: `${ip}/32` },
          description,
        },
        this.scope,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-resolver-dns-udp-${i}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "udp",
          fromPort: 53,
          toPort: 53,
          cidrIpv4: `${ip}/32`,
          description,
          tags: this.scope.tags,
        },
        { parent: this },
      );
    });
    const endpoint = new aws.route53.ResolverEndpoint(
      `${name}-resolver`,
      {
        direction: "OUTBOUND",
        securityGroupIds: [sg.id],
        ipAddresses: pulumi.output(args.privateSubnetIds).apply(resolverIpAddresses),
        protocols: ["Do53"],
        tags: this.scope.tags,
      },
      { parent: this },
    );
    const rule = new aws.route53.ResolverRule(
      `${name}-forward`,
      {
        domainName: dns.domain,
        ruleType: "FORWARD",
        resolverEndpointId: endpoint.id,
        targetIps: dns.servers.map((ip) => ({ ip, port: 53 })),
        tags: this.scope.tags,
      },
      { parent: this },
    );
    new aws.route53.ResolverRuleAssociation(
      `${name}-forward-vpc`,
      { resolverRuleId: rule.id, vpcId: args.vpcId },
      { parent: this },
    );
    return rule.id;
  }
}
