import * as pulumi from "@pulumi/pulumi";
import { ArgProblem, assertValidArgs, parseIpv4Cidr, under } from "../shared/arg-checks";
import { fromStackRoot, MovedComponent, packageType } from "../shared/former-type";
import { TaggedArgs } from "../shared/tags";
import { DestroyRunner, destroyRunnerProblems } from "../shared/destroy-runner";
import { Cluster, ClusterArgs, clusterArgProblems } from "../network/cluster";
import { LoadBalancer, LoadBalancerOptions, loadBalancerArgProblems } from "../network/load-balancer";
import {
  CleanupOnDeleteArgs,
  cleanupOnDeleteProblems,
  Namespace,
  NamespaceOptions,
  namespaceArgProblems,
} from "../network/namespace";
import { Network, NetworkArgs, networkArgProblems } from "../network/network";
import { ConsulCatalogCheck, ConsulCatalogCheckArgs } from "../consul/consul-catalog-check";
import { ConsulReach, ConsulReachOptions, consulReachArgProblems } from "../consul/consul-reach";
import {
  CONSUL_HTTP_PORT,
  ConsulManagementToken,
  ConsulManagementTokenArgs,
  ConsulServer,
  ConsulServerOptions,
  consulServerArgProblems,
} from "../consul/consul-server";
import {
  ConsulSync,
  ConsulSyncOptions,
  consulSyncArgProblems,
  parseConsulAddress,
} from "../consul/consul-sync";

/** A single Consul server the environment runs in its own VPC (a dev environment's Consul). */
export interface EmbeddedConsulArgs extends ConsulServerOptions {
  /**
   * Extra IPv4 network CIDRs admitted on the server's HTTP port (8500), e.g. a VPN range.
   * Default: [] (only the environment's own consul-aws and catalog check).
   * @default []
   * @example ["10.99.0.0/16"]
   */
  readonly allowedCidrs?: string[];
}

/** An existing Consul in another network, reached over a VPC peering or a transit gateway. */
export interface ExternalConsulArgs extends ConsulReachOptions {
  /**
   * Where Consul's HTTP API is, http://host[:port] or https://host[:port] (port 8500 / 8501 when
   * left out); https means TLS. A host name must lie under the forwarded `dns` domain.
   * @default required
   * @example "https://consul.prod.example.com:8501"
   */
  readonly httpAddr: string;
  /**
   * Secrets Manager ARN of the ACL token consul-aws (and the catalog check) use.
   * @default required
   */
  readonly tokenSecretArn: string;
  /**
   * Secrets Manager ARN of Consul's CA certificate (PEM), for a certificate no public CA signed.
   * Default: none (the system's trust store).
   * @default undefined (no CA file)
   */
  readonly caCertSecretArn?: string;
  /**
   * Image with the `consul` CLI (by version tag or digest) for the catalog check task, which reads
   * Consul's catalog from inside the VPC. Default: none, no check task (and nothing can remove
   * consul-aws's entries from Consul on destroy).
   * @default undefined (no catalog check)
   * @example "public.ecr.aws/hashicorp/consul:1.21.5"
   */
  readonly checkImage?: string;
  /**
   * On destroy, remove the services consul-aws registered in Consul with a one-off task (needs
   * checkImage), started by code that runs at destroy (see `deregistrationRunner`).
   * Default: false (they stay in Consul).
   * @default false
   */
  readonly deregisterOnDestroy?: boolean;
  /**
   * What starts that task at destroy: "lambda" (an AWS Lambda function the AWS provider invokes;
   * works from any language) or "dynamicProvider" (a Pulumi dynamic resource; TypeScript programs
   * only, what 0.1.0 deployed). ConsulCatalogCheck's `deregisterOnDelete.runner`.
   * Default: "lambda".
   * @default "lambda"
   */
  readonly deregistrationRunner?: DestroyRunner;
}

