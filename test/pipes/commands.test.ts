// Every command the project ships, run with stdout and stderr on slowly read pipes: the reader gets
// the whole output (JSON that parses, where it is JSON) and the right exit code, on success and on
// each error path. The outputs that can be made large here are well above the 64 KiB a pipe holds,
// which is what a command ending with process.exit() used to cut (`npm run plan -- prod --format
// json | jq .` read 65 536 of 76 385 bytes, and the exit code said success).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { version as pinnedCli } from "@pulumi/pulumi/version";
import { ExitCode } from "../../driver/errors";
import type { RunReport } from "../../driver/summary";
import { USAGE as IMAGES_USAGE } from "../../images/cli-args";
import { USAGE as LOCAL_USAGE } from "../../local/cli/args";
import { ROOT, runThroughSlowPipes, tsCommand, type PipedRun } from "./slow-pipe";

const PIPE_BYTES = 64 * 1024;
const bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/** More than a pipe holds: a command that exits before its output drained loses some of it. */
function assertLarge(text: string, what: string): void {
  assert.ok(
    bytes(text) > PIPE_BYTES * 1.1,
    `${what}: ${bytes(text)} bytes arrived; the whole of it is well above 64 KiB (cut short?)`,
  );
}

function describeRun(run: PipedRun): string {
  return `exit ${run.code}; stderr (last 2000 chars): ${run.stderr.slice(-2000)}`;
}

