// The driver's order of work through the real Automation API SDK, with a stand-in `pulumi`
// executable at the process boundary (no real CLI exists here), installed where the driver's
// PulumiCommand.install() looks (~/.pulumi/versions/<version>): it records every call and answers
// like the CLI would, including the CLI's own lock error.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ExitCode } from "../../driver/errors";
import { version as pinnedCli } from "@pulumi/pulumi/version";
import { standInCloudMap } from "../infra/cloud-map-stand-in";
import { REPO_DIR, runDriver } from "./run-driver";

const STAND_IN = `#!/bin/sh
echo "$*" >> "$FAKE_PULUMI_LOG"
stack=""; prev=""; for a in "$@"; do [ "$prev" = --stack ] && stack="$a"; prev="$a"; done
# Stacks that exist on the stand-in backend (FAKE_STACKS, default "dev prod"); pr-* are created on demand.
exists() { for s in \${FAKE_STACKS:-dev prod}; do [ "$s" = "$1" ] && return 0; done; return 1; }
case "$1" in
  version) echo "v$FAKE_PULUMI_VERSION" ;;
  config)
    if [ "$2" = get ]; then
      [ "$3" = aws:region ] && { echo '{"value":"eu-west-1","secret":false}'; exit 0; }
    elif [ "$2" = --show-secrets ]; then
      echo '{"aws:region":{"value":"eu-west-1","secret":false},"ecs-cloudmap-consul:nameDesiredCount":{"value":"2","secret":false}}'; exit 0
      echo "error: configuration key '$3' not found for stack 'dev'" >&2; exit 255
    fi ;;
  cancel)
    [ "$FAKE_CANCEL" = idle ] && { echo "error: no stack update in progress" >&2; exit 255; }
    ;;
  stack)
    if [ "$2" = select ]; then
      case "$stack" in pr-*|*/pr-*) [ -e "$FAKE_PULUMI_LOG.created-$stack" ] && exit 0 ;; esac
      exists "$stack" || { echo "error: no stack named '$stack' found" >&2; exit 255; }
      exit 0
    fi
    if [ "$2" = init ]; then
      exists "$3" && { echo "error: stack '$3' already exists" >&2; exit 255; }
      touch "$FAKE_PULUMI_LOG.created-$3"; exit 0
    fi
    [ "$2" = ls ] && { echo "$FAKE_STACK_LS"; exit 0; }
    [ "$2" = history ] && echo '[{"kind":"update","startTime":"2026-11-21T23:00:00Z","endTime":"2026-11-21T23:00:01Z","message":"","environment":{},"config":{},"result":"succeeded","version":1}]'
    [ "$2" = output ] && { [ -n "$FAKE_DESTROY" ] && echo '{"namespaceId":"ns-1"}' || echo '{}'; }
    ;;
  preview|up|refresh|destroy)
    prev=""; for a in "$@"; do
      [ "$prev" = --config-file ] && cp "$a" "$FAKE_PULUMI_LOG.config-file"
      [ "$prev" = --save-plan ] && echo '{"resourcePlans":{}}' > "$a"
      prev="$a"
    done
    [ "$FAKE_FAIL" = lock ] && { echo "error: [409] Conflict: Another update is currently in progress." >&2; exit 255; }
    if [ "$1" = destroy ] && [ -n "$FAKE_LOCKED_ONCE" ] && [ "$stack" = "$FAKE_LOCKED_ONCE" ] && [ ! -e "$FAKE_PULUMI_LOG.unlocked" ]; then
      touch "$FAKE_PULUMI_LOG.unlocked"
      echo "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with \\\`pulumi cancel\\\`." >&2; exit 255
    fi
    [ "$1" = up ] && [ "$FAKE_UP" = fail ] && { echo "error: update failed" >&2; exit 255; }
    [ "$1" = up ] && [ "$FAKE_UP" = hang ] && exec sleep 20
    if [ "$1" = destroy ] && [ "$FAKE_DESTROY" = ns-in-use ] && [ ! -e "$FAKE_PULUMI_LOG.destroyed-once" ]; then
      touch "$FAKE_PULUMI_LOG.destroyed-once"
      echo "error: deleting Service Discovery Private DNS Namespace (ns-1): operation error ServiceDiscovery: DeleteNamespace, https response error StatusCode: 400, ResourceInUse: Namespace has associated services; delete the services before deleting the namespace" >&2
      exit 255
    fi ;;
esac
exit 0
`;

