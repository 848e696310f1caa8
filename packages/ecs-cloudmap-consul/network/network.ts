import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import awsRegions from "aws-regions/regions.json";
import {
  ArgProblem,
  assertValidArgs,
  check,
  integerIn,
  matches,
  oneOf,
  parseIpv4Cidr,
} from "../shared/arg-checks";
import { componentTags, TaggedArgs } from "../shared/tags";
import { createSecurityGroup, Scope, tcpRule, keepScope, scopeOf } from "../service/task-resources";

/** NAT gateways: one for the VPC, or one per availability zone (an enum in the package schema). */
export const NatStrategy = { Single: "Single", OnePerAz: "OnePerAz" } as const;
export type NatStrategy = (typeof NatStrategy)[keyof typeof NatStrategy];
export const NAT_STRATEGIES = Object.values(NatStrategy);

/** Interface endpoints private tasks need to run without NAT (image pull, logs, secrets, Cloud Map). */
export const INTERFACE_ENDPOINTS: readonly string[] = [
  "ecr.api",
  "ecr.dkr",
  "logs",
  "secretsmanager",
  "servicediscovery",
  "data-servicediscovery",
];

export interface NetworkArgs extends TaggedArgs {
  /**
   * IPv4 network CIDR of the VPC, /16 to /23 (each of up to 8 AZ blocks needs at least a /26).
   * @default required
   * @example "10.0.0.0/16"
   */
  readonly cidrBlock: string;
  /**
   * Availability zones, 2 to 6 and at most the region's; each gets one public and one private subnet.
   * @default required
   */
  readonly availabilityZoneCount: number;
  /**
   * NAT gateways: "Single" (one, cheaper) or "OnePerAz" (survives an AZ outage).
   * @default required
   */
  readonly natGateways: NatStrategy;
  /**
   * Create the VPC endpoints in INTERFACE_ENDPOINTS plus an S3 gateway.
   * Default: false.
   * @default false
   */
  readonly vpcEndpoints?: boolean;
  /**
   * Extra interface endpoints; only used with vpcEndpoints.
   * Default: [].
   * @default []
   * @example ["ssmmessages"]
   */
  readonly extraInterfaceEndpoints?: string[];
  /**
   * Region, for endpoint service names and its availability-zone count.
   * @default required
   * @example "eu-west-1"
   */
  readonly region: string;
}

// #region argument checks
/**
 * Each AZ gets 1/8 of the VPC whatever the AZ count (room for the 6 AZs allowed). awsx otherwise
 * sizes the blocks by the AZ count (prefix + ceil(log2(count))), so changing azCount between 2, 3-4
 * and 5-6 would give every existing subnet a new, overlapping CIDR: a live stack could not change it.
 */
export const AZ_BLOCK_BITS = 3;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/**
 * Availability zones an account gets in a region, from the aws-regions data set (its `zone_limit`
 * where new accounts see fewer than the region has); undefined for a region it does not list.
 */
export function availabilityZoneCount(region: string): number | undefined {
  const known = (awsRegions as { code: string; zones: string[]; zone_limit?: number }[]).find(
    (r) => r.code === region,
  );
  return known ? (known.zone_limit ?? known.zones.length) : undefined;
}

/** What is wrong with Network's arguments; empty when nothing is. */
export function networkArgProblems(args: NetworkArgs): ArgProblem[] {
  const cidr = parseIpv4Cidr(args.cidrBlock);
  const problems = [
    ...check("region", args.region, matches(REGION, "an AWS region like us-east-1")),
    ...check("cidrBlock", args.cidrBlock, () =>
      cidr && cidr.prefix >= 16 && cidr.prefix <= 26 - AZ_BLOCK_BITS
        ? undefined
        : "must be an IPv4 network CIDR from /16 to /23 like 10.0.0.0/16",
    ),
    ...check("availabilityZoneCount", args.availabilityZoneCount, integerIn(2, 6)),
    ...check("natGateways", args.natGateways, oneOf(NAT_STRATEGIES)),
  ];
  const regionAzs = availabilityZoneCount(args.region);
  if (regionAzs !== undefined && args.availabilityZoneCount <= 6 && args.availabilityZoneCount > regionAzs) {
    problems.push({
      arg: "availabilityZoneCount",
      message: `${args.region} has ${regionAzs} availability zones`,
      value: args.availabilityZoneCount,
    });
  }
  return problems;
}
// #endregion

