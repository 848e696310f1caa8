/**
 * Who calls AWS in a stack, as whom, and with which ARNs, read from the resource graph a program
 * run registered: the ECS agent through each execution role (image pulls, log streams, secrets,
 * KMS through Secrets Manager), ECS Exec through task roles, and consul-aws through its task role
 * (its calls as its catalog/aws.go makes them). None of it is read from the policies under test.
 */
import { ACCOUNT, PROJECT, ProgramRun, RecordedResource } from "../../infra/harness";
import { Call, defaultKeyPolicy, managedPolicy, PolicyDocument, RoleUnderTest } from "./iam";
import { RESOURCE_TYPES as TYPES } from "../../../policy/resource-types";

const ofType = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);

/**
 * The tags a resource carries in AWS, as request context (`aws:ResourceTag/<key>`): the provider's
 * default tags (project, and the stack from the resource's URN) under the resource's own.
 */
export function resourceTagContext(r: RecordedResource): Record<string, string> {
  const stack = r.urn?.split("::")[0].replace(/^urn:pulumi:/, "") ?? "test";
  const tags = { project: PROJECT, stack, ...(r.inputs.tags as Record<string, string> | undefined) };
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]));
}

/** The mock names a role's ARN, id and name after its resource name; the ARN's last segment is it. */
function roleNameOfArn(arn: unknown): string {
  return String(arn).split(/[:/]/).pop() ?? "";
}

/** Every role of the graph with the documents it will hold: inline policies and attached managed policies. */
export function rolesOf(run: ProgramRun): Map<string, RoleUnderTest> {
  const roles = new Map<string, RoleUnderTest>();
  for (const role of ofType(run, TYPES.role)) {
    const refersToRole = (r: RecordedResource) =>
      r.inputs.role === `${role.name}-id` || r.inputs.role === role.name;
    const inline = ofType(run, TYPES.rolePolicy)
      .filter(refersToRole)
      .map((p) => ({ name: p.name, document: JSON.parse(String(p.inputs.policy)) as PolicyDocument }));
    const managed = ofType(run, TYPES.rolePolicyAttachment)
      .filter(refersToRole)
      .map((a) => managedPolicy(String(a.inputs.policyArn)));
    roles.set(role.name, { name: role.name, account: ACCOUNT, policies: [...inline, ...managed] });
  }
  return roles;
}

interface ContainerJson {
  name: string;
  image: string;
  secrets?: { valueFrom: string }[];
  logConfiguration?: { logDriver: string; options: Record<string, string> };
}

function containersOf(td: RecordedResource): ContainerJson[] {
  return JSON.parse(String(td.inputs.containerDefinitions)) as ContainerJson[];
}

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^@:]+)/;

export interface StackFacts {
  readonly region: string;
  /** Customer-managed key of the secrets, when the stack sets one. */
  readonly secretsKmsKeyArn?: string;
}

/** A role and the calls made with it. */
export interface Workload {
  readonly role: string;
  readonly calls: Call[];
}

/** What the ECS agent does with each task definition's execution role before and while a task runs. */
export function executionRoleCalls(run: ProgramRun, facts: StackFacts): Workload[] {
  return ofType(run, TYPES.taskDefinition).map((td) => {
    const calls: Call[] = [];
    for (const c of containersOf(td)) {
      const ecr = ECR_IMAGE.exec(c.image);
      if (ecr) {
        const repository = `arn:aws:ecr:${ecr[2]}:${ecr[1]}:repository/${ecr[3]}`;
        const why = `ECS agent: pull ${c.name}'s image`;
        calls.push({ why, action: "ecr:GetAuthorizationToken", resource: "*" });
        for (const action of [
          "ecr:BatchCheckLayerAvailability",
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchGetImage",
        ])
          calls.push({ why, action, resource: repository });
      }
      const log = c.logConfiguration;
      if (log?.logDriver === "awslogs") {
        const stream = `arn:aws:logs:${log.options["awslogs-region"]}:${ACCOUNT}:log-group:${log.options["awslogs-group"]}:log-stream:${log.options["awslogs-stream-prefix"]}/${c.name}/0123456789abcdef`;
        for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"])
          calls.push({ why: `ECS agent: ${c.name}'s logs`, action, resource: stream });
      }
      for (const s of c.secrets ?? []) {
        calls.push({
          why: `ECS agent: inject ${c.name}'s secret`,
          action: "secretsmanager:GetSecretValue",
          resource: s.valueFrom,
        });
        if (facts.secretsKmsKeyArn) {
          calls.push({
            why: `Secrets Manager decrypts ${c.name}'s secret for the ECS agent`,
            action: "kms:Decrypt",
            resource: facts.secretsKmsKeyArn,
            context: { "kms:ViaService": `secretsmanager.${facts.region}.amazonaws.com` },
            resourcePolicy: defaultKeyPolicy,
          });
        }
      }
    }
    return { role: roleNameOfArn(td.inputs.executionRoleArn), calls };
  });
}

