// The live view's pure parts: rates, shares, latency quantiles, snapshots and events from state diffs.
import * as assert from "node:assert/strict";
import {
  buildSnapshot,
  detectEvents,
  displayState,
  parseHelloMetrics,
  quantileBetween,
  rateOver,
  shares,
  type About,
  type HelloReading,
  type LiveSnapshot,
  type TickInput,
} from "../../local/live/model";
import {
  assertLoopbackUrl,
  LOAD_LIMITS,
  LOAD_OFF,
  parseLoadSettings,
  requestsDue,
  type LoadStatus,
} from "../../local/load/generator";
import type { TaskInfo } from "../../local/topology/topology";

const ABOUT: About = {
  helloUrl: "http://127.0.0.1:8080/",
  service: "name",
  namespace: "internal",
  dnsAddress: "127.0.0.1:53",
  ttlSeconds: 5,
  deregisterDelayMs: 2000,
  intervalMs: 500,
  windowMs: 2000,
};
const PORT = 4000;

function task(n: number, over: Partial<TaskInfo> = {}): TaskInfo {
  const ip = `127.0.0.${n + 1}`;
  return {
    id: `name-${n}`,
    ip,
    port: PORT,
    url: `http://${ip}:${PORT}/`,
    pid: 100 + n,
    state: "running",
    registered: true,
    ...over,
  };
}

function hello(over: Partial<HelloReading> = {}): HelloReading {
  return {
    served: 0,
    requests: 0,
    retries: 0,
    failures: 0,
    ejections: 0,
    dnsQueries: 1,
    responses: {},
    latencyMs: undefined,
    lastAnswerAt: 0,
    ttlSeconds: 5,
    lastError: null,
    targets: {
      [`127.0.0.2:${PORT}`]: { requests: 0, failures: 0, ejected: false },
      [`127.0.0.3:${PORT}`]: { requests: 0, failures: 0, ejected: false },
    },
    ...over,
  };
}

function tick(at: number, over: Partial<TickInput> = {}): TickInput {
  return {
    at,
    tasks: [task(1), task(2)],
    served: {},
    hello: hello(),
    dnsQueries: 0,
    load: LOAD_OFF,
    ...over,
  };
}

/** Snapshots of a run of ticks, each built on the previous one, the way the feed does it. */
function run(ticks: TickInput[]): LiveSnapshot[] {
  const out: LiveSnapshot[] = [];
  ticks.forEach((_, i) => {
    const history = ticks.slice(0, i + 1).filter((h) => h.at >= ticks[i].at - ABOUT.windowMs);
    out.push(buildSnapshot(history, out[i - 1], i + 1, ABOUT));
  });
  return out;
}

describe("live view: rates, shares and quantiles (pure)", () => {
  it("a rate is the counter's growth per second over the window", () => {
    const samples = [0, 500, 1000, 1500, 2000, 2500].map((at) => ({ at, value: at / 10 })); // 100/s
    assert.equal(rateOver(samples, 2000, 2500), 100);
    // Only the window counts: 0 before t=1000, then 300 per second.
    const burst = [
      { at: 0, value: 0 },
      { at: 1000, value: 0 },
      { at: 2000, value: 300 },
      { at: 3000, value: 600 },
    ];
    assert.equal(rateOver(burst, 2000, 3000), 300);
  });

  it("a series that stopped answering counts as flat up to now, so a dead task drops to 0", () => {
    const samples = [
      { at: 0, value: 0 },
      { at: 1000, value: 100 },
    ];
    assert.equal(rateOver(samples, 2000, 2000), 50); // 100 over the 2 s up to now
    assert.equal(rateOver(samples, 2000, 3500), 0); // nothing since t=1000, which is out of the window
  });

  it("no rate from one sample, none and a counter that went back", () => {
    assert.equal(rateOver([], 2000, 0), 0);
    assert.equal(rateOver([{ at: 5, value: 9 }], 2000, 5), 0);
    assert.equal(
      rateOver(
        [
          { at: 0, value: 10 },
          { at: 1000, value: 3 },
        ],
        2000,
        1000,
      ),
      0,
    );
  });

  it("shares add up to 1, and are all 0 without traffic", () => {
    assert.deepEqual(shares([1, 1, 2]), [0.25, 0.25, 0.5]);
    assert.deepEqual(shares([0, 0]), [0, 0]);
  });

  it("quantiles come from the difference of two histogram readings, interpolated in the bucket", () => {
    const le = [1, 2, 5];
    const older = { le, counts: [100, 0, 0, 0] };
    const newer = { le, counts: [100, 50, 50, 0] }; // in between: 50 in (1,2], 50 in (2,5]
    assert.equal(quantileBetween(older, newer, 0.5), 2);
    assert.equal(quantileBetween(older, newer, 0.99), 2 + 3 * (49 / 50));
    assert.equal(
      quantileBetween(undefined, newer, 0.5),
      1,
      "from zero: half of 200 are the first 100 <= 1 ms",
    );
    assert.equal(
      quantileBetween(older, { le, counts: [100, 0, 0, 7] }, 0.5),
      5,
      "the overflow bucket reports the largest bound",
    );
  });

  it("no quantile without requests in between or from readings that do not match", () => {
    const reading = { le: [1, 2], counts: [3, 4, 0] };
    assert.equal(quantileBetween(reading, reading, 0.5), null);
    assert.equal(
      quantileBetween({ le: [1, 2], counts: [5, 4, 0] }, reading, 0.5),
      null,
      "counts went back: hello restarted",
    );
    assert.equal(quantileBetween({ le: [1], counts: [1, 0] }, reading, 0.5), null);
  });
});

