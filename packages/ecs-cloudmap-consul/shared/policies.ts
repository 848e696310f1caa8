/**
 * IAM policy documents as plain data, so tests can read every action and resource.
 * Resource "*" appears only for actions that AWS does not scope to a resource.
 */

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: PolicyStatement[];
}

/** AWS partition of a region: China and GovCloud have their own ARN prefix. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function managedExecutionPolicyArn(region: string): string {
  return `arn:${partitionOf(region)}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`;
}

/** A role's trust policy: IAM rejects a `Resource` element here ("Has prohibited field Resource"). */
export interface TrustPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Principal: { readonly Service: string };
    readonly Action: string[];
  }[];
}

/** Trust policy letting ECS tasks assume a role. */
export function ecsTasksTrustPolicy(): TrustPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EcsTasksAssume",
        Effect: "Allow",
        Principal: { Service: "ecs-tasks.amazonaws.com" },
        Action: ["sts:AssumeRole"],
      },
    ],
  };
}

/** The actions consul-aws calls (Cloud Map API plus the Route 53 calls Cloud Map makes for it). */
export const CONSUL_AWS_ACTIONS: readonly string[] = [
  "servicediscovery:GetNamespace",
  "servicediscovery:ListServices",
  "servicediscovery:DiscoverInstances",
  "servicediscovery:GetInstancesHealthStatus",
  "servicediscovery:CreateService",
  "servicediscovery:DeleteService",
  "servicediscovery:RegisterInstance",
  "servicediscovery:DeregisterInstance",
  "route53:GetHostedZone",
  "route53:ListHostedZonesByName",
  "route53:ChangeResourceRecordSets",
  "route53:CreateHealthCheck",
  "route53:GetHealthCheck",
  "route53:DeleteHealthCheck",
  "route53:UpdateHealthCheck",
];

export interface ConsulAwsPolicyInput {
  /** `arn:<partition>:servicediscovery:<region>:<account>:namespace/ns-…` */
  readonly namespaceArn: string;
  /** The Route 53 hosted zone Cloud Map created for the namespace. */
  readonly hostedZoneId: string;
  /**
   * The `project` and `stack` tags this stack's resources carry (the provider's default tags):
   * consul-aws reads health only of services that carry these values or no such tags.
   */
  readonly ownTags: { readonly project: string; readonly stack: string };
}

/** Tag keys the stack's resources carry (tags.ts): services with any of them are not consul-aws's to write. */
export const STACK_TAG_KEYS = ["project", "stack", "component"] as const;

/** `arn:…:servicediscovery:<region>:<account>:service/*`: services consul-aws creates get ids at run time. */
export function servicesArnPattern(namespaceArn: string): string {
  const match = /^(arn:[^:]+:servicediscovery:[^:]+:\d{12}):namespace\/[A-Za-z0-9-]+$/.exec(namespaceArn);
  if (!match) throw new Error(`not a Cloud Map namespace ARN: ${namespaceArn}`);
  return `${match[1]}:service/*`;
}

function partitionOfArn(arn: string): string {
  return arn.split(":")[1] ?? "aws";
}

/**
 * Task-role policy of consul-aws, scoped to its namespace wherever AWS allows it.
 * Resource types per action follow AWS's Service Authorization data (test/aws checks them).
 *
 * The service-level actions cannot name a namespace: a service ARN carries only its id, and AWS
 * has no namespace condition key for them. What narrows them is the services' tags (Cloud Map
 * services have `aws:ResourceTag`): consul-aws creates its services without tags, so it may write
 * (register, deregister, delete) only services that carry none of this project's tag keys — never
 * this stack's hello, name or Consul server, nor any other stack's — and read health only of
 * services tagged with this stack or not at all. Untagged services elsewhere in the account and
 * region stay reachable: the README states that risk and its mitigation. Both conditions fail
 * open to the unconditioned grant if AWS did not evaluate the tag (IfExists, Null), never closed.
 */
export function consulAwsTaskPolicy(input: ConsulAwsPolicyInput): PolicyDocument {
  const partition = partitionOfArn(input.namespaceArn);
  const zoneArn = `arn:${partition}:route53:::hostedzone/${input.hostedZoneId}`;
  const services = servicesArnPattern(input.namespaceArn);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Namespace",
        Effect: "Allow",
        Action: ["servicediscovery:GetNamespace"],
        Resource: input.namespaceArn,
      },
      {
        // Both actions require two resource types, the namespace and a service: a grant on the
        // namespace alone denies them. No NamespaceName condition on DiscoverInstances: consul-aws
        // sends the namespace's HttpName, which AWS suffixes with a hash when a name is reused.
        Sid: "NamespaceAndServices",
        Effect: "Allow",
        Action: ["servicediscovery:CreateService", "servicediscovery:DiscoverInstances"],
        Resource: [input.namespaceArn, services],
      },
      {
        // Services are created at run time, so their ids are unknown here; tags tell them apart.
        Sid: "ReadHealthOfThisStacksServices",
        Effect: "Allow",
        Action: ["servicediscovery:GetInstancesHealthStatus"],
        Resource: services,
        Condition: {
          StringEqualsIfExists: {
            "aws:ResourceTag/project": input.ownTags.project,
            "aws:ResourceTag/stack": input.ownTags.stack,
          },
        },
      },
      {
        Sid: "WriteOnlyUntaggedServices",
        Effect: "Allow",
        Action: [
          "servicediscovery:DeleteService",
          "servicediscovery:RegisterInstance",
          "servicediscovery:DeregisterInstance",
        ],
        Resource: services,
        Condition: {
          Null: Object.fromEntries(STACK_TAG_KEYS.map((key) => [`aws:ResourceTag/${key}`, "true"])),
        },
      },
      {
        Sid: "NoResourceLevel",
        Effect: "Allow",
        Action: [
          "servicediscovery:ListServices",
          "route53:ListHostedZonesByName",
          "route53:CreateHealthCheck",
        ],
        Resource: "*",
      },
      {
        Sid: "NamespaceHostedZone",
        Effect: "Allow",
        Action: ["route53:GetHostedZone", "route53:ChangeResourceRecordSets"],
        Resource: zoneArn,
      },
      {
        Sid: "HealthChecks",
        Effect: "Allow",
        Action: ["route53:GetHealthCheck", "route53:DeleteHealthCheck", "route53:UpdateHealthCheck"],
        Resource: `arn:${partition}:route53:::healthcheck/*`,
      },
    ],
  };
}

