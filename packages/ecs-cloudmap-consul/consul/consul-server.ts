/**
 * consulMode embedded: a single Consul server the stack runs for itself (dev), and the
 * management token it is bootstrapped with.
 *
 * The server is a Fargate service registered in Cloud Map as `consul-server.<namespace>`. That
 * name lies under the namespace's domain, so the VPC's resolver answers it from Cloud Map's own
 * private hosted zone, which is exactly where ECS registers the task: no shadowing. Its data lives
 * in the task: a restart loses the catalog, and consul-aws fills it again within a poll interval.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import * as random from "@pulumi/random";
import {
  ArgProblem,
  assertValidArgs,
  check,
  imageByTagOrDigest,
  kmsKeyArn,
  logRetentionDays,
} from "../shared/arg-checks";
import { pinnedImage } from "../service/pinned-image";
import { containerDefinition } from "../service/container-definition";
import { createCloudMapService, redeployOnNewCloudMapService } from "../service/discoverable-service";
import { cloudMapDnsName } from "../shared/naming";
import { componentTags, TaggedArgs } from "../shared/tags";
import {
  createFargateTask,
  createLogGroup,
  createSecurityGroup,
  createSingletonService,
  egressTo,
  execPolicies,
  FargatePlacementArgs,
  httpsEgress,
  Scope,
  SecurityGroupMember,
  tcpRule,
  keepScope,
  scopeOf,
} from "../service/task-resources";

/** Consul's HTTP API and UI port. */
export const CONSUL_HTTP_PORT = 8500;
/** The Cloud Map service name of the embedded server. */
export const CONSUL_SERVER_SERVICE = "consul-server";

/**
 * The server's configuration, which the official image's entrypoint writes from the
 * CONSUL_LOCAL_CONFIG variable to /consul/config/local.json. It carries the management token,
 * so ECS injects it from Secrets Manager, never as plain environment.
 */
export function consulServerConfig(managementToken: string): Record<string, unknown> {
  return {
    server: true,
    bootstrap_expect: 1,
    ui_config: { enabled: true },
    client_addr: "0.0.0.0",
    // The task's own address (Fargate gives the task one ENI); a go-sockaddr template Consul expands.
    bind_addr: "{{ GetPrivateIP }}",
    disable_update_check: true,
    acl: {
      enabled: true,
      default_policy: "deny",
      down_policy: "extend-cache",
      enable_token_persistence: true,
      // The server's own node registration needs a token too; in this one-server dev Consul it is the same.
      tokens: { initial_management: managementToken, agent: managementToken },
    },
  };
}

export interface ConsulManagementTokenArgs extends TaggedArgs {
  /**
   * Customer-managed KMS key for the secrets.
   * @default undefined (the AWS-managed key)
   * @example "arn:aws:kms:eu-west-1:111111111111:key/2b9e7c41-8d3a-4f6e-a1c0-5e7d9b3f4a21"
   */
  readonly kmsKeyArn?: string;
}

/**
 * A management token generated once and kept in the stack's state as a secret, plus two
 * Secrets Manager secrets built from it: the token (for consul-aws and the catalog check) and the
 * server configuration that bootstraps Consul's ACLs with it.
 */
export class ConsulManagementToken extends pulumi.ComponentResource {
  /** Secrets Manager ARN of the generated management ACL token. */
  public readonly tokenSecretArn: pulumi.Output<string>;
  /** Secrets Manager ARN of the server's ACL configuration, which carries that token. */
  public readonly serverConfigSecretArn: pulumi.Output<string>;

  constructor(name: string, args: ConsulManagementTokenArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("ConsulManagementToken", name, check("kmsKeyArn", args.kmsKeyArn, kmsKeyArn));
    super(
      packageType("ConsulManagementToken"),
      name,
      {},
      withFormerType(opts, FORMER_TYPES.ConsulManagementToken),
    );
    const tags = componentTags(name, args.tags);
    // Consul wants a UUID; the random provider marks nothing secret by default, so ask for it.
    const uuid = new random.RandomUuid(
      `${name}-uuid`,
      {},
      { parent: this, additionalSecretOutputs: ["result"] },
    );
    const token = pulumi.secret(uuid.result);

    const secret = (
      suffix: string,
      description: string,
      value: pulumi.Output<string>,
    ): aws.secretsmanager.Secret => {
      const s = new aws.secretsmanager.Secret(
        `${name}-${suffix}`,
        // Stack-owned dev secrets: delete at once so a re-created stack never waits out a recovery window.
        { description, kmsKeyId: args.kmsKeyArn, recoveryWindowInDays: 0, tags },
        { parent: this },
      );
      new aws.secretsmanager.SecretVersion(
        `${name}-${suffix}-value`,
        { secretId: s.id, secretString: value },
        { parent: this },
      );
      return s;
    };
    const tokenSecret = secret("token", "Management token of the embedded Consul (ACL SecretID)", token);
    const configSecret = secret(
      "server-config",
      "CONSUL_LOCAL_CONFIG of the embedded Consul server (contains the management token)",
      token.apply((t) => JSON.stringify(consulServerConfig(t))),
    );

    this.tokenSecretArn = tokenSecret.arn;
    this.serverConfigSecretArn = configSecret.arn;
    this.registerOutputs({
      tokenSecretArn: this.tokenSecretArn,
      serverConfigSecretArn: this.serverConfigSecretArn,
    });
  }
}