describe("live view: hello's /metrics and task states (pure)", () => {
  it("reads hello's /metrics as documented, extra fields ignored", () => {
    const r = parseHelloMetrics({
      task: "hello",
      served: 12,
      requests: 12,
      retries: 1,
      failures: 0,
      ejections: 1,
      dnsQueries: 3,
      dnsRefreshes: 3,
      somethingNew: true,
      discovery: {
        name: "name.internal",
        lastAnswerAt: "2026-01-01T00:00:00.000Z",
        ttlSeconds: 5,
        lastError: null,
      },
      targets: {
        "127.0.0.2:4000": {
          requests: 7,
          failures: 1,
          outstanding: 0,
          ejected: true,
          ejections: 1,
          consecutiveFailures: 3,
        },
      },
      responses: { "200": 12 },
      latencyMs: { le: [1, 2], counts: [10, 2, 0] },
    });
    assert.equal(r.served, 12);
    assert.equal(r.lastAnswerAt, Date.parse("2026-01-01T00:00:00.000Z"));
    assert.deepEqual(r.targets, { "127.0.0.2:4000": { requests: 7, failures: 1, ejected: true } });
    assert.deepEqual(r.latencyMs, { le: [1, 2], counts: [10, 2, 0] });
    assert.deepEqual(r.responses, { "200": 12 });
  });

  it("an older hello without latency or responses still reads; something else does not", () => {
    const r = parseHelloMetrics({
      requests: 1,
      targets: {},
      discovery: { lastAnswerAt: null, ttlSeconds: null, lastError: "timeout" },
    });
    assert.equal(r.latencyMs, undefined);
    assert.deepEqual(r.responses, {});
    assert.equal(r.lastError, "timeout");
    assert.throws(() => parseHelloMetrics({ task: "name-1", requests: 3 }), /not hello's \/metrics/);
    assert.throws(() => parseHelloMetrics(null), /not hello's \/metrics/);
  });

  it("a task's shown state: starting, running, draining, hung, killed, stopped, exited", () => {
    assert.equal(displayState({ state: "running", registered: false }), "starting");
    assert.equal(displayState({ state: "running", registered: true }), "running");
    assert.equal(displayState({ state: "stopping", registered: true }), "draining");
    assert.equal(displayState({ state: "hung", registered: true }), "hung");
    assert.equal(
      displayState({ state: "stopped", registered: true, exit: { code: null, signal: "SIGKILL" } }),
      "killed",
    );
    assert.equal(
      displayState({ state: "stopped", registered: false, exit: { code: 0, signal: null } }),
      "stopped",
    );
    assert.equal(
      displayState({ state: "stopped", registered: false, exit: { code: 1, signal: null } }),
      "exited",
    );
  });
});

describe("live view: snapshots (pure)", () => {
  it("per-task rates and shares from each task's own counter; hello's rate, quantiles, TTL left and record set", () => {
    const le = [1, 2, 5];
    const [, second] = run([
      tick(0, {
        served: { "name-1": 0, "name-2": 0 },
        hello: hello({ served: 0, latencyMs: { le, counts: [0, 0, 0, 0] } }),
      }),
      tick(1000, {
        served: { "name-1": 30, "name-2": 10 },
        hello: hello({
          served: 40,
          latencyMs: { le, counts: [20, 19, 1, 0] },
          lastAnswerAt: 0,
          responses: { "200": 39, "503": 1 },
          failures: 1,
        }),
        dnsQueries: 2,
      }),
    ]);
    assert.deepEqual(
      second.tasks.map((t) => [t.id, t.requestsPerSecond, t.share, t.served]),
      [
        ["name-1", 30, 0.75, 30],
        ["name-2", 10, 0.25, 10],
      ],
    );
    assert.equal(second.hello.requestsPerSecond, 40);
    assert.equal(second.hello.p50Ms, 1);
    assert.equal(second.hello.p99Ms, 2 + 3 * ((39.6 - 39) / 1));
    assert.equal(second.hello.notOk, 1);
    assert.equal(second.hello.ttlRemainingMs, 4000);
    assert.deepEqual(
      second.hello.recordSet.map((r) => r.task),
      ["name-1", "name-2"],
    );
    assert.equal(second.dns.queriesPerSecond, 2);
  });

  it("a killed task keeps its last count, serves 0 once out of the window and leaves the shares to the others", () => {
    const killed = task(2, { state: "stopped", exit: { code: null, signal: "SIGKILL" } });
    const snaps = run([
      tick(0, { served: { "name-1": 0, "name-2": 0 } }),
      tick(1000, { served: { "name-1": 50, "name-2": 50 } }),
      tick(2000, { tasks: [task(1), killed], served: { "name-1": 150 } }),
      tick(3500, { tasks: [task(1), killed], served: { "name-1": 300 } }),
    ]);
    const last = snaps[3].tasks;
    assert.equal(last[1].state, "killed");
    assert.equal(last[1].exit, "SIGKILL");
    assert.equal(last[1].served, 50);
    assert.equal(last[1].requestsPerSecond, 0);
    assert.equal(last[0].share, 1);
  });

  it("since when a task is ejected carries over from tick to tick", () => {
    const ejected = hello({
      targets: {
        [`127.0.0.2:${PORT}`]: { requests: 5, failures: 3, ejected: true },
        [`127.0.0.3:${PORT}`]: { requests: 5, failures: 0, ejected: false },
      },
    });
    const snaps = run([tick(0), tick(500, { hello: ejected }), tick(1000, { hello: ejected })]);
    assert.equal(snaps[0].tasks[0].ejectedSince, null);
    assert.equal(snaps[1].tasks[0].ejectedSince, 500);
    assert.equal(snaps[2].tasks[0].ejectedSince, 500);
    assert.equal(snaps[2].hello.recordSet[0].ejected, true);
  });

  it("hello not answering shows as down with the reason", () => {
    const [s] = run([tick(0, { hello: undefined, helloError: "ECONNREFUSED" })]);
    assert.equal(s.hello.up, false);
    assert.equal(s.hello.error, "ECONNREFUSED");
    assert.deepEqual(s.hello.recordSet, []);
    assert.equal(s.tasks[0].inRecordSet, false);
  });
});

describe("live view: events from state diffs (pure)", () => {
  const texts = (prev: LiveSnapshot | undefined, next: LiveSnapshot) =>
    detectEvents(prev, next).map((e) => `${e.kind}: ${e.text}`);

  it("nothing for the first snapshot or when nothing changed", () => {
    const [a, b] = run([tick(0), tick(500)]);
    assert.deepEqual(detectEvents(undefined, a), []);
    assert.deepEqual(detectEvents(a, b), []);
  });

  it("a kill: killed, hello ejects it, DNS drops it, then hello's record set loses it", () => {
    const killed = task(2, { state: "stopped", exit: { code: null, signal: "SIGKILL" } });
    const ejected = hello({
      targets: {
        [`127.0.0.2:${PORT}`]: { requests: 1, failures: 0, ejected: false },
        [`127.0.0.3:${PORT}`]: { requests: 1, failures: 3, ejected: true },
      },
    });
    const snaps = run([
      tick(0),
      tick(500, { tasks: [task(1), killed], hello: ejected }),
      tick(1000, { tasks: [task(1), { ...killed, registered: false }], hello: ejected }),
      tick(1500, {
        tasks: [task(1), { ...killed, registered: false }],
        hello: hello({ targets: { [`127.0.0.2:${PORT}`]: { requests: 1, failures: 0, ejected: false } } }),
      }),
    ]);
    assert.deepEqual(texts(snaps[0], snaps[1]), [
      "killed: name-2 killed (SIGKILL)",
      "ejected: hello ejected name-2 after failed tries",
    ]);
    assert.deepEqual(texts(snaps[1], snaps[2]), ["deregistered: name-2 deregistered from DNS"]);
    assert.deepEqual(
      texts(snaps[2], snaps[3]),
      ["records: hello's record set changed (−name-2): name-1"],
      "no 'back' for a task that left the set",
    );
  });

  it("an ejection that ends while the task is still in the set: back, with how long it was out", () => {
    const out = hello({
      targets: {
        [`127.0.0.2:${PORT}`]: { requests: 1, failures: 3, ejected: true },
        [`127.0.0.3:${PORT}`]: { requests: 1, failures: 0, ejected: false },
      },
    });
    const snaps = run([tick(0), tick(400, { hello: out }), tick(800, { hello: out }), tick(2400)]);
    assert.deepEqual(texts(snaps[2], snaps[3]), ["back: name-1 back in hello's rotation after 2.0 s"]);
  });

  it("hang, resume, graceful stop, an unexpected exit and a task added", () => {
    const snaps = run([
      tick(0),
      tick(500, { tasks: [task(1, { state: "hung" }), task(2, { state: "stopping" })] }),
      tick(1000, {
        tasks: [
          task(1),
          task(2, { state: "stopped", exit: { code: 0, signal: null } }),
          task(3, { registered: false }),
        ],
      }),
      tick(1500, {
        tasks: [
          task(1, { state: "stopped", exit: { code: 1, signal: null } }),
          task(2, { state: "stopped", exit: { code: 0, signal: null } }),
          task(3),
        ],
      }),
    ]);
    assert.deepEqual(texts(snaps[0], snaps[1]), [
      "hung: name-1 hung (SIGSTOP): it accepts connections and answers nothing",
      "draining: name-2 draining (SIGTERM): in-flight requests finish",
    ]);
    assert.deepEqual(texts(snaps[1], snaps[2]), [
      "resumed: name-1 resumed (SIGCONT)",
      "stopped: name-2 stopped after draining (exit 0)",
      "added: name-3 started on 127.0.0.4:4000",
    ]);
    assert.deepEqual(texts(snaps[2], snaps[3]), [
      "exited: name-1 exited on its own (code 1)",
      "registered: name-3 registered in DNS",
    ]);
  });

  it("the load switch and hello going away are logged too", () => {
    const on: LoadStatus = {
      ...LOAD_OFF,
      running: true,
      rate: 100,
      durationSeconds: 60,
      startedAt: 0,
      endsAt: 60_000,
    };
    const snaps = run([
      tick(0),
      tick(500, { load: on }),
      tick(1000, {
        load: { ...on, running: false, sent: 52, ok: 50, failed: 0, inFlight: 2 },
        hello: undefined,
        helloError: "ECONNREFUSED",
      }),
    ]);
    assert.deepEqual(texts(snaps[0], snaps[1]), [
      "load: load started: 100 requests/s through hello for at most 60 s",
    ]);
    assert.deepEqual(texts(snaps[1], snaps[2]), [
      "hello: hello's /metrics does not answer (ECONNREFUSED)",
      "load: load stopped after 52 requests",
    ]);
  });
});

describe("live view: load switch settings (pure)", () => {
  it("accepts a whole rate and duration inside the caps, 60 s by default", () => {
    assert.deepEqual(parseLoadSettings({ rate: 100 }), {
      ok: true,
      settings: { rate: 100, durationSeconds: 60 },
    });
    assert.deepEqual(
      parseLoadSettings({ rate: LOAD_LIMITS.maxRate, durationSeconds: LOAD_LIMITS.maxDurationSeconds }),
      {
        ok: true,
        settings: { rate: LOAD_LIMITS.maxRate, durationSeconds: LOAD_LIMITS.maxDurationSeconds },
      },
    );
  });

  it("refuses anything else, naming the field and its range", () => {
    const error = (body: unknown) => {
      const r = parseLoadSettings(body);
      return r.ok ? "" : r.error;
    };
    assert.match(
      error({ rate: 1001 }),
      /^rate must be a whole number of requests per second from 1 to 1000, got 1001$/,
    );
    assert.match(error({ rate: 0 }), /rate must be .* got 0/);
    assert.match(error({ rate: 2.5 }), /rate must be/);
    assert.match(error({ rate: "100" }), /rate must be .* got "100"/);
    assert.match(
      error({ rate: 10, durationSeconds: 601 }),
      /^durationSeconds must be a whole number from 1 to 600, got 601$/,
    );
    assert.match(error("fast"), /expected a JSON object/);
  });

  it("aims at loopback only", () => {
    assertLoopbackUrl("http://127.0.0.1:8080/");
    assertLoopbackUrl("http://127.3.2.1/");
    assertLoopbackUrl("http://[::1]:80/");
    for (const url of [
      "http://10.0.0.1/",
      "http://example.com/",
      "https://127.0.0.1/",
      "http://localhost.example/",
      "http://128.0.0.1/",
    ]) {
      assert.throws(() => assertLoopbackUrl(url), /only targets http:\/\/ on a loopback address/, url);
    }
  });

  it("paces requests evenly: the due count follows rate × elapsed time", () => {
    assert.equal(requestsDue(100, 0, 0), 0);
    assert.equal(requestsDue(100, 20, 0), 2);
    assert.equal(requestsDue(100, 1000, 98), 2);
    assert.equal(requestsDue(3, 500, 1), 0);
    assert.equal(requestsDue(100, 1000, 120), 0, "never negative");
  });
});
