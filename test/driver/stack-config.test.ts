import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ExitCode, UsageError } from "../../driver/errors";
import {
  checkOverridesDeclared,
  checkStackSettings,
  isEphemeralStack,
  checkRegion,
  readStackFacts,
  overridesConfig,
  readProjectSchema,
  stacksWithSettings,
  writeRunConfig,
} from "../../driver/stack-config";
import { REPO_DIR } from "./run-driver";

const usageError = (pattern: RegExp) => (e: Error & { exitCode?: number }) =>
  e.exitCode === ExitCode.Usage && pattern.test(e.message);

describe("driver: stack settings files and per-run config", () => {
  const files = ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "package.json"];
  it("lists stacks and accepts a known one, also fully qualified", () => {
    assert.deepEqual(stacksWithSettings(files), ["dev", "prod"]);
    checkStackSettings("dev", files);
    checkStackSettings("acme/ecs-cloudmap-consul/prod", files);
  });

  it("refuses a typo instead of creating a new environment", () => {
    assert.throws(
      () => checkStackSettings("prdo", files),
      usageError(/no Pulumi\.prdo\.yaml: unknown stack "prdo"; stacks with settings here: dev, prod/),
    );
    assert.throws(
      () => checkStackSettings("dev", ["Pulumi.dev.yaml"]),
      /no Pulumi\.yaml in the project directory/,
    );
  });

  it("overrides of project keys must be declared in Pulumi.yaml (the CLI would reject them mid-run)", () => {
    const schema = readProjectSchema(REPO_DIR);
    assert.equal(schema.project, "ecs-cloudmap-consul");
    assert.ok(schema.declared?.includes("nameDesiredCount") && schema.declared.includes("vpcCidr"));
    checkOverridesDeclared(
      ["nameDesiredCount", "ecs-cloudmap-consul:vpcCidr", "aws:region", "aws:profile"],
      schema,
    );
    assert.throws(
      () => checkOverridesDeclared(["nameDesiredCout"], schema),
      usageError(
        /config override "nameDesiredCout": Pulumi.yaml declares no such key; declared: .*nameDesiredCount/,
      ),
    );
    assert.throws(
      () => checkOverridesDeclared(["ecs-cloudmap-consul:nameDesiredCout"], schema),
      usageError(/declares no such key/),
    );
    // No schema in Pulumi.yaml: any key goes, as with the CLI.
    checkOverridesDeclared(["anything"], { project: "p", declared: undefined });
  });

  it("reads the schema with a YAML parser: quoted keys, comments and a block after config", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "driver-project-"));
    try {
      fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        'name: "demo" # the project\nconfig:\n  "port": { type: integer }\n  size:\n    type: string\nruntime: nodejs\n',
      );
      assert.deepEqual(readProjectSchema(dir), { project: "demo", declared: ["port", "size"] });
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: demo\nruntime: nodejs\n");
      assert.deepEqual(readProjectSchema(dir), { project: "demo", declared: undefined });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ephemeral stacks are pr-<number> only, so a leftover one can be destroyed without a settings file", () => {
    assert.deepEqual(
      ["pr-12", "acme/p/pr-12", "acme/p/pr-feat-x", "pr-012", "pr-", "prod", "dev", "preprod"].map(
        isEphemeralStack,
      ),
      [true, true, false, false, false, false, false, false],
    );
  });

  it("the region is the stack file's: an ambient AWS_REGION or AWS_DEFAULT_REGION must match it", () => {
    const prod = readStackFacts("prod");
    assert.equal(prod.file, "Pulumi.prod.yaml");
    assert.equal(checkRegion(prod, {}), "eu-west-1");
    assert.equal(checkRegion(prod, { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "" }), "eu-west-1");
    assert.throws(
      () => checkRegion(prod, { AWS_REGION: "us-east-1" }),
      (err: unknown) =>
        err instanceof UsageError &&
        /^region mismatch: AWS_REGION=us-east-1 in the environment, but Pulumi\.prod\.yaml deploys to aws:region=eu-west-1/.test(
          err.message,
        ),
    );
    assert.throws(
      () => checkRegion(prod, { AWS_DEFAULT_REGION: "eu-central-1" }),
      /AWS_DEFAULT_REGION=eu-central-1/,
    );
    assert.throws(
      () => checkRegion({ file: "Pulumi.x.yaml", region: undefined }, {}),
      /Pulumi\.x\.yaml names no aws:region/,
    );
  });

  it("overrides become the Automation API's config map with project-qualified keys, never secrets", () => {
    const overrides = [
      { key: "nameDesiredCount", value: "3", source: "--config" },
      { key: "aws:region", value: "eu-central-1", source: "AWS_REGION" },
    ];
    assert.deepEqual(overridesConfig(overrides, "p"), {
      "p:nameDesiredCount": { value: "3", secret: false },
      "aws:region": { value: "eu-central-1", secret: false },
    });
  });

  describe("the per-run config file", () => {
    let dir: string;
    const committed = [
      "secretsprovider: awskms://alias/x",
      "encryptedkey: AQICAH...",
      "config:",
      "  aws:region: eu-west-1",
      "  p:nameDesiredCount: '2'",
      "  p:token:",
      "    secure: v1:abc",
      "",
    ].join("\n");
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "driver-project-"));
      fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), committed);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is a copy of the stack file with the overrides set; the committed file is not touched", () => {
      const overrides = [
        { key: "nameDesiredCount", value: "3", source: "--config" },
        { key: "aws:region", value: "eu-central-1", source: "--region" },
        { key: "imageTag", value: "abc123", source: "IMAGE_TAG" },
      ];
      const run = writeRunConfig("acme/p/dev", overrides, "p", dir);
      assert.ok(run);
      try {
        assert.ok(!run.file.startsWith(dir), "written outside the project");
        assert.equal(path.basename(run.file), "Pulumi.dev.yaml");
        assert.deepEqual(yaml.load(fs.readFileSync(run.file, "utf8")), {
          secretsprovider: "awskms://alias/x",
          encryptedkey: "AQICAH...",
          config: {
            "aws:region": "eu-central-1",
            "p:nameDesiredCount": "3",
            "p:token": { secure: "v1:abc" },
            "p:imageTag": "abc123",
          },
        });
        assert.equal(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8"), committed);
      } finally {
        run.remove();
      }
      assert.equal(fs.existsSync(run.file), false, "removed after the run");
      assert.equal(fs.existsSync(path.dirname(run.file)), false);
    });

    it("is not written without overrides; a stack without a file gets just the overrides", () => {
      assert.equal(writeRunConfig("dev", [], "p", dir), undefined);
      const run = writeRunConfig(
        "pr-7",
        [{ key: "aws:region", value: "us-east-1", source: "--region" }],
        "p",
        dir,
      );
      assert.ok(run);
      try {
        assert.deepEqual(yaml.load(fs.readFileSync(run.file, "utf8")), {
          config: { "aws:region": "us-east-1" },
        });
      } finally {
        run.remove();
      }
    });
  });
});
