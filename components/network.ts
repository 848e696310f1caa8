import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { NatStrategy } from "./settings";
import { componentTags, TaggedArgs } from "./tags";
import { createSecurityGroup, Scope, tcpRule } from "./taskResources";

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
  /** IPv4 CIDR of the VPC, e.g. "10.0.0.0/16". */
  readonly cidrBlock: string;
  /** Availability zones; each gets one public and one private subnet. */
  readonly availabilityZoneCount: number;
  /** "Single" (one NAT gateway, cheaper) or "OnePerAz" (survives an AZ outage). */
  readonly natGateways: NatStrategy;
  /** Create the VPC endpoints in INTERFACE_ENDPOINTS plus an S3 gateway. Default: false. */
  readonly vpcEndpoints?: boolean;
  /** Extra interface endpoints, e.g. "ssmmessages" for ECS Exec. Default: none. Only used with vpcEndpoints. */
  readonly extraInterfaceEndpoints?: readonly string[];
  /** Region, for endpoint service names. */
  readonly region: string;
}

/** VPC with public and private subnets over N AZs, DNS on (Cloud Map needs it), optional endpoints. */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly cidrBlock: string;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** Security group of the interface endpoints; undefined without endpoints. */
  public readonly endpointSecurityGroupId: pulumi.Output<string> | undefined;
  private readonly scope: Scope;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecs-cloudmap-consul:network:Network", name, {}, opts);
    this.scope = { parent: this, tags: componentTags(name, args.tags) };

    // awsx's VPC is a remote component: the SDK sends it only the providers passed to it, and the
    // engine merges in this component's (pulumi/pulumi#10640). Pass the AWS one explicitly, so its
    // subnets and NAT gateways use it whatever the engine does (and the mock tests can see it).
    const awsProvider = this.getProvider("aws:ec2/vpc:Vpc");
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: args.availabilityZoneCount,
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

  private routeTables: pulumi.Output<string[]> | undefined;

  /**
   * Route tables of the private subnets (awsx gives each subnet its own). awsx is a remote
   * component, so its route tables are not resources we can reference: look them up, once.
   */
  public privateRouteTableIds(): pulumi.Output<string[]> {
    this.routeTables ??= aws.ec2.getRouteTablesOutput(
      { vpcId: this.vpcId, filters: [{ name: "association.subnet-id", values: this.privateSubnetIds }] },
      { parent: this },
    ).ids;
    return this.routeTables;
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
