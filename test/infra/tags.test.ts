/**
 * Tags: every taggable resource carries the project, the stack and the component that created it
 * (the program's explicit provider adds the first two as default tags; components stamp the
 * third and their caller's tags); nothing that cannot take tags is given any. "Taggable" comes
 * from the providers' own SDK types: the resource's Args declare a `tags` input.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConsulCatalogCheck } from "../../packages/ecs-cloudmap-consul/consul/consul-catalog-check";
import { LoadBalancer } from "../../packages/ecs-cloudmap-consul/network/load-balancer";
import { ignoredProviderSettings } from "../../packages/ecs-cloudmap-consul/shared/tags";
import { loadStackConfig, PROJECT, ProgramRun, RecordedResource, runProgram } from "./harness";
import { externalConsul } from "./settings-fixtures";

const k = (key: string) => `${PROJECT}:${key}`;

const argsDeclareTags = new Map<string, boolean | undefined>();

/**
 * Whether `<pkg>:<module>/<file>:<Class>` (or a component's `<pkg>:<module>:<Class>`) declares a
 * `tags` input in its SDK's `<Class>Args`; undefined for a type no installed SDK describes.
 */
function declaresTags(type: string): boolean | undefined {
  if (argsDeclareTags.has(type)) return argsDeclareTags.get(type);
  const [pkg, mod, cls] = type.split(":");
  const [module, file = cls[0].toLowerCase() + cls.slice(1)] = mod.split("/");
  let result: boolean | undefined;
  try {
    const root = path.dirname(require.resolve(`@pulumi/${pkg}`));
    const dts = fs.readFileSync(path.join(root, module === "index" ? "" : module, `${file}.d.ts`), "utf8");
    const start = dts.indexOf(`export interface ${cls}Args {`);
    assert.ok(start >= 0, `${type}: no ${cls}Args in its SDK`);
    result = /\n\s+tags\?:/.test(dts.slice(start, dts.indexOf("\n}", start)));
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    result = undefined; // not an installed SDK's type (our dynamic resource, a component)
  }
  argsDeclareTags.set(type, result);
  return result;
}

/** The provider's default tags, parsed (provider inputs reach the mock JSON-encoded). */
function defaultTagsOf(provider: RecordedResource): Record<string, string> {
  const raw = provider.inputs.defaultTags;
  const parsed = (typeof raw === "string" ? JSON.parse(raw) : raw) as { tags?: Record<string, string> };
  return parsed.tags ?? {};
}

function nameOfUrn(urn: string | undefined): string | undefined {
  return urn?.split("::")[3];
}

const CASES: readonly { title: string; stack: "dev" | "prod"; set: Record<string, string> }[] = [
  { title: "dev", stack: "dev", set: {} },
  { title: "prod", stack: "prod", set: {} },
  {
    title: "dev with Service Connect and API Gateway",
    stack: "dev",
    set: { [k("discoveryMode")]: "serviceConnect", [k("frontDoor")]: "apiGateway" },
  },
  {
    title: "dev with an external Consul (routes, Resolver forwarding), endpoints, autoscaling",
    stack: "dev",
    set: externalConsul({
      consulHttpAddr: "https://consul.corp.example:8501",
      consulCidr: "10.60.0.0/16",
      consulDnsDomain: "corp.example",
      consulDnsServers: "10.60.0.10",
      consulImage: "",
      vpcEndpoints: "true",
      autoscaling: "true",
    }),
  },
];