/** ECS Exec: the SSM agent in each task of a service with exec on opens its channels with the task role. */
export function ecsExecCalls(run: ProgramRun): Workload[] {
  const tasks = new Map(ofType(run, TYPES.taskDefinition).map((td) => [td.state.arn, td]));
  return ofType(run, TYPES.ecsService)
    .filter((s) => s.inputs.enableExecuteCommand === true)
    .map((s) => {
      const td = tasks.get(s.inputs.taskDefinition);
      const actions = [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ];
      return {
        role: roleNameOfArn(td?.inputs.taskRoleArn),
        calls: actions.map((action) => ({ why: `ECS Exec into ${s.name}`, action, resource: "*" })),
      };
    });
}

/**
 * The Route 53 calls Cloud Map makes in the caller's name when it registers or deregisters an
 * instance of a DNS namespace's service: its records in the namespace's hosted zone and, for a
 * service with a health check, the check. AWS requires the caller to hold them: "Cloud Map
 * creates, updates, and deletes Route 53 records and health checks when you register and
 * deregister instances" (AWS Cloud Map Developer Guide, identity-based policies; its API
 * permissions reference lists GetHealthCheck, DeleteHealthCheck and UpdateHealthCheck under
 * DeregisterInstance). AWS documents them for registering and deregistering together.
 */
function cloudMapRoute53Calls(zone: string, why: string): Call[] {
  const healthCheck = "arn:aws:route53:::healthcheck/0a1b2c3d-0000-4000-8000-000000000000";
  return [
    { why, action: "route53:GetHostedZone", resource: zone },
    { why, action: "route53:ListHostedZonesByName", resource: "*" },
    { why, action: "route53:ChangeResourceRecordSets", resource: zone },
    { why, action: "route53:CreateHealthCheck", resource: "*" },
    { why, action: "route53:GetHealthCheck", resource: healthCheck },
    { why, action: "route53:UpdateHealthCheck", resource: healthCheck },
    { why, action: "route53:DeleteHealthCheck", resource: healthCheck },
  ];
}

/**
 * consul-aws's calls (catalog/aws.go): GetNamespace; ListServices; per Cloud Map service
 * DiscoverInstances (namespace by its HttpName) and GetInstancesHealthStatus; per Consul service
 * CreateService (SRV records), RegisterInstance, DeregisterInstance, DeleteService; and the
 * Route 53 changes Cloud Map makes for a DNS namespace on its behalf.
 */