/**
 * Each Network's looked-up private route tables, kept off the instance: the package's schema turns
 * every field of a component, private ones included, into an output.
 */
const routeTableIds = new WeakMap<Network, pulumi.Output<string[]>>();

/** VPC with public and private subnets over N AZs, DNS on (Cloud Map needs it), optional endpoints. */
export class Network extends pulumi.ComponentResource {
  /** Id of the VPC. */
  public readonly vpcId: pulumi.Output<string>;
  /** IPv4 CIDR of the VPC (the `cidrBlock` input). */
  public readonly cidrBlock: string;
  /** Public subnets, one per availability zone (load balancers, NAT gateways). */
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  /** Private subnets, one per availability zone, where the tasks run. */
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** Security group of the interface endpoints; undefined without endpoints. */
  public readonly endpointSecurityGroupId: pulumi.Output<string> | undefined;
  private get scope(): Scope {
    return scopeOf(this);
  }

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("Network", name, networkArgProblems(args));
    super(packageType("Network"), name, {}, withFormerType(opts, FORMER_TYPES.Network));
    keepScope(this, { parent: this, tags: componentTags(name, args.tags) });

    // awsx's VPC is a remote component: the SDK sends it only the providers passed to it, and the
    // engine merges in this component's (pulumi/pulumi#10640). Pass the AWS one explicitly, so its
    // subnets and NAT gateways use it whatever the engine does (and the mock tests can see it).
    const awsProvider = this.getProvider("aws:ec2/vpc:Vpc");
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: args.availabilityZoneCount,
        availabilityZoneCidrMask: (parseIpv4Cidr(args.cidrBlock)?.prefix ?? 16) + AZ_BLOCK_BITS,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        natGateways: { strategy: args.natGateways },
        subnetStrategy: "Auto",
        subnetSpecs: [{ type: "Public" }, { type: "Private" }],
        // awsx passes these on to the subnets, route tables, NAT gateways and the rest it creates.
        tags: this.scope.tags,
      },
      { parent: this, providers: awsProvider ? [awsProvider] : [] },
    );
    this.vpcId = vpc.vpcId;
    this.cidrBlock = args.cidrBlock;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;

    this.endpointSecurityGroupId = args.vpcEndpoints
      ? this.createEndpoints(name, args).securityGroupId
      : undefined;

    this.registerOutputs({
      vpcId: this.vpcId,
      cidrBlock: this.cidrBlock,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      endpointSecurityGroupId: this.endpointSecurityGroupId,
    });
  }

  /**
   * Route tables of the private subnets (awsx gives each subnet its own). awsx is a remote
   * component, so its route tables are not resources we can reference: look them up, once.
   */
  public privateRouteTableIds(): pulumi.Output<string[]> {
    let ids = routeTableIds.get(this);
    if (ids === undefined) {
      ids = aws.ec2.getRouteTablesOutput(
        { vpcId: this.vpcId, filters: [{ name: "association.subnet-id", values: this.privateSubnetIds }] },
        { parent: this },
      ).ids;
      routeTableIds.set(this, ids);
    }
    return ids;
  }

  private createEndpoints(name: string, args: NetworkArgs): { securityGroupId: pulumi.Output<string> } {
    const sg = createSecurityGroup(
      `${name}-endpoints`,
      this.vpcId,
      "VPC interface endpoints: HTTPS from inside the VPC",
      this.scope,
    );
    tcpRule(
      "ingress",
      {
        name: `${name}-endpoints-https`,
        securityGroupId: sg.id,
        port: 443,
        peer: { cidr: args.cidrBlock },
        description: "HTTPS from the VPC",
      },
      this.scope,
    );

    const services = [...INTERFACE_ENDPOINTS, ...(args.extraInterfaceEndpoints ?? [])];
    for (const service of services) {
      new aws.ec2.VpcEndpoint(
        `${name}-${service.replace(/\./g, "-")}`,
        {
          vpcId: this.vpcId,
          serviceName: `com.amazonaws.${args.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: this.privateSubnetIds,
          securityGroupIds: [sg.id],
          tags: this.scope.tags,
        },
        { parent: this },
      );
    }

    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: this.vpcId,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: this.privateRouteTableIds(),
        tags: this.scope.tags,
      },
      { parent: this },
    );
    return { securityGroupId: sg.id };
  }
}
