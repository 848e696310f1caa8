/**
 * consulMode external: how tasks in the VPC reach an existing Consul. Routes send its CIDR from
 * every private route table through a VPC peering connection or a transit gateway; when its
 * address names a host, a Route 53 Resolver rule forwards that host's domain to the DNS servers
 * that know it (an outbound endpoint in the private subnets carries the queries).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ArgProblem, assertValidArgs, check, IPV4, matches, parseIpv4Cidr } from "./arg-checks";
import { DNS_NAME_RULE, isDnsName } from "./naming";
import { componentTags, TaggedArgs } from "./tags";
import { createSecurityGroup, Scope, tcpRule } from "./task-resources";

/** How DNS in the VPC finds the external Consul host. */
export type ConsulDns =
  | { readonly kind: "ip" }
  | { readonly kind: "forward"; readonly domain: string; readonly servers: readonly string[] };
/** Where the private route tables send the Consul CIDR. */
export type ConsulRoute =
  | { readonly kind: "peering"; readonly id: string }
  | { readonly kind: "transitGateway"; readonly id: string };

export interface ConsulReachArgs extends TaggedArgs {
  /**
   * VPC the Resolver rule is associated with.
   * @default required
   */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Private subnets; the Resolver endpoint takes an address in the first two.
   * @default required
   */
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /**
   * Route tables of the private subnets; one route each.
   * @default required
   */
  readonly privateRouteTableIds: pulumi.Input<string[]>;
  /**
   * How many private route tables there are (one per AZ): resources are declared per table.
   * @default required
   */
  readonly routeTableCount: number;
  /**
   * IPv4 network CIDR the Consul servers live in.
   * @default required
   * @example "10.60.0.0/16"
   */
  readonly consulCidr: string;
  /**
   * The next hop for consulCidr: a VPC peering connection or a transit gateway.
   * @default required
   * @example { kind: "transitGateway", id: "tgw-0a1b2c3d4e5f60718" }
   */
  readonly route: ConsulRoute;
  /**
   * How the Consul host is resolved: an IP address needs nothing; a host name's domain is forwarded.
   * @default required
   * @example { kind: "forward", domain: "prod.example.com", servers: ["10.60.0.10"] }
   */
  readonly dns: ConsulDns;
}

// #region argument checks
/** The id each kind of next hop takes. */
export const ROUTE_ID = {
  peering: matches(/^pcx-[0-9a-f]{8,17}$/, "a VPC peering connection id pcx-<hex>"),
  transitGateway: matches(/^tgw-[0-9a-f]{8,17}$/, "a transit gateway id tgw-<hex>"),
};

/** What is wrong with ConsulReach's arguments; empty when nothing is. */
export function consulReachArgProblems(
  args: Partial<Pick<ConsulReachArgs, "consulCidr">> & Pick<ConsulReachArgs, "route" | "dns">,
): ArgProblem[] {
  const dns = args.dns.kind === "forward" ? args.dns : undefined;
  return [
    ...check("consulCidr", args.consulCidr, (v) =>
      parseIpv4Cidr(v) ? undefined : "must be an IPv4 network CIDR like 10.20.0.0/16",
    ),
    ...check("route.id", args.route.id, ROUTE_ID[args.route.kind]),
    ...check("dns.domain", dns?.domain, (v) => (isDnsName(v) ? undefined : `must be ${DNS_NAME_RULE}`)),
    ...(dns ? dnsServerProblems(dns.servers) : []),
  ];
}

/** The DNS servers a domain is forwarded to must be IPv4 addresses; names the first that is not. */
export function dnsServerProblems(servers: readonly string[]): ArgProblem[] {
  const bad = servers.find((ip) => !IPV4.test(ip));
  return bad === undefined ? [] : [{ arg: "dns.servers", message: "must be IPv4 addresses", value: bad }];
}
// #endregion

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
    assertValidArgs("ConsulReach", name, consulReachArgProblems(args));
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
