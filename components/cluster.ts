import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CapacityProviderStrategyItem } from "./capacity";
import { ecsTasksTrustPolicy, executionSecretsPolicy, managedExecutionPolicyArn } from "./policies";
import { ContainerInsights } from "./settings";
import { componentTags, TaggedArgs } from "./tags";

export interface ClusterArgs extends TaggedArgs {
  /** Container Insights level. Default: "enabled". */
  readonly containerInsights?: ContainerInsights;
  /** Default capacity-provider strategy for services that set none. */
  readonly defaultStrategy: readonly CapacityProviderStrategyItem[];
  /** Secrets Manager ARNs that tasks receive through `secrets`; the execution role may read only these. Default: none. */
  readonly secretArns?: readonly pulumi.Input<string>[];
  /** Customer-managed KMS key of those secrets. Default: none (AWS-managed key). */
  readonly secretsKmsKeyArn?: string;
  readonly region: string;
  /** Retention of the Container Insights performance log group. */
  readonly logRetentionDays: number;
}

/** Where Container Insights writes a cluster's performance events (ECS creates it, without retention, if missing). */
export function containerInsightsLogGroupName(clusterName: string): string {
  return `/aws/ecs/containerinsights/${clusterName}/performance`;
}

/** ECS cluster on FARGATE and FARGATE_SPOT, plus the task execution role all services share. */
export class Cluster extends pulumi.ComponentResource {
  public readonly clusterArn: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  public readonly executionRoleArn: pulumi.Output<string>;
  /** Services using capacity providers must be created after this association. */
  public readonly capacityProviders: aws.ecs.ClusterCapacityProviders;
  /** The execution role's policies: services wait for them, or their first tasks cannot pull or read secrets. */
  public readonly executionRolePolicies: readonly pulumi.Resource[];

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecs-cloudmap-consul:cluster:Cluster", name, {}, opts);
    const tags = componentTags(name, args.tags);

    const insights = args.containerInsights ?? "enabled";
    // Named up front so the Container Insights log group exists (with retention, owned by the stack)
    // before ECS would create it on its own, without retention, surviving destroy.
    const clusterName = `${pulumi.getProject()}-${pulumi.getStack()}`;
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