/** consul-aws, and exactly one of `embedded` or `external`: where the Consul it syncs with is. */
export interface EnvironmentConsulArgs {
  /**
   * consul-aws's settings (image, prefixes, poll interval, region, log retention).
   * @default required
   */
  readonly sync: ConsulSyncOptions;
  /**
   * Run a single Consul server in the environment (its image also runs the catalog check).
   * Give this or `external`, not both.
   * @default undefined
   */
  readonly embedded?: EmbeddedConsulArgs;
  /**
   * Reach an existing Consul in another network. Give this or `embedded`, not both.
   * @default undefined
   */
  readonly external?: ExternalConsulArgs;
  /**
   * Consul names (with consul-aws's `prefixes.inConsul`) the catalog check looks up.
   * Default: [] (the check task is created, it looks up nothing by itself).
   * @default []
   * @example ["aws-hello", "aws-name"]
   */
  readonly catalogCheckServices?: string[];
}

export interface DiscoveryEnvironmentArgs extends TaggedArgs {
  /**
   * The VPC: CIDR, availability zones, NAT gateways, endpoints, region.
   * @default required
   */
  readonly network: NetworkArgs;
  /**
   * The ECS cluster and its execution role (the environment adds the embedded Consul's secrets to
   * `secretArns`). Its `clusterName` defaults to "<project>-<stack>-<name>" (two environments in a
   * stack get two names), or "<project>-<stack>" with adoptFromStackRoot.
   * @default required
   */
  readonly cluster: ClusterArgs;
  /**
   * The Cloud Map namespace's settings. Default: `{}` (namespace "internal", SOA TTL 15 s).
   * @default {}
   */
  readonly namespace?: NamespaceOptions;
  /**
   * Empty the namespace, before it is deleted, of the Cloud Map services no stack owns (consul-aws's,
   * ECS Service Connect's); see Namespace's `cleanupOnDelete` (its default runner, `lambda`, works
   * from any language).
   * @default undefined (off)
   */
  readonly namespaceCleanup?: CleanupOnDeleteArgs;
  /**
   * A public ALB in the public subnets, for services to register in (`targetGroupArn`).
   * @default undefined (no ALB)
   */
  readonly loadBalancer?: LoadBalancerOptions;
  /**
   * consul-aws syncing the namespace with a Consul, embedded or external.
   * @default undefined (no Consul side)
   */
  readonly consul?: EnvironmentConsulArgs;
  /**
   * Name the parts exactly `net`, `ecs`, `discovery`, `public`, `consul-token`, `consul-server`,
   * `consul-reach`, `consul-check` and `consul-sync` (no `<name>-` prefix) and alias each to the
   * same component at the stack's root: a stack that built these components itself at its root
   * moves into the environment without replacing anything. One such environment per stack.
   * Default: false (parts are named `<name>-net`, `<name>-ecs`, …).
   * @default false
   */
  readonly adoptFromStackRoot?: boolean;
}

/** The components a DiscoveryEnvironment is made of, for TypeScript programs that wire services to them. */
export interface EnvironmentParts {
  readonly network: Network;
  readonly cluster: Cluster;
  readonly namespace: Namespace;
  /** undefined without `loadBalancer`. */
  readonly loadBalancer: LoadBalancer | undefined;
  /** undefined without `consul`. */
  readonly consul: EnvironmentConsulParts | undefined;
  /**
   * What a service in the environment waits for before it is created (capacity providers,
   * execution-role policies, the namespace cleanup it must be deleted before): its `startAfter`.
   */
  readonly serviceStartAfter: pulumi.Resource[];
}

export interface EnvironmentConsulParts {
  readonly sync: ConsulSync;
  /** Embedded: the server and its management token. */
  readonly token: ConsulManagementToken | undefined;
  readonly server: ConsulServer | undefined;
  /** External: the routes and DNS forwarding to it. */
  readonly reach: ConsulReach | undefined;
  /** undefined for an external Consul without checkImage. */
  readonly check: ConsulCatalogCheck | undefined;
  /** CONSUL_HTTP_ADDR of consul-aws and the check. */
  readonly httpAddr: string;
}

