import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import { ArgProblem, assertValidArgs, check, integerIn, logRetentionDays, under } from "../shared/arg-checks";
import { DNS_NAME_RULE, isDnsName } from "../shared/naming";
import { NamespaceCleanup, namespaceCleanupHandler } from "./namespace-cleanup";
import { componentTags, TaggedArgs } from "../shared/tags";
import { createDestroyFunction, DestroyRunner, destroyRunnerProblems } from "../shared/destroy-runner";
import { namespaceCleanupPolicy } from "../shared/policies";
import type { Scope } from "../service/task-resources";

/** A namespace's own settings, the part of NamespaceArgs that is not where it lives (DiscoveryEnvironment takes these). */
export interface NamespaceOptions extends TaggedArgs {
  /**
   * DNS name of the namespace, lowercase.
   * Default: "internal".
   * @default "internal"
   * @example "svc.local"
   */
  readonly name?: string;
  /**
   * TTL of the SOA record, which is also the negative-answer TTL, seconds (0-300).
   * Default: 15.
   * @default 15
   */
  readonly soaTtlSeconds?: number;
}

export interface NamespaceArgs extends NamespaceOptions {
  /**
   * VPC the private namespace answers in.
   * @default required
   */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Empty the namespace, before it is deleted, of the Cloud Map services no stack owns: those
   * consul-aws created and those ECS Service Connect created under these names. Works from any
   * language with the default runner `lambda` (an AWS Lambda function the AWS provider invokes
   * when the cleanup is created, updated and deleted; only the delete does work).
   * @default undefined (off, for a namespace nothing creates services in)
   */
  readonly cleanupOnDelete?: CleanupOnDeleteArgs;
}

/** The namespace's cleanup before delete. */
export interface CleanupOnDeleteArgs {
  /**
   * AWS region of the namespace (the cleanup calls Cloud Map there).
   * @default required
   */
  readonly region: string;
  /**
   * Cloud Map services ECS Service Connect created under these names, deleted too.
   * Default: [] (only those consul-aws created).
   * @default [] (only those consul-aws created)
   */
  readonly serviceConnectServices?: string[];
  /**
   * What runs the cleanup: `lambda`, a Lambda function with its own role, log group and an
   * `aws.lambda.Invocation` (from any language); `dynamicProvider`, a Pulumi dynamic resource (what
   * 0.1.0 deployed; TypeScript programs that import the package only, refused through `pulumi package
   * add`). A stack deployed with 0.1.0 keeps `dynamicProvider`: switching runs the old cleanup
   * against the live namespace (see the package README).
   * Default: "lambda".
   * @default "lambda"
   */
  readonly runner?: DestroyRunner;
  /**
   * Retention of the cleanup function's log group, days (a value CloudWatch accepts; runner `lambda`).
   * Default: 30.
   * @default 30
   */
  readonly logRetentionDays?: number;
}

// #region argument checks
/** What is wrong with a namespace cleanup's settings (Namespace's `cleanupOnDelete`); empty when nothing is. */
export function cleanupOnDeleteProblems(cleanup: CleanupOnDeleteArgs | undefined): ArgProblem[] {
  return [
    ...destroyRunnerProblems("runner", cleanup?.runner),
    ...check("logRetentionDays", cleanup?.logRetentionDays, logRetentionDays),
  ];
}

/** What is wrong with Namespace's arguments; empty when nothing is. */
export function namespaceArgProblems(
  args: Pick<NamespaceArgs, "name" | "soaTtlSeconds" | "cleanupOnDelete">,
): ArgProblem[] {
  return [
    ...check("name", args.name, (v) => (isDnsName(v) ? undefined : `must be ${DNS_NAME_RULE}`)),
    ...check("soaTtlSeconds", args.soaTtlSeconds, integerIn(0, 300)),
    ...under("cleanupOnDelete", cleanupOnDeleteProblems(args.cleanupOnDelete)),
  ];
}
// #endregion

/**
 * SOA data of a Route 53 private zone with the given negative TTL (last field).
 * Route 53 private zones always carry this primary name server and contact.
 */
export function privateZoneSoa(negativeTtlSeconds: number): string {
  return `ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 ${negativeTtlSeconds}`;
}

/**
 * Each namespace's cleanup (the Invocation, or the dynamic resource), kept off its fields: a
 * component's fields are schema outputs, and a dynamic resource has no type in the package schema.
 */
const cleanups = new WeakMap<object, pulumi.Resource>();

