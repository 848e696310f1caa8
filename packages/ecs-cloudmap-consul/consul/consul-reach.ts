/**
 * consulMode external: how tasks in the VPC reach an existing Consul. Routes send its CIDR from
 * every private route table through a VPC peering connection or a transit gateway; when its
 * address names a host, a Route 53 Resolver rule forwards that host's domain to the DNS servers
 * that know it (an outbound endpoint in the private subnets carries the queries).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import {
  ArgProblem,
  assertValidArgs,
  check,
  IPV4,
  matches,
  oneOf,
  parseIpv4Cidr,
} from "../shared/arg-checks";
import { DNS_NAME_RULE, isDnsName } from "../shared/naming";
import { componentTags, TaggedArgs } from "../shared/tags";
import { createSecurityGroup, Scope, tcpRule, keepScope, scopeOf } from "../service/task-resources";

/** How DNS in the VPC finds the external Consul host: by IP address, or by forwarding its domain. */
export const ConsulDnsKind = { ip: "ip", forward: "forward" } as const;
export type ConsulDnsKind = (typeof ConsulDnsKind)[keyof typeof ConsulDnsKind];

/** How DNS in the VPC finds the external Consul host. */
export interface ConsulDns {
  /**
   * `ip`: the Consul address is an IP address, nothing to resolve; `forward`: a Route 53 Resolver
   * rule forwards `domain` to `servers`.
   * @default required
   */
  readonly kind: ConsulDnsKind;
  /**
   * Domain forwarded (kind `forward`).
   * @default required with kind `forward`
   * @example "prod.example.com"
   */
  readonly domain?: string;
  /**
   * IPv4 addresses of the DNS servers the domain is forwarded to (kind `forward`).
   * @default required with kind `forward`
   */
  readonly servers?: string[];
}

/** The next hop to the Consul network: a VPC peering connection or a transit gateway. */
export const ConsulRouteKind = { peering: "peering", transitGateway: "transitGateway" } as const;
export type ConsulRouteKind = (typeof ConsulRouteKind)[keyof typeof ConsulRouteKind];

/** Where the private route tables send the Consul CIDR. */
export interface ConsulRoute {
  /**
   * The kind of next hop.
   * @default required
   */
  readonly kind: ConsulRouteKind;
  /**
   * Its id: `pcx-…` for peering, `tgw-…` for a transit gateway.
   * @default required
   */
  readonly id: string;
}

/** A forwarded domain with its DNS servers (a ConsulDns of kind `forward`, checked). */
interface ForwardedDomain {
  readonly domain: string;
  readonly servers: readonly string[];
}

