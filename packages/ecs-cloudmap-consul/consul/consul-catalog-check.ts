/**
 * A one-off task definition that proves the sync from inside the VPC: it asks Consul's catalog
 * for the Cloud Map services consul-aws should have copied there and prints what it got. The
 * driver starts it after a deploy (ECS RunTask), waits, and reads its exit code and log; the
 * decision (present, right port, registered by consul-aws) is made by the driver's own code.
 * It runs the Consul image already pinned for the stack: it has sh, curl and jq.
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import {
  ConsulDeregistration,
  consulDeregistrationHandler,
  DEREGISTER_CONTAINER,
  deregisterScript,
} from "./consul-deregistration";
import { createDestroyFunction, DestroyRunner, destroyRunnerProblems } from "../shared/destroy-runner";
import { consulDeregistrationPolicy } from "../shared/policies";
import { assertValidArgs, check, imageByTagOrDigest, logRetentionDays } from "../shared/arg-checks";
import { pinnedImage } from "../service/pinned-image";
import { containerDefinition } from "../service/container-definition";
import { componentTags, TaggedArgs } from "../shared/tags";
import {
  consulEgress,
  createFargateTask,
  createLogGroup,
  createSecurityGroup,
  httpsEgress,
  Scope,
  SecurityGroupMember,
} from "../service/task-resources";

export const CHECK_CONTAINER = "catalog-check";
/** Each printed line: `CATALOG <service> <JSON array of /v1/catalog/service/<service>>`. */
export const CATALOG_LINE_PREFIX = "CATALOG";

/**
 * The check's shell script. It polls until every service has at least one catalog entry (or
 * attempts run out), then prints one line per service and exits 0 only if all were found. The
 * token stays in the environment; nothing echoes it.
 */
export function catalogCheckScript(
  services: readonly string[],
  attempts: number,
  intervalSeconds: number,
): string {
  for (const s of services) if (!/^[a-z0-9-]+$/.test(s)) throw new Error(`not a Consul service name: ${s}`);
  const list = services.join(" ");
  return [
    "set -u",
    'ca=""',
    'if [ -n "${CONSUL_CACERT_PEM:-}" ]; then printf \'%s\\n\' "$CONSUL_CACERT_PEM" > /tmp/ca.pem; ca="--cacert /tmp/ca.pem"; fi',
    'get() { curl -sf --max-time 5 $ca -H "X-Consul-Token: $CONSUL_HTTP_TOKEN" "$CONSUL_HTTP_ADDR/v1/catalog/service/$1" || echo "[]"; }',
    "i=0",
    `while [ $i -lt ${attempts} ]; do`,
    "  missing=0",
    `  for s in ${list}; do [ "$(get "$s" | jq 'length' 2>/dev/null || echo 0)" -gt 0 ] || missing=1; done`,
    '  [ "$missing" = 0 ] && break',
    `  i=$((i+1)); sleep ${intervalSeconds}`,
    "done",
    `for s in ${list}; do echo "${CATALOG_LINE_PREFIX} $s $(get "$s" | jq -c . 2>/dev/null || echo '[]')"; done`,
    'exit "$missing"',
  ].join("\n");
}

export interface ConsulCatalogCheckArgs extends TaggedArgs {
  /**
   * VPC of the check task's security group.
   * @default required
   */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Task execution role (image pull, logs, the token secret).
   * @default required
   */
  readonly executionRoleArn: pulumi.Input<string>;
  /**
   * Consul image (it has sh, curl and jq) by version tag or digest; a tag is resolved to its digest at deploy.
   * @default required
   * @example "public.ecr.aws/hashicorp/consul:1.21.5"
   */
  readonly image: string;
  /**
   * CONSUL_HTTP_ADDR of the check.
   * @default required
   * @example "https://consul.example.com:8501"
   */
  readonly consulHttpAddr: string;
  /**
   * Secrets Manager ARN of the ACL token.
   * @default required
   */
  readonly tokenSecretArn: pulumi.Input<string>;
  /**
   * Secrets Manager ARN of the Consul CA PEM.
   * @default undefined (no CA)
   */
  readonly caCertSecretArn?: string;
  /**
   * Consul names of the services to look up (with consul-aws's prefix).
   * @default required
   * @example ["aws-hello", "aws-name"]
   */
  readonly services: string[];
  /**
   * Retention of the check's log group, days (a value CloudWatch accepts).
   * @default required
   */
  readonly logRetentionDays: number;
  /**
   * Region of the awslogs driver.
   * @default required
   */
  readonly region: string;
  /**
   * Where an external Consul lives (egress on its port); omit for the embedded one (allowFrom opens it).
   * @default undefined
   * @example "10.60.0.0/16"
   */
  readonly consulCidr?: string;
  /**
   * Consul's HTTP port.
   * @default required
   */
  readonly consulPort: number;
  /**
   * On delete, deregister consul-aws's node from this Consul with a one-off task in the VPC (an
   * external Consul; an embedded one goes with the stack). `after`: what the task needs besides
   * this component (cluster, routes, DNS forwarding), so it is deleted only after the task ran.
   * Works from any language with the default runner `lambda` (an AWS Lambda function the AWS
   * provider invokes when the deregistration is created, updated and deleted; only the delete
   * starts the task).
   * @default undefined (nothing runs on delete)
   */
  readonly deregisterOnDelete?: DeregisterOnDeleteArgs;
}

