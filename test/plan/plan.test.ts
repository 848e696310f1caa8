/**
 * The offline plan of each stack and mode: every registered resource appears once in every
 * format, the flows are exactly what the security-group rules allow, the diagram is valid
 * Mermaid (Mermaid's own parser) and draws those flows, and secrets never show.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { diffPlans } from "../../plan/diff";
import { endLabel } from "../../plan/flows";
import { buildPlan, Plan, shortType, stackSettings } from "../../plan/model";
import {
  loadStackConfig,
  parseStackFile,
  PROJECT,
  ProgramRun,
  RecordedResource,
  ROOT,
  runProgram,
} from "../../plan/program";
import { redactInputs, REDACTED } from "../../plan/redact";
import { renderDiff, renderPlan } from "../../plan/render";
import { parseFlowchart, ParsedFlowchart } from "./mermaid-parser";

const RULE_TYPES = [
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
];
const MOCK_REGISTRY_PASSWORD = "mock-registry-password";

interface Case {
  readonly title: string;
  readonly stack: "dev" | "prod";
  readonly overrides: Record<string, string>;
}

const CASES: readonly Case[] = [
  { title: "dev", stack: "dev", overrides: {} },
  { title: "prod", stack: "prod", overrides: {} },
  { title: "dev serviceConnect", stack: "dev", overrides: { discoveryMode: "serviceConnect" } },
  { title: "dev apiGateway", stack: "dev", overrides: { frontDoor: "apiGateway" } },
  {
    title: "prod serviceConnect + apiGateway",
    stack: "prod",
    overrides: { discoveryMode: "serviceConnect", frontDoor: "apiGateway" },
  },
];

async function planOf(c: Case): Promise<{ run: ProgramRun; plan: Plan }> {
  const config = { ...loadStackConfig(c.stack) };
  for (const [key, value] of Object.entries(c.overrides)) config[`${PROJECT}:${key}`] = value;
  const run = await runProgram(config, c.stack);
  return { run, plan: buildPlan(c.stack, run, { ...stackSettings(c.stack), ...c.overrides }) };
}

function countOf(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

const diagrams = new Map<string, string>();

for (const c of CASES) {
  describe(`plan of ${c.title}`, function () {
    let run: ProgramRun;
    let plan: Plan;
    let parsed: ParsedFlowchart;

    before(async function () {
      ({ run, plan } = await planOf(c));
      parsed = await parseFlowchart(plan.diagram);
      diagrams.set(c.title, plan.diagram);
    });

    it("lists every registered resource exactly once, with its parent before it", () => {
      assert.strictEqual(plan.resources.length, run.resources.length);
      const keys = plan.resources.map((r) => `${r.type} ${r.name}`);
      assert.deepStrictEqual([...keys].sort(), run.resources.map((r) => `${r.type} ${r.name}`).sort());
      const seen = new Set<string>();
      for (const r of plan.resources) {
        if (r.parent !== undefined) assert.ok(seen.has(r.parent), `${r.name} comes before its parent`);
        seen.add(r.urn);
      }
      // The program's AWS provider sits at the top, beside the components it configures.
      for (const r of run.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:")))
        assert.ok(r.parentUrn, `${r.name} has a parent component`);
    });

    it("text and Markdown show each resource once; JSON round-trips the plan", () => {
      const text = renderPlan(plan, "text");
      const markdown = renderPlan(plan, "markdown");
      for (const r of plan.resources) {
        assert.strictEqual(
          text.split("\n").filter((l) => l.trim() === `${shortType(r.type)} ${r.name}`).length,
          1,
          `text: ${r.name}`,
        );
        assert.strictEqual(
          countOf(markdown, `**${shortType(r.type)}** \`${r.name}\``),
          1,
          `markdown: ${r.name}`,
        );
      }
      assert.deepStrictEqual(JSON.parse(renderPlan(plan, "json")), JSON.parse(JSON.stringify(plan)));
    });

    it("shows the properties a reviewer needs: sizes, ports, images by digest, IAM actions", () => {
      const byName = new Map(plan.resources.map((r) => [r.name, r.properties]));
      const helloTask = byName.get("hello-task") as {
        cpu: string;
        containers: { image: string; ports: string[] }[];
      };
      assert.strictEqual(helloTask.cpu, c.stack === "dev" ? "256" : "512");
      assert.match(helloTask.containers[0].image, /@sha256:[0-9a-f]{64}$/);
      assert.match(helloTask.containers[0].ports[0], /3000\/tcp/);
      const sync = byName.get("consul-sync-cloud-map") as { statements: { actions: string[] }[] };
      assert.ok(sync.statements.flatMap((s) => s.actions).includes("servicediscovery:RegisterInstance"));
      assert.deepStrictEqual(
        byName.get("hello-from-" + (c.overrides.frontDoor === "apiGateway" ? "api" : "public")),
        {
          group: "ref:hello-sg",
          protocol: "tcp",
          port: 3000,
          peer: c.overrides.frontDoor === "apiGateway" ? "ref:api-link-sg" : "ref:public-sg",
          description: `${c.overrides.frontDoor === "apiGateway" ? "api" : "public"} to hello on 3000/tcp`,
        },
      );
    });

    it("flows are exactly the security-group rules: each rule in one flow, pairs complete, ports and peers as declared", () => {
      const rules = run.resources.filter((r) => RULE_TYPES.includes(r.type));
      const used = plan.flows.flatMap((f) => f.rules);
      assert.deepStrictEqual([...used].sort(), rules.map((r) => r.name).sort());
      for (const f of plan.flows) {
        assert.ok(f.complete, `${endLabel(f.from)} → ${endLabel(f.to)} is one-sided`);
        for (const name of f.rules) {
          const rule = rules.find((r) => r.name === name) as RecordedResource;
          assert.strictEqual(String(rule.inputs.fromPort), f.ports, name);
          const own = `${String(rule.inputs.securityGroupId).replace(/-id$/, "")}`;
          const ingress = rule.type === RULE_TYPES[0];
          assert.strictEqual(endLabel(ingress ? f.to : f.from), own, name);
          const peer = rule.inputs.referencedSecurityGroupId
            ? (rule.inputs.referencedSecurityGroupId as string).replace(/-id$/, "")
            : String(rule.inputs.cidrIpv4);
          assert.strictEqual(endLabel(ingress ? f.from : f.to), peer, name);
        }
      }
      assert.deepStrictEqual(
        plan.warnings.filter((w) => w.startsWith("one-sided") || w.startsWith("all protocols")),
        [],
      );
    });

    it("the diagram parses with Mermaid's flowchart parser and draws every flow between the right nodes", () => {
      assert.strictEqual(parsed.diagramType, "flowchart-v2");
      const vpc = parsed.subgraphs.find((s) => s.id === "vpc");
      assert.ok(vpc, "a VPC subgraph");
      const groups = run.resources.filter((r) => r.type === "aws:ec2/securityGroup:SecurityGroup");
      const nodeOf = (group: string) => `g_${group.replace(/-sg$/, "").replace(/[^A-Za-z0-9]/g, "_")}`;
      for (const g of groups) assert.ok(vpc.nodes.includes(nodeOf(g.name)), `${g.name} drawn inside the VPC`);
      for (const f of plan.flows.filter((x) => "group" in x.from && "group" in x.to)) {
        const [from, to] = [nodeOf(endLabel(f.from)), nodeOf(endLabel(f.to))];
        const edge = parsed.edges.find((e) => e.start === from && e.end === to && e.stroke === "normal");
        assert.ok(edge, `edge ${from} → ${to}`);
        assert.ok(edge.text.includes(`${f.protocol} ${f.ports}`), `${from} → ${to} label "${edge.text}"`);
      }
      for (const f of plan.flows.filter((x) => "cidr" in x.from && x.from.cidr === "0.0.0.0/0")) {
        assert.ok(
          parsed.edges.some(
            (e) => e.start === "x_internet" && e.end === nodeOf(endLabel(f.to)) && e.text.includes(f.ports),
          ),
          `internet → ${endLabel(f.to)}`,
        );
      }
    });

    it("the diagram shows the stack's modes", () => {
      const helloToName = parsed.edges.find((e) => e.start === "g_hello" && e.end === "g_name");
      assert.ok(helloToName);
      if (c.overrides.discoveryMode === "serviceConnect") {
        assert.match(helloToName.text, /http:\/\/name:3000\/ · through the Service Connect proxy/);
        assert.ok(
          parsed.edges.some(
            (e) =>
              e.start === "g_name" &&
              e.end === "x_cloudmap" &&
              e.text.includes("Service Connect endpoint name:3000"),
          ),
        );
      } else {
        assert.match(helloToName.text, /http:\/\/name\.internal:3000\/ · own DNS client/);
        assert.ok(
          parsed.edges.some(
            (e) => e.start === "g_name" && e.end === "x_cloudmap" && e.text.includes("name A + SRV"),
          ),
        );
      }
      const apiNode = [...parsed.vertices.keys()].find((id) => id.startsWith("x_api"));
      if (c.overrides.frontDoor === "apiGateway") {
        assert.ok(apiNode, "an API Gateway node");
        assert.ok(!parsed.vertices.has("g_public"), "no ALB");
        assert.ok(
          parsed.edges.some(
            (e) => e.start === "x_internet" && e.end === apiNode && e.text.includes("HTTPS 443"),
          ),
        );
        assert.ok(parsed.edges.some((e) => e.start === apiNode && e.end === "g_api_link"));
      } else {
        assert.strictEqual(apiNode, undefined);
        assert.match(parsed.vertices.get("g_public") ?? "", /ALB/);
      }
    });

    it("never shows a secret: the ECR registry password is absent from every format, and marked secret in the run", () => {
      const image = run.resources.find((r) => r.type === "docker:index/image:Image");
      assert.ok(
        JSON.stringify(image?.inputs).includes(MOCK_REGISTRY_PASSWORD),
        "the run does carry the secret",
      );
      for (const format of ["text", "json", "markdown"] as const) {
        assert.ok(!renderPlan(plan, format).includes(MOCK_REGISTRY_PASSWORD), format);
      }
    });
  });
}

describe("plan diagrams differ per stack and mode", function () {
  it("dev, prod, serviceConnect and apiGateway each draw differently", async () => {
    for (const c of CASES) if (!diagrams.has(c.title)) diagrams.set(c.title, (await planOf(c)).plan.diagram);
    const all = [...diagrams.values()];
    assert.strictEqual(all.length, CASES.length);
    assert.strictEqual(new Set(all).size, all.length);
  });
});

describe("plan redaction", function () {
  const SECRET_SIG = "4dabf18193072939515e22adb298388d";
  const marked = (value: unknown) => ({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value });

  it("redacts Pulumi-marked secrets, Secrets Manager values and password-like keys; keeps ARNs", () => {
    const version = redactInputs("aws:secretsmanager/secretVersion:SecretVersion", {
      secretId: "arn:aws:secretsmanager:eu-west-1:1:secret:x",
      secretString: "hunter2",
    });
    assert.deepStrictEqual(version, {
      secretId: "arn:aws:secretsmanager:eu-west-1:1:secret:x",
      secretString: REDACTED,
    });
    const nested = redactInputs("aws:ecs/taskDefinition:TaskDefinition", {
      containerDefinitions: marked("[]"),
      registry: { username: "AWS", password: "p" },
    });
    assert.deepStrictEqual(nested, {
      containerDefinitions: REDACTED,
      registry: { username: "AWS", password: REDACTED },
    });
  });

  it("a secret stack output is shown as redacted; secure stack settings too", () => {
    const run: ProgramRun = {
      resources: [],
      outputs: { token: "s3cr3t-value", plain: "ok" },
      secretOutputs: ["token"],
    };
    const plan = buildPlan("dev", run, { consulHttpAddr: "http://c:8500", someToken: REDACTED });
    for (const format of ["text", "json", "markdown"] as const) {
      const out = renderPlan(plan, format);
      assert.ok(!out.includes("s3cr3t-value"), format);
      assert.ok(out.includes("ok"), format);
    }
    assert.deepStrictEqual(plan.outputs, { token: REDACTED, plain: "ok" });
  });
});

describe("plan --diff", function () {
  it("dev → prod: settings, prod-only resources and flows; a stack against itself: nothing", async () => {
    // One mock runtime per process: programs run one after the other.
    const dev = (await planOf(CASES[0])).plan;
    const prod = (await planOf(CASES[1])).plan;
    const d = diffPlans(dev, prod);
    assert.deepStrictEqual(
      d.settings.find((s) => s.key === "vpcCidr"),
      { key: "vpcCidr", from: "10.10.0.0/16", to: "10.20.0.0/16" },
    );
    assert.ok(
      !d.settings.some((s) => s.key === "autoscalingCpuTarget"),
      "equal values of different YAML types are equal",
    );
    assert.ok(d.added.includes("aws.lb.Listener public-https"));
    assert.ok(d.added.includes("aws.ec2.SecurityGroup net-endpoints-sg"));
    for (const devOnly of ["aws.iam.RolePolicy hello-ecs-exec", "aws.iam.RolePolicy name-ecs-exec"])
      assert.ok(d.removed.includes(devOnly), `${devOnly}: ECS Exec is on in dev only`);
    for (const r of d.removed)
      assert.ok(
        dev.resources.some((x) => `${x.kind} ${x.name}` === r) &&
          !prod.resources.some((x) => `${x.kind} ${x.name}` === r),
        r,
      );
    assert.ok(d.flowsAdded.includes("10.20.0.0/16 → net-endpoints-sg tcp/443"));
    assert.ok(
      d.changed.some(
        (c) => c.resource === "hello-task" && c.property === "cpu" && c.from === "256" && c.to === "512",
      ),
    );
    const self = diffPlans(dev, dev);
    assert.deepStrictEqual(
      [self.settings, self.added, self.removed, self.changed, self.flowsAdded, self.flowsRemoved],
      [[], [], [], [], [], []],
    );
    assert.match(renderDiff(d, "markdown"), /^### `dev` → `prod`/);
  });
});

describe("npm run plan (the CLI as a process)", function () {
  this.timeout(60_000);
  const cli = (args: string[]) =>
    spawnSync(
      process.execPath,
      [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(ROOT, "plan/cli.ts"), ...args],
      { cwd: ROOT, encoding: "utf8" },
    );

  it("writes dev's Markdown plan to --out", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-")), "dev.md");
    const result = cli(["dev", "--format", "markdown", "--out", out]);
    assert.strictEqual(result.status, 0, result.stderr);
    const text = fs.readFileSync(out, "utf8");
    assert.match(text, /^### Offline plan of `dev`/);
    assert.ok(text.includes("```mermaid\nflowchart LR"));
  });

  it("an empty stack file exits 2 naming the file (not a TypeError)", () => {
    const stack = `empty-${process.pid}`;
    const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, "");
    try {
      const result = cli([stack]);
      assert.strictEqual(result.status, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^plan: Pulumi\\.${stack}\\.yaml is empty: expected a YAML mapping with a \`config:\` block`,
        ),
      );
      assert.doesNotMatch(result.stderr, /TypeError|Cannot read properties/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it("a stack file that is not YAML, not a mapping, or whose config: is not a mapping is named in the error", () => {
    assert.throws(
      () => parseStackFile("config: [", "Pulumi.x.yaml"),
      /^Error: Pulumi\.x\.yaml is not valid YAML: /,
    );
    assert.throws(
      () => parseStackFile("- a\n- b\n", "Pulumi.x.yaml"),
      /^Error: Pulumi\.x\.yaml is not a mapping: /,
    );
    assert.throws(
      () => parseStackFile("config: 3\n", "Pulumi.x.yaml"),
      /^Error: Pulumi\.x\.yaml: `config:` is not a mapping/,
    );
    assert.deepStrictEqual(parseStackFile("encryptionsalt: abc\n", "Pulumi.x.yaml"), {});
    assert.deepStrictEqual(parseStackFile("config:\n  aws:region: eu-west-1\n", "Pulumi.x.yaml"), {
      "aws:region": "eu-west-1",
    });
  });

  it("bad flags and unknown stacks exit 2 naming the flag and what is allowed", () => {
    const format = cli(["dev", "--format", "yaml"]);
    assert.strictEqual(format.status, 2);
    assert.match(format.stderr, /--format: must be one of text, json, markdown, got "yaml"/);
    const stack = cli(["qa"]);
    assert.strictEqual(stack.status, 2);
    assert.match(stack.stderr, /unknown stack "qa": one of dev, prod/);
    const setting = cli(["dev", "--config", "discoveryMode=mesh"]);
    assert.strictEqual(setting.status, 2);
    assert.match(
      setting.stderr,
      /ecs-cloudmap-consul:discoveryMode: must be one of dns, serviceConnect, got "mesh"/,
    );
  });
});

describe("the Mermaid parser the diagram checks rely on", function () {
  it("rejects what GitHub could not render (so a passing parse means something)", async () => {
    await assert.rejects(parseFlowchart("flowchart LR\n  a -->"), /Parse error/);
    await assert.rejects(parseFlowchart('flowchart LR\n  a["x"y"] --> b'), /Parse error/);
  });
});