/** A Consul server's own settings, the part of ConsulServerArgs that is not where it runs (DiscoveryEnvironment takes these). */
export interface ConsulServerOptions extends TaggedArgs {
  /**
   * Consul image by version tag or digest; a tag is resolved to its digest at deploy (the task runs a digest).
   * @default required
   * @example "public.ecr.aws/hashicorp/consul:1.21.5"
   */
  readonly image: string;
  /**
   * Retention of the server's log group, days (a value CloudWatch accepts).
   * @default required
   */
  readonly logRetentionDays: number;
  /**
   * Region of the awslogs driver.
   * @default required
   * @example "eu-west-1"
   */
  readonly region: string;
  /**
   * ECS Exec, which also gives port forwarding to the UI.
   * Default: false.
   * @default false
   */
  readonly enableExecuteCommand?: boolean;
}

export interface ConsulServerArgs extends ConsulServerOptions, FargatePlacementArgs {
  /**
   * Cloud Map namespace the server registers in.
   * @default required
   */
  readonly namespaceId: pulumi.Input<string>;
  /**
   * DNS name of that namespace, for `dnsName` and `httpAddr`.
   * @default required
   * @example "internal"
   */
  readonly namespaceName: string;
  /**
   * Secret holding the server's CONSUL_LOCAL_CONFIG (from ConsulManagementToken).
   * @default required
   */
  readonly serverConfigSecretArn: pulumi.Input<string>;
  /**
   * Resources the server's task needs before it starts (capacity providers, execution-role
   * policies): its ECS service is created after them.
   * For TypeScript programs: the schema can type these only as objects with a `urn`, which order
   * nothing. From Python, Go, C# or YAML leave it unset and give the component the `dependsOn`
   * resource option instead: the engine then constructs it, service included, after those resources.
   * @default none (the service still waits for its own role policies and egress)
   */
  readonly startAfter?: pulumi.Resource[];
}

// #region argument checks
/** What is wrong with ConsulServer's arguments; empty when nothing is. */
export function consulServerArgProblems(
  args: Pick<ConsulServerArgs, "image" | "logRetentionDays">,
): ArgProblem[] {
  return [
    ...check("image", args.image, imageByTagOrDigest),
    ...check("logRetentionDays", args.logRetentionDays, logRetentionDays),
  ];
}
// #endregion

/** The embedded Consul server. Its security group admits nothing until `allowFrom` / `allowCidr`. */
export class ConsulServer extends pulumi.ComponentResource implements SecurityGroupMember {
  /** Name this component was given; its children's names start with it. */
  public readonly componentName: string;
  /** Security group of the Consul server task; clients are admitted on its HTTP port through it. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Name of the Consul server's ECS service. */
  public readonly serviceName: pulumi.Output<string>;
  /** `consul-server.<namespace>`. */
  public readonly dnsName: string;
  /** What consul-aws and the catalog check use as CONSUL_HTTP_ADDR. */
  public readonly httpAddr: string;
  /** The image the task runs, by digest. */
  public readonly image: pulumi.Output<string>;
  /** Created once the server's task is healthy: what a client of Consul should start after. */
  public readonly ready: pulumi.Resource;
  private get scope(): Scope {
    return scopeOf(this);
  }