/** The one-off task that removes consul-aws's entries from Consul when the check is deleted. */
export interface DeregisterOnDeleteArgs {
  /**
   * Run it on delete (false: the check exists, nothing runs on delete).
   * @default required
   */
  readonly enabled: boolean;
  /**
   * Cluster the one-off task runs in.
   * @default required
   */
  readonly clusterArn: pulumi.Input<string>;
  /**
   * Subnets of the one-off task (they must reach Consul).
   * @default required
   */
  readonly subnetIds: pulumi.Input<string[]>;
  /**
   * Resources the task needs on delete (cluster, network, routes to Consul): deleted after it.
   * For TypeScript programs: from Python, Go, C# or YAML give an empty list and set the component's
   * `dependsOn` resource option to those resources (the engine deletes a component's children
   * before what the component depends on).
   * @default required
   */
  readonly after: pulumi.Resource[];
  /**
   * What starts the task on delete: `lambda`, a Lambda function with its own role, log group and an
   * `aws.lambda.Invocation` (from any language); `dynamicProvider`, a Pulumi dynamic resource (what
   * 0.1.0 deployed; TypeScript programs that import the package only, refused through `pulumi package
   * add`). A stack deployed with 0.1.0 keeps `dynamicProvider`: switching deregisters consul-aws's
   * node while it still runs (see the package README).
   * Default: "lambda".
   * @default "lambda"
   */
  readonly runner?: DestroyRunner;
}

/**
 * Each check's deregistration (the Invocation, or the dynamic resource), kept off its fields: a
 * component's fields are schema outputs, and a dynamic resource has no type in the package schema.
 */
const deregistrations = new WeakMap<object, pulumi.Resource>();

export class ConsulCatalogCheck extends pulumi.ComponentResource implements SecurityGroupMember {
  /** Name this component was given; its children's names start with it. */
  public readonly componentName: string;
  /** Task definition of the one-off check, to start with ECS RunTask after a deploy. */
  public readonly taskDefinitionArn: pulumi.Output<string>;
  /** Security group of the check's task. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Log group the check prints the catalog it found to (one `CATALOG` line per service). */
  public readonly logGroupName: pulumi.Output<string>;
  /** Deleted after consul-aws (which should start after it) and before what its task needs. */
  public get deregistration(): pulumi.Resource | undefined {
    return deregistrations.get(this);
  }