export interface SecretsAccessInput {
  readonly secretArns: readonly string[];
  /** Customer-managed KMS key encrypting those secrets, if any. */
  readonly kmsKeyArn?: string;
  readonly region: string;
}

/**
 * Extra execution-role permissions for ECS to inject `secrets`: read exactly the
 * configured secrets, and decrypt with the CMK only through Secrets Manager.
 * Returns undefined when there is nothing to read.
 */
export function executionSecretsPolicy(input: SecretsAccessInput): PolicyDocument | undefined {
  if (input.secretArns.length === 0) return undefined;
  const statements: PolicyStatement[] = [
    {
      Sid: "ReadConfiguredSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: [...input.secretArns],
    },
  ];
  if (input.kmsKeyArn) {
    statements.push({
      Sid: "DecryptSecretsKey",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: input.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${input.region}.amazonaws.com` } },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * Task-role permissions ECS Exec needs. The four ssmmessages actions have no
 * resource-level permissions in IAM, hence "*".
 */
export function ecsExecTaskPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EcsExecChannels",
        Effect: "Allow",
        Action: [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ],
        Resource: "*",
      },
    ],
  };
}

/** Every action of a document, for checks. */
export function actionsOf(doc: PolicyDocument): string[] {
  return doc.Statement.flatMap((s) => s.Action);
}

/**
 * What the identity running `pulumi destroy` (and the driver's teardown) needs for the namespace
 * cleanup: the Cloud Map calls packages/ecs-cloudmap-consul/network/namespace-cleanup.ts makes, plus the Route 53 changes
 * Cloud Map makes on the caller's behalf when it deregisters a DNS instance (records and any health
 * check it created). Consul is not called from here: see consulDeregistrationPolicy.
 */
export function namespaceCleanupPolicy(input: {
  readonly namespaceArn: string;
  readonly hostedZoneId: string;
}): PolicyDocument {
  const partition = partitionOfArn(input.namespaceArn);
  const statements: PolicyStatement[] = [
    {
      // ListServices has no resource type in IAM.
      Sid: "ListServices",
      Effect: "Allow",
      Action: ["servicediscovery:ListServices"],
      Resource: "*",
    },
    {
      Sid: "EmptyImportedServices",
      Effect: "Allow",
      Action: [
        "servicediscovery:ListInstances",
        "servicediscovery:DeregisterInstance",
        "servicediscovery:DeleteService",
      ],
      Resource: servicesArnPattern(input.namespaceArn),
    },
    {
      // GetOperation is scoped to the namespace or service the operation is about.
      Sid: "PollDeregistrations",
      Effect: "Allow",
      Action: ["servicediscovery:GetOperation"],
      Resource: [input.namespaceArn, servicesArnPattern(input.namespaceArn)],
    },
    {
      Sid: "RecordsOfDeregisteredInstances",
      Effect: "Allow",
      Action: ["route53:ChangeResourceRecordSets"],
      Resource: `arn:${partition}:route53:::hostedzone/${input.hostedZoneId}`,
    },
    {
      Sid: "HealthChecksOfDeregisteredInstances",
      Effect: "Allow",
      Action: ["route53:GetHealthCheck", "route53:DeleteHealthCheck"],
      Resource: `arn:${partition}:route53:::healthcheck/*`,
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * What the identity running `pulumi destroy` needs for the external Consul's deregistration
 * (packages/ecs-cloudmap-consul/consul/consul-deregistration.ts): start the one-off task in the stack's cluster, hand ECS its
 * roles, and poll it. The task itself reads the Consul token through its execution role, so the
 * destroying identity never reads a secret.
 */
export function consulDeregistrationPolicy(input: {
  readonly clusterArn: string;
  /** The task definition's ARN (any revision of its family is allowed). */
  readonly taskDefinitionArn: string;
  /** The task's execution and task roles, which RunTask passes to ECS. */
  readonly passRoleArns: readonly string[];
}): PolicyDocument {
  const onCluster = { ArnEquals: { "ecs:cluster": input.clusterArn } };
  const clusterName = input.clusterArn.split("/").pop() ?? "";
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RunDeregistrationTask",
        Effect: "Allow",
        Action: ["ecs:RunTask"],
        Resource: input.taskDefinitionArn.replace(/:\d+$/, ":*"),
        Condition: onCluster,
      },
      {
        Sid: "WaitForDeregistrationTask",
        Effect: "Allow",
        Action: ["ecs:DescribeTasks"],
        Resource: input.clusterArn.replace(/:cluster\/.*$/, `:task/${clusterName}/*`),
        Condition: onCluster,
      },
      {
        Sid: "PassDeregistrationRoles",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [...input.passRoleArns],
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    ],
  };
}
