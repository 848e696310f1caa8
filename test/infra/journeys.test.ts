/**
 * The paths a user takes on a live stack, walked offline: the program is run under the mocks
 * with the settings before and after a switch, the engine's steps between the two graphs are
 * derived (lifecycle-model.ts), and AWS's rules are checked at every step: unique names, nothing
 * deleted while something live needs it, nothing left that blocks the namespace, and a destroy
 * that never needs the operator's machine to reach more than AWS's APIs. Each switch is walked
 * there and back from a first deploy, then destroyed, so what one run leaves outside Pulumi's state
 * (Service Connect's and consul-aws's Cloud Map services) meets the next.
 */
import * as assert from "assert";
import {
  cloudMapRedeployKey,
  CloudMapIdentity,
} from "../../packages/ecs-cloudmap-consul/service/discoverable-service";
import { loadStackConfig, ProgramRun, RecordedResource, runProgram } from "./harness";
import { CleanupReach, emptyWorld, Finding, planSteps, simulate, Step, World } from "./lifecycle-model";
import { derivedReplaceKeys } from "./replace-rules";
import { CONSUL_IMAGE, externalConsul, k, TGW } from "./settings-fixtures";

const dev = loadStackConfig("dev");
/** An external Consul by host name (DNS forwarded) through a transit gateway, with the image its tasks run. */
const external = externalConsul({
  consulHttpAddr: "https://consul.corp.example:8501",
  consulCidr: "10.60.0.0/16",
  consulDnsDomain: "corp.example",
  consulDnsServers: "10.60.0.10,10.60.1.10",
  consulPeeringConnectionId: "",
  consulTransitGatewayId: TGW,
  consulImage: CONSUL_IMAGE,
});

/** The settings a user switches between, on top of the dev stack (dns, alb, embedded Consul, 2 AZs, one NAT). */
const VARIANTS = {
  dev: {},
  serviceConnect: { [k("discoveryMode")]: "serviceConnect" },
  apiGateway: { [k("frontDoor")]: "apiGateway" },
  external,
  off: { [k("consulMode")]: "off" },
  threeAzs: { [k("azCount")]: "3" },
  externalThreeAzs: { ...external, [k("azCount")]: "3" },
  natPerAz: { [k("natGateways")]: "OnePerAz" },
} as const;
type Variant = keyof typeof VARIANTS;

/** Each switch, walked both ways. */
const SWITCHES: readonly [string, Variant, Variant][] = [
  ["discoveryMode dns ↔ serviceConnect", "dev", "serviceConnect"],
  ["frontDoor alb ↔ apiGateway", "dev", "apiGateway"],
  ["consulMode embedded ↔ external", "dev", "external"],
  ["consulMode embedded ↔ off", "dev", "off"],
  ["consulMode external ↔ off", "external", "off"],
  ["azCount 2 ↔ 3", "dev", "threeAzs"],
  ["azCount 2 ↔ 3 with an external Consul (routes, attachment)", "external", "externalThreeAzs"],
  ["natGateways Single ↔ OnePerAz", "dev", "natPerAz"],
];

/**
 * What the namespace cleanup's delete removes, read from its stored inputs the way its code
 * (packages/ecs-cloudmap-consul/network/namespace-cleanup.ts) decides: services consul-aws created, and those named in
 * serviceConnectServices, in its namespace.
 */
const cleanupReach: CleanupReach = (cleanup, holder, claim) => {
  if (cleanup.type !== "pulumi-nodejs:dynamic/namespaceCleanup:NamespaceCleanup") return false;
  const namespace = String(cleanup.inputs.namespaceId).replace(/-id$/, "");
  if (!claim.scope.endsWith(`::${namespace}`) || claim.kind !== "Cloud Map service") return false;
  const named = (cleanup.inputs.serviceConnectServices as string[] | undefined) ?? [];
  return holder.owner.startsWith("consul-aws") || named.includes(claim.name);
};

const runs = new Map<Variant, ProgramRun>();
async function graph(variant: Variant): Promise<ProgramRun> {
  let run = runs.get(variant);
  if (!run) {
    run = await runProgram({ ...dev, ...VARIANTS[variant] }, "dev");
    if (run.error) throw run.error;
    runs.set(variant, run);
  }
  return run;
}

function describeFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.kind}: ${f.message}`).join("\n");
}

interface Journey {
  readonly world: World;
  readonly findings: Record<string, Finding[]>;
  readonly steps: Record<string, Step[]>;
}

/** First deploy of `a`, the switch to `b`, back to `a`, destroy; and a destroy straight from `b`. */
async function walk(a: Variant, b: Variant): Promise<Journey> {
  const [ga, gb] = [await graph(a), await graph(b)];
  const findings: Record<string, Finding[]> = {};
  const steps: Record<string, Step[]> = {};
  let world = emptyWorld();
  const legs: [string, ProgramRun | undefined, ProgramRun | undefined][] = [
    [`deploy ${a}`, undefined, ga],
    [`${a} → ${b}`, ga, gb],
    [`${b} → ${a}`, gb, ga],
    [`destroy ${a}`, ga, undefined],
  ];
  for (const [leg, from, to] of legs) {
    const s = simulate(world, from, to, cleanupReach);
    findings[leg] = s.findings;
    steps[leg] = s.steps;
    world = s.world;
  }
  const viaB = simulate(
    simulate(emptyWorld(), undefined, gb, cleanupReach).world,
    gb,
    undefined,
    cleanupReach,
  );
  findings[`destroy ${b}`] = viaB.findings;
  return { world, findings, steps };
}

describe("journeys: switches on a live stack and destroy, step by step against AWS's rules", function () {
  this.timeout(300_000);

  for (const [what, a, b] of SWITCHES) {
    it(`${what}: no collision, nothing deleted while needed, nothing left behind, destroy needs AWS's APIs only`, async () => {
      const journey = await walk(a, b);
      for (const [leg, findings] of Object.entries(journey.findings))
        assert.strictEqual(findings.length, 0, `${leg}:\n${describeFindings(findings)}`);
      // The engine does change something both ways (a switch that changed nothing would prove nothing).
      assert.ok(journey.steps[`${a} → ${b}`].length > 0 && journey.steps[`${b} → ${a}`].length > 0);
      assert.deepStrictEqual(
        [...journey.world.claims.keys()],
        [],
        "after destroy nothing is left: no name held, in Pulumi's state or outside it",
      );
    });
  }

  it("discoveryMode dns → serviceConnect: name's Service Connect endpoint goes in a Cloud Map service of its own, created while the dns one still exists", async () => {
    const steps = planSteps(await graph("dev"), await graph("serviceConnect"));
    const update = steps.findIndex((s) => s.name === "name-service" && s.op === "update");
    const removal = steps.findIndex((s) => s.name === "name-discovery" && s.op === "delete");
    assert.ok(update >= 0 && removal > update, "Pulumi deletes the dns service last, after the ECS update");
    const sc = (await graph("serviceConnect")).resources.find((r) => r.name === "name-service")?.inputs
      .serviceConnectConfiguration as { services: { discoveryName: string }[] };
    assert.notStrictEqual(sc.services[0].discoveryName, "name");
  });

  it("the transit gateway attachment is created before the routes that name the gateway", async () => {
    const steps = planSteps(await graph("dev"), await graph("external"));
    const attach = steps.findIndex((s) => s.name === "consul-reach-tgw" && s.op === "create");
    const routes = steps.filter((s) => s.name.startsWith("consul-reach-route-")).map((s) => steps.indexOf(s));
    assert.ok(
      attach >= 0 && routes.length === 2 && routes.every((i) => i > attach),
      steps.map((x) => `${x.op} ${x.name}`).join(", "),
    );
  });

  it("consul-aws starts after the embedded server's service is steady (healthy) and admits it", async () => {
    const run = await graph("dev");
    const byName = (name: string) =>
      run.resources.find((r) => r.name === name && r.custom) as RecordedResource;
    const server = byName("consul-server-service");
    assert.strictEqual(
      server.inputs.waitForSteadyState,
      true,
      "`up` waits for the server's task to be healthy",
    );
    const sync = byName("consul-sync-service");
    for (const need of ["consul-server-service", "consul-server-from-consul-sync"])
      assert.ok(sync.dependencies.includes(String(byName(need).urn)), need);
    const steps = planSteps({ resources: [], outputs: {}, secretOutputs: [] }, run);
    const at = (name: string) => steps.findIndex((s) => s.name === name);
    assert.ok(at("consul-server-service") < at("consul-sync-service"));
  });

  it("a Cloud Map service created again under the same name (same ID, terraform-provider-aws#46930) redeploys its ECS service", async () => {
    const now = await graph("dev");
    // The graph as an earlier version of the program drew it: hello's Cloud Map service with another
    // routing policy (replace-forcing), and hello's ECS service with the trigger that version computed.
    const earlier: ProgramRun = {
      ...now,
      resources: now.resources.map((r) => {
        if (r.name === "hello-discovery" && r.custom) {
          const dnsConfig = { ...(r.inputs.dnsConfig as object), routingPolicy: "WEIGHTED" };
          return { ...r, inputs: { ...r.inputs, dnsConfig }, state: { ...r.state, dnsConfig } };
        }
        if (r.name === "hello-service" && r.custom) {
          const discovery = now.resources.find((x) => x.name === "hello-discovery" && x.custom)!;
          const identity = {
            ...discovery.inputs,
            dnsConfig: { ...(discovery.inputs.dnsConfig as object), routingPolicy: "WEIGHTED" },
          } as unknown as CloudMapIdentity;
          return {
            ...r,
            inputs: { ...r.inputs, triggers: { cloudMapService: cloudMapRedeployKey(identity) } },
          };
        }
        return r;
      }),
    };
    const s = simulate(
      simulate(emptyWorld(), undefined, earlier, cleanupReach).world,
      earlier,
      now,
      cleanupReach,
    );
    assert.ok(
      s.steps.some((x) => x.name === "hello-discovery" && x.op === "delete-before-replace"),
      "the Cloud Map service is replaced, delete first (its name is unique in the namespace)",
    );
    assert.deepStrictEqual(s.findings, []);
    const update = s.steps.find((x) => x.name === "hello-service");
    assert.deepStrictEqual(update?.changed, ["triggers"]);
  });

  it("the replace rules for ECS and Cloud Map services come from AWS's API model: what the Update call cannot take", () => {
    const { ecs, cloudMap } = derivedReplaceKeys();
    for (const prop of ["name", "cluster", "launchType", "schedulingStrategy", "deploymentController"])
      assert.ok(ecs.has(prop), prop);
    for (const prop of [
      "serviceRegistries",
      "serviceConnectConfiguration",
      "loadBalancers",
      "networkConfiguration",
    ])
      assert.ok(!ecs.has(prop), prop);
    for (const prop of ["name", "namespaceId", "healthCheckCustomConfig", "type"])
      assert.ok(cloudMap.has(prop), prop);
    for (const prop of ["description", "dnsConfig", "healthCheckConfig"])
      assert.ok(!cloudMap.has(prop), prop);
  });
});
