import * as assert from "node:assert/strict";
import {
  parseCommand,
  parseDuration,
  parseExpectTasks,
  ephemeralStackName,
  type Command,
  type Env,
} from "../../driver/args";
import { ExitCode, UsageError } from "../../driver/errors";

const deploy = (over: Partial<Extract<Command, { kind: "stack" }>["options"]> = {}) => ({
  json: false,
  overrides: [],
  yes: false,
  refresh: true,
  smokeRequests: 20,
  ...over,
});

describe("driver: argument parsing", () => {
  const ok: Array<{ argv: string[]; env?: Env; expected: Command }> = [
    {
      argv: ["dev", "preview"],
      expected: { kind: "stack", stack: "dev", operation: "preview", options: deploy() },
    },
    {
      argv: ["prod", "up", "--yes", "--json", "--no-refresh", "--smoke-requests", "0"],
      expected: {
        kind: "stack",
        stack: "prod",
        operation: "up",
        options: deploy({ yes: true, json: true, refresh: false, smokeRequests: 0 }),
      },
    },
    {
      argv: [
        "dev",
        "up",
        "--image-tag",
        "sha-1a2b3c",
        "--config",
        "nameDesiredCount=3",
        "--config",
        "aws:profile=x=y",
      ],
      expected: {
        kind: "stack",
        stack: "dev",
        operation: "up",
        options: deploy({
          overrides: [
            { key: "nameDesiredCount", value: "3", source: "--config" },
            { key: "aws:profile", value: "x=y", source: "--config" },
            { key: "imageTag", value: "sha-1a2b3c", source: "--image-tag" },
          ],
        }),
      },
    },
    {
      // CI environment: stack, tag and smoke size from env; AWS_REGION is never an override.
      argv: ["destroy", "--yes"],
      env: { PULUMI_STACK: "org/proj/dev", AWS_REGION: "us-east-1", IMAGE_TAG: "v1.2.3" },
      expected: {
        kind: "stack",
        stack: "org/proj/dev",
        operation: "destroy",
        options: deploy({
          yes: true,
          overrides: [{ key: "imageTag", value: "v1.2.3", source: "IMAGE_TAG" }],
        }),
      },
    },
    {
      argv: ["prod", "preview", "--save-plan", "prod.plan.json", "--json"],
      expected: {
        kind: "stack",
        stack: "prod",
        operation: "preview",
        options: deploy({ json: true, savePlan: "prod.plan.json" }),
      },
    },
    {
      argv: ["prod", "up", "--yes", "--plan", "prod.plan.json"],
      expected: {
        kind: "stack",
        stack: "prod",
        operation: "up",
        options: deploy({ yes: true, plan: "prod.plan.json" }),
      },
    },
    {
      argv: ["prod", "refresh", "--preview-only", "--json"],
      expected: {
        kind: "stack",
        stack: "prod",
        operation: "refresh",
        options: deploy({ json: true, previewOnly: true }),
      },
    },
    {
      argv: ["dev", "recover", "--yes"],
      expected: { kind: "stack", stack: "dev", operation: "recover", options: deploy({ yes: true }) },
    },
    {
      argv: ["prod", "init"],
      expected: { kind: "stack", stack: "prod", operation: "init", options: deploy() },
    },
    {
      argv: ["sweep", "--ttl", "36h", "--retries", "2", "--retry-delay", "5s", "--json"],
      expected: { kind: "sweep", ttlMs: 36 * 3_600_000, retries: 2, retryDelayMs: 5000, json: true },
    },
    {
      argv: ["sweep"],
      expected: { kind: "sweep", ttlMs: 24 * 3_600_000, retries: 3, retryDelayMs: 60_000, json: false },
    },
    {
      argv: ["ephemeral", "123", "--keep-on-failure"],
      env: { SMOKE_REQUESTS: "40" },
      expected: {
        kind: "ephemeral",
        stack: "pr-123",
        sourceStack: "dev",
        keepOnFailure: true,
        options: deploy({ yes: true, smokeRequests: 40 }),
      },
    },
    {
      argv: [
        "smoke",
        "http://127.0.0.1:8080/",
        "--requests",
        "50",
        "--deadline",
        "2m",
        "--expect-tasks",
        ">2",
      ],
      expected: {
        kind: "smoke",
        url: "http://127.0.0.1:8080/",
        requests: 50,
        deadlineMs: 120_000,
        minDistinctTasks: 3,
        json: false,
      },
    },
    {
      argv: ["smoke", "https://hello.example.org", "--json"],
      expected: {
        kind: "smoke",
        url: "https://hello.example.org",
        requests: 20,
        deadlineMs: 120_000,
        minDistinctTasks: 2,
        json: true,
      },
    },
    { argv: ["--help"], expected: { kind: "help" } },
  ];
  for (const { argv, env, expected } of ok) {
    it(`parses ${JSON.stringify(argv)}${env ? ` with ${JSON.stringify(env)}` : ""}`, () => {
      assert.deepEqual(parseCommand(argv, env ?? {}), expected);
    });
  }

  const bad: Array<{ argv: string[]; env?: Env; message: RegExp }> = [
    { argv: [], message: /missing command/ },
    {
      argv: ["dev", "deploy"],
      message: /unknown operation "deploy": expected one of preview, up, refresh, destroy, recover, init/,
    },
    { argv: ["preview"], message: /missing stack: give "<stack> preview" or set PULUMI_STACK/ },
    { argv: ["dev", "up", "extra"], message: /unexpected argument "extra"/ },
    { argv: ["dev", "preview", "--force"], message: /Unknown option '--force'/ },
    {
      argv: ["dev", "preview", "--yes"],
      message: /--yes is not an option of "preview"; allowed: --json, --config, --image-tag, --save-plan$/,
    },
    { argv: ["dev", "preview", "--no-refresh"], message: /--no-refresh is not an option of "preview"/ },
    { argv: ["dev", "up", "--requests", "5"], message: /--requests is not an option of "up"/ },
    {
      argv: ["smoke", "http://x/", "--yes"],
      message: /--yes is not an option of "smoke"; allowed: --json, --requests, --deadline, --expect-tasks/,
    },
    // A stack deploys only to the region its settings file names: no flag, no config override.
    { argv: ["dev", "up", "--region", "us-east-1"], message: /Unknown option '--region'/ },
    {
      argv: ["prod", "up", "--config", "aws:region=us-east-1"],
      message: /--config "aws:region=us-east-1": a stack deploys only to the region its settings file names/,
    },
    { argv: ["prod", "preview", "--plan", "p.json"], message: /--plan is not an option of "preview"/ },
    { argv: ["prod", "up", "--save-plan", "p.json"], message: /--save-plan is not an option of "up"/ },
    { argv: ["prod", "up", "--plan", ""], message: /--plan: expected a file path/ },
    { argv: ["prod", "up", "--preview-only"], message: /--preview-only is not an option of "up"/ },
    { argv: ["sweep", "--ttl", "5m"], message: /--ttl "5m": expected an age from 10m to 30d/ },
    { argv: ["sweep", "--ttl", "1y"], message: /--ttl "1y"/ },
    { argv: ["sweep", "pr-1"], message: /unexpected argument "pr-1" after sweep/ },
    {
      argv: ["dev", "up", "--image-tag", "bad tag"],
      message: /--image-tag "bad tag": expected a Docker tag/,
    },
    { argv: ["dev", "up", "--config", "novalue"], message: /--config "novalue": expected key=value/ },
    { argv: ["dev", "up", "--config", "=x"], message: /--config "=x": expected key=value/ },
    {
      argv: ["dev", "up", "--smoke-requests=-1"],
      message: /--smoke-requests "-1": expected a whole number from 0 to 1000/,
    },
    {
      argv: ["dev", "up"],
      env: { SMOKE_REQUESTS: "many" },
      message: /SMOKE_REQUESTS "many": expected a whole number/,
    },
    { argv: ["dev", "up", "--plan"], message: /Option '--plan <value>' argument missing/ },
    { argv: ["bad name!", "preview"], message: /invalid stack name "bad name!"/ },
    { argv: ["ephemeral"], message: /missing argument: ephemeral <pr-number>/ },
    { argv: ["ephemeral", "Feature_X!"], message: /invalid ephemeral stack "Feature_X!"/ },
    { argv: ["ephemeral", "1", "--yes"], message: /--yes is not an option of "ephemeral"/ },
    { argv: ["smoke", "not a url"], message: /smoke <url>: "not a url" is not a URL/ },
    { argv: ["smoke", "ftp://x/"], message: /must be http:\/\/ or https:\/\// },
    {
      argv: ["smoke", "http://x/", "--requests", "0"],
      message: /--requests "0": expected a whole number from 1 to 10000/,
    },
    {
      argv: ["smoke", "http://x/", "--deadline", "soon"],
      message: /--deadline "soon": expected a duration from 100ms to 60m, like 500ms/,
    },
    {
      argv: ["smoke", "http://x/", "--expect-tasks", "<3"],
      message: /--expect-tasks "<3": expected >N, >=N or N/,
    },
  ];
  for (const { argv, env, message } of bad) {
    it(`rejects ${JSON.stringify(argv)}${env ? ` with ${JSON.stringify(env)}` : ""}`, () => {
      assert.throws(
        () => parseCommand(argv, env ?? {}),
        (err: unknown) =>
          err instanceof UsageError && err.exitCode === ExitCode.Usage && message.test(err.message),
      );
    });
  }

  it("names ephemeral stacks from the PR number only: pr-<digits>, one spelling per PR", () => {
    assert.equal(ephemeralStackName("123"), "pr-123");
    assert.equal(ephemeralStackName("7"), "pr-7");
    for (const bad of [
      "#42",
      "0042",
      "pr-7",
      "Feat-Login",
      " 12 ",
      "12abc",
      "-1",
      "1e3",
      "",
      "12345678901",
    ]) {
      assert.throws(
        () => ephemeralStackName(bad),
        (err: unknown) => err instanceof UsageError && /give a pull request number/.test(err.message),
        bad,
      );
    }
  });

  it("reads durations and task expectations", () => {
    assert.equal(parseDuration("--deadline", "1500ms"), 1500);
    assert.equal(parseDuration("--deadline", "90"), 90_000);
    assert.throws(() => parseDuration("--deadline", "61m"), /from 100ms to 60m/);
    assert.equal(parseExpectTasks(">1"), 2);
    assert.equal(parseExpectTasks(">=3"), 3);
    assert.equal(parseExpectTasks("1"), 1);
    assert.throws(() => parseExpectTasks(">=0"), /at least 1/);
  });
});

describe("driver: argument limits, anchors and edge cases", () => {
  const usageError = (message: RegExp) => (err: unknown) =>
    err instanceof UsageError && message.test(err.message);
  const smoke = (...flags: string[]) => parseCommand(["smoke", "http://127.0.0.1:8080/", ...flags]);
  const up = (...flags: string[]) => parseCommand(["dev", "up", ...flags]);
  const overridesOf = (c: Command) =>
    c.kind === "stack" || c.kind === "ephemeral" ? c.options.overrides : [];

  it("--deadline 500ms, the example the help and the error give, is accepted (was rejected below 1 s)", () => {
    assert.equal(parseDuration("--deadline", "500ms"), 500);
    assert.deepEqual(smoke("--deadline", "500ms"), {
      kind: "smoke",
      url: "http://127.0.0.1:8080/",
      requests: 20,
      deadlineMs: 500,
      minDistinctTasks: 2,
      json: false,
    });
  });

  it("durations: units, fractions, bare seconds and both limits", () => {
    assert.equal(parseDuration("--deadline", "100ms"), 100);
    assert.equal(parseDuration("--deadline", "1.5s"), 1500);
    assert.equal(parseDuration("--deadline", "0.25"), 250);
    assert.equal(parseDuration("--deadline", "2m"), 120_000);
    assert.equal(parseDuration("--deadline", "60m"), 3_600_000);
    assert.equal(parseDuration("--deadline", "3600s"), 3_600_000);
    assert.equal(parseDuration("--deadline", "1.0004s"), 1000); // rounded to whole ms
    for (const bad of [
      "99ms",
      "3600001ms",
      "61m",
      "0",
      "",
      "5h",
      "1 s",
      "x5s",
      "5sx",
      "-5s",
      ".5s",
      "1e3ms",
    ]) {
      assert.throws(
        () => parseDuration("--deadline", bad),
        usageError(
          new RegExp(`^--deadline "${bad.replace(".", "\\.")}": expected a duration from 100ms to 60m`),
        ),
        bad,
      );
    }
  });

  it("integers: whole numbers within both limits, no sign, no fraction, no junk", () => {
    assert.equal((smoke("--requests", "1") as Extract<Command, { kind: "smoke" }>).requests, 1);
    assert.equal((smoke("--requests", "10000") as Extract<Command, { kind: "smoke" }>).requests, 10_000);
    assert.throws(
      () => smoke("--requests", "10001"),
      usageError(/--requests "10001": expected a whole number from 1 to 10000/),
    );
    assert.equal(
      (up("--smoke-requests", "1000") as Extract<Command, { kind: "stack" }>).options.smokeRequests,
      1000,
    );
    assert.throws(
      () => up("--smoke-requests", "1001"),
      usageError(/--smoke-requests "1001": expected a whole number from 0 to 1000/),
    );
    for (const bad of ["+5", "5.0", "5x", "x5", " 5", ""]) {
      assert.throws(
        () => smoke("--requests", bad),
        usageError(/--requests ".*": expected a whole number/),
        JSON.stringify(bad),
      );
    }
  });

  it("--expect-tasks: >N, >=N or N, trimmed, from 1 to 100", () => {
    assert.equal(parseExpectTasks(" >=2 "), 2);
    assert.equal(parseExpectTasks(">0"), 1);
    assert.equal(parseExpectTasks("100"), 100);
    assert.equal(parseExpectTasks(">99"), 100);
    for (const bad of ["101", ">100", "0", ">=0", "=>2", "2>", ">>2", "2 tasks", "a2", ""]) {
      assert.throws(
        () => parseExpectTasks(bad),
        usageError(/^--expect-tasks ".*": expected >N, >=N or N distinct name tasks, at least 1/),
        bad,
      );
    }
  });

  it("rejects extra arguments after smoke <url> and ephemeral <name>", () => {
    assert.throws(
      () => parseCommand(["smoke", "http://x/", "extra"]),
      usageError(/^unexpected argument "extra" after smoke <url>$/),
    );
    assert.throws(
      () => parseCommand(["ephemeral", "12", "13"]),
      usageError(/^unexpected argument "13" after ephemeral <pr-number>$/),
    );
    assert.throws(() => parseCommand(["dev", "up", "a", "b"]), usageError(/^unexpected argument "a"/));
    assert.throws(() => parseCommand(["smoke"]), usageError(/^missing argument: smoke <url>\n\nUsage:/));
    assert.throws(() => parseCommand(["smoke", ""]), usageError(/^missing argument: smoke <url>/));
  });

  it("regions: no flag and no --config override; the settings file names the region", () => {
    for (const region of ["us-east-1", "eu-west-1"]) {
      assert.throws(() => up("--region", region), usageError(/^Unknown option '--region'/), region);
      assert.throws(
        () => up("--config", `aws:region=${region}`),
        usageError(/a stack deploys only to the region its settings file names; change aws:region there$/),
      );
      assert.deepEqual(overridesOf(parseCommand(["dev", "up"], { AWS_REGION: region })), [], region);
    }
  });

  it("image tags: Docker's grammar, anchored, at most 128 characters", () => {
    assert.deepEqual(overridesOf(up("--image-tag", "_a.B-1")), [
      { key: "imageTag", value: "_a.B-1", source: "--image-tag" },
    ]);
    assert.equal(overridesOf(up("--image-tag", "a".repeat(128)))[0].value.length, 128);
    for (const bad of ["a".repeat(129), ".a", "-a", "a/b", "a:b", "a b"]) {
      assert.throws(
        () => up(`--image-tag=${bad}`),
        usageError(/^--image-tag ".*": expected a Docker tag/),
        bad,
      );
    }
    assert.deepEqual(overridesOf(parseCommand(["dev", "up"], { IMAGE_TAG: "", AWS_REGION: "" })), []); // empty env means unset
  });

  it("--config keys: an optional namespace, then a key; the value may hold anything", () => {
    assert.deepEqual(overridesOf(up("--config", "a.b_c-d=")), [
      { key: "a.b_c-d", value: "", source: "--config" },
    ]);
    for (const bad of ["a b=1", "a:b:c=1", ":a=1", "a:=1", "a/b=1"]) {
      assert.throws(() => up("--config", bad), usageError(/^--config ".*": expected key=value/), bad);
    }
  });

  it("a later value of the same key wins and moves to the end, as repeated config sets would", () => {
    assert.deepEqual(overridesOf(up("--config", "a=1", "--config", "b=2", "--config", "a=3")), [
      { key: "b", value: "2", source: "--config" },
      { key: "a", value: "3", source: "--config" },
    ]);
  });

  it("stack names: up to org/project/stack of letters, digits, - _ .", () => {
    assert.equal(
      (parseCommand(["a/b/c.d_e-f", "preview"]) as Extract<Command, { kind: "stack" }>).stack,
      "a/b/c.d_e-f",
    );
    for (const bad of ["a/b/c/d", "/dev", "dev/", "de v", "dév"]) {
      assert.throws(() => parseCommand([bad, "preview"]), usageError(/^invalid stack name/), bad);
    }
  });

  it("ephemeral names: digits of at most 10 places, no leading zero", () => {
    assert.equal(ephemeralStackName("1234567890"), "pr-1234567890");
    for (const bad of ["a".repeat(41), "-a", "a_b", "#", "x#1", "0", "01", "+1", "1.0", "１２"]) {
      assert.throws(() => ephemeralStackName(bad), usageError(/^invalid ephemeral stack/), bad);
    }
  });

  it("each mode lists exactly its own flags; -h is help", () => {
    assert.deepEqual(parseCommand(["-h"]), { kind: "help" });
    assert.deepEqual(parseCommand(["dev", "up", "--help"]), { kind: "help" });
    const allowedIn = (argv: string[]) => {
      try {
        parseCommand([...argv, "--requests", "1"]);
      } catch (err) {
        return /allowed: (.*)$/.exec((err as Error).message)?.[1];
      }
      return undefined;
    };
    assert.equal(allowedIn(["dev", "preview"]), "--json, --config, --image-tag, --save-plan");
    assert.equal(allowedIn(["dev", "refresh"]), "--json, --config, --image-tag, --yes, --preview-only");
    assert.equal(
      allowedIn(["dev", "up"]),
      "--json, --config, --image-tag, --yes, --no-refresh, --smoke-requests, --plan",
    );
    assert.equal(allowedIn(["dev", "destroy"]), "--json, --config, --image-tag, --yes, --no-refresh");
    assert.equal(allowedIn(["dev", "recover"]), "--json, --yes");
    assert.equal(allowedIn(["dev", "init"]), "--json");
    assert.equal(allowedIn(["sweep"]), "--json, --ttl, --retries, --retry-delay");
    assert.equal(
      allowedIn(["ephemeral", "1"]),
      "--json, --config, --image-tag, --no-refresh, --smoke-requests, --keep-on-failure",
    );
    assert.throws(
      () => smoke("--config", "a=1"),
      usageError(
        /^--config is not an option of "smoke"; allowed: --json, --requests, --deadline, --expect-tasks$/,
      ),
    );
    // Flags a mode allows parse there.
    const e = parseCommand([
      "ephemeral",
      "42",
      "--json",
      "--no-refresh",
      "--smoke-requests",
      "3",
      "--config",
      "nameDesiredCount=3",
    ]);
    assert.deepEqual(e, {
      kind: "ephemeral",
      stack: "pr-42",
      sourceStack: "dev",
      keepOnFailure: false,
      options: {
        json: true,
        overrides: [{ key: "nameDesiredCount", value: "3", source: "--config" }],
        yes: true,
        refresh: false,
        smokeRequests: 3,
      },
    });
    const r = parseCommand(["dev", "refresh", "-y"]);
    assert.deepEqual(r, {
      kind: "stack",
      stack: "dev",
      operation: "refresh",
      options: deploy({ yes: true }),
    });
  });

  it("usage errors carry the usage text; unknown operations list the valid ones", () => {
    assert.throws(
      () => parseCommand([]),
      usageError(/^missing command\n\nUsage:\n {2}npm run driver -- <stack> preview\|up\|refresh\|destroy/),
    );
    assert.throws(
      () => parseCommand(["dev", "up", "--bogus"]),
      usageError(/^Unknown option '--bogus'.*\n\nUsage:/),
    );
    assert.throws(
      () => parseCommand(["dev", "up", "x", "y"]),
      usageError(/^unexpected argument "x"\n\nUsage:/),
    );
    assert.throws(
      () => parseCommand(["up"]),
      usageError(/^missing stack: give "<stack> up" or set PULUMI_STACK\n\nUsage:/),
    );
    assert.throws(
      () => parseCommand(["ephemeral", ""]),
      usageError(/^missing argument: ephemeral <pr-number>\n\nUsage:/),
    );
    assert.throws(
      () => parseCommand(["dev", "deploy"]),
      usageError(
        /^unknown operation "deploy": expected one of preview, up, refresh, destroy, recover, init \(or the commands ephemeral, sweep, smoke\)$/,
      ),
    );
    assert.throws(
      () => parseCommand(["smoke", "mailto:a@b"]),
      usageError(/^smoke <url>: "mailto:a@b" must be http:\/\/ or https:\/\/$/),
    );
  });
});