/**
 * The Lambda function invoked on create, update and delete; its delete empties the namespace. A
 * new namespace id replaces the Invocation, so the old one's delete empties the old namespace
 * (as the dynamic resource's replacement did), after what used it has moved.
 */
function lambdaCleanup(
  name: string,
  namespace: aws.servicediscovery.PrivateDnsNamespace,
  cleanup: CleanupOnDeleteArgs,
  scope: Scope,
  after: pulumi.Resource[],
): pulumi.Resource {
  return createDestroyFunction(
    `${name}-cleanup`,
    {
      handler: namespaceCleanupHandler,
      policy: pulumi
        .all([namespace.arn, namespace.hostedZone])
        .apply(([namespaceArn, hostedZoneId]) => namespaceCleanupPolicy({ namespaceArn, hostedZoneId })),
      // Each service's deregistrations may take up to 120 s: Lambda's longest run.
      timeoutSeconds: 900,
      logRetentionDays: cleanup.logRetentionDays ?? 30,
      input: {
        namespaceId: namespace.id,
        region: cleanup.region,
        serviceConnectServices: cleanup.serviceConnectServices ?? [],
      },
      triggers: { namespaceId: namespace.id },
      dependsOn: after,
    },
    scope,
  ).invocation;
}

/** Cloud Map private DNS namespace with a low negative-answer TTL. */
export class Namespace extends pulumi.ComponentResource {
  /** Id of the Cloud Map private DNS namespace. */
  public readonly namespaceId: pulumi.Output<string>;
  /** ARN of the namespace. */
  public readonly namespaceArn: pulumi.Output<string>;
  /** DNS name of the namespace (the `name` input). */
  public readonly namespaceName: string;
  /** The private Route 53 hosted zone Cloud Map created for the namespace. */
  public readonly hostedZoneId: pulumi.Output<string>;
  /**
   * Whatever writes into the namespace at run time should depend on this, so it stops before the
   * cleanup runs: the `aws.lambda.Invocation` (runner `lambda`) or the dynamic resource.
   */
  public get cleanup(): pulumi.Resource | undefined {
    return cleanups.get(this);
  }

  constructor(name: string, args: NamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("Namespace", name, namespaceArgProblems(args));
    super(packageType("Namespace"), name, {}, withFormerType(opts, FORMER_TYPES.Namespace));
    const dnsName = args.name ?? "internal";
    const soaTtl = args.soaTtlSeconds ?? 15;

    const namespace = new aws.servicediscovery.PrivateDnsNamespace(
      `${name}-namespace`,
      {
        name: dnsName,
        vpc: args.vpcId,
        description: `Service discovery for ${pulumi.getProject()}-${pulumi.getStack()}`,
        tags: componentTags(name, args.tags),
      },
      { parent: this },
    );
    // The AWS provider cannot set the namespace's SOA TTL, so manage the zone's SOA record:
    // a resolver caches "no such name" answers for min(SOA TTL, SOA minimum), so both are low.
    const soa = new aws.route53.Record(
      `${name}-soa`,
      {
        zoneId: namespace.hostedZone,
        name: dnsName,
        type: "SOA",
        ttl: soaTtl,
        records: [privateZoneSoa(soaTtl)],
        allowOverwrite: true,
      },
      { parent: this },
    );

    // Deleted before the namespace (it depends on it), after whatever depends on the cleanup.
    const cleanup = args.cleanupOnDelete;
    if (cleanup?.runner === DestroyRunner.dynamicProvider)
      cleanups.set(
        this,
        new NamespaceCleanup(
          `${name}-cleanup`,
          {
            namespaceId: namespace.id,
            region: cleanup.region,
            serviceConnectServices: cleanup.serviceConnectServices ?? [],
          },
          { parent: this, dependsOn: [namespace, soa] },
        ),
      );
    else if (cleanup)
      cleanups.set(
        this,
        lambdaCleanup(name, namespace, cleanup, { parent: this, tags: componentTags(name, args.tags) }, [
          namespace,
          soa,
        ]),
      );

    this.namespaceId = namespace.id;
    this.namespaceArn = namespace.arn;
    this.namespaceName = dnsName;
    this.hostedZoneId = namespace.hostedZone;
    this.registerOutputs({
      namespaceId: this.namespaceId,
      namespaceArn: this.namespaceArn,
      namespaceName: this.namespaceName,
      hostedZoneId: this.hostedZoneId,
    });
  }
}
