import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { ExitCode } from "../../driver/errors";
import { backoffMs, formatSmokeResult, HELLO_ANSWER, smokeTest } from "../../driver/smoke";
import type { Topology } from "../../local/topology/topology";
import { runDriver } from "./run-driver";

/** A loopback HTTP server with a scripted answer per request number. */
async function serve(
  answer: (n: number) => { status: number; body: string },
): Promise<{ url: string; close: () => Promise<void> }> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    const { status, body } = answer(n++);
    res.writeHead(status, { "content-type": "text/plain" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on: bind one, note it, release it. */
async function closedPortUrl(): Promise<string> {
  const s = await serve(() => ({ status: 200, body: "" }));
  await s.close();
  return s.url;
}

describe("driver: smoke test", function () {
  this.timeout(60_000);

  it("the answer shape is hello's contract", () => {
    const m = HELLO_ANSWER.exec("Hello (from ip-10-0-0-5) Sophia (from ip-10-0-1-23)");
    assert.deepEqual(m && [m[1], m[2], m[3]], ["ip-10-0-0-5", "Sophia", "ip-10-0-1-23"]);
    assert.equal(HELLO_ANSWER.test("Hello (from a) Sophia"), false);
    assert.deepEqual([0, 1, 4, 5, 9].map(backoffMs), [250, 500, 4000, 5000, 5000]);
  });

  describe("against the real local topology", () => {
    let topology: Topology | undefined;
    afterEach(async () => {
      await topology?.stop();
      topology = undefined;
    });

    it("passes: hello answers in shape and more than one name task answers", async () => {
      const { startTopology } = await import("../../local/topology/topology");
      topology = await startTopology({ nameTasks: 3, ttlSeconds: 1 });
      const result = await smokeTest(topology.helloUrl, { requests: 20, deadlineMs: 20_000 });
      assert.equal(result.ok, true, result.failure);
      const taskIds = topology.tasks().map((t) => t.id);
      assert.ok(result.nameTasks.length >= 2, `distinct tasks: ${result.nameTasks.join(", ")}`);
      for (const task of result.nameTasks)
        assert.ok(taskIds.includes(task), `${task} is one of ${taskIds.join(", ")}`);
      assert.equal(result.goodAnswers, result.attempts, "every request answered in shape");
      assert.match(formatSmokeResult(result), /^smoke test passed at .* good answers from \d name task\(s\)/);
    });

    it("fails when only one name task runs but more than one is required, and says so", async () => {
      const { startTopology } = await import("../../local/topology/topology");
      topology = await startTopology({ nameTasks: 1, ttlSeconds: 1 });
      const result = await smokeTest(topology.helloUrl, {
        requests: 10,
        deadlineMs: 3000,
        minDistinctTasks: 2,
      });
      assert.equal(result.ok, false);
      assert.deepEqual(result.nameTasks, ["name-1"]);
      assert.match(
        result.failure ?? "",
        /answers came from 1 distinct name task\(s\) \(name-1\) .* expected at least 2/,
      );
      // The same stack passes when one task is all that is expected.
      const single = await smokeTest(topology.helloUrl, {
        requests: 5,
        deadlineMs: 3000,
        minDistinctTasks: 1,
      });
      assert.equal(single.ok, true, single.failure);
    });

    it("fails against a stopped topology with 'nothing listening'", async () => {
      const { startTopology } = await import("../../local/topology/topology");
      topology = await startTopology({ nameTasks: 2, ttlSeconds: 1 });
      const url = topology.helloUrl;
      await topology.stop();
      topology = undefined;
      const started = Date.now();
      const result = await smokeTest(url, { deadlineMs: 2000 });
      assert.equal(result.ok, false);
      assert.match(
        result.failure ?? "",
        new RegExp(
          `^nothing listening at ${url.replace(/[.?*+^$[\]\\(){}|-]/g, "\\$&")} \\(connection refused\\); gave up after \\d+ attempts`,
        ),
      );
      assert.ok(result.attempts >= 3, "it retried while things might be settling");
      assert.ok(Date.now() - started < 4000, "bounded by the deadline");
    });

    it("the smoke command of the CLI passes against it (exit 0, one JSON object)", async () => {
      const { startTopology } = await import("../../local/topology/topology");
      topology = await startTopology({ nameTasks: 3, ttlSeconds: 1 });
      const run = await runDriver(
        [
          "smoke",
          topology.helloUrl,
          "--requests",
          "15",
          "--deadline",
          "20s",
          "--expect-tasks",
          ">1",
          "--json",
        ],
        process.env,
      );
      assert.equal(run.code, ExitCode.Ok, run.stderr);
      const report = JSON.parse(run.stdout) as { ok: boolean; smoke: { nameTasks: string[] } };
      assert.equal(report.ok, true);
      assert.ok(report.smoke.nameTasks.length >= 2);
    });
  });

  it("fails on a port nothing listens on (CLI: exit 5, clear message)", async () => {
    const url = await closedPortUrl();
    const run = await runDriver(["smoke", url, "--deadline", "1s"], process.env);
    assert.equal(run.code, ExitCode.SmokeFailed);
    assert.match(
      run.stderr,
      new RegExp(`error: smoke test FAILED at ${url}: nothing listening at ${url} \\(connection refused\\)`),
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  });

  it("fails at once on a 200 of the wrong shape, showing the body it got", async () => {
    const server = await serve(() => ({
      status: 200,
      body: "<html><body>Welcome to nginx!</body></html>\n",
    }));
    try {
      const started = Date.now();
      const result = await smokeTest(server.url, { deadlineMs: 30_000 });
      assert.equal(result.ok, false);
      assert.equal(result.attempts, 1, "waiting does not fix the wrong service");
      assert.ok(Date.now() - started < 2000);
      assert.equal(
        result.failure,
        `${server.url} answered 200 with an unexpected body "<html><body>Welcome to nginx!</body></html>"; expected "Hello (from <host>) <name> (from <task>)"`,
      );
    } finally {
      await server.close();
    }
  });

  it("retries through 503s while targets settle, then samples", async () => {
    const tasks = ["ip-10-0-1-23", "ip-10-0-2-7"];
    const server = await serve((n) =>
      n < 3
        ? { status: 503, body: "Service Temporarily Unavailable" }
        : { status: 200, body: `Hello (from ip-10-0-0-5) Sophia (from ${tasks[n % 2]})` },
    );
    try {
      const result = await smokeTest(server.url, { requests: 6, deadlineMs: 10_000 });
      assert.equal(result.ok, true, result.failure);
      assert.equal(result.attempts, 3 + 1 + 6);
      assert.deepEqual(result.nameTasks, tasks);
      assert.deepEqual(result.helloHosts, ["ip-10-0-0-5"]);
    } finally {
      await server.close();
    }
  });

  it("gives up at the deadline with the last status and body when hello keeps answering 503", async () => {
    const server = await serve(() => ({ status: 503, body: "no name task is reachable" }));
    try {
      const result = await smokeTest(server.url, { deadlineMs: 1500 });
      assert.equal(result.ok, false);
      assert.match(
        result.failure ?? "",
        /answered HTTP 503: "no name task is reachable"; gave up after \d+ attempts over [12]s$/,
      );
    } finally {
      await server.close();
    }
  });

  it("fails when hello breaks after coming up", async () => {
    const server = await serve((n) =>
      n < 4 ? { status: 200, body: `Hello (from h) Ana (from t${n % 2})` } : { status: 500, body: "boom" },
    );
    try {
      const result = await smokeTest(server.url, { requests: 10, deadlineMs: 5000, minDistinctTasks: 3 });
      assert.equal(result.ok, false);
      assert.match(
        result.failure ?? "",
        /^after hello came up, request 5 failed: .* answered HTTP 500: "boom"$/,
      );
    } finally {
      await server.close();
    }
  });
});
