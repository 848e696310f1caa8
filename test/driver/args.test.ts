import * as assert from "node:assert/strict";
import { parseCommand, parseDuration, parseExpectTasks, ephemeralStackName, type Command, type Env } from "../../driver/args";
import { ExitCode, UsageError } from "../../driver/exitCodes";

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
        { argv: ["dev", "preview"], expected: { kind: "stack", stack: "dev", operation: "preview", options: deploy() } },
        {
            argv: ["prod", "up", "--yes", "--json", "--no-refresh", "--smoke-requests", "0"],
            expected: { kind: "stack", stack: "prod", operation: "up", options: deploy({ yes: true, json: true, refresh: false, smokeRequests: 0 }) },
        },
        {
            argv: ["dev", "up", "--region", "eu-west-1", "--image-tag", "sha-1a2b3c", "--config", "nameDesiredCount=3", "--config", "aws:profile=x=y"],
            expected: {
                kind: "stack",
                stack: "dev",
                operation: "up",
                options: deploy({
                    overrides: [
                        { key: "nameDesiredCount", value: "3", source: "--config" },
                        { key: "aws:profile", value: "x=y", source: "--config" },
                        { key: "aws:region", value: "eu-west-1", source: "--region" },
                        { key: "imageTag", value: "sha-1a2b3c", source: "--image-tag" },
                    ],
                }),
            },
        },
        {
            // CI environment: stack, region, tag and smoke size from env; a flag beats its env variable.
            argv: ["destroy", "--yes", "--region", "us-east-1"],
            env: { PULUMI_STACK: "org/proj/dev", AWS_REGION: "eu-west-1", IMAGE_TAG: "v1.2.3" },
            expected: {
                kind: "stack",
                stack: "org/proj/dev",
                operation: "destroy",
                options: deploy({
                    yes: true,
                    overrides: [
                        { key: "aws:region", value: "us-east-1", source: "--region" },
                        { key: "imageTag", value: "v1.2.3", source: "IMAGE_TAG" },
                    ],
                }),
            },
        },
        {
            argv: ["dev", "up", "--config", "aws:region=eu-central-1", "--region", "eu-west-1"],
            expected: {
                kind: "stack",
                stack: "dev",
                operation: "up",
                options: deploy({ overrides: [{ key: "aws:region", value: "eu-west-1", source: "--region" }] }),
            },
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
            argv: ["smoke", "http://127.0.0.1:8080/", "--requests", "50", "--deadline", "2m", "--expect-tasks", ">2"],
            expected: { kind: "smoke", url: "http://127.0.0.1:8080/", requests: 50, deadlineMs: 120_000, minDistinctTasks: 3, json: false },
        },
        {
            argv: ["smoke", "https://hello.example.org", "--json"],
            expected: { kind: "smoke", url: "https://hello.example.org", requests: 20, deadlineMs: 120_000, minDistinctTasks: 2, json: true },
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
        { argv: ["dev", "deploy"], message: /unknown operation "deploy": expected one of preview, up, refresh, destroy/ },
        { argv: ["preview"], message: /missing stack: give "<stack> preview" or set PULUMI_STACK/ },
        { argv: ["dev", "up", "extra"], message: /unexpected argument "extra"/ },
        { argv: ["dev", "preview", "--force"], message: /Unknown option '--force'/ },
        { argv: ["dev", "preview", "--yes"], message: /--yes is not an option of "preview"; allowed: --json, --region, --config, --image-tag$/ },
        { argv: ["dev", "preview", "--no-refresh"], message: /--no-refresh is not an option of "preview"/ },
        { argv: ["dev", "up", "--requests", "5"], message: /--requests is not an option of "up"/ },
        { argv: ["smoke", "http://x/", "--yes"], message: /--yes is not an option of "smoke"; allowed: --json, --requests, --deadline, --expect-tasks/ },
        { argv: ["dev", "up", "--region", "mars-1"], message: /--region "mars-1": expected an AWS region like eu-west-1/ },
        { argv: ["dev", "up"], env: { AWS_REGION: "Europe" }, message: /AWS_REGION "Europe": expected an AWS region/ },
        { argv: ["dev", "up", "--image-tag", "bad tag"], message: /--image-tag "bad tag": expected a Docker tag/ },
        { argv: ["dev", "up", "--config", "novalue"], message: /--config "novalue": expected key=value/ },
        { argv: ["dev", "up", "--config", "=x"], message: /--config "=x": expected key=value/ },
        { argv: ["dev", "up", "--smoke-requests=-1"], message: /--smoke-requests "-1": expected a whole number from 0 to 1000/ },
        { argv: ["dev", "up"], env: { SMOKE_REQUESTS: "many" }, message: /SMOKE_REQUESTS "many": expected a whole number/ },
        { argv: ["dev", "up", "--region"], message: /Option '--region <value>' argument missing/ },
        { argv: ["bad name!", "preview"], message: /invalid stack name "bad name!"/ },
        { argv: ["ephemeral"], message: /missing argument: ephemeral <pr-number-or-name>/ },
        { argv: ["ephemeral", "Feature_X!"], message: /invalid ephemeral stack "Feature_X!"/ },
        { argv: ["ephemeral", "1", "--yes"], message: /--yes is not an option of "ephemeral"/ },
        { argv: ["smoke", "not a url"], message: /smoke <url>: "not a url" is not a URL/ },
        { argv: ["smoke", "ftp://x/"], message: /must be http:\/\/ or https:\/\// },
        { argv: ["smoke", "http://x/", "--requests", "0"], message: /--requests "0": expected a whole number from 1 to 10000/ },
        { argv: ["smoke", "http://x/", "--deadline", "soon"], message: /--deadline "soon": expected a duration from 1s to 60m/ },
        { argv: ["smoke", "http://x/", "--expect-tasks", "<3"], message: /--expect-tasks "<3": expected >N, >=N or N/ },
    ];
    for (const { argv, env, message } of bad) {
        it(`rejects ${JSON.stringify(argv)}${env ? ` with ${JSON.stringify(env)}` : ""}`, () => {
            assert.throws(
                () => parseCommand(argv, env ?? {}),
                (err: unknown) => err instanceof UsageError && err.exitCode === ExitCode.Usage && message.test(err.message),
            );
        });
    }

    it("names ephemeral stacks from the PR", () => {
        assert.equal(ephemeralStackName("123"), "pr-123");
        assert.equal(ephemeralStackName("#0042"), "pr-42");
        assert.equal(ephemeralStackName("pr-7"), "pr-7");
        assert.equal(ephemeralStackName("Feat-Login"), "pr-feat-login");
    });

    it("reads durations and task expectations", () => {
        assert.equal(parseDuration("--deadline", "1500ms"), 1500);
        assert.equal(parseDuration("--deadline", "90"), 90_000);
        assert.throws(() => parseDuration("--deadline", "61m"), /from 1s to 60m/);
        assert.equal(parseExpectTasks(">1"), 2);
        assert.equal(parseExpectTasks(">=3"), 3);
        assert.equal(parseExpectTasks("1"), 1);
        assert.throws(() => parseExpectTasks(">=0"), /at least 1/);
    });
});
