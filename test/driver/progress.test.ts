import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import {
  describeUrn,
  formatChanges,
  formatSeconds,
  ProgressTracker,
  statusDue,
  stripColor,
} from "../../driver/progress";

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
    const upToBothServices =
      up.findIndex((e) => e.resourcePreEvent?.metadata.urn.endsWith("::hello") === true) + 1;
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
    assert.deepEqual(
      describeUrn("urn:pulumi:dev::p::awsx:ecs:FargateService$aws:ecs/service:Service::hello"),
      {
        type: "aws:ecs/service:Service",
        name: "hello",
      },
    );
    assert.deepEqual(
      [formatSeconds(0), formatSeconds(59.4), formatSeconds(60), formatSeconds(3725)],
      ["0s", "59s", "1m00s", "62m05s"],
    );
    assert.equal(formatChanges({}), "no changes");
    assert.equal(
      formatChanges({ same: 2, delete: 1, "create-replacement": 1 }),
      "1 deleted, 2 unchanged, 1 create-replacement",
    );
    assert.equal(stripColor("<{%fg 1%}>error<{%reset%}>: \u001b[31mboom\u001b[0m"), "error: boom");
    assert.deepEqual(
      [statusDue(undefined, 0, 250), statusDue(1000, 1200, 250), statusDue(1000, 1250, 250)],
      [true, false, true],
    );
  });
});