describe("tags: project, stack and component on every taggable resource", function () {
  this.timeout(120_000);

  for (const c of CASES) {
    describe(c.title, () => {
      let run: ProgramRun;
      let provider: RecordedResource;
      before(async () => {
        run = await runProgram({ ...loadStackConfig(c.stack), ...c.set }, c.stack);
        assert.ifError(run.error);
        const providers = run.resources.filter((r) => r.type === "pulumi:providers:aws");
        assert.strictEqual(providers.length, 1, "one explicit AWS provider");
        provider = providers[0];
      });

      it("the AWS provider's default tags are the project and this stack, in the stack's region", () => {
        assert.deepStrictEqual(defaultTagsOf(provider), { project: PROJECT, stack: c.stack });
        assert.strictEqual(provider.inputs.region, loadStackConfig(c.stack)["aws:region"]);
      });

      it("every AWS resource is managed by that provider, and awsx's VPC is handed it", () => {
        const ref = `${String(provider.urn)}::`;
        const aws = run.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
        assert.ok(aws.length > 30, `only ${aws.length} AWS resources`);
        for (const r of aws)
          assert.ok(r.provider?.startsWith(ref), `${r.name} (${r.type}) uses ${r.provider}`);
        const vpcs = run.resources.filter((r) => r.type === "awsx:ec2:Vpc");
        assert.strictEqual(vpcs.length, 1);
        assert.ok(
          vpcs[0].providers?.aws?.startsWith(ref),
          `awsx Vpc providers: ${JSON.stringify(vpcs[0].providers)}`,
        );
      });

      it("every taggable resource carries project, stack and its component; no other resource has tags", () => {
        const defaults = defaultTagsOf(provider);
        const tagged: string[] = [];
        const untaggable: string[] = [];
        for (const r of run.resources.filter((x) => x.custom || x.type.startsWith("awsx:"))) {
          if (r.type.startsWith("pulumi:providers:")) continue;
          const own = r.inputs.tags as Record<string, string> | undefined;
          if (declaresTags(r.type) !== true) {
            assert.strictEqual(
              own,
              undefined,
              `${r.name} (${r.type}) cannot take tags but is given ${JSON.stringify(own)}`,
            );
            untaggable.push(r.type);
            continue;
          }
          // The provider merges its default tags under the resource's own; awsx passes both on.
          const effective = { ...(r.type.startsWith("aws:") ? defaults : {}), ...own };
          const component = nameOfUrn(r.parentUrn);
          assert.ok(component, `${r.name} has no parent component`);
          assert.deepStrictEqual(
            { project: effective.project, stack: effective.stack, component: effective.component },
            {
              project: r.type.startsWith("aws:") ? PROJECT : undefined,
              stack: r.type.startsWith("aws:") ? c.stack : undefined,
              component,
            },
            `${r.name} (${r.type})`,
          );
          tagged.push(r.type);
        }
        // Both kinds occur, so neither branch above is vacuous.
        assert.ok(tagged.length > 20, `${tagged.length} tagged`);
        assert.ok(untaggable.length > 3, `${untaggable.length} untaggable`);
      });
    });
  }

  it("a stack's aws:defaultTags join the provider's, which keep the real project and stack", async () => {
    const run = await runProgram(
      {
        ...loadStackConfig("dev"),
        "aws:defaultTags": JSON.stringify({ tags: { costCenter: "42", stack: "other" } }),
      },
      "dev",
    );
    assert.ifError(run.error);
    const provider = run.resources.find((r) => r.type === "pulumi:providers:aws");
    assert.ok(provider);
    assert.deepStrictEqual(defaultTagsOf(provider), { costCenter: "42", project: PROJECT, stack: "dev" });
  });

  it("an aws: setting the explicit provider would ignore (aws:profile) stops the program before any resource", async () => {
    const run = await runProgram({ ...loadStackConfig("dev"), "aws:profile": "other-account" }, "dev");
    assert.ok(run.error, "the program ran");
    assert.match(run.error.message, /aws:profile/);
    assert.match(run.error.message, /AWS_PROFILE/);
    assert.deepStrictEqual(
      run.resources.map((r) => r.name),
      [],
    );
  });

  it("an aws:defaultTags that is not a map of strings under `tags` is refused by name, before any resource", async () => {
    const run = await runProgram(
      { ...loadStackConfig("dev"), "aws:defaultTags": '{"tags":{"team":7}}' },
      "dev",
    );
    assert.ok(run.error, "the program ran");
    assert.match(run.error.message, /^aws:defaultTags: expected \{"tags"/);
    assert.deepStrictEqual(
      run.resources.map((r) => r.name),
      [],
    );
  });

  it("ignoredProviderSettings names every aws: key but the region and default tags, sorted", () => {
    assert.deepStrictEqual(
      ignoredProviderSettings([
        "aws:region",
        "aws:profile",
        `${PROJECT}:azCount`,
        "aws:defaultTags",
        "aws:allowedAccountIds",
      ]),
      ["aws:allowedAccountIds", "aws:profile"],
    );
  });
});

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
}

/** Registers what `build` creates under mocks and returns it (components used on their own). */
async function underMocks(build: () => void): Promise<Registered[]> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({
          type: args.type,
          name: args.name,
          custom: args.custom ?? false,
          inputs: args.inputs as Record<string, unknown>,
        });
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call: () => ({}),
    },
    PROJECT,
    "unit",
    false,
  );
  build();
  await pulumi.runtime.disconnect();
  return registered;
}

describe("tags: a component's `tags` argument", function () {
  this.timeout(60_000);

  it("reaches every taggable child with the component's own tag, which the caller cannot override", async () => {
    const tags = { team: "payments", component: "not-this" };
    const created = await underMocks(() => {
      new LoadBalancer("lb", {
        vpcId: "vpc-1",
        publicSubnetIds: ["subnet-a", "subnet-b"],
        targetPort: 3000,
        certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
        domainName: "hello.corp.acme.io",
        hostedZoneId: "Z04512345ABCDEFGHIJKL",
        tags,
      });
      new ConsulCatalogCheck("check", {
        vpcId: "vpc-1",
        executionRoleArn: "arn:aws:iam::123456789012:role/exec",
        image: `public.ecr.aws/hashicorp/consul@sha256:${"a".repeat(64)}`,
        consulHttpAddr: "https://consul.example:8501",
        tokenSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:t-AbCdEf",
        services: ["hello"],
        logRetentionDays: 7,
        region: "eu-west-1",
        consulCidr: "10.50.0.0/16",
        consulPort: 8501,
        tags,
      });
    });
    const children = created.filter((r) => r.custom);
    const taggable = children.filter((r) => declaresTags(r.type));
    assert.ok(taggable.length >= 10, `${taggable.length} taggable children`);
    for (const r of taggable) {
      assert.deepStrictEqual(
        r.inputs.tags,
        { team: "payments", component: r.name.startsWith("lb-") ? "lb" : "check" },
        `${r.name} (${r.type})`,
      );
    }
    for (const r of children.filter((x) => !declaresTags(x.type))) {
      assert.strictEqual(r.inputs.tags, undefined, `${r.name} (${r.type})`);
    }
  });
});