// #region argument checks

const ONE_CONSUL =
  "needs exactly one of consul.embedded (a Consul server the environment runs: { image, allowedCidrs, … }) " +
  "or consul.external (an existing Consul: { httpAddr, tokenSecretArn, consulCidr, route, dns, … })";

function consulProblems(consul: EnvironmentConsulArgs, region: string): ArgProblem[] {
  const { embedded, external } = consul;
  if ((embedded === undefined) === (external === undefined))
    return [{ arg: "consul", message: `${ONE_CONSUL}; ${embedded ? "both are" : "neither is"} set` }];
  const sameRegion = (arg: string, value: string): ArgProblem[] =>
    value === region ? [] : [{ arg, message: `must be network.region (${region})`, value }];
  const problems = [
    // consulCidr is the reach's to check (below): the sync gets it from there, once.
    ...under("consul.sync", consulSyncArgProblems(consul.sync)),
    ...sameRegion("consul.sync.region", consul.sync.region),
  ];
  if (embedded) {
    problems.push(
      ...under("consul.embedded", consulServerArgProblems(embedded)),
      ...sameRegion("consul.embedded.region", embedded.region),
    );
    for (const [i, cidr] of (embedded.allowedCidrs ?? []).entries())
      if (!parseIpv4Cidr(cidr))
        problems.push({
          arg: `consul.embedded.allowedCidrs[${i}]`,
          message: "must be an IPv4 network CIDR like 10.0.0.0/16",
          value: cidr,
        });
  }
  if (external) {
    if (!parseConsulAddress(external.httpAddr))
      problems.push({
        arg: "consul.external.httpAddr",
        message: "must be http://host[:port] or https://host[:port]",
        value: external.httpAddr,
      });
    problems.push(
      ...under("consul.external", consulReachArgProblems(external)),
      ...destroyRunnerProblems("consul.external.deregistrationRunner", external.deregistrationRunner),
    );
  }
  return problems;
}

/** What is wrong with DiscoveryEnvironment's arguments (its parts' rules included); empty when nothing is. */
export function discoveryEnvironmentArgProblems(args: DiscoveryEnvironmentArgs): ArgProblem[] {
  const region = args.network.region;
  return [
    ...under("network", networkArgProblems(args.network)),
    ...under("cluster", clusterArgProblems(args.cluster)),
    ...(args.cluster.region === region
      ? []
      : [
          {
            arg: "cluster.region",
            message: `must be network.region (${region})`,
            value: args.cluster.region,
          },
        ]),
    ...under("namespace", namespaceArgProblems(args.namespace ?? {})),
    ...under("namespaceCleanup", cleanupOnDeleteProblems(args.namespaceCleanup)),
    ...(args.loadBalancer ? under("loadBalancer", loadBalancerArgProblems(args.loadBalancer)) : []),
    ...(args.consul ? consulProblems(args.consul, region) : []),
  ];
}
// #endregion

/** Each environment's parts, kept off its fields: the schema would make every field an output. */
const partsOf = new WeakMap<DiscoveryEnvironment, EnvironmentParts>();

/** The components an environment built, for a TypeScript program's wiring (exact `startAfter` lists, security group rules). */
export function environmentParts(environment: DiscoveryEnvironment): EnvironmentParts {
  const parts = partsOf.get(environment);
  if (!parts) throw new Error("environmentParts: not a constructed DiscoveryEnvironment");
  return parts;
}

/**
 * A new environment for the pattern: a VPC, an ECS cluster with its execution role, a Cloud Map
 * namespace, optionally a public ALB, and optionally consul-aws syncing the namespace with a Consul
 * (a server it runs, or an existing one it routes to) plus a catalog check task. Add services
 * after it (DiscoverableService) with its outputs as their ids and `dependsOn: [environment]`.
 */