describe("driver: progress lines for every engine step, diagnostics, and the status line", () => {
  const T0 = 1_763_767_200;
  const urnOf = (name: string, type = "aws:ecs/service:Service") =>
    `urn:pulumi:dev::p::awsx:x:Parent$${type}::${name}`;
  const meta = (op: OpType, name: string) => ({
    op,
    urn: urnOf(name),
    type: "aws:ecs/service:Service",
    provider: "",
  });
  const pre = (op: OpType, name: string, at: number, planning?: boolean): EngineEvent => ({
    sequence: 0,
    timestamp: T0 + at,
    resourcePreEvent: { metadata: meta(op, name), ...(planning ? { planning } : {}) },
  });
  const outputs = (op: OpType, name: string, at: number, planning?: boolean): EngineEvent => ({
    sequence: 0,
    timestamp: T0 + at,
    resOutputsEvent: { metadata: meta(op, name), ...(planning ? { planning } : {}) },
  });
  const failed = (op: OpType, name: string, at: number): EngineEvent => ({
    sequence: 0,
    timestamp: T0 + at,
    resOpFailedEvent: { metadata: meta(op, name), status: 1, steps: 1 },
  });
  const diag = (
    at: number,
    severity: string,
    message: string,
    extra: { urn?: string; ephemeral?: boolean } = {},
  ): EngineEvent =>
    ({
      sequence: 0,
      timestamp: T0 + at,
      diagnosticEvent: { severity, message, color: "never", ...extra },
    }) as EngineEvent;
  const summary = (at: number, resourceChanges: Record<string, number>): EngineEvent => ({
    sequence: 0,
    timestamp: T0 + at,
    summaryEvent: { maybeCorrupt: false, durationSeconds: at, resourceChanges, policyPacks: {} },
  });
  const prelude = (keys: number): EngineEvent => ({
    sequence: 0,
    timestamp: T0,
    preludeEvent: { config: Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, "v"])) },
  });

  const STEPS: Array<[OpType, string, string]> = [
    ["create", "creating", "created"],
    ["update", "updating", "updated"],
    ["delete", "deleting", "deleted"],
    ["replace", "replacing", "replaced"],
    ["create-replacement", "creating replacement", "created replacement"],
    ["delete-replaced", "deleting replaced", "deleted replaced"],
    ["read", "reading", "read"],
    ["read-replacement", "reading replacement", "read replacement"],
    ["refresh", "refreshing", "refreshed"],
    ["import", "importing", "imported"],
    ["import-replacement", "importing replacement", "imported replacement"],
    ["discard", "discarding", "discarded"],
    ["discard-replaced", "discarding replaced", "discarded replaced"],
    ["remove-pending-replace", "removing pending replace", "removed pending replace"],
  ];

  for (const [op, present, past] of STEPS) {
    it(`"${op}": "${present}" while it runs and when it fails, "${past}" when it is done`, () => {
      const t = new ProgressTracker();
      t.apply(prelude(0));
      assert.deepEqual(t.apply(pre(op, "a", 1)), []);
      assert.equal(
        t.status((T0 + 4) * 1000),
        `0/1 resources · ${present} aws:ecs/service:Service a (3s) · 4s`,
      );
      assert.deepEqual(t.apply(outputs(op, "a", 6)), [`[6s] 1/1 ${past} aws:ecs/service:Service a (5s)`]);
      t.apply(pre(op, "b", 7));
      assert.deepEqual(t.apply(failed(op, "b", 9)), [`[9s] FAILED ${present} aws:ecs/service:Service b`]);
    });
  }

  it("an op without a verb of its own is printed as it is named", () => {
    const t = new ProgressTracker();
    t.apply(pre("frobnicate" as OpType, "a", 0));
    assert.equal(t.status((T0 + 1) * 1000), "0/1 resources · frobnicate aws:ecs/service:Service a (1s) · 1s");
    assert.deepEqual(t.apply(outputs("frobnicate" as OpType, "a", 2)), [
      "[2s] 1/1 frobnicate aws:ecs/service:Service a (2s)",
    ]);
    assert.deepEqual(t.apply(failed("frobnicate" as OpType, "b", 3)), [
      "[3s] FAILED frobnicate aws:ecs/service:Service b",
    ]);
  });

  it("unchanged resources count as done but print nothing and are never in flight", () => {
    const t = new ProgressTracker();
    assert.deepEqual(t.apply(pre("same", "a", 0)), []);
    assert.deepEqual(t.counts, { done: 0, total: 1, failed: 0, inFlight: 0 });
    assert.deepEqual(t.apply(outputs("same", "a", 1)), []);
    assert.deepEqual(t.counts, { done: 1, total: 1, failed: 0, inFlight: 0 });
    assert.deepEqual(t.apply(pre("same", "p", 1, true)), []);
    assert.deepEqual(t.counts, { done: 2, total: 2, failed: 0, inFlight: 0 });
  });

  it("a finished resource whose start was not seen has no duration; a planned output prints nothing", () => {
    const t = new ProgressTracker();
    assert.deepEqual(t.apply(outputs("create", "a", 3)), ["[0s] 1/1 created aws:ecs/service:Service a"]);
    assert.deepEqual(t.apply(outputs("create", "b", 4, true)), []);
    assert.deepEqual(t.counts, { done: 2, total: 2, failed: 0, inFlight: 0 });
  });

  it("diagnostics: errors and warnings print (with the resource and indented lines); info, debug and ephemeral ones do not", () => {
    const t = new ProgressTracker();
    t.apply(prelude(2));
    assert.deepEqual(t.apply(diag(1, "info", "plain info")), []);
    assert.deepEqual(t.apply(diag(1, "debug", "debug detail")), []);
    assert.deepEqual(t.apply(diag(1, "info#err", "stderr of a provider")), []);
    assert.deepEqual(t.apply(diag(1, "warning", "passing warning", { ephemeral: true })), []);
    assert.deepEqual(t.apply(diag(1, "error", "<{%reset%}>  \n")), []); // nothing left once colour is gone
    assert.deepEqual(t.apply(diag(2, "warning", "<{%fg 3%}>careful<{%reset%}>\n")), ["[2s] warning careful"]);
    assert.deepEqual(t.apply(diag(3, "error", "first\n\nsecond\nthird", { urn: urnOf("svc") })), [
      "[3s] error svc: first\n    second\n    third",
    ]);
  });

  it("the prelude counts config values (singular and plural)", () => {
    assert.deepEqual(new ProgressTracker().apply(prelude(0)), ["[0s] started with 0 config values"]);
    assert.deepEqual(new ProgressTracker().apply(prelude(1)), ["[0s] started with 1 config value"]);
    assert.deepEqual(new ProgressTracker().apply(prelude(2)), ["[0s] started with 2 config values"]);
  });

  it("the status line: planning before any resource, the oldest step in flight first, +N more, failures", () => {
    const t = new ProgressTracker();
    assert.equal(t.status(5000), "0/0 resources · planning · 0s");
    t.apply(prelude(0));
    t.apply(pre("create", "late", 10)); // events may arrive out of timestamp order
    t.apply(pre("update", "early", 4));
    t.apply(pre("delete", "middle", 7));
    assert.equal(
      t.status((T0 + 20) * 1000),
      "0/3 resources · updating aws:ecs/service:Service early (16s), +2 more · 20s",
    );
    t.apply(failed("update", "early", 21));
    assert.equal(
      t.status((T0 + 22) * 1000),
      "0/3 resources · 1 failed · deleting aws:ecs/service:Service middle (15s), +1 more · 22s",
    );
    t.apply(outputs("delete", "middle", 23));
    assert.equal(
      t.status((T0 + 24) * 1000),
      "1/3 resources · 1 failed · creating aws:ecs/service:Service late (14s) · 24s",
    );
    t.apply(outputs("create", "late", 25));
    assert.equal(t.status((T0 + 90) * 1000), "2/3 resources · 1 failed · waiting for the engine · 1m30s");
    assert.deepEqual(t.apply(summary(26, { create: 1, delete: 1 })), [
      "[26s] finished in 26s: 1 created, 1 deleted, 1 failed",
    ]);
    assert.equal(t.status((T0 + 27) * 1000), "2/3 resources · 1 failed · finished · 27s");
  });

  it("a summary without failures says nothing about failures", () => {
    const t = new ProgressTracker();
    t.apply(prelude(0));
    assert.deepEqual(t.apply(summary(61, {})), ["[1m01s] finished in 1m01s: no changes"]);
    assert.deepEqual(t.apply({ sequence: 9, timestamp: T0 + 62 }), []); // events of other kinds
  });

  it("an expected total larger than what was seen wins; what was seen wins when larger", () => {
    const t = new ProgressTracker(2);
    for (const n of ["a", "b", "c"]) t.apply(pre("create", n, 0));
    assert.deepEqual(t.counts, { done: 0, total: 3, failed: 0, inFlight: 3 });
  });

  it("URN and duration edge cases", () => {
    assert.deepEqual(describeUrn("urn:pulumi:dev::p::aws:s3/bucket:Bucket::a::b"), {
      type: "aws:s3/bucket:Bucket",
      name: "a::b",
    });
    assert.deepEqual(describeUrn("urn:pulumi:dev::p::aws:s3/bucket:Bucket"), {
      type: "aws:s3/bucket:Bucket",
      name: "urn:pulumi:dev::p::aws:s3/bucket:Bucket",
    });
    assert.deepEqual(describeUrn("not-a-urn"), { type: "", name: "not-a-urn" });
    assert.deepEqual(
      [formatSeconds(-3), formatSeconds(59.5), formatSeconds(119.6), formatSeconds(600)],
      ["0s", "1m00s", "2m00s", "10m00s"],
    );
  });

  it("change maps: the usual order, zero counts left out, unknown ops after them; custom labels", () => {
    assert.equal(formatChanges(undefined), "no changes");
    assert.equal(formatChanges({ same: 0, create: 0 }), "no changes");
    assert.equal(
      formatChanges({
        same: 8,
        refresh: 7,
        read: 6,
        import: 5,
        delete: 4,
        replace: 3,
        update: 2,
        create: 1,
        discard: 9,
      }),
      "1 created, 2 updated, 3 replaced, 4 deleted, 5 imported, 6 read, 7 refreshed, 8 unchanged, 9 discard",
    );
    assert.equal(formatChanges({ create: 2, update: 1 }, [["update", "changed"]]), "1 changed, 2 create");
  });

  it("colour: several tags and escapes are all removed", () => {
    assert.equal(stripColor("<{%bold%}>a<{%reset%}>b\u001b[1;31mc\u001b[0m\u001b[m"), "abc");
  });
});
