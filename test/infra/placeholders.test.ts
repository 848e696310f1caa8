/**
 * Placeholders (account 222222222222, example.com names, ids with EXAMPLE or 0a1b2c3d4e5f) stop
 * `up` before anything is created, in the program and in the driver, naming each setting; a
 * preview and the offline plan draw the graph with a warning.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { stackProgram } from "../../program/infrastructure";
import { PLACEHOLDER_MARKERS, placeholdersIn } from "../../program/placeholders";
import { ExitCode } from "../../driver/errors";
import { checkPlaceholders, runSettings } from "../../driver/stack-config";
import { planStack } from "../../plan/run";
import { loadStackConfig, PROJECT, runMocked, runProgram } from "./harness";

const k = (key: string) => `${PROJECT}:${key}`;

/** The settings Pulumi.prod.yaml leaves as placeholders, each named once. */
const PROD_PLACEHOLDERS = [
  "certificateArn",
  "consulCaCertSecretArn",
  "consulDnsDomain",
  "consulHttpAddr",
  "consulTokenSecretArn",
  "consulTransitGatewayId",
  "domainName",
  "hostedZoneId",
  "secretsKmsKeyArn",
].map(k);

/** Keys named in a message's `  - key: …` lines. */
const namedKeys = (message: string) => [...message.matchAll(/^ {2}- ([^:]+:[^:]+):/gm)].map((m) => m[1]);

describe("placeholders", function () {
  it("each marker is recognised, and near misses are not", () => {
    const found = placeholdersIn({
      a: "arn:aws:kms:eu-west-1:222222222222:key/1",
      b: "https://consul.prod.example.com:8501",
      c: "Z0123456789EXAMPLE",
      d: "tgw-0a1b2c3d4e5f60718",
      // Not placeholders: another account, a domain that merely contains the word, a real-looking id.
      e: "arn:aws:kms:eu-west-1:2222222222221:key/1",
      f: "consul.dev.example.internal",
      g: "myexample.com",
      h: "tgw-0f3e9a8b7c6d51234",
      i: "example",
    });
    assert.deepStrictEqual(
      found.map((p) => [p.key, p.what]),
      [
        ["a", PLACEHOLDER_MARKERS[0].what],
        ["b", PLACEHOLDER_MARKERS[1].what],
        ["c", PLACEHOLDER_MARKERS[2].what],
        ["d", PLACEHOLDER_MARKERS[3].what],
      ],
    );
  });

  it("dev holds none; prod's are exactly the values a real account must replace", () => {
    assert.deepStrictEqual(placeholdersIn(loadStackConfig("dev")), []);
    assert.deepStrictEqual(
      placeholdersIn(loadStackConfig("prod")).map((p) => p.key),
      PROD_PLACEHOLDERS,
    );
  });

  it("program, as index.ts runs it for up: stops before registering anything, naming each setting", async () => {
    // isDryRun() is false under these mocks: what `pulumi up` runs.
    const run = await runMocked(
      () => stackProgram(pulumi.runtime.allConfig(), { dryRun: pulumi.runtime.isDryRun() }),
      loadStackConfig("prod"),
      "prod",
    );
    assert.ok(run.error, "up must stop");
    assert.match(
      run.error.message,
      /^up refused before creating anything: 9 setting\(s\) still hold a placeholder/,
    );
    assert.deepStrictEqual(namedKeys(run.error.message), PROD_PLACEHOLDERS);
    assert.deepStrictEqual(run.resources, [], "nothing registered");
  });

  it("program, as a preview: the whole graph, with a warning naming each setting", async () => {
    const run = await runProgram(loadStackConfig("prod"), "prod");
    if (run.error) throw run.error;
    assert.ok(run.resources.length > 50);
    assert.strictEqual(run.warnings?.length, 1);
    assert.match(String(run.warnings[0]), /a preview draws the graph, but up refuses them/);
    assert.deepStrictEqual(namedKeys(String(run.warnings[0])), PROD_PLACEHOLDERS);
  });

  it("real values: up goes ahead", async () => {
    const real = {
      ...loadStackConfig("prod"),
      [k("certificateArn")]:
        "arn:aws:acm:eu-west-1:310987654321:certificate/1b2d3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5",
      [k("consulCaCertSecretArn")]:
        "arn:aws:secretsmanager:eu-west-1:310987654321:secret:prod/consul/ca-Xy12Za",
      [k("consulDnsDomain")]: "consul.corp.acme.io",
      [k("consulHttpAddr")]: "https://server.consul.corp.acme.io:8501",
      [k("consulTokenSecretArn")]:
        "arn:aws:secretsmanager:eu-west-1:310987654321:secret:prod/consul/token-Ab34Cd",
      [k("consulTransitGatewayId")]: "tgw-04f9e8d7c6b5a4321",
      [k("domainName")]: "hello.acme.io",
      [k("hostedZoneId")]: "Z04512345ABCDEFGHIJKL",
      [k("secretsKmsKeyArn")]: "arn:aws:kms:eu-west-1:310987654321:key/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
    };
    const run = await runProgram(real, "prod", { dryRun: false });
    if (run.error) throw run.error;
    assert.deepStrictEqual(run.warnings, []);
    assert.strictEqual(run.outputs.helloUrl, "https://hello.acme.io/");
  });

  it("the offline plan draws prod and lists the placeholders among its warnings", async function () {
    this.timeout(60_000);
    const plan = await planStack("prod");
    assert.ok(plan.resources.length > 50);
    const warning = plan.warnings.find((w) => w.includes("still hold a placeholder"));
    assert.ok(warning, plan.warnings.join("\n"));
    assert.deepStrictEqual(namedKeys(warning), PROD_PLACEHOLDERS);
  });

  it("driver: up stops with exit 2 naming each setting; preview warns; refresh and destroy are not stopped", () => {
    const prod = runSettings("prod", [], PROJECT);
    assert.throws(
      () => checkPlaceholders("up", prod),
      (e: Error & { exitCode?: number }) =>
        e.exitCode === ExitCode.Usage &&
        /^up refused before creating anything/.test(e.message) &&
        JSON.stringify(namedKeys(e.message)) === JSON.stringify(PROD_PLACEHOLDERS),
    );
    assert.deepStrictEqual(namedKeys(String(checkPlaceholders("preview", prod))), PROD_PLACEHOLDERS);
    assert.match(String(checkPlaceholders("preview", prod)), /^warning: /);
    assert.strictEqual(checkPlaceholders("refresh", prod), undefined);
    assert.strictEqual(checkPlaceholders("destroy", prod), undefined);
    assert.strictEqual(checkPlaceholders("up", runSettings("dev", [], PROJECT)), undefined);
  });

  it("driver: an override counts (one placeholder back in dev stops up; a real value for one of prod's leaves the rest)", () => {
    const override = (key: string, value: string) => ({ key, value, source: "flag" as const });
    assert.throws(
      () =>
        checkPlaceholders(
          "up",
          runSettings(
            "dev",
            [override("certificateArn", "arn:aws:acm:eu-west-1:222222222222:certificate/1")],
            PROJECT,
          ),
        ),
      /ecs-cloudmap-consul:certificateArn: "arn:aws:acm:eu-west-1:222222222222:certificate\/1" holds the placeholder AWS account/,
    );
    const fewer = runSettings("prod", [override("domainName", "hello.acme.io")], PROJECT);
    assert.deepStrictEqual(
      placeholdersIn(fewer).map((p) => p.key),
      PROD_PLACEHOLDERS.filter((key) => key !== k("domainName")),
    );
  });
});
