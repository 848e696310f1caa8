/**
 * One Construct request per public component, as a Python program's request reaches the plugin:
 * the generated Python SDK sends the schema's (camelCase) names, leaves out what the program left
 * as None, sends numbers as doubles, and values that came from another resource as output values
 * carrying that resource's URN (secrets as secret output values). `fromResources` lists the inputs
 * a consuming program typically takes from its own resources; `secrets` those it marks secret.
 */
import { Json } from "./plugin-host";

export interface ConstructCase {
  /** The component's resource name. */
  readonly name: string;
  /** Its inputs under the schema's names. */
  readonly inputs: Record<string, Json>;
  /** Top-level inputs that arrive as output values of the program's own resources. */
  readonly fromResources?: readonly string[];
  /** Top-level inputs that arrive as secrets. */
  readonly secrets?: readonly string[];
}

/** The URN a Python program's own resource has: what an output value's dependency names. */
export const programResourceUrn = (project: string, stack: string, type: string, name: string): string =>
  `urn:pulumi:${stack}::${project}::${type}::${name}`;

export const FIXTURE_CASES: Readonly<Record<string, ConstructCase>> = {
  "harness-fixture:index:AppPort": {
    name: "web",
    inputs: { vpcId: "vpc-0abc1234", port: 9090 },
    fromResources: ["vpcId"],
  },
};

/** Existing infrastructure the examples and the cases share (ids as AWS prints them). */
export const EXISTING = {
  vpcId: "vpc-0abc1234def567890",
  subnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"],
  clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/platform",
  clusterName: "platform",
  namespaceId: "ns-abcdef1234567890",
  namespaceName: "internal.example",
  consulAddress: "consul.internal.example:8500",
} as const;

export const PACKAGE_CASES: Readonly<Record<string, ConstructCase>> = {};
