import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describeUrn, formatChanges, formatSeconds, ProgressTracker, statusDue, stripColor } from "../../driver/progress";

function recorded(name: string): EngineEvent[] {
    return fs
        .readFileSync(path.join(__dirname, "fixtures", name), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as EngineEvent);
}

/** Feeds the first `count` events; returns the permanent lines they produced. */
function feed(tracker: ProgressTracker, events: EngineEvent[], count = events.length): string[] {
    return events.slice(0, count).flatMap((e) => tracker.apply(e));
}

describe("driver: progress rendering from recorded engine events", () => {
    const up = recorded("up-failed.events.jsonl");
    const t0 = up[0].timestamp * 1000;

    it("prints one line per finished or failed resource, warnings and errors, and the summary", () => {
        const lines = feed(new ProgressTracker(), up);
        assert.deepEqual(lines, [
            "[0s] started with 3 config values",
            "[3s] warning cluster: containerInsights is deprecated, use setting instead",
            "[5s] 3/5 created aws:ecs/cluster:Cluster cluster (3s)",
            "[9s] 4/6 updated aws:lb/loadBalancer:LoadBalancer hello-alb (4s)",
            "[48s] 5/6 created aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace internal (45s)",
            "[50s] 6/7 created aws:servicediscovery/service:Service name (2s)",
            "[1m52s] 7/9 created aws:ecs/service:Service name (1m02s)",
            "[2m50s] error hello: sdk-v2/provider2.go:572: sdk.helper_schema: creating ECS Service (hello): InvalidParameterException: The target group with targetGroupArn arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/hello-tg/0f3b does not have an associated load balancer.: provider=aws@7.48.0",
            "[2m50s] FAILED creating aws:ecs/service:Service hello",
            "[2m51s] error ecs-cloudmap-consul-dev: update failed",
            "[2m51s] finished in 2m51s: 4 created, 1 updated, 3 unchanged, 1 failed",
        ]);
    });

    it("counts done / total / failed; ephemeral and info diagnostics do not print", () => {
        const tracker = new ProgressTracker();
        feed(tracker, up);
        assert.deepEqual(tracker.counts, { done: 8, total: 9, failed: 1, inFlight: 0 });
    });

    it("the status line shows what is in flight now, the oldest first, and the elapsed time", () => {
        const tracker = new ProgressTracker();
        const upToBothServices = up.findIndex((e) => e.resourcePreEvent?.metadata.urn.endsWith("::hello") === true) + 1;
        feed(tracker, up, upToBothServices);
        assert.equal(
            tracker.status(t0 + 80_000),
            "6/9 resources · creating aws:ecs/service:Service name (30s), +1 more · 1m20s",
        );
        feed(tracker, up.slice(upToBothServices), up.length - upToBothServices - 4); // up to the failure
        assert.equal(tracker.status(t0 + 171_000), "7/9 resources · 1 failed · waiting for the engine · 2m51s");
        feed(tracker, up.slice(up.length - 4));
        assert.match(tracker.status(t0 + 172_000), /^8\/9 resources · 1 failed · finished · 2m52s$/);
    });

    it("an expected total from a preview is shown from the start", () => {
        const tracker = new ProgressTracker(12);
        feed(tracker, up, 3);
        assert.equal(tracker.status(t0 + 1000), "0/12 resources · waiting for the engine · 1s");
    });

    it("a preview stream (planning events) lists what would change", () => {
        const preview = recorded("preview.events.jsonl");
        const tracker = new ProgressTracker();
        assert.deepEqual(feed(tracker, preview), [
            "[0s] started with 1 config value",
            "[2s] would update aws:ecs/taskDefinition:TaskDefinition hello",
            "[3s] would replace aws:ecs/service:Service hello",
            "[4s] finished in 4s: 1 updated, 1 replaced, 1 unchanged",
        ]);
        assert.deepEqual(tracker.counts, { done: 3, total: 3, failed: 0, inFlight: 0 });
    });

    it("helpers: URNs, durations, change maps, color, throttle", () => {
        assert.deepEqual(describeUrn("urn:pulumi:dev::p::awsx:ecs:FargateService$aws:ecs/service:Service::hello"), {
            type: "aws:ecs/service:Service",
            name: "hello",
        });
        assert.deepEqual([formatSeconds(0), formatSeconds(59.4), formatSeconds(60), formatSeconds(3725)], ["0s", "59s", "1m00s", "62m05s"]);
        assert.equal(formatChanges({}), "no changes");
        assert.equal(formatChanges({ same: 2, delete: 1, "create-replacement": 1 }), "1 deleted, 2 unchanged, 1 create-replacement");
        assert.equal(stripColor("<{%fg 1%}>error<{%reset%}>: \u001b[31mboom\u001b[0m"), "error: boom");
        assert.deepEqual([statusDue(undefined, 0, 250), statusDue(1000, 1200, 250), statusDue(1000, 1250, 250)], [true, false, true]);
    });
});