/** Where an external Consul is and how to get there, the part of ConsulReachArgs that is not the VPC's (DiscoveryEnvironment takes these). */
export interface ConsulReachOptions extends TaggedArgs {
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

export interface ConsulReachArgs extends ConsulReachOptions {
  /**
   * VPC the Resolver rule is associated with.
   * @default required
   */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Private subnets, one per AZ in AZ order: the transit gateway attachment uses them, the
   * Resolver endpoint takes an address in the first two, and each one's route table gets a route.
   * @default required
   */
  readonly privateSubnetIds: pulumi.Input<string[]>;
  /**
   * How many private subnets there are (one per AZ, each with its own route table): one route each.
   * @default required
   */
  readonly routeTableCount: number;
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
  const required = (arg: string, value: unknown): ArgProblem[] =>
    dns && value === undefined ? [{ arg, message: "is required with dns kind forward", value }] : [];
  return [
    ...check("dns.kind", args.dns.kind, oneOf(Object.values(ConsulDnsKind))),
    ...check("route.kind", args.route.kind, oneOf(Object.values(ConsulRouteKind))),
    ...required("dns.domain", dns?.domain),
    ...required("dns.servers", dns?.servers),
    ...check("consulCidr", args.consulCidr, (v) =>
      parseIpv4Cidr(v) ? undefined : "must be an IPv4 network CIDR like 10.20.0.0/16",
    ),
    ...(args.route.kind in ROUTE_ID ? check("route.id", args.route.id, ROUTE_ID[args.route.kind]) : []),
    ...check("dns.domain", dns?.domain, (v) => (isDnsName(v) ? undefined : `must be ${DNS_NAME_RULE}`)),
    ...(dns?.servers ? dnsServerProblems(dns.servers) : []),
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
  /** Everything a task in the VPC needs to reach Consul (routes, attachment, DNS forwarding): what must outlive a last call to it. */
  public readonly paths: pulumi.Resource[];
  private get scope(): Scope {
    return scopeOf(this);
  }

  constructor(name: string, args: ConsulReachArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("ConsulReach", name, consulReachArgProblems(args));
    super(packageType("ConsulReach"), name, {}, withFormerType(opts, FORMER_TYPES.ConsulReach));
    keepScope(this, { parent: this, tags: componentTags(name, args.tags) });
    const attachment =
      args.route.kind === "transitGateway" ? this.attach(name, args, args.route.id) : undefined;
    const nextHop =
      args.route.kind === "peering"
        ? { vpcPeeringConnectionId: args.route.id }
        : { transitGatewayId: args.route.id };
    const routes: pulumi.Resource[] = [];
    for (let i = 0; i < args.routeTableCount; i++) {
      // Route i belongs to private subnet i (awsx orders them by AZ): adding or removing an AZ never
      // moves a route to another table (sorting the tables' random ids would, and two routes would
      // then claim one table's destination at once).
      const subnetId = pulumi.output(args.privateSubnetIds).apply((ids) => {
        if (ids.length !== args.routeTableCount)
          throw new Error(
            `expected ${args.routeTableCount} private subnets (one per AZ), found ${ids.length}: ${ids.join(", ")}`,
          );
        return ids[i];
      });
      const table = aws.ec2.getRouteTableOutput({ subnetId }, { parent: this });
      routes.push(
        new aws.ec2.Route(
          `${name}-route-${i}`,
          { routeTableId: table.routeTableId, destinationCidrBlock: args.consulCidr, ...nextHop },
          // CreateRoute names a transit gateway only once this VPC is attached to it.
          { parent: this, dependsOn: attachment ? [attachment] : [] },
        ),
      );
    }
    const { domain, servers } = args.dns;
    const forwarding =
      args.dns.kind === "forward" && domain !== undefined && servers !== undefined
        ? this.createForwarding(name, args, { domain, servers })
        : undefined;
    this.resolverRuleId = forwarding?.ruleId;
    this.paths = [...routes, ...(attachment ? [attachment] : []), ...(forwarding?.resources ?? [])];
    this.registerOutputs({ resolverRuleId: this.resolverRuleId });
  }

  /**
   * Attaches the VPC to the transit gateway through its private subnets (one per AZ, as AWS
   * allows). Without it CreateRoute fails with InvalidTransitGatewayID.NotFound
   * (terraform-provider-aws#9222, #10025). On a gateway shared from another account (AWS RAM) the
   * owner accepts the attachment, associates it with a route table that reaches consulCidr and
   * routes the VPC's CIDR back to it (README, "What prod needs").
   */
  private attach(
    name: string,
    args: ConsulReachArgs,
    transitGatewayId: string,
  ): aws.ec2transitgateway.VpcAttachment {
    return new aws.ec2transitgateway.VpcAttachment(
      `${name}-tgw`,
      {
        transitGatewayId,
        vpcId: args.vpcId,
        subnetIds: args.privateSubnetIds,
        dnsSupport: "enable",
        tags: this.scope.tags,
      },
      { parent: this },
    );
  }

  private createForwarding(
    name: string,
    args: ConsulReachArgs,
    dns: ForwardedDomain,
  ): { ruleId: pulumi.Output<string>; resources: pulumi.Resource[] } {
    // DNS is udp and tcp on 53, to the configured servers only.
    const sg = createSecurityGroup(
      `${name}-resolver`,
      args.vpcId,
      `Resolver outbound endpoint: DNS to the servers of ${dns.domain}`,
      this.scope,
    );
    const egress: pulumi.Resource[] = [];
    dns.servers.forEach((ip, i) => {
      const description = `DNS for ${dns.domain}`;
      egress.push(
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
        ),
      );
      egress.push(
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
        ),
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
    const association = new aws.route53.ResolverRuleAssociation(
      `${name}-forward-vpc`,
      { resolverRuleId: rule.id, vpcId: args.vpcId },
      { parent: this },
    );
    return { ruleId: rule.id, resources: [...egress, endpoint, rule, association] };
  }
}