  constructor(name: string, args: ConsulServerArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("ConsulServer", name, consulServerArgProblems(args));
    super(packageType("ConsulServer"), name, {}, withFormerType(opts, FORMER_TYPES.ConsulServer));
    this.componentName = name;
    const scope: Scope = { parent: this, tags: componentTags(name, args.tags) };
    keepScope(this, scope);

    // Outbound: only 443 (image pull, logs and the secret go through the task's ENI).
    const securityGroup = createSecurityGroup(
      name,
      args.vpcId,
      "Embedded Consul server: 8500 from allowed callers only",
      scope,
    );
    const egress = httpsEgress(name, securityGroup.id, scope);
    const logGroup = createLogGroup(name, args.logRetentionDays, scope);
    const image = pinnedImage(args.image, { parent: this });
    const task = createFargateTask(
      name,
      {
        executionRoleArn: args.executionRoleArn,
        taskPolicies: execPolicies(args.enableExecuteCommand),
        containerDefinitions: pulumi.jsonStringify([
          containerDefinition<pulumi.Input<string>>({
            name: "consul",
            image,
            // The entrypoint adds -data-dir and -config-dir (where local.json lands).
            command: ["agent"],
            containerPort: CONSUL_HTTP_PORT,
            secrets: { CONSUL_LOCAL_CONFIG: args.serverConfigSecretArn },
            // /v1/status/leader needs no token and names the leader's RPC address once elected.
            healthCheck: [
              "CMD-SHELL",
              `curl -sf http://127.0.0.1:${CONSUL_HTTP_PORT}/v1/status/leader | grep -q ':8300'`,
            ],
            stopTimeoutSeconds: 10,
            log: { group: logGroup.name, region: args.region, streamPrefix: "consul" },
          }),
        ]),
      },
      scope,
    );

    // SRV as well as A: ECS then sets the instance's port, which consul-aws copies when it
    // syncs this service into Consul (without it, consul-server appears there portless).
    const discovery = createCloudMapService(
      name,
      { serviceName: CONSUL_SERVER_SERVICE, namespaceId: args.namespaceId, ttlSeconds: 10 },
      scope,
    );

    // One server: a deployment replaces it (a new, empty catalog that consul-aws refills).
    const service = createSingletonService(
      name,
      args,
      {
        task,
        securityGroupId: securityGroup.id,
        serviceRegistries: {
          registryArn: discovery.arn,
          containerName: "consul",
          containerPort: CONSUL_HTTP_PORT,
        },
        enableExecuteCommand: args.enableExecuteCommand ?? false,
        // Its task starts only once its permissions and its egress (image pull, secret) exist.
        startAfter: [...(args.startAfter ?? []), egress],
        extra: {
          ...redeployOnNewCloudMapService(discovery),
          // `up` returns only once the server's task is healthy (a leader elected): whoever starts
          // after this service (consul-aws) finds Consul answering instead of crash-looping.
          waitForSteadyState: true,
        },
      },
      scope,
    );

    this.securityGroupId = securityGroup.id;
    this.serviceName = service.name;
    this.ready = service;
    this.dnsName = cloudMapDnsName(CONSUL_SERVER_SERVICE, args.namespaceName);
    this.httpAddr = `http://${this.dnsName}:${CONSUL_HTTP_PORT}`;
    this.image = image;
    this.registerOutputs({
      componentName: this.componentName,
      securityGroupId: this.securityGroupId,
      serviceName: this.serviceName,
      dnsName: this.dnsName,
      httpAddr: this.httpAddr,
      image: this.image,
    });
  }

  /**
   * Admit a component's security group on 8500/tcp and, unless the caller opens it itself
   * (`callerEgress: false`), that group's egress to this server on 8500. Returns the rules, for a
   * caller whose tasks must wait for them.
   */
  public allowFrom(
    peer: SecurityGroupMember,
    options: { readonly callerEgress?: boolean } = {},
  ): pulumi.Resource[] {
    const description = `${peer.componentName} to Consul on ${CONSUL_HTTP_PORT}/tcp`;
    const ingress = tcpRule(
      "ingress",
      {
        name: `${this.componentName}-from-${peer.componentName}`,
        securityGroupId: this.securityGroupId,
        port: CONSUL_HTTP_PORT,
        peer: { securityGroupId: peer.securityGroupId },
        description,
      },
      this.scope,
    );
    return [
      ingress,
      ...((options.callerEgress ?? true)
        ? [egressTo(peer, this, CONSUL_HTTP_PORT, description, this.scope)]
        : []),
    ];
  }

  /** Admit a CIDR the user allowed (e.g. a VPN range) on 8500/tcp. */
  public allowCidr(index: number, cidr: string): void {
    tcpRule(
      "ingress",
      {
        name: `${this.componentName}-from-cidr-${index}`,
        securityGroupId: this.securityGroupId,
        port: CONSUL_HTTP_PORT,
        peer: { cidr },
        description: `consulAllowedCidrs: ${cidr} to Consul on ${CONSUL_HTTP_PORT}/tcp`,
      },
      this.scope,
    );
  }
}
