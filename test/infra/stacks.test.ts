/**
 * The resource graph of each real stack file, under Pulumi mocks. Expectations are
 * written out per stack (not recomputed from the settings code) so a wrong default or
 * a mis-wired setting fails here.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { CONSUL_AWS_ACTIONS } from "../../components/policies";
import { loadStackConfig, PROJECT, ProgramRun, ROOT, runProgram } from "./harness";
import { containersOf, envOf, idOf, isSecret, ofType, one, policyOf, reveal, rulesOf, ruleSummary, str, T } from "./graph";

interface StackExpectations {
    azCount: number;
    nat: string;
    endpoints: string[];
    containerInsights: string;
    strategy: { capacityProvider: string; weight: number; base: number }[];
    cpu: { hello: string; name: string };
    memory: { hello: string; name: string };
    desired: { hello: number; name: number };
    autoscaling: { min: number; max: number; target: number } | undefined;
    dnsTtl: number;
    soaTtl: number;
    logRetention: number;
    exec: boolean;
    production: boolean;
    https: boolean;
    deregistrationDelay: number;
    retainImages: number;
    secretArns: string[];
    kmsKey: string | undefined;
    consul: { addr: string; port: number; cidr: string; tls: boolean; poll: string; ttl: string; prefixFlags: string[]; caSecret: string | undefined };
    consulNames: Record<string, { cloudMapDnsName: string; consulDnsName: string }>;
}

const DEV_TOKEN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/consul/acl-token-AbCdEf";
const PROD_TOKEN = "arn:aws:secretsmanager:eu-west-1:222222222222:secret:prod/consul/acl-token-GhIjKl";
const PROD_CA = "arn:aws:secretsmanager:eu-west-1:222222222222:secret:prod/consul/ca-cert-MnOpQr";
const BASE_ENDPOINTS = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "servicediscovery", "data-servicediscovery"];

const EXPECTED: Record<"dev" | "prod", StackExpectations> = {
    dev: {
        azCount: 2,
        nat: "Single",
        endpoints: [],
        containerInsights: "disabled",
        strategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 }],
        cpu: { hello: "256", name: "256" },
        memory: { hello: "512", name: "512" },
        desired: { hello: 1, name: 2 },
        autoscaling: undefined,
        dnsTtl: 5,
        soaTtl: 5,
        logRetention: 7,
        exec: true,
        production: false,
        https: false,
        deregistrationDelay: 5,
        retainImages: 5,
        secretArns: [DEV_TOKEN],
        kmsKey: undefined,
        consul: { addr: "http://consul.dev.example.internal:8500", port: 8500, cidr: "10.50.0.0/16", tls: false, poll: "10s", ttl: "10", prefixFlags: [], caSecret: undefined },
        consulNames: {
            hello: { cloudMapDnsName: "hello.internal", consulDnsName: "hello.service.consul" },
            name: { cloudMapDnsName: "name.internal", consulDnsName: "name.service.consul" },
            "consul/consul": { cloudMapDnsName: "consul.internal", consulDnsName: "consul.service.consul" },
        },
    },
    prod: {
        azCount: 3,
        nat: "OnePerAz",
        endpoints: BASE_ENDPOINTS,
        containerInsights: "enhanced",
        strategy: [
            { capacityProvider: "FARGATE", weight: 1, base: 1 },
            { capacityProvider: "FARGATE_SPOT", weight: 3, base: 0 },
        ],
        cpu: { hello: "512", name: "512" },
        memory: { hello: "1024", name: "1024" },
        desired: { hello: 3, name: 3 },
        autoscaling: { min: 3, max: 12, target: 60 },
        dnsTtl: 10,
        soaTtl: 15,
        logRetention: 90,
        exec: false,
        production: true,
        https: true,
        deregistrationDelay: 30,
        retainImages: 20,
        secretArns: [PROD_TOKEN, PROD_CA],
        kmsKey: "arn:aws:kms:eu-west-1:222222222222:key/2b9e7c41-8d3a-4f6e-a1c0-5e7d9b3f4a21",
        consul: {
            addr: "https://consul.prod.example.internal:8501",
            port: 8501,
            cidr: "10.60.0.0/16",
            tls: true,
            poll: "30s",
            ttl: "30",
            prefixFlags: ["-aws-service-prefix", "aws-", "-consul-service-prefix", "consul-"],
            caSecret: PROD_CA,
        },
        consulNames: {
            hello: { cloudMapDnsName: "hello.internal", consulDnsName: "aws-hello.service.consul" },
            name: { cloudMapDnsName: "name.internal", consulDnsName: "aws-name.service.consul" },
            "consul/consul": { cloudMapDnsName: "consul-consul.internal", consulDnsName: "consul.service.consul" },
            "consul/payments": { cloudMapDnsName: "consul-payments.internal", consulDnsName: "payments.service.consul" },
        },
    },
};

const APPS = ["hello", "name"] as const;
const PRIVATE_SUBNETS = (n: number) => Array.from({ length: n }, (_, i) => `subnet-private-${i}`);

for (const stack of ["dev", "prod"] as const) {
    describe(`infra stack ${stack}`, function () {
        const want = EXPECTED[stack];
        let run: ProgramRun;

        before(async function () {
            run = await runProgram(loadStackConfig(stack), stack);
            if (run.error) throw run.error;
        });

        it("builds every component with a project token and parents every resource to one", () => {
            const components = run.resources.filter((r) => !r.custom).map((r) => r.type);
            for (const token of ["network:Network", "cluster:Cluster", "namespace:Namespace", "appImage:AppImage", "discoverableService:DiscoverableService", "loadBalancer:LoadBalancer", "consulSync:ConsulSync"]) {
                assert.ok(components.includes(`${PROJECT}:${token}`), `missing component ${token}`);
            }
            for (const r of run.resources.filter((x) => x.custom || x.type === T.vpc)) {
                assert.ok(r.parentType?.startsWith(`${PROJECT}:`), `${r.type} ${r.name} is not parented to a component`);
            }
        });

        it("VPC spans the AZs with DNS on and the stack's NAT strategy", () => {
            const vpc = ofType(run, T.vpc);
            assert.strictEqual(vpc.length, 1);
            const i = vpc[0].inputs;
            assert.strictEqual(i.numberOfAvailabilityZones, want.azCount);
            assert.strictEqual(i.enableDnsHostnames, true);
            assert.strictEqual(i.enableDnsSupport, true);
            assert.deepStrictEqual(i.natGateways, { strategy: want.nat });
        });

        it("VPC endpoints: interface ones private-DNS in private subnets behind a 443-from-VPC group, S3 gateway on route tables", () => {
            const endpoints = ofType(run, T.endpoint);
            const iface = endpoints.filter((e) => e.inputs.vpcEndpointType === "Interface");
            assert.deepStrictEqual(iface.map((e) => str(e.inputs.serviceName).replace("com.amazonaws.eu-west-1.", "")).sort(), [...want.endpoints].sort());
            for (const e of iface) {
                assert.strictEqual(e.inputs.privateDnsEnabled, true);
                assert.deepStrictEqual(e.inputs.subnetIds, PRIVATE_SUBNETS(want.azCount));
                assert.deepStrictEqual(e.inputs.securityGroupIds, [idOf("net-endpoints-sg")]);
            }
            const gateways = endpoints.filter((e) => e.inputs.vpcEndpointType === "Gateway");
            if (want.endpoints.length === 0) {
                assert.strictEqual(gateways.length, 0);
                assert.strictEqual(ofType(run, T.securityGroup).filter((s) => s.name === "net-endpoints-sg").length, 0);
                return;
            }
            assert.strictEqual(gateways.length, 1);
            assert.strictEqual(gateways[0].inputs.serviceName, "com.amazonaws.eu-west-1.s3");
            assert.deepStrictEqual(gateways[0].inputs.routeTableIds, ["rtb-private-0", "rtb-private-1"]);
            assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "net-endpoints-sg")), ["tcp/443-443 cidr:10.20.0.0/16"]);
            assert.deepStrictEqual(rulesOf(run, T.egress, "net-endpoints-sg"), []);
        });

        it("cluster: Container Insights, FARGATE + FARGATE_SPOT, default strategy from config", () => {
            assert.deepStrictEqual(one(run, T.cluster, "ecs-cluster").inputs.settings, [{ name: "containerInsights", value: want.containerInsights }]);
            const cp = one(run, T.capacityProviders, "ecs-capacity").inputs;
            assert.deepStrictEqual(cp.capacityProviders, ["FARGATE", "FARGATE_SPOT"]);
            assert.deepStrictEqual(cp.defaultCapacityProviderStrategies, want.strategy);
        });

        it("execution role: managed policy plus GetSecretValue on exactly the configured secrets", () => {
            const attachment = one(run, T.policyAttachment, "ecs-execution-managed").inputs;
            assert.strictEqual(attachment.policyArn, "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy");
            const statements = policyOf(one(run, T.rolePolicy, "ecs-execution-secrets")).Statement;
            assert.deepStrictEqual(statements[0].Action, ["secretsmanager:GetSecretValue"]);
            assert.deepStrictEqual(statements[0].Resource, want.secretArns);
            if (want.kmsKey) {
                assert.deepStrictEqual(statements[1].Action, ["kms:Decrypt"]);
                assert.strictEqual(statements[1].Resource, want.kmsKey);
                assert.deepStrictEqual(statements[1].Condition, { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } });
            }
            assert.strictEqual(statements.length, want.kmsKey ? 2 : 1);
        });

        it("namespace: private DNS in the VPC with a low SOA (negative) TTL", () => {
            const ns = one(run, T.namespace, "discovery-namespace").inputs;
            assert.strictEqual(ns.name, "internal");
            assert.strictEqual(ns.vpc, "vpc-mock");
            const soa = one(run, T.record, "discovery-soa").inputs;
            assert.strictEqual(soa.type, "SOA");
            assert.strictEqual(soa.zoneId, "Z0MOCKZONE");
            assert.strictEqual(soa.ttl, want.soaTtl);
            const fields = str((soa.records as string[])[0]).split(" ");
            assert.strictEqual(Number(fields[fields.length - 1]), want.soaTtl);
        });

        it("images: scanned ECR repos with lifecycle, built for linux/amd64 from apps/<app>, pushed with ECR credentials", () => {
            for (const app of APPS) {
                const repo = one(run, T.repository, `${app}-image-repo`).inputs;
                assert.deepStrictEqual(repo.imageScanningConfiguration, { scanOnPush: true });
                assert.strictEqual(repo.forceDelete, !want.production);
                const lifecycle = JSON.parse(str(one(run, T.lifecycle, `${app}-image-lifecycle`).inputs.policy)) as { rules: { selection: { countNumber: number } }[] };
                assert.strictEqual(lifecycle.rules[0].selection.countNumber, want.retainImages);
                const image = one(run, T.image, `${app}-image-image`).inputs as { build: Record<string, unknown>; registry: Record<string, unknown>; imageName: string };
                assert.strictEqual(image.build.platform, "linux/amd64");
                assert.strictEqual(image.build.context, `apps/${app}`);
                // The provider resolves the Dockerfile path from the project directory.
                assert.strictEqual(image.build.dockerfile, `apps/${app}/Dockerfile`);
                assert.ok(fs.existsSync(path.join(ROOT, `apps/${app}/Dockerfile`)), `apps/${app}/Dockerfile exists`);
                assert.deepStrictEqual(image.build.args, { BASE_IMAGE: "public.ecr.aws/docker/library/node:20-bookworm-slim" });
                assert.ok(isSecret(image.registry), "registry credentials are a secret");
                const registry = reveal<Record<string, string>>(image.registry);
                assert.strictEqual(registry.username, "AWS");
                assert.strictEqual(registry.password, "mock-registry-password");
                assert.strictEqual(registry.server, `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${app}-image-repo`);
                // No imageTag in the stack file: the stack name is the pushed tag.
                assert.strictEqual(image.imageName, `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${app}-image-repo:${stack}`);
            }
        });

        it("app task definitions: Fargate sizes, image by digest, env, health check, non-blocking awslogs, stop timeout", () => {
            const images = run.outputs.images as Record<string, string>;
            for (const app of APPS) {
                const td = one(run, T.taskDefinition, `${app}-task`).inputs;
                assert.deepStrictEqual(td.requiresCompatibilities, ["FARGATE"]);
                assert.strictEqual(td.networkMode, "awsvpc");
                assert.strictEqual(td.cpu, want.cpu[app]);
                assert.strictEqual(td.memory, want.memory[app]);
                assert.deepStrictEqual(td.runtimePlatform, { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" });
                assert.strictEqual(td.taskRoleArn, `arn:aws:iam:eu-west-1:123456789012:${app}-task-role`);
                const [c] = containersOf(one(run, T.taskDefinition, `${app}-task`));
                assert.match(c.image, /@sha256:[0-9a-f]{64}$/);
                assert.strictEqual(c.image, images[app]);
                assert.deepStrictEqual(c.portMappings, [{ containerPort: 3000, hostPort: 3000, protocol: "tcp" }]);
                assert.deepStrictEqual(c.healthCheck?.command, ["CMD", "node", "/app/dist/healthcheck.js"]);
                assert.strictEqual(c.stopTimeout, 30);
                assert.strictEqual(c.logConfiguration.logDriver, "awslogs");
                assert.strictEqual(c.logConfiguration.options.mode, "non-blocking");
                assert.ok(c.logConfiguration.options["max-buffer-size"]);
                assert.strictEqual(c.logConfiguration.options["awslogs-group"], one(run, T.logGroup, `${app}-logs`).inputs.name);
                const env = envOf(c);
                assert.strictEqual(env.PORT, "3000");
                if (app === "hello") {
                    assert.strictEqual(env.NAME_SERVER, "http://name.internal:3000/");
                    // The port comes from Cloud Map's SRV records.
                    assert.strictEqual(env.DISCOVERY_RECORD_TYPE, "SRV");
                }
                assert.deepStrictEqual(c.secrets, []);
            }
        });

        it("every log group has the stack's retention, Container Insights' own included", () => {
            const groups = ofType(run, T.logGroup);
            const insights = groups.filter((g) => g.name === "ecs-insights-logs");
            if (want.containerInsights === "disabled") assert.deepStrictEqual(insights, []);
            else assert.strictEqual(insights[0]?.inputs.name, `/aws/ecs/containerinsights/${PROJECT}-${stack}/performance`);
            assert.strictEqual(groups.length, want.containerInsights === "disabled" ? 3 : 4);
            for (const g of groups) assert.strictEqual(g.inputs.retentionInDays, want.logRetention, g.name);
        });

        it("Cloud Map: each app service has A and SRV records, MULTIVALUE, the configured TTL and custom health; registries name the container port", () => {
            for (const app of APPS) {
                const sd = one(run, T.discoveryService, `${app}-discovery`).inputs;
                assert.strictEqual(sd.name, app);
                assert.strictEqual(sd.namespaceId, idOf("discovery-namespace"));
                assert.deepStrictEqual(sd.dnsConfig, {
                    namespaceId: idOf("discovery-namespace"),
                    routingPolicy: "MULTIVALUE",
                    dnsRecords: [{ type: "A", ttl: want.dnsTtl }, { type: "SRV", ttl: want.dnsTtl }],
                });
                // An empty block would not reach AWS (the provider drops it); failureThreshold makes it.
                assert.deepStrictEqual(sd.healthCheckCustomConfig, { failureThreshold: 1 });
                assert.strictEqual(sd.healthCheckConfig, undefined);
                const svc = one(run, T.ecsService, `${app}-service`).inputs;
                assert.deepStrictEqual(svc.serviceRegistries, { registryArn: one(run, T.discoveryService, `${app}-discovery`).state.arn, containerName: app, containerPort: 3000 });
                assert.match(str(svc.serviceRegistries && (svc.serviceRegistries as { registryArn: string }).registryArn), /^arn:aws:servicediscovery:eu-west-1:123456789012:service\/srv-[0-9a-f]{16}$/);
            }
            assert.strictEqual(ofType(run, T.discoveryService).length, 2);
        });

        it("ECS services: private subnets, no public IP, circuit breaker with rollback, deployment percents, capacity strategy", () => {
            const services = ofType(run, T.ecsService);
            assert.strictEqual(services.length, 3);
            for (const s of services) {
                const net = s.inputs.networkConfiguration as Record<string, unknown>;
                assert.deepStrictEqual(net.subnets, PRIVATE_SUBNETS(want.azCount), s.name);
                assert.strictEqual(net.assignPublicIp, false, s.name);
                assert.deepStrictEqual(s.inputs.deploymentCircuitBreaker, { enable: true, rollback: true }, s.name);
                assert.strictEqual(s.inputs.cluster, "arn:aws:ecs:eu-west-1:123456789012:ecs-cluster");
            }
            for (const app of APPS) {
                const svc = one(run, T.ecsService, `${app}-service`).inputs;
                assert.strictEqual(svc.desiredCount, want.desired[app]);
                assert.strictEqual(svc.deploymentMinimumHealthyPercent, 100);
                assert.strictEqual(svc.deploymentMaximumPercent, 200);
                assert.deepStrictEqual(svc.capacityProviderStrategies, want.strategy);
                assert.strictEqual(svc.enableExecuteCommand, want.exec);
                assert.strictEqual(svc.propagateTags, "SERVICE");
            }
            assert.deepStrictEqual(one(run, T.ecsService, "hello-service").inputs.loadBalancers, [
                { targetGroupArn: "arn:aws:lb:eu-west-1:123456789012:public-tg", containerName: "hello", containerPort: 3000 },
            ]);
            assert.deepStrictEqual(one(run, T.ecsService, "name-service").inputs.loadBalancers, []);
        });

        it("every ECS service waits for its roles' policies and its network rules (no first-deploy race)", () => {
            const nameOfUrn = new Map(run.resources.map((r) => [r.urn, r.name]));
            const waitsFor = (service: string) => new Set(one(run, T.ecsService, service).dependencies.map((u) => nameOfUrn.get(u)));
            const executionPolicies = [...ofType(run, T.policyAttachment), ...ofType(run, T.rolePolicy)].filter((p) => p.name.startsWith("ecs-execution-"));
            assert.strictEqual(executionPolicies.length, 2);
            for (const [service, prefix] of [["hello-service", "hello"], ["name-service", "name"], ["consul-sync-service", "consul-sync"]]) {
                const deps = waitsFor(service);
                const taskPolicies = ofType(run, T.rolePolicy).filter((p) => p.inputs.role === idOf(`${prefix}-task-role`));
                const egress = rulesOf(run, T.egress, `${prefix}-sg`);
                assert.ok(egress.length > 0);
                for (const r of [...executionPolicies, ...taskPolicies, ...egress]) assert.ok(deps.has(r.name), `${service} does not wait for ${r.name}`);
            }
            // hello's tasks need the way to name and the ALB's way to them (health checks) from the start.
            const hello = waitsFor("hello-service");
            for (const rule of ["hello-to-name", "name-from-hello", "hello-from-alb", "public-to-hello"]) assert.ok(hello.has(rule), `hello-service does not wait for ${rule}`);
        });

        it("ECS Exec permissions exist exactly when exec is on", () => {
            for (const app of APPS) {
                const exec = ofType(run, T.rolePolicy).filter((p) => p.name === `${app}-ecs-exec`);
                assert.strictEqual(exec.length, want.exec ? 1 : 0);
                if (want.exec) {
                    assert.deepStrictEqual(policyOf(exec[0]).Statement[0].Action.every((a) => a.startsWith("ssmmessages:")), true);
                }
            }
        });

        it("autoscaling: CPU target tracking with the stack's bounds (prod only)", () => {
            const targets = ofType(run, T.scalingTarget);
            const policies = ofType(run, T.scalingPolicy);
            if (!want.autoscaling) {
                assert.strictEqual(targets.length + policies.length, 0);
                return;
            }
            assert.strictEqual(targets.length, 2);
            for (const app of APPS) {
                const t = one(run, T.scalingTarget, `${app}-scaling-target`).inputs;
                assert.strictEqual(t.minCapacity, want.autoscaling.min);
                assert.strictEqual(t.maxCapacity, want.autoscaling.max);
                assert.strictEqual(t.scalableDimension, "ecs:service:DesiredCount");
                assert.strictEqual(t.resourceId, `service/${PROJECT}-${stack}/${app}-service`);
                const p = one(run, T.scalingPolicy, `${app}-scaling-cpu`).inputs;
                assert.strictEqual(p.policyType, "TargetTrackingScaling");
                const cfg = p.targetTrackingScalingPolicyConfiguration as { targetValue: number; predefinedMetricSpecification: { predefinedMetricType: string } };
                assert.strictEqual(cfg.predefinedMetricSpecification.predefinedMetricType, "ECSServiceAverageCPUUtilization");
                assert.strictEqual(cfg.targetValue, want.autoscaling.target);
            }
        });

        it("security groups: no inline rules, every rule tcp on a single port, never protocol -1", () => {
            for (const sg of ofType(run, T.securityGroup)) {
                assert.strictEqual(sg.inputs.ingress, undefined, sg.name);
                assert.strictEqual(sg.inputs.egress, undefined, sg.name);
            }
            const rules = [...ofType(run, T.ingress), ...ofType(run, T.egress)];
            assert.ok(rules.length > 0);
            for (const r of rules) {
                assert.strictEqual(r.inputs.ipProtocol, "tcp", r.name);
                assert.strictEqual(r.inputs.fromPort, r.inputs.toPort, r.name);
            }
            assert.ok(!JSON.stringify(run.resources.map((r) => r.inputs)).includes('"ipProtocol":"-1"'));
        });

        it("only the ALB admits the world, on 80 (and 443 with a certificate)", () => {
            const open = ofType(run, T.ingress).filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 === "::/0");
            assert.deepStrictEqual(open.map((r) => r.inputs.securityGroupId).filter((id) => id !== idOf("public-sg")), []);
            assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "public-sg")), want.https ? ["tcp/443-443 cidr:0.0.0.0/0", "tcp/80-80 cidr:0.0.0.0/0"] : ["tcp/80-80 cidr:0.0.0.0/0"]);
        });

        it("ALB -> hello and hello -> name are tcp on the container port, both directions, nothing else", () => {
            assert.deepStrictEqual(ruleSummary(rulesOf(run, T.egress, "public-sg")), [`tcp/3000-3000 sg:${idOf("hello-sg")}`]);
            assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "hello-sg")), [`tcp/3000-3000 sg:${idOf("public-sg")}`]);
            assert.deepStrictEqual(ruleSummary(rulesOf(run, T.egress, "hello-sg")), ["tcp/443-443 cidr:0.0.0.0/0", `tcp/3000-3000 sg:${idOf("name-sg")}`].sort());
            assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "name-sg")), [`tcp/3000-3000 sg:${idOf("hello-sg")}`]);
            assert.deepStrictEqual(ruleSummary(rulesOf(run, T.egress, "name-sg")), ["tcp/443-443 cidr:0.0.0.0/0"]);
        });

        it("load balancer: public subnets, ip target group on /health, short deregistration, listeners, deletion protection", () => {
            const alb = one(run, T.alb, "public-alb").inputs;
            assert.strictEqual(alb.loadBalancerType, "application");
            assert.strictEqual(alb.internal, false);
            assert.deepStrictEqual(alb.subnets, Array.from({ length: want.azCount }, (_, i) => `subnet-public-${i}`));
            assert.deepStrictEqual(alb.securityGroups, [idOf("public-sg")]);
            assert.strictEqual(alb.enableDeletionProtection, want.production);
            const tg = one(run, T.targetGroup, "public-tg").inputs;
            assert.strictEqual(tg.targetType, "ip");
            assert.strictEqual(tg.port, 3000);
            assert.strictEqual(tg.deregistrationDelay, want.deregistrationDelay);
            assert.strictEqual((tg.healthCheck as { path: string }).path, "/health");
            const http = one(run, T.listener, "public-http").inputs as { port: number; defaultActions: { type: string; redirect?: Record<string, string> }[] };
            assert.strictEqual(http.port, 80);
            if (want.https) {
                assert.deepStrictEqual(http.defaultActions, [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]);
                const https = one(run, T.listener, "public-https").inputs;
                assert.strictEqual(https.protocol, "HTTPS");
                assert.strictEqual(https.certificateArn, "arn:aws:acm:eu-west-1:222222222222:certificate/6f1c2a9e-3b7d-4e21-9c55-0a8e4d2b7f10");
                assert.strictEqual(run.outputs.helloUrl, "https://public-alb-123.eu-west-1.elb.amazonaws.com/");
            } else {
                assert.strictEqual(http.defaultActions[0].type, "forward");
                assert.strictEqual(ofType(run, T.listener).length, 1);
                assert.strictEqual(run.outputs.helloUrl, "http://public-alb-123.eu-west-1.elb.amazonaws.com/");
            }
        });

        it("consul-aws: exact command, environment and secrets; the token never in plain environment", () => {
            const td = one(run, T.taskDefinition, "consul-sync-task");
            const containers = containersOf(td);
            const sync = containers.find((c) => c.name === "consul-aws");
            assert.ok(sync);
            assert.strictEqual(sync.image, "public.ecr.aws/hashicorp/consul-aws:0.1.3");
            assert.deepStrictEqual(sync.command, [
                "sync-catalog", "-aws-namespace-id", idOf("discovery-namespace"), "-to-aws", "-to-consul",
                "-aws-poll-interval", want.consul.poll, "-aws-dns-ttl", want.consul.ttl, ...want.consul.prefixFlags,
            ]);
            assert.ok(!sync.command?.includes("-consul-domain"));
            const env: Record<string, string> = { CONSUL_HTTP_ADDR: want.consul.addr, AWS_REGION: "eu-west-1" };
            if (want.consul.tls) env.CONSUL_HTTP_SSL = "true";
            if (want.consul.caSecret) env.CONSUL_CACERT = "/consul/tls/ca.pem";
            assert.deepStrictEqual(envOf(sync), env);
            assert.deepStrictEqual(sync.secrets, [{ name: "CONSUL_HTTP_TOKEN", valueFrom: want.secretArns[0] }]);
            for (const c of containers) {
                for (const e of c.environment) {
                    assert.ok(!/TOKEN/i.test(e.name) && !e.value.includes(":secret:"), `${c.name} leaks ${e.name} in plain environment`);
                }
            }
            if (want.consul.caSecret) {
                const writer = containers.find((c) => c.name === "consul-ca-writer");
                assert.ok(writer, "CA writer container");
                assert.strictEqual(writer.image, "public.ecr.aws/docker/library/busybox:1.36.1@sha256:73aaf090f3d85aa34ee199857f03fa3a95c8ede2ffd4cc2cdb5b94e566b11662");
                assert.strictEqual(writer.essential, false);
                assert.deepStrictEqual(writer.secrets, [{ name: "CONSUL_CACERT_PEM", valueFrom: want.consul.caSecret }]);
                assert.deepStrictEqual(sync.dependsOn, [{ containerName: "consul-ca-writer", condition: "SUCCESS" }]);
                assert.deepStrictEqual(sync.mountPoints, [{ sourceVolume: "consul-tls", containerPath: "/consul/tls", readOnly: true }]);
                assert.deepStrictEqual(td.inputs.volumes, [{ name: "consul-tls" }]);
            } else {
                assert.strictEqual(containers.length, 1);
            }
        });

        it("consul-aws: singleton deployment, private, egress only to 443 and the Consul port", () => {
            const svc = one(run, T.ecsService, "consul-sync-service").inputs;
            assert.strictEqual(svc.desiredCount, 1);
            assert.strictEqual(svc.deploymentMaximumPercent, 100);
            assert.strictEqual(svc.deploymentMinimumHealthyPercent, 0);
            assert.strictEqual(svc.serviceRegistries, undefined);
            assert.deepStrictEqual(rulesOf(run, T.ingress, "consul-sync-sg"), []);
            assert.deepStrictEqual(ruleSummary(rulesOf(run, T.egress, "consul-sync-sg")), [
                `tcp/${want.consul.port}-${want.consul.port} cidr:${want.consul.cidr}`,
                "tcp/443-443 cidr:0.0.0.0/0",
            ].sort());
        });

        it("consul-aws task role: exactly the documented actions, scoped to the namespace where AWS allows", () => {
            const statements = policyOf(one(run, T.rolePolicy, "consul-sync-cloud-map")).Statement;
            assert.deepStrictEqual(statements.flatMap((s) => s.Action).sort(), [...CONSUL_AWS_ACTIONS].sort());
            const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
            const namespace = "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-mock1234";
            const services = "arn:aws:servicediscovery:eu-west-1:123456789012:service/*";
            assert.strictEqual(bySid.Namespace.Resource, namespace);
            assert.deepStrictEqual(bySid.NamespaceAndServices.Resource, [namespace, services]);
            assert.strictEqual(bySid.ServiceLevel.Resource, services);
            assert.strictEqual(bySid.NamespaceHostedZone.Resource, "arn:aws:route53:::hostedzone/Z0MOCKZONE");
            const unscoped = statements.filter((s) => s.Resource === "*" && !s.Condition).flatMap((s) => s.Action).sort();
            assert.deepStrictEqual(unscoped, ["route53:CreateHealthCheck", "route53:ListHostedZonesByName", "servicediscovery:ListServices"]);
        });

        it("every IAM policy lists explicit actions (no wildcards)", () => {
            const policies = ofType(run, T.rolePolicy);
            assert.ok(policies.length >= 2);
            for (const p of policies) {
                for (const s of policyOf(p).Statement) {
                    assert.ok(s.Action.length > 0, p.name);
                    for (const a of s.Action) assert.match(a, /^[a-z0-9-]+:[A-Za-z]+$/, `${p.name}: ${a}`);
                }
            }
        });

        it("every role trusts ecs-tasks only, in a trust policy IAM accepts (no Resource element)", () => {
            const roles = ofType(run, T.role);
            assert.ok(roles.length >= 3, "execution role and a task role per service");
            for (const role of roles) {
                const trust = JSON.parse(str(role.inputs.assumeRolePolicy)) as { Statement: Record<string, unknown>[] };
                for (const statement of trust.Statement) {
                    assert.deepStrictEqual(statement.Principal, { Service: "ecs-tasks.amazonaws.com" }, role.name);
                    assert.deepStrictEqual(statement.Action, ["sts:AssumeRole"], role.name);
                    assert.ok(!("Resource" in statement), `${role.name}: trust policy has a Resource element`);
                }
            }
        });

        it("outputs: cluster, namespace, both catalogs' DNS names with prefixes, images by digest", () => {
            assert.strictEqual(run.outputs.clusterName, `${PROJECT}-${stack}`);
            assert.strictEqual(run.outputs.namespaceId, idOf("discovery-namespace"));
            assert.strictEqual(run.outputs.namespaceName, "internal");
            const names = run.outputs.serviceDnsNames as Record<string, { cloudMapDnsName: string; consulDnsName: string }>;
            assert.deepStrictEqual(
                Object.fromEntries(Object.entries(names).map(([k, v]) => [k, { cloudMapDnsName: v.cloudMapDnsName, consulDnsName: v.consulDnsName }])),
                want.consulNames,
            );
            const images = run.outputs.images as Record<string, string>;
            for (const app of APPS) assert.match(images[app], new RegExp(`^123456789012\\.dkr\\.ecr\\.eu-west-1\\.amazonaws\\.com/${app}-image-repo@sha256:[0-9a-f]{64}$`));
        });
    });
}

describe("infra stack dev with consul sync switched off", function () {
    let run: ProgramRun;
    before(async function () {
        run = await runProgram({ ...loadStackConfig("dev"), [`${PROJECT}:consulSyncEnabled`]: "false" }, "dev");
        if (run.error) throw run.error;
    });

    it("registers no consul-aws resources and no secrets permission", () => {
        assert.deepStrictEqual(run.resources.filter((r) => r.name.startsWith("consul-sync")).map((r) => r.name), []);
        assert.strictEqual(ofType(run, T.rolePolicy).filter((p) => p.name === "ecs-execution-secrets").length, 0);
        const names = run.outputs.serviceDnsNames as Record<string, { consulDnsName?: string }>;
        assert.deepStrictEqual(Object.keys(names).sort(), ["hello", "name"]);
        assert.strictEqual(names.hello.consulDnsName, undefined);
    });
});

describe("infra stack dev with an image tag", function () {
    it("pushes both images under the configured tag", async () => {
        const run = await runProgram({ ...loadStackConfig("dev"), [`${PROJECT}:imageTag`]: "3f9c2ab" }, "dev");
        if (run.error) throw run.error;
        for (const app of APPS) {
            const image = one(run, T.image, `${app}-image-image`).inputs as { imageName: string };
            assert.ok(image.imageName.endsWith(`/${app}-image-repo:3f9c2ab`), image.imageName);
        }
    });
});

describe("infra stack dev with VPC endpoints and ECS Exec", function () {
    it("adds the ssmmessages interface endpoint ECS Exec needs without NAT", async () => {
        const run = await runProgram({ ...loadStackConfig("dev"), [`${PROJECT}:vpcEndpoints`]: "true" }, "dev");
        if (run.error) throw run.error;
        const services = ofType(run, T.endpoint).map((e) => str(e.inputs.serviceName).replace("com.amazonaws.eu-west-1.", "")).sort();
        assert.deepStrictEqual(services, [...BASE_ENDPOINTS, "s3", "ssmmessages"].sort());
        assert.deepStrictEqual(ruleSummary(rulesOf(run, T.ingress, "net-endpoints-sg")), ["tcp/443-443 cidr:10.10.0.0/16"]);
    });
});
