import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { containerDefinition, ContainerSpec } from "./containerDefinition";
import { SyncPrefixes, syncCatalogCommand } from "./naming";
import { consulAwsTaskPolicy } from "./policies";
import { createFargateTaskDefinition, createLogGroup, createSecurityGroup, createTaskRole, FargatePlacementArgs, httpsEgress, tcpRule } from "./taskResources";

/** Where the init container leaves the CA certificate for consul-aws. */
export const CA_CERT_DIR = "/consul/tls";
export const CA_CERT_FILE = `${CA_CERT_DIR}/ca.pem`;
const CA_VOLUME = "consul-tls";
const CA_WRITER = "consul-ca-writer";

export interface ConsulSyncArgs extends FargatePlacementArgs, Omit<ConsulSyncContainerInput, "namespaceId" | "logGroupName"> {
    readonly namespaceId: pulumi.Input<string>;
    readonly namespaceArn: pulumi.Input<string>;
    readonly namespaceName: string;
    readonly hostedZoneId: pulumi.Input<string>;
    /** Consul port and the CIDR of its servers: the only non-443 egress. */
    readonly consulPort: number;
    readonly consulCidr: string;
    readonly logRetentionDays: number;
    readonly dependsOn?: pulumi.Resource[];
}

/**
 * consul-aws as a singleton Fargate service. It has no leader election, so a deployment
 * stops the old task before starting the new one (max 100 %, min 0 %).
 */
export class ConsulSync extends pulumi.ComponentResource {
    public readonly serviceName: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly taskRoleArn: pulumi.Output<string>;
    public readonly image: string;

    constructor(name: string, args: ConsulSyncArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ecs-cloudmap-consul:consulSync:ConsulSync", name, {}, opts);

        const securityGroup = createSecurityGroup(name, args.vpcId, "consul-aws: HTTPS to AWS APIs and the Consul port only", this);
        const egress = [
            httpsEgress(name, securityGroup.id, this),
            tcpRule(
                "egress",
                { name: `${name}-egress-consul`, securityGroupId: securityGroup.id, port: args.consulPort, peer: { cidr: args.consulCidr }, description: "Consul HTTP API" },
                this,
            ),
        ];

        const logGroup = createLogGroup(name, args.logRetentionDays, this);
        const taskRole = createTaskRole(
            name,
            [
                {
                    name: "cloud-map",
                    document: pulumi
                        .all([args.namespaceArn, args.hostedZoneId])
                        .apply(([namespaceArn, hostedZoneId]) => consulAwsTaskPolicy({ namespaceArn, hostedZoneId })),
                },
            ],
            this,
        );

        const withCa = args.caCertSecretArn !== undefined;
        const containerDefinitions = pulumi.all([args.namespaceId, logGroup.name]).apply(([namespaceId, logGroupName]) =>
            JSON.stringify(consulSyncContainers({ ...args, namespaceId, logGroupName })),
        );

        const taskDefinition = createFargateTaskDefinition(
            name,
            {
                cpu: 256,
                memory: 512,
                executionRoleArn: args.executionRoleArn,
                taskRoleArn: taskRole.role.arn,
                volumes: withCa ? [{ name: CA_VOLUME }] : [],
                containerDefinitions,
            },
            this,
        );

        const service = new aws.ecs.Service(
            `${name}-service`,
            {
                cluster: args.clusterArn,
                taskDefinition: taskDefinition.arn,
                desiredCount: 1,
                deploymentMaximumPercent: 100,
                deploymentMinimumHealthyPercent: 0,
                deploymentCircuitBreaker: { enable: true, rollback: true },
                // On-demand only: a Spot reclaim would pause the sync.
                capacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 1 }],
                networkConfiguration: { subnets: args.subnetIds, securityGroups: [securityGroup.id], assignPublicIp: false },
                propagateTags: "SERVICE",
                enableEcsManagedTags: true,
            },
            // Tasks start only once their permissions and egress exist (a first deploy would race them).
            { parent: this, dependsOn: [...(args.dependsOn ?? []), ...taskRole.policies, ...egress] },
        );

        this.serviceName = service.name;
        this.securityGroupId = securityGroup.id;
        this.taskRoleArn = taskRole.role.arn;
        this.image = args.image;
        this.registerOutputs({
            serviceName: this.serviceName,
            securityGroupId: this.securityGroupId,
            taskRoleArn: this.taskRoleArn,
            image: this.image,
        });
    }
}