export class DiscoveryEnvironment extends pulumi.ComponentResource {
  /** Id of the VPC. */
  public readonly vpcId: pulumi.Output<string>;
  /** Private subnets, one per availability zone, where the tasks run. */
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** Public subnets, one per availability zone (the ALB, NAT gateways). */
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  /** ARN of the ECS cluster. */
  public readonly clusterArn: pulumi.Output<string>;
  /** Name of the ECS cluster: `cluster.clusterName`, or `<project>-<stack>-<name>` (`<project>-<stack>` with adoptFromStackRoot). */
  public readonly clusterName: pulumi.Output<string>;
  /** Task execution role every service of the cluster shares (image pull, logs, `cluster.secretArns`). */
  public readonly executionRoleArn: pulumi.Output<string>;
  /** Id of the Cloud Map private DNS namespace. */
  public readonly namespaceId: pulumi.Output<string>;
  /** ARN of the namespace. */
  public readonly namespaceArn: pulumi.Output<string>;
  /** DNS name of the namespace. */
  public readonly namespaceName: pulumi.Output<string>;
  /** The namespace's private Route 53 hosted zone. */
  public readonly hostedZoneId: pulumi.Output<string>;
  /** The ALB's URL (http, or https with a certificate); undefined without `loadBalancer`. */
  public readonly loadBalancerUrl: pulumi.Output<string | undefined>;
  /** The ALB's target group, for the service behind it; undefined without `loadBalancer`. */
  public readonly targetGroupArn: pulumi.Output<string | undefined>;
  /** The ALB's security group (admit it on the service's port); undefined without `loadBalancer`. */
  public readonly loadBalancerSecurityGroupId: pulumi.Output<string | undefined>;
  /** CONSUL_HTTP_ADDR consul-aws uses; undefined without `consul`. */
  public readonly consulHttpAddr: pulumi.Output<string | undefined>;
  /** Name of consul-aws's ECS service; undefined without `consul`. */
  public readonly consulSyncServiceName: pulumi.Output<string | undefined>;
  /** The consul-aws image the task runs, by digest; undefined without `consul`. */
  public readonly consulSyncImage: pulumi.Output<string | undefined>;
  /** The embedded Consul server's ECS service; undefined unless `consul.embedded`. */
  public readonly consulServerServiceName: pulumi.Output<string | undefined>;
  /** The embedded Consul server's DNS name in the namespace; undefined unless `consul.embedded`. */
  public readonly consulServerDnsName: pulumi.Output<string | undefined>;
  /** The Consul image the embedded server runs, by digest; undefined unless `consul.embedded`. */
  public readonly consulServerImage: pulumi.Output<string | undefined>;
  /** ARN of the secret holding the embedded Consul's management token (never the token); undefined unless `consul.embedded`. */
  public readonly consulTokenSecretArn: pulumi.Output<string | undefined>;
  /** Task definition of the catalog check (run it with `aws ecs run-task`); undefined without one. */
  public readonly catalogCheckTaskDefinitionArn: pulumi.Output<string | undefined>;
  /** Security group of the catalog check's task; undefined without one. */
  public readonly catalogCheckSecurityGroupId: pulumi.Output<string | undefined>;
  /** Log group of the catalog check's task; undefined without one. */
  public readonly catalogCheckLogGroupName: pulumi.Output<string | undefined>;

