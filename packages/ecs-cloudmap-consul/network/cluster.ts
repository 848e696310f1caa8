import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import { CapacityProviderStrategyItem } from "../service/capacity";
import { ecsTasksTrustPolicy, executionSecretsPolicy, managedExecutionPolicyArn } from "../shared/policies";
import { componentTags, TaggedArgs } from "../shared/tags";
import {
  ArgProblem,
  assertValidArgs,
  check,
  kmsKeyArn,
  logRetentionDays,
  matches,
  oneOf,
} from "../shared/arg-checks";

/** CloudWatch Container Insights for the cluster (an enum in the package schema). */
export const ContainerInsights = { enabled: "enabled", enhanced: "enhanced", disabled: "disabled" } as const;
export type ContainerInsights = (typeof ContainerInsights)[keyof typeof ContainerInsights];
export const CONTAINER_INSIGHTS = Object.values(ContainerInsights);

export interface ClusterArgs extends TaggedArgs {
  /**
   * Name of the ECS cluster (1-255 letters, digits, - and _), also in its Container Insights log group's name.
   * Default: "<project>-<stack>".
   * @default "<project>-<stack>"
   * @example "platform-dev"
   */
  readonly clusterName?: string;
  /**
   * Container Insights level: "enabled", "enhanced" or "disabled".
   * Default: "enabled".
   * @default "enabled"
   */
  readonly containerInsights?: ContainerInsights;
  /**
   * Capacity-provider strategy of services that set none (see `capacityProviderStrategy`).
   * @default required
   * @example [{ capacityProvider: "FARGATE", weight: 1, base: 0 }]
   */
  readonly defaultStrategy: CapacityProviderStrategyItem[];
  /**
   * Secrets Manager ARNs tasks receive through `secrets`; the execution role may read only these.
   * Default: [].
   * @default []
   */
  readonly secretArns?: pulumi.Input<string>[];
  /**
   * Customer-managed KMS key of those secrets.
   * @default undefined (the AWS-managed key)
   * @example "arn:aws:kms:eu-west-1:111111111111:key/2b9e7c41-8d3a-4f6e-a1c0-5e7d9b3f4a21"
   */
  readonly secretsKmsKeyArn?: string;
  /**
   * Region of the execution role's policies.
   * @default required
   * @example "eu-west-1"
   */
  readonly region: string;
  /**
   * Retention of the Container Insights performance log group, days (a value CloudWatch accepts).
   * @default required
   */
  readonly logRetentionDays: number;
}

// #region argument checks
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** What is wrong with Cluster's arguments; empty when nothing is. */
export function clusterArgProblems(args: ClusterArgs): ArgProblem[] {
  return [
    ...check("clusterName", args.clusterName, matches(CLUSTER_NAME, "1 to 255 letters, digits, - and _")),
    ...check("containerInsights", args.containerInsights, oneOf(CONTAINER_INSIGHTS)),
    ...check("secretsKmsKeyArn", args.secretsKmsKeyArn, kmsKeyArn),
    ...check("logRetentionDays", args.logRetentionDays, logRetentionDays),
  ];
}
// #endregion

/** Where Container Insights writes a cluster's performance events (ECS creates it, without retention, if missing). */
export function containerInsightsLogGroupName(clusterName: string): string {
  return `/aws/ecs/containerinsights/${clusterName}/performance`;
}

/** ECS cluster on FARGATE and FARGATE_SPOT, plus the task execution role all services share. */
export class Cluster extends pulumi.ComponentResource {
  /** ARN of the ECS cluster. */
  public readonly clusterArn: pulumi.Output<string>;
  /** Name of the ECS cluster (`clusterName`, by default `<project>-<stack>`). */
  public readonly clusterName: pulumi.Output<string>;
  /** Task execution role every service of the cluster shares (image pull, logs, `secretArns`). */
  public readonly executionRoleArn: pulumi.Output<string>;
  /** Services using capacity providers must be created after this association. */
  public readonly capacityProviders: aws.ecs.ClusterCapacityProviders;
  /** The execution role's policies: services wait for them, or their first tasks cannot pull or read secrets. */
  public readonly executionRolePolicies: pulumi.Resource[];

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("Cluster", name, clusterArgProblems(args));
    super(packageType("Cluster"), name, {}, withFormerType(opts, FORMER_TYPES.Cluster));
    const tags = componentTags(name, args.tags);

    const insights = args.containerInsights ?? "enabled";
    // Named up front so the Container Insights log group exists (with retention, owned by the stack)
    // before ECS would create it on its own, without retention, surviving destroy.
    const clusterName = args.clusterName ?? `${pulumi.getProject()}-${pulumi.getStack()}`;
    const insightsLogs =
      insights === "disabled"
        ? []
        : [
            new aws.cloudwatch.LogGroup(
              `${name}-insights-logs`,
              {
                name: containerInsightsLogGroupName(clusterName),
                retentionInDays: args.logRetentionDays,
                tags,
              },
              { parent: this },
            ),
          ];
    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { name: clusterName, settings: [{ name: "containerInsights", value: insights }], tags },
      { parent: this, dependsOn: insightsLogs },
    );
    this.capacityProviders = new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity`,
      {
        clusterName: cluster.name,
        capacityProviders: ["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategies: args.defaultStrategy.map((s) => ({ ...s })),
      },
      { parent: this },
    );

    const executionRole = new aws.iam.Role(
      `${name}-execution-role`,
      { assumeRolePolicy: JSON.stringify(ecsTasksTrustPolicy()), tags },
      { parent: this },
    );
    const executionRolePolicies: pulumi.Resource[] = [
      new aws.iam.RolePolicyAttachment(
        `${name}-execution-managed`,
        { role: executionRole.name, policyArn: managedExecutionPolicyArn(args.region) },
        { parent: this },
      ),
    ];
    const secretArns = args.secretArns ?? [];
    if (secretArns.length > 0) {
      // Some ARNs are known only once their secret exists (the embedded Consul's).
      const secretsPolicy = pulumi.all([...secretArns]).apply((arns) =>
        JSON.stringify(
          executionSecretsPolicy({
            secretArns: arns,
            kmsKeyArn: args.secretsKmsKeyArn,
            region: args.region,
          }),
        ),
      );
      executionRolePolicies.push(
        new aws.iam.RolePolicy(
          `${name}-execution-secrets`,
          { role: executionRole.id, policy: secretsPolicy },
          { parent: this },
        ),
      );
    }

    this.executionRolePolicies = executionRolePolicies;
    this.clusterArn = cluster.arn;
    this.clusterName = cluster.name;
    this.executionRoleArn = executionRole.arn;
    this.registerOutputs({
      clusterArn: this.clusterArn,
      clusterName: this.clusterName,
      executionRoleArn: this.executionRoleArn,
    });
  }
}