export function consulAwsCalls(
  run: ProgramRun,
  consulServices: readonly string[],
  prefixInCloudMap = "",
): Workload[] {
  const td = ofType(run, TYPES.taskDefinition).find((t) =>
    containersOf(t).some((c) => c.name === "consul-aws"),
  );
  if (!td) return [];
  const [ns] = ofType(run, TYPES.namespace);
  const namespace = String(ns.state.arn);
  const zone = `arn:aws:route53:::hostedzone/${String(ns.state.hostedZone)}`;
  const servicePrefix = namespace.replace(/:namespace\/.*$/, ":service/");
  const name = String(ns.inputs.name);
  // The HttpName equals the name for a namespace created once in an account and region; created
  // again (an ephemeral stack), AWS appends a suffix. consul-aws sends the HttpName either way.
  const httpNames = [name, `${name}-8d2f7a1c`];
  const calls: Call[] = [
    { why: "consul-aws: read its namespace", action: "servicediscovery:GetNamespace", resource: namespace },
    {
      why: "consul-aws: list the namespace's services",
      action: "servicediscovery:ListServices",
      resource: "*",
    },
  ];
  const cloudMapServices = ofType(run, TYPES.cloudMapService).map((s) => ({
    name: String(s.inputs.name),
    arn: String(s.state.arn),
    tags: resourceTagContext(s),
  }));
  for (const s of cloudMapServices) {
    for (const httpName of httpNames) {
      const context = { "servicediscovery:NamespaceName": httpName, "servicediscovery:ServiceName": s.name };
      const why = `consul-aws: discover ${s.name} in namespace ${httpName}`;
      calls.push({ why, action: "servicediscovery:DiscoverInstances", resource: namespace, context });
      calls.push({ why, action: "servicediscovery:DiscoverInstances", resource: s.arn, context });
    }
    calls.push({
      why: `consul-aws: read ${s.name}'s health`,
      action: "servicediscovery:GetInstancesHealthStatus",
      resource: s.arn,
      context: s.tags,
    });
  }
  for (const [i, consulService] of consulServices.entries()) {
    const created = `${servicePrefix}srv-consul${String(i).padStart(11, "0")}`;
    const why = `consul-aws: copy Consul service ${consulService} into Cloud Map as ${prefixInCloudMap}${consulService}`;
    calls.push({ why, action: "servicediscovery:CreateService", resource: namespace });
    calls.push({ why, action: "servicediscovery:CreateService", resource: created });
    for (const action of [
      "servicediscovery:RegisterInstance",
      "servicediscovery:DeregisterInstance",
      "servicediscovery:DeleteService",
    ])
      calls.push({ why, action, resource: created });
    calls.push(
      ...cloudMapRoute53Calls(zone, `Cloud Map (de)registers ${consulService}'s instances for consul-aws`),
    );
  }
  return [{ role: roleNameOfArn(td.inputs.taskRoleArn), calls }];
}

/**
 * The namespace cleanup's calls (packages/ecs-cloudmap-consul/network/namespace-cleanup.ts) for one service consul-aws created:
 * list the namespace's services, list and deregister its instances, poll the operations, delete it;
 * the Route 53 record and health-check changes Cloud Map makes for the caller when it deregisters;
 * and, for an external Consul, reading its token (and CA) to deregister consul-aws there.
 */
export function namespaceCleanupCalls(run: ProgramRun): Call[] {
  const [ns] = ofType(run, TYPES.namespace);
  const namespace = String(ns.state.arn);
  const created = namespace.replace(/:namespace\/.*$/, ":service/srv-consul00000000000");
  const zone = `arn:aws:route53:::hostedzone/${String(ns.state.hostedZone)}`;
  const why = "namespace cleanup: empty the namespace of consul-aws's services before it is deleted";
  return [
    { why, action: "servicediscovery:ListServices", resource: "*" },
    { why, action: "servicediscovery:ListInstances", resource: created },
    { why, action: "servicediscovery:DeregisterInstance", resource: created },
    { why, action: "servicediscovery:GetOperation", resource: created },
    { why, action: "servicediscovery:DeleteService", resource: created },
    {
      why: "Cloud Map removes a deregistered instance's records for the caller",
      action: "route53:ChangeResourceRecordSets",
      resource: zone,
    },
    {
      why: "Cloud Map reads a deregistered instance's health check for the caller",
      action: "route53:GetHealthCheck",
      resource: "arn:aws:route53:::healthcheck/0a1b2c3d-0000-4000-8000-000000000000",
    },
    {
      why: "Cloud Map removes a deregistered instance's health check for the caller",
      action: "route53:DeleteHealthCheck",
      resource: "arn:aws:route53:::healthcheck/0a1b2c3d-0000-4000-8000-000000000000",
    },
  ];
}
