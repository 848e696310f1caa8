/**
 * Runs the Pulumi program under mocks at the cloud boundary and records every
 * resource it registers. Nothing else is faked: components, settings and naming
 * run for real.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as yaml from "js-yaml";

export const ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "ecs-cloudmap-consul";
export const ACCOUNT = "123456789012";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly inputs: Record<string, unknown>;
    /** The state the mock returned: inputs plus provider-computed outputs (ARNs, ids). */
    readonly state: Record<string, unknown>;
    /** Type token of the parent resource, from the URN; undefined at top level. */
    parentType?: string;
    /** The resource's URN. */
    urn?: string;
    /** URNs it waits for: explicit dependsOn (components expanded to their children) and resources its inputs come from. */
    dependencies: string[];
}

export interface ProgramRun {
    readonly resources: RecordedResource[];
    readonly outputs: Record<string, unknown>;
    readonly error?: Error;
}

/** The `config:` map of Pulumi.<stack>.yaml, values as strings (as the CLI hands them over). */
export function loadStackConfig(stack: string): Record<string, string> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) config[key] = String(value);
    return config;
}

/** Pulumi.yaml parsed. */
export function loadProjectFile(): { name: string; runtime: unknown; config: Record<string, { type: string; default: unknown; description: string }> } {
    return yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as ReturnType<typeof loadProjectFile>;
}

function fakeHex(seed: string): string {
    return createHash("sha256").update(seed).digest("hex");
}

/** Provider-computed outputs the program reads, by type. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const arn = `arn:aws:${(type.split(":")[1] ?? "mock").split("/")[0]}:eu-west-1:${ACCOUNT}:${name}`;
    const base = { ...inputs, name: inputs.name ?? name, arn };
    switch (type) {
        case "awsx:ec2:Vpc": {
            const azs = Number(inputs.numberOfAvailabilityZones ?? 3);
            const ids = (kind: string) => Array.from({ length: azs }, (_, i) => `subnet-${kind}-${i}`);
            return { vpcId: "vpc-mock", publicSubnetIds: ids("public"), privateSubnetIds: ids("private") };
        }
        case "aws:servicediscovery/service:Service":
            return { ...base, arn: `arn:aws:servicediscovery:eu-west-1:${ACCOUNT}:service/srv-${fakeHex(name).slice(0, 16)}` };
        case "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace":
            return { ...base, arn: `arn:aws:servicediscovery:eu-west-1:${ACCOUNT}:namespace/ns-mock1234`, hostedZone: "Z0MOCKZONE" };
        case "aws:ecr/repository:Repository":
            return { ...base, registryId: ACCOUNT, repositoryUrl: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/${name}` };
        case "docker:index/image:Image": {
            const imageName = String(inputs.imageName);
            return { ...base, repoDigest: `${imageName.replace(/:[^:/]+$/, "")}@sha256:${fakeHex(imageName)}` };
        }
        case "aws:lb/loadBalancer:LoadBalancer":
            return { ...base, dnsName: `${name}-123.eu-west-1.elb.amazonaws.com` };
        default:
            return base;
    }
}

function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
        case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return { userName: "AWS", password: "mock-registry-password", proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com` };
        case "aws:ec2/getRouteTables:getRouteTables":
            return { ids: ["rtb-private-0", "rtb-private-1"] };
        default:
            throw new Error(`unexpected invoke ${args.token}`);
    }
}

async function resolve(value: unknown): Promise<unknown> {
    const out = pulumi.output(value) as unknown as pulumi.Output<unknown>;
    return new Promise((done) => out.apply((v) => done(v)));
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getDependenciesList(): string[];
}

interface RegisteredResources {
    getRegisteredResources(): Map<string, { urn: string }>;
    registerResource(req: RegisterRequest, callback: unknown): Promise<void>;
}

function forgetProgram(): void {
    for (const file of Object.keys(require.cache)) {
        const rel = path.relative(ROOT, file);
        if (rel === "index.ts" || rel.startsWith(`components${path.sep}`)) delete require.cache[file];
    }
}

/** Runs index.ts with this config; never throws, the program's error is returned. */
export async function runProgram(config: Record<string, string>, stack = "test"): Promise<ProgramRun> {
    const resources: RecordedResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const inputs = args.inputs as Record<string, unknown>;
                const state = computedState(args.type, args.name, inputs);
                resources.push({ type: args.type, name: args.name, custom: args.custom ?? false, inputs, state, dependencies: [] });
                return { id: `${args.name}-id`, state };
            },
            call: mockCall,
        },
        PROJECT,
        stack,
        false,
    );
    pulumi.runtime.setAllConfig(config);
    const monitor = pulumi.runtime.getMonitor() as unknown as RegisteredResources;
    // The mock hands newResource no dependencies: read them from the register request itself.
    const dependencies = new Map<string, string[]>();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        dependencies.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList());
        return register(req, callback);
    };
    forgetProgram();

    const outputs: Record<string, unknown> = {};
    let error: Error | undefined;
    try {
        const program = (await import(path.join(ROOT, "index"))) as Record<string, unknown>;
        for (const [key, value] of Object.entries(program)) outputs[key] = await resolve(value);
    } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
    }
    await pulumi.runtime.disconnect();

    for (const { urn } of monitor.getRegisteredResources().values()) {
        const [, , qualifiedType, name] = urn.split("::");
        const chain = qualifiedType.split("$");
        const resource = resources.find((r) => r.name === name && r.type === chain[chain.length - 1]);
        if (!resource) continue;
        if (chain.length > 1) resource.parentType = chain[chain.length - 2];
        resource.urn = urn;
        resource.dependencies = dependencies.get(`${resource.type}::${name}`) ?? [];
    }
    return { resources, outputs, error };
}
