// Runs the driver for real against AWS. Needs the pinned Pulumi CLI, a backend login and AWS
// credentials; where any is missing it is skipped with the reason, never reported as passing.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ExitCode } from "../../driver/errors";
import { checkAwsCredentials, checkPulumiBackend, realFiles } from "../../driver/prerequisites";
import type { RunReport } from "../../driver/summary";
import { version as pinnedCli } from "@pulumi/pulumi/version";
import { REPO_DIR, runDriver } from "./run-driver";

/**
 * A backend and AWS credentials, and the pinned CLI already installed where the driver puts it (a
 * test run does not download it; the driver itself would).
 */
function missingForRealRuns(): string | undefined {
  const home = os.homedir();
  const checks = [
    checkPulumiBackend(process.env, home, realFiles),
    checkAwsCredentials(process.env, home, realFiles),
  ];
  const problems = checks.flatMap((c) => (c.ok ? [] : [`${c.problem.prerequisite}: ${c.problem.problem}`]));
  const cli = path.join(home, ".pulumi", "versions", pinnedCli, "bin", "pulumi");
  if (!fs.existsSync(cli)) problems.push(`Pulumi CLI: no ${cli}`);
  if (!fs.existsSync(path.join(REPO_DIR, "Pulumi.dev.yaml"))) problems.push("no Pulumi.dev.yaml");
  return problems.length ? problems.join("; ") : undefined;
}

describe("driver: integration with the Pulumi CLI and AWS", function () {
  this.timeout(30 * 60_000);

  it("previews the dev stack through the driver (--json: ok, change summary)", async function () {
    const missing = missingForRealRuns();
    if (missing) {
      console.log(`      skipped: needs the Pulumi CLI, a backend and AWS credentials — ${missing}`);
      this.skip();
    }
    const run = await runDriver(["dev", "preview", "--json"], process.env, 15 * 60_000);
    assert.equal(run.code, ExitCode.Ok, run.stderr);
    const report = JSON.parse(run.stdout) as RunReport;
    assert.equal(report.ok, true);
    assert.equal(report.stack, "dev");
    assert.equal(typeof report.changeSummary, "object");
    assert.match(run.stderr, /preview of dev…/);
  });

  it("deploys, smoke-tests and removes an ephemeral stack (opt-in: DRIVER_IT_EPHEMERAL=1, it costs money)", async function () {
    const missing = missingForRealRuns();
    if (missing || process.env.DRIVER_IT_EPHEMERAL !== "1") {
      console.log(
        `      skipped: ${missing ?? "set DRIVER_IT_EPHEMERAL=1 to deploy a real throw-away stack"}`,
      );
      this.skip();
    }
    const name = `it-${Date.now().toString(36)}`;
    const run = await runDriver(["ephemeral", name, "--json"], process.env, 28 * 60_000);
    const report = JSON.parse(run.stdout) as RunReport;
    assert.equal(report.removed, true, `pr-${name} must be removed whatever happened: ${run.stderr}`);
    assert.equal(run.code, ExitCode.Ok, run.stderr);
    assert.equal(report.smoke?.ok, true);
    assert.equal(fs.existsSync(path.join(REPO_DIR, `Pulumi.pr-${name}.yaml`)), false);
  });
});
