import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FORMER_TYPES, packageType, withFormerType } from "../shared/former-type";
import { ArgProblem, assertValidArgs, check, integerIn } from "../shared/arg-checks";
import { DNS_NAME_RULE, isDnsName } from "../shared/naming";
import { NamespaceCleanup } from "./namespace-cleanup";
import { componentTags, TaggedArgs } from "../shared/tags";

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
   * consul-aws created and those ECS Service Connect created under these names. TypeScript
   * programs only: the cleanup is a Pulumi dynamic resource, whose code runs at destroy in the
   * program's own Node.js, which a Python, Go, C# or YAML program does not have.
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
}

// #region argument checks
/** What is wrong with Namespace's arguments; empty when nothing is. */
export function namespaceArgProblems(args: Pick<NamespaceArgs, "name" | "soaTtlSeconds">): ArgProblem[] {
  return [
    ...check("name", args.name, (v) => (isDnsName(v) ? undefined : `must be ${DNS_NAME_RULE}`)),
    ...check("soaTtlSeconds", args.soaTtlSeconds, integerIn(0, 300)),
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

/** Each namespace's cleanup, kept off its fields: a dynamic resource has no type in the package schema. */
const cleanups = new WeakMap<object, NamespaceCleanup>();

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
  /** Whatever writes into the namespace at run time should depend on this, so it stops before the cleanup runs. */
  public get cleanup(): NamespaceCleanup | undefined {
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
    if (args.cleanupOnDelete)
      cleanups.set(
        this,
        new NamespaceCleanup(
          `${name}-cleanup`,
          {
            namespaceId: namespace.id,
            region: args.cleanupOnDelete.region,
            serviceConnectServices: args.cleanupOnDelete.serviceConnectServices ?? [],
          },
          { parent: this, dependsOn: [namespace, soa] },
        ),
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