describe("every command's output survives a slowly read pipe", function () {
  this.timeout(180_000);

  describe("npm run plan", () => {
    it("prod --format json: the whole plan (> 64 KiB) parses as JSON, exit 0", async () => {
      const run = await runThroughSlowPipes(tsCommand("plan/cli.ts", ["prod", "--format", "json"]));
      assert.equal(run.code, 0, describeRun(run));
      assertLarge(run.stdout, "the prod plan");
      const plan = JSON.parse(run.stdout) as { stack: string; resources: unknown[] };
      assert.equal(plan.stack, "prod");
      assert.ok(plan.resources.length > 50, `${plan.resources.length} resources`);
    });

    it("a bad --config: the whole message (> 64 KiB) on stderr, exit 2", async () => {
      const item = `x${"y".repeat(80_000)}`;
      const run = await runThroughSlowPipes(tsCommand("plan/cli.ts", ["dev", "--config", item]));
      assert.equal(run.code, 2, describeRun(run));
      assert.equal(
        run.stderr,
        `plan: --config: "${item}" must be key=value with a key Pulumi.yaml declares (e.g. discoveryMode=serviceConnect)\n`,
      );
      assert.equal(run.stdout, "");
    });
  });

  describe("npm run driver (a stand-in pulumi executable answers like the CLI)", () => {
    // Installed where the driver's PulumiCommand looks (~/.pulumi/versions/<pinned>/bin). Its stack
    // outputs, or the errors it prints, are as large as a test needs.
    const STAND_IN = `#!/bin/sh
case "$1" in
  version) echo "v$FAKE_PULUMI_VERSION" ;;
  config) [ "$2" = get ] && [ "$3" = aws:region ] && echo '{"value":"eu-west-1","secret":false}' ;;
  stack)
    [ "$2" = history ] && echo '[{"kind":"update","startTime":"2026-11-21T23:00:00Z","endTime":"2026-11-21T23:00:01Z","message":"","environment":{},"config":{},"result":"succeeded","version":1,"resourceChanges":{"same":3}}]'
    [ "$2" = output ] && cat "$FAKE_OUTPUTS"
    ;;
  preview|up)
    [ -n "$FAKE_ERRORS" ] && { cat "$FAKE_ERRORS" >&2; exit 255; } ;;
esac
exit 0
`;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    /** 1 200 stack outputs of ~90 bytes each: the driver prints them all. */
    const outputs = Object.fromEntries(
      Array.from({ length: 1200 }, (_, i) => [
        `endpoint${String(i).padStart(4, "0")}`,
        `https://service-${i}.example.internal/${"p".repeat(40)}`,
      ]),
    );
    /** 1 500 policy violations: the CLI's `error:` lines, each kept by the driver. */
    const errorLines = Array.from(
      { length: 1500 },
      (_, i) => `error: resource ${String(i).padStart(4, "0")} violates mandatory policy "no-open-ingress"`,
    );

    before(function () {
      if (!fs.existsSync(path.join(ROOT, "Pulumi.dev.yaml"))) this.skip(); // the infra stack files
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "driver-pipes-"));
      const bin = path.join(dir, ".pulumi", "versions", pinnedCli, "bin");
      fs.mkdirSync(bin, { recursive: true });
      fs.writeFileSync(path.join(bin, "pulumi"), STAND_IN, { mode: 0o755 });
      fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(outputs));
      fs.writeFileSync(path.join(dir, "errors.txt"), `${errorLines.join("\n")}\n`);
      fs.writeFileSync(
        path.join(dir, "lock.txt"),
        "error: [409] Conflict: Another update is currently in progress.\n",
      );
      env = {
        PATH: "/usr/bin:/bin", // no `pulumi` on it: the driver uses the one it installs
        HOME: dir,
        FAKE_PULUMI_VERSION: pinnedCli,
        FAKE_OUTPUTS: path.join(dir, "outputs.json"),
        PULUMI_ACCESS_TOKEN: "pul-test-not-a-token",
        AWS_ACCESS_KEY_ID: "AKIATESTNOTAKEY",
        AWS_SECRET_ACCESS_KEY: "not-a-secret",
      };
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    const driver = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
      runThroughSlowPipes(tsCommand("driver/cli.ts", args), { env: { ...env, ...extraEnv } });
    const UP = ["dev", "up", "--yes", "--no-refresh", "--smoke-requests", "0"];

    it("up: every stack output (> 64 KiB) and the summary line on stdout, exit 0", async () => {
      const run = await driver(UP);
      assert.equal(run.code, ExitCode.Ok, describeRun(run));
      assertLarge(run.stdout, "up's output");
      for (const [key, value] of Object.entries(outputs))
        assert.ok(run.stdout.includes(`${key}  ${value}\n`), key);
      assert.match(run.stdout, /\nup of dev: [^\n]*\n$/, "the summary, last");
    });

    it("up --json: one whole JSON report (> 64 KiB) with every output, exit 0", async () => {
      const run = await driver([...UP, "--json"]);
      assert.equal(run.code, ExitCode.Ok, describeRun(run));
      assertLarge(run.stdout, "the --json report");
      const report = JSON.parse(run.stdout) as RunReport;
      assert.equal(report.ok, true);
      assert.equal(report.exitCode, ExitCode.Ok);
      assert.deepEqual(report.outputs, outputs);
    });

    it("preview --json that fails: the whole report and the whole error (> 64 KiB each), exit 4", async () => {
      const run = await driver(["dev", "preview", "--json"], { FAKE_ERRORS: path.join(dir, "errors.txt") });
      assert.equal(run.code, ExitCode.OperationFailed, describeRun(run));
      assertLarge(run.stdout, "the --json report");
      assertLarge(run.stderr, "stderr");
      const report = JSON.parse(run.stdout) as RunReport;
      assert.equal(report.ok, false);
      assert.equal(report.exitCode, ExitCode.OperationFailed);
      assert.equal(report.error, `preview of dev failed:\n${errorLines.join("\n")}`);
      assert.ok(run.stderr.endsWith(`error: preview of dev failed:\n${errorLines.join("\n")}\n`));
    });

    it("the other error paths end with their own exit codes and whole messages", async () => {
      const [usage, prerequisite, locked] = await Promise.all([
        driver(["dev", "up"]), // a change without --yes and without a terminal
        driver(["dev", "preview", "--json"], { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" }),
        driver(["dev", "preview"], { FAKE_ERRORS: path.join(dir, "lock.txt") }),
      ]);
      assert.equal(usage.code, ExitCode.Usage, describeRun(usage));
      assert.match(usage.stderr, /up of dev changes the stack: pass --yes/);
      assert.equal(prerequisite.code, ExitCode.MissingPrerequisite, describeRun(prerequisite));
      assert.equal((JSON.parse(prerequisite.stdout) as RunReport).exitCode, ExitCode.MissingPrerequisite);
      assert.equal(locked.code, ExitCode.StackLocked, describeRun(locked));
      assert.match(locked.stderr, /the stack is locked by another update/);
    });
  });

  describe("npm run images (the paths that need no Docker engine)", () => {
    const images = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
      runThroughSlowPipes(tsCommand("images/cli.ts", args), { env });

    it("--help: the usage on stdout, exit 0; bad flags: every problem (> 64 KiB) and the usage, exit 2", async () => {
      const prefix = `X${"y".repeat(70_000)}`;
      const [help, bad] = await Promise.all([images(["--help"]), images(["--prefix", prefix])]);
      assert.equal(help.code, 0, describeRun(help));
      assert.equal(help.stdout, IMAGES_USAGE);
      assert.equal(bad.code, 2, describeRun(bad));
      assert.equal(
        bad.stderr,
        `error: --prefix must be lowercase letters, digits and dashes (starting with a letter, up to 31), got "${prefix}"\n\n${IMAGES_USAGE}`,
      );
    });

    it("hello's port in use: exit 2; no engine: exit 3; each with its whole message", async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        const [busy, noEngine] = await Promise.all([
          images(["--port", String(port)]),
          images(["--build-only"], { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" }),
        ]);
        assert.equal(busy.code, 2, describeRun(busy));
        assert.equal(
          busy.stderr,
          `error: --port ${port}: 127.0.0.1:${port} is already in use; choose another port, or --port 0 for a free one\n`,
        );
        assert.equal(noEngine.code, 3, describeRun(noEngine));
        assert.match(
          noEngine.stderr,
          /^error: .+\. Start the engine \(e\.g\. `sudo dockerd &`\) and try again\.\n$/,
        );
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });
  });

  describe("npm start (the local topology)", () => {
    const start = (args: string[], input?: string) =>
      runThroughSlowPipes(tsCommand("local/cli/main.ts", args), { input, chunkBytes: 1024, pauseMs: 5 });

    it("--help: the usage, exit 0; a bad flag: the whole message (> 64 KiB) and the usage, exit 2", async () => {
      const recordType = "Z".repeat(70_000);
      const [help, bad] = await Promise.all([start(["--help"]), start(["--record-type", recordType])]);
      assert.equal(help.code, 0, describeRun(help));
      assert.equal(help.stdout, LOCAL_USAGE);
      assert.equal(bad.code, 2, describeRun(bad));
      assert.equal(
        bad.stderr,
        `error: --record-type must be A or SRV, got "${recordType}"\n\n${LOCAL_USAGE}`,
      );
    });

    it("commands piped in, then quit: every answer (> 64 KiB) and the stop, exit 0", async function () {
      for (const app of ["name", "hello"])
        if (!fs.existsSync(path.join(ROOT, "apps", app, "dist", "server.js"))) this.skip(); // `npm run build:apps` (npm test runs it first)
      const lists = 700;
      const run = await start(
        ["--port", "0", "--tasks", "2", "--ttl", "1", "--deregister-delay", "0.2"],
        `${"list\n".repeat(lists)}quit\n`,
      );
      assert.equal(run.code, 0, describeRun(run));
      assertLarge(run.stdout, "the transcript");
      const tables = run.stdout.match(/^name-2\s+127\.0\.0\.3:\d+/gm) ?? [];
      assert.equal(tables.length, lists + 1, "the task table at start and once per list");
      assert.match(run.stdout, /\nstopping everything…\nstopped\.\n$/);
    });
  });

  describe("benchmarks", () => {
    it("npm run bench: --help, exit 0; a bad flag, exit 2; each whole", async () => {
      const [help, bad] = await Promise.all([
        runThroughSlowPipes(tsCommand("bench/run.ts", ["--help"])),
        runThroughSlowPipes(tsCommand("bench/run.ts", ["--runs", "0"])),
      ]);
      assert.equal(help.code, 0, describeRun(help));
      assert.match(help.stdout, /^Usage: npm run bench -- [\s\S]+\n$/);
      assert.equal(bad.code, 2, describeRun(bad));
      assert.equal(
        bad.stderr,
        `error: --runs must be a whole number from 1 to 50, got "0"\n\n${help.stdout}`,
      );
    });

    it("npm run bench:live and bench:plan: bad flags end with their exit codes and whole messages", async () => {
      const [live, plan] = await Promise.all([
        runThroughSlowPipes(tsCommand("bench/live.ts", ["--runs", "0"])),
        runThroughSlowPipes(tsCommand("bench/plan.ts", ["--runs", "0"])),
      ]);
      assert.equal(live.code, 1, describeRun(live));
      assert.match(
        live.stderr,
        /^error: --runs must be a whole number from 1 to 20, got "0"\n\nUsage: npm run bench:live/,
      );
      assert.equal(plan.code, 2, describeRun(plan));
      assert.equal(plan.stderr, 'bench:plan: --runs must be a positive integer, got "0"\n');
    });

    it("profile-summary: a large report (> 64 KiB) whole, exit 0; no profile, exit 2", async () => {
      // A flat CPU profile: 3 000 functions, one sample each, so each gets a line of the report.
      const functions = 3000;
      const leaves = Array.from({ length: functions }, (_, i) => ({
        id: i + 2,
        callFrame: { functionName: `handler${i}`, url: `file:///srv/app/module-${i}.js`, lineNumber: i },
      }));
      const root = {
        id: 1,
        callFrame: { functionName: "(root)", url: "", lineNumber: 0 },
        children: leaves.map((n) => n.id),
      };
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "profile-")), "big.cpuprofile");
      fs.writeFileSync(
        file,
        JSON.stringify({
          nodes: [root, ...leaves],
          samples: leaves.map((n) => n.id),
          timeDeltas: leaves.map(() => 1000),
        }),
      );
      try {
        const [report, usage] = await Promise.all([
          // Its lines come one write at a time: a reader at 100 KiB/s still lags well behind them.
          runThroughSlowPipes(tsCommand("bench/profile-summary.ts", [file, "--top", String(functions)]), {
            chunkBytes: 1024,
            pauseMs: 10,
          }),
          runThroughSlowPipes(tsCommand("bench/profile-summary.ts")),
        ]);
        assert.equal(report.code, 0, describeRun(report));
        assertLarge(report.stdout, "the report");
        for (let i = 0; i < functions; i++)
          assert.ok(report.stdout.includes(`handler${i} `), `handler${i} is missing from the report`);
        assert.ok(report.stdout.endsWith("\n\n"), "the report's last, empty line");
        assert.equal(usage.code, 2, describeRun(usage));
        assert.equal(usage.stderr, "usage: bench/profile-summary.ts PROFILE.cpuprofile… [--top 30]\n");
      } finally {
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
      }
    });
  });

  it("npm run docs:settings: its line, exit 0", async () => {
    const run = await runThroughSlowPipes(tsCommand("docs/settings-table.ts"));
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(run.stdout, "docs/settings.md: settings table already current\n");
  });

  it("npm run mutation: a missing or unknown target, the usage, exit 2", async () => {
    const [missing, unknown] = await Promise.all(
      [[], ["no-such-target"]].map((args) =>
        runThroughSlowPipes([process.execPath, ["mutation/run.mjs", ...args]]),
      ),
    );
    for (const run of [missing, unknown]) {
      assert.equal(run.code, 2, describeRun(run));
      assert.match(
        run.stderr,
        /^usage: npm run mutation -- <target> \[stryker options\]\n {2}target: one of \S+/,
      );
    }
  });

  it("the Cloud Map container's entry point: a bad setting, exit 2 with every problem", async () => {
    const run = await runThroughSlowPipes(tsCommand("local/cloudmap/main.ts"), {
      env: { ...process.env, TTL_SECONDS: "soon", DNS_PORT: "0" },
    });
    assert.equal(run.code, 2, describeRun(run));
    assert.equal(
      run.stderr,
      'cloudmap: invalid configuration:\n  - TTL_SECONDS must be an integer 0-3600, got "soon"\n  - DNS_PORT must be an integer 1-65535, got "0"\n',
    );
  });
});
