import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ExitCode } from "../../driver/errors";
import {
  checkAwsCredentials,
  checkBackendAccess,
  checkPulumiBackend,
  iniSections,
  realFiles,
  type Check,
} from "../../driver/prerequisites";
import { REPO_DIR, runDriver } from "./run-driver";

function problemOf(check: Check<unknown>): string {
  assert.equal(check.ok, false, "expected the check to fail");
  return check.ok ? "" : `${check.problem.problem} | fix: ${check.problem.fix}`;
}

describe("driver: prerequisite checks", () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "driver-home-"));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  describe("Pulumi backend", () => {
    const backendOf = (env: Record<string, string>) => {
      const check = checkPulumiBackend(env, home, realFiles);
      assert.ok(check.ok, JSON.stringify(check));
      return check.value;
    };
    it("Pulumi Cloud with a token; a bucket with PULUMI_BACKEND_URL; nothing chosen says what to set", () => {
      assert.deepEqual(backendOf({ PULUMI_ACCESS_TOKEN: "pul-x" }), {
        kind: "cloud",
        url: "https://api.pulumi.com",
        via: "PULUMI_ACCESS_TOKEN",
      });
      assert.deepEqual(backendOf({ PULUMI_BACKEND_URL: "s3://state?region=eu-west-1" }), {
        kind: "self-managed",
        url: "s3://state?region=eu-west-1",
        via: "PULUMI_BACKEND_URL",
      });
      // The URL decides, as it does for the CLI: a token beside an s3:// URL is not used.
      assert.equal(
        backendOf({ PULUMI_BACKEND_URL: "s3://state", PULUMI_ACCESS_TOKEN: "pul-x" }).kind,
        "self-managed",
      );
      // CI passes unset variables as empty strings.
      assert.equal(backendOf({ PULUMI_BACKEND_URL: "", PULUMI_ACCESS_TOKEN: "pul-x" }).kind, "cloud");
      assert.match(
        problemOf(checkPulumiBackend({ PULUMI_BACKEND_URL: "", PULUMI_ACCESS_TOKEN: "" }, home, realFiles)),
        /none chosen \(no PULUMI_BACKEND_URL, no PULUMI_ACCESS_TOKEN.*fix: for Pulumi Cloud set PULUMI_ACCESS_TOKEN; for a self-managed backend set PULUMI_BACKEND_URL=s3:/,
      );
      assert.match(
        problemOf(checkPulumiBackend({ PULUMI_BACKEND_URL: "state-bucket" }, home, realFiles)),
        /PULUMI_BACKEND_URL "state-bucket" is neither a Pulumi Cloud URL/,
      );
    });
    it("Pulumi Cloud chosen without a token: names the missing token, whichever way Cloud was chosen", () => {
      assert.match(
        problemOf(checkPulumiBackend({ PULUMI_BACKEND_URL: "https://api.pulumi.com" }, home, realFiles)),
        /Pulumi Cloud \(https:\/\/api\.pulumi\.com, from PULUMI_BACKEND_URL\) is chosen but there is no PULUMI_ACCESS_TOKEN/,
      );
      fs.mkdirSync(path.join(home, ".pulumi"));
      const credentials = path.join(home, ".pulumi", "credentials.json");
      fs.writeFileSync(credentials, JSON.stringify({ current: "https://api.pulumi.com" }));
      assert.match(
        problemOf(checkPulumiBackend({}, home, realFiles)),
        /is chosen but there is no PULUMI_ACCESS_TOKEN/,
      );
      fs.writeFileSync(
        credentials,
        JSON.stringify({
          current: "https://api.pulumi.com",
          accessTokens: { "https://api.pulumi.com": "pul-stored" },
        }),
      );
      assert.equal(backendOf({}).kind, "cloud");
      fs.writeFileSync(credentials, JSON.stringify({ current: "s3://kept-state" }));
      assert.deepEqual(backendOf({}), {
        kind: "self-managed",
        url: "s3://kept-state",
        via: `pulumi login (${credentials})`,
      });
    });
  });

  describe("what the chosen backend needs", () => {
    const s3 = {
      kind: "self-managed" as const,
      url: "s3://state?region=eu-west-1",
      via: "PULUMI_BACKEND_URL",
    };
    const cloud = { kind: "cloud" as const, url: "https://api.pulumi.com", via: "PULUMI_ACCESS_TOKEN" };
    const noAws = checkAwsCredentials({}, "/nonexistent-home", {
      exists: () => false,
      read: () => undefined,
    });
    const aws = { ok: true as const, value: "env keys" };
    const kms = { secretsProvider: "awskms://alias/pulumi-state?region=eu-west-1" };
    const dev = (secrets: { secretsProvider?: string; encryptionSalt?: string }, creating = false) => ({
      name: "dev",
      file: "Pulumi.dev.yaml",
      secrets,
      creating,
    });
    const text = (problems: { prerequisite: string; problem: string; fix: string }[]) =>
      problems.map((p) => `${p.prerequisite}: ${p.problem} | fix: ${p.fix}`).join("\n");

    it("an s3:// backend without AWS credentials: says the bucket needs them", () => {
      assert.match(
        text(checkBackendAccess(s3, dev(kms), {}, noAws)),
        /^Pulumi backend: PULUMI_BACKEND_URL=s3:\/\/state\?region=eu-west-1 keeps state in S3, which needs AWS credentials, and none were found/,
      );
      assert.deepEqual(checkBackendAccess(s3, dev(kms), {}, aws), []);
    });
    it("a self-managed stack needs a secrets provider: its file's awskms://, a passphrase, or PULUMI_SECRETS_PROVIDER to create one", () => {
      assert.match(
        text(checkBackendAccess(s3, dev({}), {}, aws)),
        /^secrets provider: Pulumi\.dev\.yaml names no secrets provider for the self-managed backend .*fix: create the stack once with PULUMI_SECRETS_PROVIDER=awskms:.*npm run driver -- dev init/,
      );
      assert.match(
        text(checkBackendAccess(s3, dev({ encryptionSalt: "v1:abc" }), {}, aws)),
        /encrypts secrets with a passphrase, and PULUMI_CONFIG_PASSPHRASE is not set/,
      );
      assert.deepEqual(
        checkBackendAccess(s3, dev({ encryptionSalt: "v1:abc" }), { PULUMI_CONFIG_PASSPHRASE: "x" }, aws),
        [],
      );
      assert.match(
        text(checkBackendAccess(s3, { ...dev({}, true), name: "pr-42" }, {}, aws)),
        /^secrets provider: creating pr-42 on s3:.* neither PULUMI_SECRETS_PROVIDER nor PULUMI_CONFIG_PASSPHRASE is set/,
      );
      assert.deepEqual(
        checkBackendAccess(s3, dev({}, true), { PULUMI_SECRETS_PROVIDER: kms.secretsProvider }, aws),
        [],
      );
      // pr-<n> copies dev, whose file names its key: the new stack still needs a provider of its own.
      assert.match(
        text(checkBackendAccess(s3, { ...dev(kms, true), name: "pr-7" }, {}, aws)),
        /^secrets provider: creating pr-7 on s3:/,
      );
    });
    it("Pulumi Cloud manages secrets itself; a stack file's awskms:// still needs AWS credentials", () => {
      assert.deepEqual(checkBackendAccess(cloud, dev({}), {}, noAws), []);
      assert.match(
        text(checkBackendAccess(cloud, dev(kms), {}, noAws)),
        /^secrets provider: Pulumi\.dev\.yaml encrypts secrets with awskms:\/\/alias\/pulumi-state/,
      );
    });
  });

  describe("AWS credentials (no network)", () => {
    it("finds env keys, but not half a pair", () => {
      assert.ok(
        checkAwsCredentials({ AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "s" }, home, realFiles).ok,
      );
      assert.match(
        problemOf(checkAwsCredentials({ AWS_ACCESS_KEY_ID: "AKIA" }, home, realFiles)),
        /AWS_SECRET_ACCESS_KEY is not set/,
      );
    });
    it("finds a web identity token (OIDC) only when the token file exists and a role is named", () => {
      const token = path.join(home, "token");
      assert.match(
        problemOf(
          checkAwsCredentials(
            { AWS_WEB_IDENTITY_TOKEN_FILE: token, AWS_ROLE_ARN: "arn:aws:iam::1:role/ci" },
            home,
            realFiles,
          ),
        ),
        /token file .* does not exist/,
      );
      assert.match(
        problemOf(checkAwsCredentials({ AWS_WEB_IDENTITY_TOKEN_FILE: token }, home, realFiles)),
        /without AWS_ROLE_ARN/,
      );
      fs.writeFileSync(token, "eyJ...");
      const ok = checkAwsCredentials(
        { AWS_WEB_IDENTITY_TOKEN_FILE: token, AWS_ROLE_ARN: "arn:aws:iam::1:role/ci" },
        home,
        realFiles,
      );
      assert.ok(ok.ok && /OIDC/.test(ok.value));
    });
    it("finds container credentials", () => {
      assert.ok(
        checkAwsCredentials({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "/v2/credentials/x" }, home, realFiles)
          .ok,
      );
    });
    it("finds profiles in ~/.aws/config and ~/.aws/credentials, and names a missing AWS_PROFILE", () => {
      fs.mkdirSync(path.join(home, ".aws"));
      fs.writeFileSync(
        path.join(home, ".aws", "config"),
        "[default]\nregion = eu-west-1\n\n[profile  deploy ]\nsso_session = corp\n",
      );
      assert.ok(checkAwsCredentials({}, home, realFiles).ok);
      const deploy = checkAwsCredentials({ AWS_PROFILE: "deploy" }, home, realFiles);
      assert.ok(deploy.ok && /profile "deploy"/.test(deploy.value));
      assert.match(
        problemOf(checkAwsCredentials({ AWS_PROFILE: "prod" }, home, realFiles)),
        /AWS_PROFILE=prod but no \[prod\].*fix: run `aws configure --profile prod`/,
      );
      fs.writeFileSync(path.join(home, ".aws", "credentials"), "[prod]\naws_access_key_id = AKIA\n");
      assert.ok(checkAwsCredentials({ AWS_PROFILE: "prod" }, home, realFiles).ok);
    });
    it("with nothing at all, says what to do in CI and locally", () => {
      const none = problemOf(checkAwsCredentials({}, home, { exists: () => false, read: () => undefined }));
      assert.match(none, /none found/);
      assert.match(none, /aws-actions\/configure-aws-credentials \(OIDC\)/);
    });
    it("parses INI section names", () => {
      assert.deepEqual(iniSections("[default]\nx=1\n [profile a]\n[b]  \n# [c]\n"), [
        "default",
        "profile a",
        "b",
      ]);
    });
  });

  describe("the real driver on this machine (no login, no credentials)", function () {
    this.timeout(60_000);
    it("exits 3 with what to set, before any stack is touched and before the CLI is downloaded", async () => {
      // A PATH holding only node: no `pulumi` anywhere. A fresh HOME: no ~/.pulumi, no ~/.aws.
      const bin = path.join(home, "bin");
      fs.mkdirSync(bin);
      fs.symlinkSync(process.execPath, path.join(bin, "node"));
      const stackFilesBefore = fs.readdirSync(REPO_DIR).filter((f) => f.startsWith("Pulumi."));
      const run = await runDriver(["dev", "preview"], { PATH: bin, HOME: home });
      assert.equal(run.code, ExitCode.MissingPrerequisite, run.stderr);
      assert.match(run.stderr, /missing prerequisites \(nothing was touched\)/);
      assert.match(run.stderr, /Pulumi backend: none chosen/);
      assert.match(run.stderr, /AWS credentials: none found/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      // Nothing touched: no CLI installed into ~/.pulumi, no stack file written, no stack step printed.
      assert.equal(fs.existsSync(path.join(home, ".pulumi")), false);
      assert.deepEqual(
        fs.readdirSync(REPO_DIR).filter((f) => f.startsWith("Pulumi.")),
        stackFilesBefore,
      );
      assert.doesNotMatch(run.stdout + run.stderr, /prerequisites:|preview of dev|copying config/);
    });
    it("--json: one machine-readable object on stdout with the same exit code", async () => {
      const bin = path.join(home, "bin");
      fs.mkdirSync(bin);
      fs.symlinkSync(process.execPath, path.join(bin, "node"));
      const run = await runDriver(["dev", "preview", "--json"], { PATH: bin, HOME: home });
      assert.equal(run.code, ExitCode.MissingPrerequisite);
      const report = JSON.parse(run.stdout) as {
        ok: boolean;
        exitCode: number;
        command: string;
        stack: string;
        error: string;
      };
      assert.deepEqual(
        [report.ok, report.exitCode, report.command, report.stack],
        [false, 3, "preview", "dev"],
      );
      assert.match(report.error, /Pulumi backend/);
    });
    it("a usage error exits 2 before the prerequisites are even looked at", async () => {
      const run = await runDriver(["dev", "up", "--smoke-requests", "many"], { PATH: "", HOME: home });
      assert.equal(run.code, ExitCode.Usage);
      assert.match(run.stderr, /--smoke-requests "many": expected a whole number/);
      assert.doesNotMatch(run.stderr, /prerequisite/);
      // So is an unknown stack: settings come before credentials.
      const typo = await runDriver(["prdo", "preview"], { PATH: "", HOME: home });
      assert.equal(typo.code, ExitCode.Usage, typo.stderr);
      assert.match(typo.stderr, /no Pulumi\.prdo\.yaml: unknown stack "prdo"/);
      assert.doesNotMatch(typo.stderr, /prerequisite/);
    });
    it("an s3:// backend with no AWS credentials: exit 3 naming the bucket's need and the credentials", async () => {
      const bin = path.join(home, "bin");
      fs.mkdirSync(bin);
      fs.symlinkSync(process.execPath, path.join(bin, "node"));
      const run = await runDriver(["dev", "preview"], {
        PATH: bin,
        HOME: home,
        PULUMI_BACKEND_URL: "s3://state-bucket?region=eu-west-1",
      });
      assert.equal(run.code, ExitCode.MissingPrerequisite, run.stderr);
      assert.match(run.stderr, /AWS credentials: none found/);
      assert.match(
        run.stderr,
        /Pulumi backend: PULUMI_BACKEND_URL=s3:\/\/state-bucket\?region=eu-west-1 keeps state in S3, which needs AWS credentials/,
      );
      assert.doesNotMatch(run.stderr, /not logged in/);
      assert.equal(fs.existsSync(path.join(home, ".pulumi")), false);
    });
  });
});