  constructor(name: string, args: ConsulCatalogCheckArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("ConsulCatalogCheck", name, [
      ...check("image", args.image, imageByTagOrDigest),
      ...check("logRetentionDays", args.logRetentionDays, logRetentionDays),
      ...destroyRunnerProblems("deregisterOnDelete.runner", args.deregisterOnDelete?.runner),
    ]);
    super(packageType("ConsulCatalogCheck"), name, {}, withFormerType(opts, FORMER_TYPES.ConsulCatalogCheck));
    this.componentName = name;
    const scope: Scope = { parent: this, tags: componentTags(name, args.tags) };
    const securityGroup = createSecurityGroup(
      name,
      args.vpcId,
      "Consul catalog check: HTTPS to AWS APIs and the Consul port only",
      scope,
    );
    const egress = [
      httpsEgress(name, securityGroup.id, scope),
      ...(args.consulCidr
        ? [consulEgress(name, securityGroup.id, args.consulPort, { cidr: args.consulCidr }, scope)]
        : []),
    ];
    const logGroup = createLogGroup(name, args.logRetentionDays, scope);
    const image = pinnedImage(args.image, { parent: this });
    const secrets: Record<string, pulumi.Input<string>> = { CONSUL_HTTP_TOKEN: args.tokenSecretArn };
    if (args.caCertSecretArn) secrets.CONSUL_CACERT_PEM = args.caCertSecretArn;
    // A role with no permissions: the check only talks to Consul.
    const { taskDefinition } = createFargateTask(
      name,
      {
        executionRoleArn: args.executionRoleArn,
        containerDefinitions: pulumi.jsonStringify([
          containerDefinition<pulumi.Input<string>>({
            name: CHECK_CONTAINER,
            image,
            entryPoint: ["/bin/sh", "-c"],
            command: [catalogCheckScript(args.services, 36, 5)],
            environment: { CONSUL_HTTP_ADDR: args.consulHttpAddr },
            secrets,
            log: { group: logGroup.name, region: args.region, streamPrefix: "check" },
          }),
        ]),
      },
      scope,
    );
    if (args.deregisterOnDelete)
      deregistrations.set(
        this,
        this.deregistrationTask(name, args, args.deregisterOnDelete, {
          scope,
          image,
          secrets,
          logGroup,
          securityGroupId: securityGroup.id,
          // The task's own egress must outlive it.
          after: [securityGroup, ...egress],
        }),
      );
    this.taskDefinitionArn = taskDefinition.arn;
    this.securityGroupId = securityGroup.id;
    this.logGroupName = logGroup.name;
    this.registerOutputs({
      componentName: this.componentName,
      taskDefinitionArn: this.taskDefinitionArn,
      securityGroupId: this.securityGroupId,
      logGroupName: this.logGroupName,
    });
  }

  private deregistrationTask(
    name: string,
    args: ConsulCatalogCheckArgs,
    deregister: NonNullable<ConsulCatalogCheckArgs["deregisterOnDelete"]>,
    own: {
      scope: Scope;
      image: pulumi.Output<string>;
      secrets: Record<string, pulumi.Input<string>>;
      logGroup: aws.cloudwatch.LogGroup;
      securityGroupId: pulumi.Output<string>;
      after: pulumi.Resource[];
    },
  ): pulumi.Resource {
    const { taskDefinition, taskRole } = createFargateTask(
      `${name}-deregister`,
      {
        executionRoleArn: args.executionRoleArn,
        containerDefinitions: pulumi.jsonStringify([
          containerDefinition<pulumi.Input<string>>({
            name: DEREGISTER_CONTAINER,
            image: own.image,
            entryPoint: ["/bin/sh", "-c"],
            command: [deregisterScript()],
            environment: { CONSUL_HTTP_ADDR: args.consulHttpAddr },
            secrets: own.secrets,
            log: { group: own.logGroup.name, region: args.region, streamPrefix: "deregister" },
          }),
        ]),
      },
      own.scope,
    );
    const inputs = {
      enabled: deregister.enabled,
      region: args.region,
      cluster: deregister.clusterArn,
      taskDefinitionArn: taskDefinition.arn,
      subnetIds: deregister.subnetIds,
      securityGroupId: own.securityGroupId,
      consulHttpAddr: args.consulHttpAddr,
    };
    const after = [taskDefinition, taskRole.role, own.logGroup, ...own.after, ...deregister.after];
    if (deregister.runner === DestroyRunner.dynamicProvider)
      return new ConsulDeregistration(`${name}-deregistration`, inputs, { parent: this, dependsOn: after });
    return createDestroyFunction(
      `${name}-deregistration`,
      {
        handler: consulDeregistrationHandler,
        policy: pulumi
          .all([deregister.clusterArn, taskDefinition.arn, args.executionRoleArn, taskRole.role.arn])
          .apply(([clusterArn, taskDefinitionArn, executionRoleArn, taskRoleArn]) =>
            consulDeregistrationPolicy({
              clusterArn,
              taskDefinitionArn,
              passRoleArns: [executionRoleArn, taskRoleArn],
            }),
          ),
        // RunTask, then up to 300 s for the task to pull, start, call Consul and stop.
        timeoutSeconds: 420,
        logRetentionDays: args.logRetentionDays,
        input: inputs,
        dependsOn: after,
      },
      own.scope,
    ).invocation;
  }
}
