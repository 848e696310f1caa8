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

/** Trust policy letting one AWS service (its principal) assume a role, and nothing else. */
function assumableBy(sid: string, service: string): TrustPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: sid, Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole"] }],
  };
}

/** Trust policy letting ECS tasks assume a role. */
export function ecsTasksTrustPolicy(): TrustPolicyDocument {
  return assumableBy("EcsTasksAssume", "ecs-tasks.amazonaws.com");
}

/** consul-aws's task-role statements: each grants its actions on the resources named in consulAwsTaskPolicy. */
type ConsulAwsStatement =
  | "Namespace"
  | "NamespaceAndServices"
  | "ReadHealthOfThisStacksServices"
  | "WriteOnlyUntaggedServices"
  | "NoResourceLevel"
  | "NamespaceHostedZone"
  | "HealthChecks";

/**
 * Every permission consul-aws's task role has, one row each: the action, the statement that scopes
 * it, and the call that needs it (consul-aws's own, from its catalog/aws.go, or the Route 53 call
 * Cloud Map makes in its name). A new permission is one row here; test/aws/consul-aws-scope.test.ts
 * checks the rows against the simulated calls both ways (a row no call needs fails, and so does a
 * call no row grants).
 */
export const CONSUL_AWS_PERMISSIONS: readonly {
  readonly action: string;
  readonly statement: ConsulAwsStatement;
  readonly neededBy: string;
}[] = [
  {
    action: "servicediscovery:GetNamespace",
    statement: "Namespace",
    neededBy: "reads its namespace (HttpName)",
  },
  {
    action: "servicediscovery:CreateService",
    statement: "NamespaceAndServices",
    neededBy: "copies a Consul service into Cloud Map",
  },
  {
    action: "servicediscovery:DiscoverInstances",
    statement: "NamespaceAndServices",
    neededBy: "reads each Cloud Map service's instances",
  },
  {
    action: "servicediscovery:GetInstancesHealthStatus",
    statement: "ReadHealthOfThisStacksServices",
    neededBy: "copies only healthy instances into Consul",
  },
  {
    action: "servicediscovery:DeleteService",
    statement: "WriteOnlyUntaggedServices",
    neededBy: "removes a service that left Consul",
  },
  {
    action: "servicediscovery:RegisterInstance",
    statement: "WriteOnlyUntaggedServices",
    neededBy: "registers a Consul service's instances",
  },
  {
    action: "servicediscovery:DeregisterInstance",
    statement: "WriteOnlyUntaggedServices",
    neededBy: "deregisters instances that left Consul",
  },
  {
    action: "servicediscovery:ListServices",
    statement: "NoResourceLevel",
    neededBy: "lists the namespace's services",
  },
  {
    action: "route53:ListHostedZonesByName",
    statement: "NoResourceLevel",
    neededBy: "Cloud Map, registering an instance in consul-aws's name",
  },
  {
    action: "route53:CreateHealthCheck",
    statement: "NoResourceLevel",
    neededBy: "Cloud Map, registering an instance in consul-aws's name",
  },
  {
    action: "route53:GetHostedZone",
    statement: "NamespaceHostedZone",
    neededBy: "Cloud Map, registering an instance in consul-aws's name",
  },
  {
    action: "route53:ChangeResourceRecordSets",
    statement: "NamespaceHostedZone",
    neededBy: "Cloud Map, writing an instance's records in consul-aws's name",
  },
  {
    action: "route53:GetHealthCheck",
    statement: "HealthChecks",
    neededBy: "Cloud Map, (de)registering an instance in consul-aws's name",
  },
  {
    action: "route53:DeleteHealthCheck",
    statement: "HealthChecks",
    neededBy: "Cloud Map, deregistering an instance in consul-aws's name",
  },
  {
    action: "route53:UpdateHealthCheck",
    statement: "HealthChecks",
    neededBy: "Cloud Map, (de)registering an instance in consul-aws's name",
  },
];