/** What the consul-aws containers need, all resolved to plain values. */
export interface ConsulSyncContainerInput {
    readonly namespaceId: string;
    readonly logGroupName: string;
    readonly region: string;
    /** `public.ecr.aws/hashicorp/consul-aws:<version>[@sha256:…]`: pinned, never latest. */
    readonly image: string;
    /** CONSUL_HTTP_ADDR, e.g. "https://consul.example:8501". */
    readonly consulHttpAddr: string;
    /** Sets CONSUL_HTTP_SSL=true. */
    readonly tls: boolean;
    /** Secrets Manager ARN of the ACL token, injected as CONSUL_HTTP_TOKEN. */
    readonly tokenSecretArn: string;
    /** Secrets Manager ARN of the CA PEM; written to CA_CERT_FILE by an init container. Default: none. */
    readonly caCertSecretArn?: string;
    /** Image of that init container (needs `sh`), by digest. */
    readonly caInitImage: string;
    /** -aws-poll-interval. Default: "30s". */
    readonly pollInterval?: string;
    /** -aws-dns-ttl. Default: 60. */
    readonly dnsTtlSeconds?: number;
    /** Name prefixes; empty strings add no flag. */
    readonly prefixes: SyncPrefixes;
}

/** Container definitions of the consul-aws task (plus the CA writer when a CA secret is set). */
export function consulSyncContainers(input: ConsulSyncContainerInput): Record<string, unknown>[] {
    const withCa = input.caCertSecretArn !== undefined;
    const environment: Record<string, string> = { CONSUL_HTTP_ADDR: input.consulHttpAddr, AWS_REGION: input.region };
    if (input.tls) environment.CONSUL_HTTP_SSL = "true";
    if (withCa) environment.CONSUL_CACERT = CA_CERT_FILE;
    const containers: ContainerSpec<string>[] = [
        {
            name: "consul-aws",
            image: input.image,
            command: syncCatalogCommand({
                namespaceId: input.namespaceId,
                pollInterval: input.pollInterval ?? "30s",
                dnsTtlSeconds: input.dnsTtlSeconds ?? 60,
                prefixes: input.prefixes,
            }),
            environment,
            secrets: { CONSUL_HTTP_TOKEN: input.tokenSecretArn },
            // Distroless image: no shell for a health check; ECS restarts the task when it exits.
            log: { group: input.logGroupName, region: input.region, streamPrefix: "consul-aws" },
            stopTimeoutSeconds: 10,
            mountPoints: withCa ? [{ sourceVolume: CA_VOLUME, containerPath: CA_CERT_DIR, readOnly: true }] : undefined,
            dependsOn: withCa ? [{ containerName: CA_WRITER, condition: "SUCCESS" }] : undefined,
        },
    ];
    if (input.caCertSecretArn !== undefined) {
        // consul-aws reads CONSUL_CACERT as a file path and its distroless image has no shell, so a
        // short-lived container receives the PEM through `secrets` and writes it to a task-local
        // volume that consul-aws mounts read-only.
        containers.push({
            name: CA_WRITER,
            image: input.caInitImage,
            essential: false,
            command: ["sh", "-c", `printf '%s\\n' "$CONSUL_CACERT_PEM" > ${CA_CERT_FILE} && chmod 0444 ${CA_CERT_FILE}`],
            secrets: { CONSUL_CACERT_PEM: input.caCertSecretArn },
            log: { group: input.logGroupName, region: input.region, streamPrefix: CA_WRITER },
            mountPoints: [{ sourceVolume: CA_VOLUME, containerPath: CA_CERT_DIR, readOnly: false }],
        });
    }
    return containers.map((spec) => containerDefinition(spec));
}
