/**
 * The policy pack's rules over real graphs (no violation) and over a deliberately bad one (each
 * rule reports). Rules are called directly; the pack itself is only started in a child process,
 * since constructing it keeps a process alive.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as path from "path";
import { RULES, type ResourceValidationArgs } from "../../policy/rules";
import { loadStackConfig, PROJECT, ROOT, runProgram } from "../infra/harness";

interface Violation {
  readonly rule: string;
  readonly resource: string;
  readonly message: string;
}

async function violations(
  resources: readonly { type: string; name: string; inputs: Record<string, unknown> }[],
): Promise<Violation[]> {
  const found: Violation[] = [];
  for (const r of resources) {
    for (const policy of RULES) {
      const args = {
        type: r.type,
        props: r.inputs,
        urn: `urn:pulumi:test::${PROJECT}::${r.type}::${r.name}`,
        name: r.name,
      } as unknown as ResourceValidationArgs;
      await policy.validateResource(args, (message?: string) =>
        found.push({ rule: policy.name, resource: r.name, message: message ?? "" }),
      );
    }
  }
  return found;
}

const k = (key: string) => `${PROJECT}:${key}`;
const DIGEST = `sha256:${"5".repeat(64)}`; // a well-formed test value: the mocks pull nothing

/** Every container's image, per task definition; throws when a definition is not known (a rule would see nothing). */
function imagesByTask(resources: readonly { type: string; name: string; inputs: Record<string, unknown> }[]) {
  return Object.fromEntries(
    resources
      .filter((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")
      .map((r) => {
        const raw = r.inputs.containerDefinitions;
        if (typeof raw !== "string") throw new Error(`${r.name}: container definitions unknown`);
        const containers = JSON.parse(raw) as { name: string; image: string }[];
        return [r.name, containers.map((c) => `${c.name}=${c.image}`)];
      }),
  );
}

describe("policy pack", function () {
  // The stack files as committed, with Pulumi.yaml's defaults: what `npm run driver -- up <stack>` deploys.
  for (const stack of ["dev", "prod"] as const) {
    it(`${stack} as committed: every rule passes, and images-by-digest saw every container's image`, async () => {
      const run = await runProgram(loadStackConfig(stack), stack);
      if (run.error) throw run.error;
      assert.deepStrictEqual(await violations(run.resources), []);
      // Under the mocks every definition is known (a preview of a new stack sees them unknown and
      // judges nothing): the rule judged each image here, and each is the tag the stack names, pinned.
      const images = imagesByTask(run.resources);
      const consul = (stack === "dev" ? [["consul-server-task", "consul"]] : []) as [string, string][];
      for (const [task, container] of [
        ["consul-sync-task", "consul-aws"],
        ["consul-check-task", "catalog-check"],
        ...consul,
      ]) {
        const image = images[task]?.find((i) => i.startsWith(`${container}=`));
        assert.match(
          String(image),
          /^[^=]+=public\.ecr\.aws\/hashicorp\/consul(-aws)?:[0-9.]+@sha256:[0-9a-f]{64}$/,
          task,
        );
      }
      if (stack === "prod")
        assert.match(
          String(images["consul-sync-task"].find((i) => i.startsWith("consul-ca-writer="))),
          /=public\.ecr\.aws\/docker\/library\/busybox:1\.36\.1@sha256:[0-9a-f]{64}$/,
        );
    });
  }

  it("a tag that reaches a task definition is refused (images-by-digest), naming the container", async () => {
    const run = await runProgram(loadStackConfig("dev"), "dev");
    if (run.error) throw run.error;
    const tagged = run.resources.map((r) =>
      r.name === "consul-sync-task"
        ? {
            ...r,
            inputs: {
              ...r.inputs,
              containerDefinitions: String(r.inputs.containerDefinitions).replace(
                /@sha256:[0-9a-f]{64}/g,
                "",
              ),
            },
          }
        : r,
    );
    assert.deepStrictEqual(await violations(tagged), [
      {
        rule: "images-by-digest",
        resource: "consul-sync-task",
        message:
          "container consul-aws: image public.ecr.aws/hashicorp/consul-aws:0.1.3 is not pinned by digest",
      },
    ]);
  });

  it("a digest given in the settings is used as it is (no registry lookup decides it)", async () => {
    const run = await runProgram({ ...loadStackConfig("dev"), [k("consulAwsDigest")]: DIGEST }, "dev");
    if (run.error) throw run.error;
    assert.deepStrictEqual(imagesByTask(run.resources)["consul-sync-task"], [
      `consul-aws=public.ecr.aws/hashicorp/consul-aws:0.1.3@${DIGEST}`,
    ]);
  });

  it("a settings matrix neither stack uses passes too", async () => {
    const run = await runProgram(
      {
        ...loadStackConfig("dev"),
        [k("consulAwsDigest")]: DIGEST,
        [k("vpcEndpoints")]: "true",
        [k("containerInsights")]: "enabled",
        [k("consulAllowedCidrs")]: "10.99.0.0/24",
        [k("capacityStrategy")]: "ondemand",
      },
      "dev",
    );
    if (run.error) throw run.error;
    assert.deepStrictEqual(await violations(run.resources), []);
  });

  it("a deliberately bad graph: each rule reports its violation", async () => {
    const bad = [
      {
        type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name: "all-traffic",
        inputs: { ipProtocol: "-1", fromPort: 0, toPort: 65535, cidrIpv4: "10.0.0.0/8" },
      },
      {
        type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name: "ssh-from-world",
        inputs: { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" },
      },
      {
        type: "aws:ecs/service:Service",
        name: "public-tasks",
        inputs: { networkConfiguration: { subnets: ["s"], assignPublicIp: true } },
      },
      {
        type: "aws:ecs/taskDefinition:TaskDefinition",
        name: "leaky",
        inputs: {
          containerDefinitions: JSON.stringify([
            {
              name: "app",
              image: "busybox:latest",
              environment: [{ name: "CONSUL_HTTP_TOKEN", value: "s3cr3t" }],
            },
          ]),
        },
      },
      {
        type: "aws:iam/rolePolicy:RolePolicy",
        name: "broad",
        inputs: {
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "A", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: "*" },
            ],
          }),
        },
      },
      { type: "aws:cloudwatch/logGroup:LogGroup", name: "forever", inputs: { name: "/x" } },
      {
        type: "aws:ecr/repository:Repository",
        name: "unscanned",
        inputs: { imageScanningConfiguration: { scanOnPush: false } },
      },
      {
        type: "aws:servicediscovery/service:Service",
        name: "no-health",
        inputs: { name: "x", healthCheckCustomConfig: {} },
      },
    ];
    const found = await violations(bad);
    const byRule = new Map<string, string[]>();
    for (const v of found) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), `${v.resource}: ${v.message}`]);
    assert.deepStrictEqual(
      [...byRule.keys()].sort(),
      RULES.map((r) => r.name).sort(),
      "every rule reports on the bad graph",
    );
    assert.deepStrictEqual(byRule.get("tcp-single-port-rules"), [
      "all-traffic: protocol -1: only tcp is allowed (udp only for DNS on 53)",
      "all-traffic: ports 0-65535: one port per rule",
    ]);
    assert.deepStrictEqual(byRule.get("no-world-ingress"), [
      "ssh-from-world: ingress from the internet on 22-22: only 80 and 443 may be public",
    ]);
    assert.deepStrictEqual(byRule.get("scoped-iam"), [
      'broad: statement A: secretsmanager:GetSecretValue on "*", though AWS scopes it to Secret',
    ]);
    assert.deepStrictEqual(byRule.get("no-plaintext-secrets"), [
      "leaky: container app: environment variable CONSUL_HTTP_TOKEN looks like a secret: pass it through secrets",
    ]);
    assert.deepStrictEqual(byRule.get("images-by-digest"), [
      "leaky: container app: image busybox:latest is not pinned by digest",
    ]);
  });

  it("rules judge only what a preview knows: unknown inputs raise nothing", async () => {
    const unknown = [
      { type: "aws:ecs/taskDefinition:TaskDefinition", name: "td", inputs: {} },
      { type: "aws:iam/rolePolicy:RolePolicy", name: "p", inputs: {} },
      {
        type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name: "r",
        inputs: { ipProtocol: "tcp" },
      },
    ];
    assert.deepStrictEqual(await violations(unknown), []);
  });

  it("the pack's entry file starts the analyzer with every rule (a real process)", async function () {
    this.timeout(60_000);
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(ROOT, "policy", "index.ts")],
      { cwd: path.join(ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] },
    );
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      let err = "";
      const timer = setTimeout(() => reject(new Error(`no port within 45 s: ${out}${err}`)), 45_000);
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the pack exited (${code}): ${out}${err}`));
      });
    });
    child.kill("SIGKILL");
    assert.ok(Number(port) > 0);
  });
});