/** The actions consul-aws's task role grants (Cloud Map API plus the Route 53 calls Cloud Map makes for it). */
export const CONSUL_AWS_ACTIONS: readonly string[] = CONSUL_AWS_PERMISSIONS.map((p) => p.action);

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
  const statements: Record<ConsulAwsStatement, Omit<PolicyStatement, "Sid" | "Effect" | "Action">> = {
    Namespace: { Resource: input.namespaceArn },
    // CreateService and DiscoverInstances require two resource types, the namespace and a service:
    // a grant on the namespace alone denies them. No NamespaceName condition on DiscoverInstances:
    // consul-aws sends the namespace's HttpName, which AWS suffixes with a hash when a name is reused.
    NamespaceAndServices: { Resource: [input.namespaceArn, services] },
    // Services are created at run time, so their ids are unknown here; tags tell them apart.
    ReadHealthOfThisStacksServices: {
      Resource: services,
      Condition: {
        StringEqualsIfExists: {
          "aws:ResourceTag/project": input.ownTags.project,
          "aws:ResourceTag/stack": input.ownTags.stack,
        },
      },
    },
    WriteOnlyUntaggedServices: {
      Resource: services,
      Condition: {
        Null: Object.fromEntries(STACK_TAG_KEYS.map((key) => [`aws:ResourceTag/${key}`, "true"])),
      },
    },
    NoResourceLevel: { Resource: "*" },
    NamespaceHostedZone: { Resource: zoneArn },
    HealthChecks: { Resource: `arn:${partition}:route53:::healthcheck/*` },
  };
  return {
    Version: "2012-10-17",
    Statement: Object.entries(statements)
      .map(([sid, scope]) => ({
        Sid: sid,
        Effect: "Allow" as const,
        Action: CONSUL_AWS_PERMISSIONS.filter((p) => p.statement === sid).map((p) => p.action),
        ...scope,
      }))
      .filter((statement) => statement.Action.length > 0), // IAM refuses a statement without actions
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

/** A role's permissions as a table: the action, the statement that scopes it, and the call that needs it. */
export interface Permission<S extends string> {
  readonly action: string;
  readonly statement: S;
  readonly neededBy: string;
}

function statementsOf<S extends string>(
  table: readonly Permission<S>[],
  scopes: Record<S, Omit<PolicyStatement, "Sid" | "Effect" | "Action">>,
): PolicyStatement[] {
  return (Object.entries(scopes) as [S, Omit<PolicyStatement, "Sid" | "Effect" | "Action">][])
    .map(([sid, scope]) => ({
      Sid: sid,
      Effect: "Allow" as const,
      Action: table.filter((p) => p.statement === sid).map((p) => p.action),
      ...scope,
    }))
    .filter((statement) => statement.Action.length > 0);
}

type NamespaceCleanupStatement =
  | "ListServices"
  | "EmptyImportedServices"
  | "PollDeregistrations"
  | "RecordsOfDeregisteredInstances"
  | "HealthChecksOfDeregisteredInstances";

/**
 * Every permission the namespace cleanup (network/namespace-cleanup.ts) needs, one row each: its own
 * Cloud Map calls, and the Route 53 changes Cloud Map makes in the caller's name when it deregisters
 * a DNS instance (records and any health check it created). test/aws checks the rows against the
 * calls the cleanup sends, both ways.
 */
export const NAMESPACE_CLEANUP_PERMISSIONS: readonly Permission<NamespaceCleanupStatement>[] = [
  {
    action: "servicediscovery:ListServices",
    statement: "ListServices",
    neededBy: "lists the namespace's services",
  },
  {
    action: "servicediscovery:ListInstances",
    statement: "EmptyImportedServices",
    neededBy: "lists an imported service's instances",
  },
  {
    action: "servicediscovery:DeregisterInstance",
    statement: "EmptyImportedServices",
    neededBy: "deregisters them",
  },
  {
    action: "servicediscovery:DeleteService",
    statement: "EmptyImportedServices",
    neededBy: "deletes the emptied service",
  },
  {
    action: "servicediscovery:GetOperation",
    statement: "PollDeregistrations",
    neededBy: "waits for each deregistration",
  },
  {
    action: "route53:ChangeResourceRecordSets",
    statement: "RecordsOfDeregisteredInstances",
    neededBy: "Cloud Map, removing a deregistered instance's records in the caller's name",
  },
  {
    action: "route53:GetHealthCheck",
    statement: "HealthChecksOfDeregisteredInstances",
    neededBy: "Cloud Map, deregistering an instance in the caller's name",
  },
  {
    action: "route53:DeleteHealthCheck",
    statement: "HealthChecksOfDeregisteredInstances",
    neededBy: "Cloud Map, deregistering an instance in the caller's name",
  },
];

/**
 * What the namespace cleanup needs: the role of its Lambda function (runner `lambda`), or the
 * identity running `pulumi destroy` (runner `dynamicProvider`). Consul is not called from here: see
 * consulDeregistrationPolicy.
 */
export function namespaceCleanupPolicy(input: {
  readonly namespaceArn: string;
  readonly hostedZoneId: string;
}): PolicyDocument {
  const partition = partitionOfArn(input.namespaceArn);
  const services = servicesArnPattern(input.namespaceArn);
  return {
    Version: "2012-10-17",
    Statement: statementsOf(NAMESPACE_CLEANUP_PERMISSIONS, {
      // ListServices has no resource type in IAM.
      ListServices: { Resource: "*" },
      // A service ARN carries only its id: AWS has no namespace condition key for these actions.
      EmptyImportedServices: { Resource: services },
      // GetOperation is scoped to the namespace or service the operation is about.
      PollDeregistrations: { Resource: [input.namespaceArn, services] },
      RecordsOfDeregisteredInstances: {
        Resource: `arn:${partition}:route53:::hostedzone/${input.hostedZoneId}`,
      },
      HealthChecksOfDeregisteredInstances: { Resource: `arn:${partition}:route53:::healthcheck/*` },
    }),
  };
}

type ConsulDeregistrationStatement =
  "RunDeregistrationTask" | "WaitForDeregistrationTask" | "PassDeregistrationRoles";

/** Every permission the Consul deregistration (consul/consul-deregistration.ts) needs, one row each. */
export const CONSUL_DEREGISTRATION_PERMISSIONS: readonly Permission<ConsulDeregistrationStatement>[] = [
  { action: "ecs:RunTask", statement: "RunDeregistrationTask", neededBy: "starts the one-off task" },
  { action: "ecs:DescribeTasks", statement: "WaitForDeregistrationTask", neededBy: "waits for it to stop" },
  {
    action: "iam:PassRole",
    statement: "PassDeregistrationRoles",
    neededBy: "RunTask hands ECS the task's execution and task roles",
  },
];

/**
 * What the external Consul's deregistration needs (the role of its Lambda function, or the identity
 * running `pulumi destroy` with runner `dynamicProvider`): start the one-off task in the stack's
 * cluster, hand ECS its roles, and poll it. The task itself reads the Consul token through its
 * execution role, so whoever starts it never reads a secret.
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
    Statement: statementsOf(CONSUL_DEREGISTRATION_PERMISSIONS, {
      RunDeregistrationTask: {
        Resource: input.taskDefinitionArn.replace(/:\d+$/, ":*"),
        Condition: onCluster,
      },
      WaitForDeregistrationTask: {
        Resource: input.clusterArn.replace(/:cluster\/.*$/, `:task/${clusterName}/*`),
        Condition: onCluster,
      },
      PassDeregistrationRoles: {
        Resource: [...input.passRoleArns],
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    }),
  };
}

/** Trust policy letting Lambda assume a destroy-time function's role. */
export function lambdaTrustPolicy(): TrustPolicyDocument {
  return assumableBy("LambdaAssume", "lambda.amazonaws.com");
}

/**
 * A Lambda function's rights on its own log group (created by the stack, with retention): streams
 * and events in that group only, no CreateLogGroup (a function that may create its group would
 * recreate one without retention after a destroy).
 */
export function lambdaLogsPolicy(logGroupArn: string): PolicyDocument {
  const group = logGroupArn.replace(/:\*$/, "");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "OwnLogStreams",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${group}:log-stream:*`,
      },
    ],
  };
}
