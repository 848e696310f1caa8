import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ExitCode } from "../../driver/errors";
import {
  checkAwsCredentials,
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
    it("accepts a token, a backend URL or a stored login; otherwise says what to set", () => {
      assert.ok(checkPulumiBackend({ PULUMI_ACCESS_TOKEN: "pul-x" }, home, realFiles).ok);
      assert.ok(checkPulumiBackend({ PULUMI_BACKEND_URL: "s3://state" }, home, realFiles).ok);
      assert.match(
        problemOf(checkPulumiBackend({}, home, realFiles)),
        /not logged in.*fix: set PULUMI_ACCESS_TOKEN/,
      );
      fs.mkdirSync(path.join(home, ".pulumi"));
      fs.writeFileSync(
        path.join(home, ".pulumi", "credentials.json"),
        JSON.stringify({ current: "https://api.pulumi.com" }),
      );
      const stored = checkPulumiBackend({}, home, realFiles);
      assert.ok(stored.ok && stored.value === "pulumi login https://api.pulumi.com");
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
      assert.match(run.stderr, /Pulumi backend: not logged in/);
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
      const run = await runDriver(["dev", "up", "--region", "moon-1"], { PATH: "", HOME: home });
      assert.equal(run.code, ExitCode.Usage);
      assert.match(run.stderr, /--region "moon-1": expected an AWS region/);
      assert.doesNotMatch(run.stderr, /prerequisite/);
      // So is an unknown stack: settings come before credentials.
      const typo = await runDriver(["prdo", "preview"], { PATH: "", HOME: home });
      assert.equal(typo.code, ExitCode.Usage, typo.stderr);
      assert.match(typo.stderr, /no Pulumi\.prdo\.yaml: unknown stack "prdo"/);
      assert.doesNotMatch(typo.stderr, /prerequisite/);
    });
  });
});