  constructor(name: string, args: DiscoveryEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("DiscoveryEnvironment", name, discoveryEnvironmentArgProblems(args));
    super(packageType("DiscoveryEnvironment"), name, {}, opts);
    const adopt = args.adoptFromStackRoot ?? false;
    const part = (component: MovedComponent, suffix: string) => ({
      name: adopt ? suffix : `${name}-${suffix}`,
      opts: { parent: this, aliases: adopt ? fromStackRoot(component) : [] },
    });
    // The environment's tags on every part, under each part's own.
    const tagged = <T extends TaggedArgs>(partArgs: T): T =>
      args.tags ? { ...partArgs, tags: { ...args.tags, ...partArgs.tags } } : partArgs;
    const consul = args.consul;

    // The embedded Consul's token comes before the cluster: the tasks' execution role reads its secrets.
    const tokenPart = part("ConsulManagementToken", "consul-token");
    const token = consul?.embedded
      ? new ConsulManagementToken(
          tokenPart.name,
          tagged<ConsulManagementTokenArgs>({ kmsKeyArn: args.cluster.secretsKmsKeyArn }),
          tokenPart.opts,
        )
      : undefined;
    const netPart = part("Network", "net");
    const network = new Network(netPart.name, tagged(args.network), netPart.opts);
    const ecsPart = part("Cluster", "ecs");
    const tokenSecrets = token ? [token.tokenSecretArn, token.serverConfigSecretArn] : [];
    const cluster = new Cluster(
      ecsPart.name,
      tagged({
        ...args.cluster,
        clusterName:
          args.cluster.clusterName ??
          (adopt ? undefined : `${pulumi.getProject()}-${pulumi.getStack()}-${name}`),
        secretArns: [...(args.cluster.secretArns ?? []), ...tokenSecrets],
      }),
      ecsPart.opts,
    );
    const nsPart = part("Namespace", "discovery");
    // Whatever runs in the namespace and leaves Cloud Map services no stack owns (consul-aws,
    // ECS Service Connect) is deleted before this cleanup runs, which empties it for the namespace.
    const namespace = new Namespace(
      nsPart.name,
      tagged({ ...args.namespace, vpcId: network.vpcId, cleanupOnDelete: args.namespaceCleanup }),
      nsPart.opts,
    );
    const serviceStartAfter = [
      cluster.capacityProviders,
      ...cluster.executionRolePolicies,
      ...(namespace.cleanup ? [namespace.cleanup] : []),
    ];
    // The ALB comes before the services whose tasks register in its target group.
    const lbPart = part("LoadBalancer", "public");
    const loadBalancer = args.loadBalancer
      ? new LoadBalancer(
          lbPart.name,
          tagged({
            ...args.loadBalancer,
            vpcId: network.vpcId,
            publicSubnetIds: network.publicSubnetIds,
          }),
          lbPart.opts,
        )
      : undefined;

    const consulParts = consul
      ? this.consulSide(consul, {
          network,
          cluster,
          namespace,
          token,
          part,
          tagged,
          routeTableCount: args.network.availabilityZoneCount,
        })
      : undefined;
    partsOf.set(this, { network, cluster, namespace, loadBalancer, consul: consulParts, serviceStartAfter });

    const server = consulParts?.server;
    const check = consulParts?.check;
    this.vpcId = network.vpcId;
    this.privateSubnetIds = network.privateSubnetIds;
    this.publicSubnetIds = network.publicSubnetIds;
    this.clusterArn = cluster.clusterArn;
    this.clusterName = cluster.clusterName;
    this.executionRoleArn = cluster.executionRoleArn;
    this.namespaceId = namespace.namespaceId;
    this.namespaceArn = namespace.namespaceArn;
    this.namespaceName = pulumi.output(namespace.namespaceName);
    this.hostedZoneId = namespace.hostedZoneId;
    this.loadBalancerUrl = pulumi.output(loadBalancer?.url);
    this.targetGroupArn = pulumi.output(loadBalancer?.targetGroupArn);
    this.loadBalancerSecurityGroupId = pulumi.output(loadBalancer?.securityGroupId);
    this.consulHttpAddr = pulumi.output(consulParts?.httpAddr);
    this.consulSyncServiceName = pulumi.output(consulParts?.sync.serviceName);
    this.consulSyncImage = pulumi.output(consulParts?.sync.image);
    this.consulServerServiceName = pulumi.output(server?.serviceName);
    this.consulServerDnsName = pulumi.output(server?.dnsName);
    this.consulServerImage = pulumi.output(server?.image);
    this.consulTokenSecretArn = pulumi.output(token?.tokenSecretArn);
    this.catalogCheckTaskDefinitionArn = pulumi.output(check?.taskDefinitionArn);
    this.catalogCheckSecurityGroupId = pulumi.output(check?.securityGroupId);
    this.catalogCheckLogGroupName = pulumi.output(check?.logGroupName);
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      publicSubnetIds: this.publicSubnetIds,
      clusterArn: this.clusterArn,
      clusterName: this.clusterName,
      executionRoleArn: this.executionRoleArn,
      namespaceId: this.namespaceId,
      namespaceArn: this.namespaceArn,
      namespaceName: this.namespaceName,
      hostedZoneId: this.hostedZoneId,
      loadBalancerUrl: this.loadBalancerUrl,
      targetGroupArn: this.targetGroupArn,
      loadBalancerSecurityGroupId: this.loadBalancerSecurityGroupId,
      consulHttpAddr: this.consulHttpAddr,
      consulSyncServiceName: this.consulSyncServiceName,
      consulSyncImage: this.consulSyncImage,
      consulServerServiceName: this.consulServerServiceName,
      consulServerDnsName: this.consulServerDnsName,
      consulServerImage: this.consulServerImage,
      consulTokenSecretArn: this.consulTokenSecretArn,
      catalogCheckTaskDefinitionArn: this.catalogCheckTaskDefinitionArn,
      catalogCheckSecurityGroupId: this.catalogCheckSecurityGroupId,
      catalogCheckLogGroupName: this.catalogCheckLogGroupName,
    });
  }

  /** The Consul side: the server (embedded) or the way to it (external), the catalog check, then consul-aws. */
  private consulSide(consul: EnvironmentConsulArgs, built: BuiltParts): EnvironmentConsulParts {
    const { network, cluster, namespace, token, part, tagged, routeTableCount } = built;
    const { embedded, external } = consul;
    const placement = {
      clusterArn: cluster.clusterArn,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      executionRoleArn: cluster.executionRoleArn,
    };
    const capacity = [cluster.capacityProviders, ...cluster.executionRolePolicies];

    let server: ConsulServer | undefined;
    let reach: ConsulReach | undefined;
    if (embedded && token) {
      const serverPart = part("ConsulServer", "consul-server");
      const { allowedCidrs, ...serverOptions } = embedded;
      server = new ConsulServer(
        serverPart.name,
        tagged({
          ...serverOptions,
          ...placement,
          namespaceId: namespace.namespaceId,
          namespaceName: namespace.namespaceName,
          serverConfigSecretArn: token.serverConfigSecretArn,
          startAfter: capacity,
        }),
        serverPart.opts,
      );
      for (const [i, cidr] of (allowedCidrs ?? []).entries()) server.allowCidr(i, cidr);
    } else if (external) {
      const reachPart = part("ConsulReach", "consul-reach");
      reach = new ConsulReach(
        reachPart.name,
        tagged({
          consulCidr: external.consulCidr,
          route: external.route,
          dns: external.dns,
          tags: external.tags,
          vpcId: network.vpcId,
          privateSubnetIds: network.privateSubnetIds,
          routeTableCount,
        }),
        reachPart.opts,
      );
    }
    // Checked before anything was registered: exactly one of them, and an address that parses.
    const where = server
      ? {
          httpAddr: server.httpAddr,
          tls: false,
          port: CONSUL_HTTP_PORT,
          tokenSecretArn: token?.tokenSecretArn ?? pulumi.output(""),
          caCertSecretArn: undefined,
          cidr: undefined,
          checkImage: embedded?.image,
        }
      : externalLocation(external);

    const checkPart = part("ConsulCatalogCheck", "consul-check");
    const check = where.checkImage
      ? new ConsulCatalogCheck(
          checkPart.name,
          tagged<ConsulCatalogCheckArgs>({
            vpcId: network.vpcId,
            executionRoleArn: cluster.executionRoleArn,
            image: where.checkImage,
            consulHttpAddr: where.httpAddr,
            tokenSecretArn: where.tokenSecretArn,
            caCertSecretArn: where.caCertSecretArn,
            services: consul.catalogCheckServices ?? [],
            logRetentionDays: consul.sync.logRetentionDays,
            region: consul.sync.region,
            consulCidr: where.cidr,
            consulPort: where.port,
            // An external Consul keeps consul-aws's entries after a destroy unless they are
            // removed; only a task inside the VPC reaches it.
            deregisterOnDelete: external
              ? {
                  enabled: external.deregisterOnDestroy ?? false,
                  clusterArn: cluster.clusterArn,
                  subnetIds: network.privateSubnetIds,
                  after: [cluster, network, ...(reach?.paths ?? [])],
                  runner: external.deregistrationRunner,
                }
              : undefined,
          }),
          checkPart.opts,
        )
      : undefined;
    if (server && check) server.allowFrom(check);

    const syncPart = part("ConsulSync", "consul-sync");
    const sync = new ConsulSync(
      syncPart.name,
      tagged({
        ...consul.sync,
        ...placement,
        namespaceId: namespace.namespaceId,
        namespaceArn: namespace.namespaceArn,
        namespaceName: namespace.namespaceName,
        hostedZoneId: namespace.hostedZoneId,
        consulHttpAddr: where.httpAddr,
        tls: where.tls,
        consulPort: where.port,
        consulCidr: where.cidr,
        consulSecurityGroupId: server?.securityGroupId,
        tokenSecretArn: where.tokenSecretArn,
        caCertSecretArn: where.caCertSecretArn,
        // consul-aws stops before the namespace cleanup runs, so it cannot re-create what was
        // removed; it starts once the embedded server is healthy (it exits after 11 errors).
        startAfter: [
          ...capacity,
          ...(namespace.cleanup ? [namespace.cleanup] : []),
          ...(server ? [server.ready] : []),
          // Deleted before consul-aws's entries are removed from an external Consul.
          ...(check?.deregistration ? [check.deregistration] : []),
        ],
      }),
      syncPart.opts,
      // consul-aws opens its own egress to the server; the server admits it before it starts.
      { connections: (self) => server?.allowFrom(self, { callerEgress: false }) ?? [] },
    );
    return { sync, token, server, reach, check, httpAddr: where.httpAddr };
  }
}

/** What consulSide builds on. */
interface BuiltParts {
  readonly network: Network;
  readonly cluster: Cluster;
  readonly namespace: Namespace;
  readonly token: ConsulManagementToken | undefined;
  readonly part: (
    component: MovedComponent,
    suffix: string,
  ) => { readonly name: string; readonly opts: pulumi.ComponentResourceOptions };
  readonly tagged: <T extends TaggedArgs>(partArgs: T) => T;
  /** One private route table per availability zone. */
  readonly routeTableCount: number;
}

/** Where an external Consul is, from its address (already checked to parse). */
function externalLocation(external: ExternalConsulArgs | undefined) {
  const address = external ? parseConsulAddress(external.httpAddr) : undefined;
  if (!external || !address) throw new Error("DiscoveryEnvironment: consul needs embedded or external");
  return {
    httpAddr: external.httpAddr,
    tls: address.tls,
    port: address.port,
    tokenSecretArn: pulumi.output(external.tokenSecretArn),
    caCertSecretArn: external.caCertSecretArn,
    cidr: external.consulCidr as string | undefined,
    checkImage: external.checkImage,
  };
}