describe("driver: order of work through the SDK (stand-in pulumi executable)", function () {
  this.timeout(60_000);
  let dir: string;
  let log: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(function () {
    if (!fs.existsSync(path.join(REPO_DIR, "Pulumi.dev.yaml"))) this.skip(); // the infra stack files
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "driver-flow-"));
    const bin = path.join(dir, ".pulumi", "versions", pinnedCli, "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, "pulumi"), STAND_IN, { mode: 0o755 });
    log = path.join(dir, "calls.log");
    env = {
      PATH: "/usr/bin:/bin", // no `pulumi` on it: the driver uses the one it installs
      HOME: dir,
      FAKE_PULUMI_LOG: log,
      FAKE_PULUMI_VERSION: pinnedCli,
      PULUMI_ACCESS_TOKEN: "pul-test-not-a-token",
      AWS_ACCESS_KEY_ID: "AKIATESTNOTAKEY",
      AWS_SECRET_ACCESS_KEY: "not-a-secret",
    };
  });
  afterEach(() => dir && fs.rmSync(dir, { recursive: true, force: true }));
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);

  it("a locked stack: exit 6 with the CLI's lock message and no stack trace", async () => {
    const run = await runDriver(["dev", "preview"], { ...env, FAKE_FAIL: "lock" });
    assert.equal(run.code, ExitCode.StackLocked, run.stderr);
    assert.match(run.stderr, /the stack is locked by another update/);
    assert.match(run.stderr, /error: \[409\] Conflict: Another update is currently in progress\./);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
    const seen = calls();
    assert.equal(seen[0], "version", "the pinned CLI, found where it is installed");
    assert.ok(seen.some((c) => /^stack select .*--stack dev/.test(c)));
    assert.ok(seen.some((c) => /^preview .*--stack dev/.test(c)));
  });

  const operations = () => calls().filter((c) => /^(preview|up|refresh|destroy) /.test(c));

  it("up and destroy refresh first, as part of the operation; a locked stack stops it there", async () => {
    const run = await runDriver(["dev", "up", "--yes", "--json"], { ...env, FAKE_FAIL: "lock" });
    assert.equal(run.code, ExitCode.StackLocked);
    const report = JSON.parse(run.stdout) as { exitCode: number; error: string };
    assert.equal(report.exitCode, 6);
    assert.match(report.error, /up of dev: the stack is locked/);
    await runDriver(["dev", "destroy", "--yes"], env);
    const [up, destroy, ...more] = operations();
    assert.match(up, /^up .*--refresh/);
    assert.match(destroy, /^destroy .*--refresh/);
    assert.deepEqual(more, []);
  });

  it("preview and up run the project's policy pack", async () => {
    const pack = path.join(REPO_DIR, "policy");
    await runDriver(["dev", "preview"], env);
    await runDriver(["dev", "up", "--yes", "--no-refresh", "--smoke-requests", "0"], env);
    const ops = calls().filter((c) => /^(preview|up) /.test(c));
    assert.equal(ops.length, 2, ops.join("\n"));
    for (const c of ops) assert.ok(c.includes(`--policy-pack ${pack}`), c);
  });

  it("--no-refresh: up and destroy without a refresh", async () => {
    const run = await runDriver(["dev", "up", "--yes", "--no-refresh"], { ...env, FAKE_FAIL: "lock" });
    assert.equal(run.code, ExitCode.StackLocked);
    await runDriver(["dev", "destroy", "--yes", "--no-refresh"], env);
    const ops = operations();
    assert.deepEqual(
      ops.map((c) => c.split(" ")[0]),
      ["up", "destroy"],
    );
    for (const c of ops) assert.doesNotMatch(c, /--refresh/);
  });

  it("overrides apply to this run only: a copy of the stack's config file with them, the committed one untouched", async () => {
    const committed = fs.readFileSync(path.join(REPO_DIR, "Pulumi.dev.yaml"), "utf8");
    const run = await runDriver(
      ["dev", "preview", "--image-tag", "sha-1a2b3c", "--config", "nameDesiredCount=3"],
      { ...env, FAKE_FAIL: "lock" },
    );
    assert.equal(run.code, ExitCode.StackLocked);
    assert.match(run.stdout, /config imageTag=sha-1a2b3c \(from --image-tag, this run only\)/);
    assert.deepEqual(
      calls().filter((c) => c.startsWith("config ")),
      [],
      "no config set and undone",
    );
    const [preview] = operations();
    const file = /--config-file (\S+)/.exec(preview)?.[1];
    assert.ok(file && !file.startsWith(REPO_DIR), preview);
    assert.equal(fs.existsSync(file), false, "the per-run copy is removed after the run");
    const used = yaml.load(fs.readFileSync(`${log}.config-file`, "utf8")) as {
      config: Record<string, unknown>;
    };
    const original = yaml.load(committed) as { config: Record<string, unknown> };
    assert.deepEqual(used.config, {
      ...original.config,
      "ecs-cloudmap-consul:imageTag": "sha-1a2b3c",
      "ecs-cloudmap-consul:nameDesiredCount": "3",
    });
    assert.equal(fs.readFileSync(path.join(REPO_DIR, "Pulumi.dev.yaml"), "utf8"), committed);
  });

  it("without overrides the stack's own config file is used", async () => {
    await runDriver(["dev", "preview"], env);
    const [preview] = operations();
    assert.doesNotMatch(preview, /--config-file/);
  });

  it("an unknown stack or an undeclared config key: exit 2 before the CLI is even asked", async () => {
    const typo = await runDriver(["prdo", "preview"], env);
    assert.equal(typo.code, ExitCode.Usage);
    assert.match(
      typo.stderr,
      /no Pulumi\.prdo\.yaml: unknown stack "prdo"; stacks with settings here: .*dev/,
    );
    const undeclared = await runDriver(["dev", "preview", "--config", "nameDesiredCout=3"], env);
    assert.equal(undeclared.code, ExitCode.Usage);
    assert.match(undeclared.stderr, /config override "nameDesiredCout": Pulumi\.yaml declares no such key/);
    assert.deepEqual(calls(), []);
  });

  it("prod's placeholders: up stops with exit 2 naming each setting before the CLI is asked; preview warns and runs", async () => {
    const up = await runDriver(["prod", "up", "--yes"], env);
    assert.equal(up.code, ExitCode.Usage);
    assert.match(up.stderr, /up refused before creating anything: 9 setting\(s\) still hold a placeholder/);
    for (const key of [
      "certificateArn",
      "domainName",
      "hostedZoneId",
      "consulTransitGatewayId",
      "consulHttpAddr",
    ])
      assert.match(up.stderr, new RegExp(`  - ecs-cloudmap-consul:${key}: `), key);
    assert.deepEqual(calls(), []);
    const preview = await runDriver(["prod", "preview"], env);
    assert.equal(preview.code, ExitCode.Ok, preview.stderr);
    assert.match(preview.stderr + preview.stdout, /warning: 9 setting\(s\) still hold a placeholder/);
    assert.ok(
      calls().some((c) => c.startsWith("preview ")),
      calls().join("\n"),
    );
  });

  it("up without --yes and without a terminal: exit 2, nothing run", async () => {
    const run = await runDriver(["dev", "up"], env);
    assert.equal(run.code, ExitCode.Usage);
    assert.match(run.stderr, /up of dev changes the stack: pass --yes/);
    assert.deepEqual(calls(), []);
  });

  describe("the region is the stack file's", () => {
    it("an ambient AWS_REGION that differs stops the run before anything is created, naming both values; exit 2", async () => {
      for (const args of [
        ["prod", "up", "--yes"],
        ["dev", "preview"],
        ["ephemeral", "48"],
      ]) {
        const run = await runDriver(args, { ...env, AWS_REGION: "us-east-1" });
        assert.equal(run.code, ExitCode.Usage, run.stderr);
        assert.match(
          run.stderr,
          /region mismatch: AWS_REGION=us-east-1 in the environment, but Pulumi\.(prod|dev)\.yaml deploys to aws:region=eu-west-1; nothing was created/,
        );
      }
      const other = await runDriver(["prod", "preview"], { ...env, AWS_DEFAULT_REGION: "eu-central-1" });
      assert.equal(other.code, ExitCode.Usage);
      assert.match(other.stderr, /AWS_DEFAULT_REGION=eu-central-1 .* aws:region=eu-west-1/);
      assert.deepEqual(calls(), [], "not even the CLI's version was asked");
    });

    it("a matching AWS_REGION goes ahead with the committed file, no region override", async () => {
      const run = await runDriver(["prod", "preview"], { ...env, AWS_REGION: "eu-west-1" });
      assert.equal(run.code, ExitCode.Ok, run.stderr);
      assert.match(run.stdout, /region eu-west-1 \(Pulumi\.prod\.yaml\)/);
      assert.doesNotMatch(operations()[0], /--config-file/);
    });
  });

  describe("dev and prod are selected, never created", () => {
    it("prod missing on the backend (a token of another default organization): exit 3, nothing created", async () => {
      // A preview: prod's committed placeholders would stop an up before the backend is asked.
      const run = await runDriver(["prod", "preview", "--json"], { ...env, FAKE_STACKS: "dev" });
      assert.equal(run.code, ExitCode.MissingPrerequisite, run.stderr);
      const report = JSON.parse(run.stdout) as { error: string };
      assert.match(
        report.error,
        /stack prod does not exist on https:\/\/api\.pulumi\.com; a deploy never creates prod/,
      );
      assert.match(report.error, /set PULUMI_ORG/);
      assert.match(report.error, /npm run driver -- prod init/);
      assert.ok(calls().some((c) => /^stack select --stack prod/.test(c)));
      assert.deepEqual(
        calls().filter((c) => /^(stack init|up|preview|refresh) /.test(c)),
        [],
        "no stack created, nothing run",
      );
    });

    it("PULUMI_ORG qualifies the name on Pulumi Cloud: <org>/prod is selected and used", async () => {
      const run = await runDriver(["prod", "preview"], {
        ...env,
        PULUMI_ORG: "acme",
        FAKE_STACKS: "acme/prod",
      });
      assert.equal(run.code, ExitCode.Ok, run.stderr);
      assert.ok(calls().some((c) => /^stack select --stack acme\/prod/.test(c)));
      assert.match(operations()[0], /^preview .*--stack acme\/prod/);
      const unqualified = await runDriver(["prod", "preview"], { ...env, FAKE_STACKS: "acme/prod" });
      assert.equal(unqualified.code, ExitCode.MissingPrerequisite);
    });

    it("init creates a missing stack once (with the secrets provider on a self-managed backend); again is a no-op", async () => {
      const kms = "awskms://alias/pulumi-state?region=eu-west-1";
      const selfManaged = {
        ...env,
        PULUMI_ACCESS_TOKEN: "",
        PULUMI_BACKEND_URL: "s3://state?region=eu-west-1",
        PULUMI_SECRETS_PROVIDER: kms,
        FAKE_STACKS: "dev",
      };
      const run = await runDriver(["prod", "init"], selfManaged);
      assert.equal(run.code, ExitCode.Ok, run.stderr);
      assert.match(run.stdout, /init: stack prod created/);
      assert.ok(
        calls().some((c) => c.startsWith(`stack init prod --secrets-provider ${kms}`)),
        calls().join("\n"),
      );
      const again = await runDriver(["dev", "init"], selfManaged);
      assert.equal(again.code, ExitCode.Ok, again.stderr);
      assert.match(again.stdout, /init: stack dev already exists; nothing to do/);
      const noProvider = await runDriver(["prod", "init"], { ...selfManaged, PULUMI_SECRETS_PROVIDER: "" });
      assert.equal(noProvider.code, ExitCode.MissingPrerequisite);
      assert.match(
        noProvider.stderr,
        /secrets provider: creating prod on s3:\/\/state.* neither PULUMI_SECRETS_PROVIDER/,
      );
    });
  });

  describe("recover after a killed run", () => {
    it("cancel releases the lock, then a refresh clears pending creates", async () => {
      const run = await runDriver(["dev", "recover", "--yes", "--json"], env);
      assert.equal(run.code, ExitCode.Ok, run.stderr);
      const [cancel, refresh, ...more] = calls().filter((c) => /^(cancel|refresh|up|destroy) /.test(c));
      assert.match(cancel, /^cancel --yes .*--stack dev/);
      assert.match(refresh, /^refresh --skip-preview --yes .*--clear-pending-creates/);
      assert.match(refresh, /--stack dev/);
      assert.deepEqual(more, []);
      const report = JSON.parse(run.stdout) as { command: string; summary: string };
      assert.equal(report.command, "recover");
      assert.match(report.summary, /recover of dev: lock released; refresh clearing pending creates/);
    });

    it("nothing to cancel still refreshes; a lock the cancel could not release is exit 6", async () => {
      const idle = await runDriver(["dev", "recover", "--yes"], { ...env, FAKE_CANCEL: "idle" });
      assert.equal(idle.code, ExitCode.Ok, idle.stderr);
      assert.match(idle.stdout, /cancel: .*no stack update in progress \(continuing with the refresh\)/);
      const locked = await runDriver(["dev", "recover", "--yes"], { ...env, FAKE_FAIL: "lock" });
      assert.equal(locked.code, ExitCode.StackLocked);
    });

    it("recover without --yes and without a terminal: exit 2, nothing run", async () => {
      const run = await runDriver(["prod", "recover"], env);
      assert.equal(run.code, ExitCode.Usage);
      assert.deepEqual(calls(), []);
    });
  });

  // Shown with dev: prod's committed placeholders stop its up (test/infra/placeholders.test.ts); the
  // plan flow is the same for every stack.
  describe("prod applies exactly the approved plan", () => {
    it("preview --save-plan writes the plan; up --plan applies that file without a refresh", async () => {
      const plan = path.join(dir, "dev.plan.json");
      const preview = await runDriver(["dev", "preview", "--save-plan", plan, "--json"], env);
      assert.equal(preview.code, ExitCode.Ok, preview.stderr);
      assert.equal((JSON.parse(preview.stdout) as { plan: string }).plan, plan);
      assert.ok(fs.existsSync(plan), "the plan file the artifact carries");
      const up = await runDriver(["dev", "up", "--yes", "--plan", plan, "--smoke-requests", "0"], env);
      assert.equal(up.code, ExitCode.Ok, up.stderr);
      assert.match(up.stdout, /up of dev applies exactly the plan .*dev\.plan\.json \(no refresh\)/);
      const [p, u, ...more] = operations();
      assert.match(p, new RegExp(`^preview .*--save-plan ${plan}`));
      assert.match(u, new RegExp(`^up .*--plan ${plan}`));
      assert.doesNotMatch(u, /--refresh/);
      assert.deepEqual(more, []);
    });

    it("up --plan with no such file: exit 2 before any update", async () => {
      const run = await runDriver(["dev", "up", "--yes", "--plan", path.join(dir, "missing.json")], env);
      assert.equal(run.code, ExitCode.Usage, run.stderr);
      assert.match(run.stderr, /--plan .*missing\.json: no such file \(preview --save-plan writes it\)/);
      assert.deepEqual(operations(), []);
    });
  });

  describe("sweep of ephemeral stacks", () => {
    const old = "2026-01-01T00:00:00.000Z";
    const recent = new Date().toISOString();
    const listed = JSON.stringify([
      { name: "dev", current: false, lastUpdate: old },
      { name: "pr-1", current: false, lastUpdate: old },
      { name: "pr-2", current: false, lastUpdate: recent },
      { name: "pr-3", current: false, lastUpdate: old, updateInProgress: true },
      { name: "pr-feat", current: false, lastUpdate: old },
      { name: "pr-4", current: false },
    ]);
    const sweepEnv = () => ({ ...env, FAKE_STACK_LS: listed, FAKE_STACKS: "dev prod pr-1 pr-2 pr-3 pr-4" });

    it("destroys and removes pr-<n> stacks past the TTL, retrying a locked one; others untouched", async () => {
      const run = await runDriver(["sweep", "--ttl", "24h", "--retry-delay", "100ms", "--json"], {
        ...sweepEnv(),
        FAKE_LOCKED_ONCE: "pr-3",
      });
      assert.equal(run.code, ExitCode.Ok, run.stderr);
      const destroyed = calls()
        .filter((c) => /^(destroy|stack rm) /.test(c))
        .map(
          (c) =>
            c.replace(/ --(?!stack).*?(?= --stack|$)/, "").split(" --")[0] +
            ` ${/--stack (\S+)|rm --yes (\S+)/.exec(c)?.slice(1).find(Boolean)}`,
        );
      assert.deepEqual(destroyed, [
        "destroy pr-1",
        "stack rm pr-1",
        "destroy pr-3",
        "destroy pr-3",
        "stack rm pr-3",
      ]);
      const report = JSON.parse(run.stdout) as {
        swept: { stack: string; outcome: string }[];
        summary: string;
      };
      assert.deepEqual(
        report.swept.map((s) => [s.stack, s.outcome]),
        [
          ["pr-4", "kept"],
          ["pr-1", "removed"],
          ["pr-3", "removed"],
        ],
      );
      assert.match(run.stderr, /pr-3 is locked; retry 1\/3/);
    });

    it("a stack still locked after the retries: exit 6, the way out named", async () => {
      const run = await runDriver(["sweep", "--retries", "1", "--retry-delay", "100ms"], {
        ...sweepEnv(),
        FAKE_FAIL: "lock",
      });
      assert.equal(run.code, ExitCode.StackLocked, run.stderr);
      assert.match(run.stderr, /sweep: 0 removed, 2 still locked, 0 failed/);
      assert.match(run.stderr, /recover --yes/);
      assert.equal(calls().filter((c) => c.startsWith("destroy ")).length, 4, "two tries each");
    });

    it("an ambient region other than dev's stops the sweep before the CLI runs", async () => {
      const run = await runDriver(["sweep"], { ...sweepEnv(), AWS_REGION: "us-east-1" });
      assert.equal(run.code, ExitCode.Usage);
      assert.deepEqual(calls(), []);
    });
  });

  describe("ephemeral stacks", () => {
    const ops = () =>
      calls()
        .filter((c) => /^(up|refresh|destroy|stack rm|config set-all) /.test(c))
        .map((c) => c.split(" --")[0]);

    it("a failed deploy is still destroyed and removed; exit 4 with the deploy's error", async () => {
      const run = await runDriver(["ephemeral", "42", "--json", "--config", "nameDesiredCount=3"], {
        ...env,
        FAKE_UP: "fail",
      });
      assert.equal(run.code, ExitCode.OperationFailed, run.stderr);
      const report = JSON.parse(run.stdout) as { stack: string; removed: boolean; error: string };
      assert.equal(report.stack, "pr-42");
      assert.equal(report.removed, true);
      assert.match(report.error, /up of pr-42 failed:\nerror: update failed/);
      assert.deepEqual(ops(), ["config set-all", "up", "destroy", "stack rm"]);
      assert.ok(
        calls().some((c) => c.startsWith("config --show-secrets --json --stack dev")),
        "config copied from dev",
      );
      // dev's config with the override on top, set once on the throw-away stack (removed with it).
      const setAll = calls().find((c) => c.startsWith("config set-all"));
      assert.match(setAll ?? "", /--stack pr-42 /);
      assert.match(setAll ?? "", /--plaintext aws:region=eu-west-1/);
      assert.match(setAll ?? "", /--plaintext ecs-cloudmap-consul:nameDesiredCount=3(\s|$)/);
      assert.match(calls().find((c) => c.startsWith("up ")) ?? "", /--refresh/);
    });

    for (const [signal, pr] of [
      ["SIGINT", "43"],
      ["SIGTERM", "46"],
    ] as const) {
      it(`${signal} during the deploy cancels it, then destroys and removes the stack; exit 130`, async () => {
        // The signal goes once the stand-in CLI is really running `up`: the driver's
        // "up of …" line comes before the SDK spawns it, and a signal in between (a busy
        // machine) rightly cancels before any up starts.
        let armed = false;
        const run = await runDriver(["ephemeral", pr], { ...env, FAKE_UP: "hang" }, 60_000, (out, child) => {
          if (armed || !out.includes(`up of pr-${pr}…`)) return;
          armed = true;
          const poll = setInterval(() => {
            if (!calls().some((c) => c.startsWith("up "))) return;
            clearInterval(poll);
            child.kill(signal);
          }, 20);
          child.once("exit", () => clearInterval(poll));
        });
        assert.equal(run.code, ExitCode.Interrupted, run.stderr);
        assert.match(
          run.stdout,
          new RegExp(`${signal}: cancelling the current operation, then destroying pr-${pr}`),
        );
        assert.match(run.stdout, new RegExp(`ephemeral stack pr-${pr} destroyed and removed`));
        assert.deepEqual(ops(), ["config set-all", "up", "destroy", "stack rm"]);
      });
    }

    it("--keep-on-failure leaves a failed stack up and says how to remove it", async () => {
      const run = await runDriver(["ephemeral", "44", "--keep-on-failure"], { ...env, FAKE_UP: "fail" });
      assert.equal(run.code, ExitCode.OperationFailed);
      assert.match(
        run.stdout,
        /--keep-on-failure: leaving pr-44 up; remove it with: npm run driver -- pr-44 destroy --yes/,
      );
      assert.deepEqual(ops(), ["config set-all", "up"]);
    });

    it("teardown whose destroy is stopped by consul-aws's services empties the namespace with the cleanup code, then destroys again", async () => {
      const cloudMap = await standInCloudMap();
      try {
        const run = await runDriver(["ephemeral", "47"], {
          ...env,
          FAKE_UP: "fail",
          FAKE_DESTROY: "ns-in-use",
          AWS_ENDPOINT_URL_SERVICEDISCOVERY: cloudMap.url,
        });
        assert.equal(run.code, ExitCode.OperationFailed, run.stderr);
        assert.match(
          run.stdout,
          /destroy stopped with 1 service\(s\) consul-aws created still in namespace ns-1: removing them, then destroying again/,
        );
        assert.match(run.stdout, /ephemeral stack pr-47 destroyed and removed/);
        assert.deepEqual(ops(), ["config set-all", "up", "destroy", "destroy", "stack rm"]);
        assert.deepEqual(
          cloudMap.calls.map((c) => c.action),
          [
            "ListServices",
            "ListServices",
            "ListInstances",
            "DeregisterInstance",
            "GetOperation",
            "DeleteService",
          ],
        );
        assert.deepEqual(cloudMap.calls[5].body, { Id: "srv-consul" });
      } finally {
        await cloudMap.close();
      }
    });

    it("cleaning up a pr stack that is already gone is a no-op (exit 0); it is never created for that", async () => {
      const run = await runDriver(["pr-99", "destroy", "--yes"], env);
      assert.equal(run.code, ExitCode.Ok, run.stderr);
      assert.match(run.stdout, /destroy of pr-99: no such stack, nothing to do/);
      assert.deepEqual(
        calls().filter((c) => /^(stack init|destroy|stack rm) /.test(c)),
        [],
      );
    });

    it("a leftover pr-* stack is destroyed and removed without a settings file", async () => {
      const run = await runDriver(["pr-45", "destroy", "--yes", "--no-refresh"], {
        ...env,
        FAKE_STACKS: "dev prod pr-45",
      });
      assert.equal(run.code, ExitCode.Ok, run.stderr);
      assert.match(run.stdout, /destroy of pr-45: .*; stack removed/);
      assert.deepEqual(ops(), ["destroy", "stack rm"]);
    });
  });
});
