// The discovery client's HTTP side against scripted tasks on loopback: what is sent and returned,
// which tries are repeated (connect vs response phase, idempotent methods), the per-task counts
// the busy guard and ejection rely on, the deadline and the tries cap. Timeouts that a test waits
// out are about a second; every bound a test depends on is far from the machine's speed, and the
// deadline arithmetic runs on the injected clock.
import assert from "node:assert/strict";
import type http from "node:http";
import {
  AllTriesFailedError,
  DeadlineExceededError,
  RequestAbortedError,
  type ServiceClient,
} from "../../apps/hello/src/discovery";
import { srvRecord, aRecord } from "./support/test-dns-server";
import { setTimeout as sleep } from "node:timers/promises";
import {
  SERVICE,
  startScriptedGroup,
  startScriptedTask,
  useDiscoveryFixture,
  type ScriptedTask,
} from "./support/discovery-fixture";

/** Rejects with the error, or fails when the promise resolves. */
async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => assert.fail("expected the request to fail"),
    (err: Error) => err,
  );
}

/** Polls `check` every 20 ms for at most `ms` (a bound far above what the condition needs). */
async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await sleep(20);
  assert.ok(check(), "condition not reached in time");
}

// Ejection out of the way unless a test is about it: every request's first try lands where round
// robin says.
const NO_EJECTION = { consecutiveFailures: 1000 };

describe("discovery client: HTTP behaviour (scripted tasks on loopback)", function () {
  const f = useDiscoveryFixture();

  async function ready(group: ScriptedTask[], extra: Parameters<typeof f.connect>[1] = {}, ttl = 30) {
    f.serveA(() => group, ttl);
    // A connect timeout far above loopback's connect time, even on a loaded machine.
    const c = f.connect(group[0].port, { ejection: NO_EJECTION, connectTimeoutMs: 10_000, ...extra });
    await c.ready();
    return c;
  }

  describe("what is sent and returned", () => {
    it("returns the status, the headers and the whole body, sent in several pieces", async () => {
      const [task] = await startScriptedGroup(f, 1, (_i, seen, res) => {
        if (seen.url === "/empty") return void res.writeHead(204).end();
        res.writeHead(201, { "x-task": "a" });
        res.write("one,");
        setTimeout(() => {
          res.write("two,");
          setTimeout(() => res.end("three"), 20);
        }, 20);
      });
      const c = await ready([task]);
      const r = await c.request("/");
      assert.equal(r.status, 201);
      assert.equal(r.headers["x-task"], "a");
      assert.equal(r.body.toString(), "one,two,three");
      assert.equal(r.target, task.key);
      assert.equal(r.tries, 1);
      const empty = await c.request("/empty");
      assert.equal(empty.status, 204);
      assert.equal(empty.body.length, 0);
    });

    it("forwards method, path, headers and body; Host is the service's name, never the task's address", async () => {
      const [task] = await startScriptedGroup(f, 1, (_i, _seen, res) => res.end("ok"));
      f.serveA(() => [task]);
      const c = f.connect(task.port, { url: `http://${SERVICE}:${task.port}/api/` });
      await c.request("v1/items?x=1", {
        method: "put",
        headers: { "x-trace": "abc", "x-multi": ["a", "b"], host: "evil.example" },
        body: "payload",
      });
      await c.request("/v2");
      await c.request("/v3", { headers: { "x-trace": "def" } });
      const host = `${SERVICE}:${task.port}`;
      assert.deepEqual(
        task.seen.map((s) => [s.method, s.url, s.headers.host, s.headers["x-trace"], s.body]),
        [
          ["PUT", "/api/v1/items?x=1", host, "abc", "payload"],
          ["GET", "/api/v2", host, undefined, ""],
          ["GET", "/api/v3", host, "def", ""],
        ],
      );
      assert.equal(task.seen[0].headers["x-multi"], "a, b");
    });

    it("without a base path, the path is sent as given (a leading slash added)", async () => {
      const [task] = await startScriptedGroup(f, 1, (_i, _seen, res) => res.end("ok"));
      const c = await ready([task]);
      await c.request("/a/b");
      await c.request("c");
      assert.deepEqual(
        task.seen.map((s) => [s.url, s.headers.host]),
        [
          ["/a/b", `${SERVICE}:${task.port}`],
          ["/c", `${SERVICE}:${task.port}`],
        ],
      );
    });

    it("an IP address as the host: no DNS query, the one target is that address", async () => {
      const task = await startScriptedTask(f, "127.0.0.2", (_seen, res) => res.end("direct"));
      const c = f.connect(task.port, { url: `http://127.0.0.2:${task.port}/` });
      const r = await c.request("/");
      assert.equal(r.body.toString(), "direct");
      assert.equal(r.target, task.key);
      assert.equal(task.seen[0].headers.host, `127.0.0.2:${task.port}`);
      const m = c.metrics();
      assert.equal(f.dns.queries, 0);
      assert.equal(m.dnsQueries, 0);
      assert.equal(m.discovery.name, "127.0.0.2");
      assert.deepEqual(Object.keys(m.targets), [task.key]);
    });

    it("an IPv6 address as the host: the brackets dropped for the name, kept in the target key", () => {
      const c = f.connect(0, { url: "http://[::1]:8080/" });
      const m = c.metrics();
      assert.equal(m.discovery.name, "::1");
      assert.deepEqual(Object.keys(m.targets), ["[::1]:8080"]);
      assert.equal(f.dns.queries, 0);
    });

    it("a URL without a port means port 80", () => {
      const c = f.connect(0, { url: `http://127.0.0.2/` });
      assert.deepEqual(Object.keys(c.metrics().targets), ["127.0.0.2:80"]);
    });
  });

  describe("which tries are repeated", () => {
    /** Task 0 never answers (once sent, a request hangs); task 1 answers with its method. */
    async function hungAndLive(): Promise<{ c: ServiceClient; hung: ScriptedTask; live: ScriptedTask }> {
      const [hung, live] = await startScriptedGroup(f, 2, (i, seen, res) => {
        if (i === 1) res.end(`live ${seen.method}`);
      });
      const c = await ready([hung, live], { responseTimeoutMs: 800, connectTimeoutMs: 10_000 });
      return { c, hung, live };
    }

    it("HEAD, OPTIONS, PUT and DELETE are idempotent: after a response timeout, tried again on another task", async () => {
      const { c, hung, live } = await hungAndLive();
      for (const method of ["HEAD", "options", "PUT", "delete"]) {
        // Round robin: every request starts on the hung task (its retry moves the turn past the live one).
        const r = await c.request("/", { method, body: method === "PUT" ? "x" : undefined });
        assert.equal(r.tries, 2, method);
        assert.equal(r.target, live.key, method);
        assert.equal(r.status, 200, method);
      }
      assert.deepEqual(
        hung.seen.map((s) => s.method),
        ["HEAD", "OPTIONS", "PUT", "DELETE"],
      );
      assert.deepEqual(
        live.seen.map((s) => s.method),
        ["HEAD", "OPTIONS", "PUT", "DELETE"],
      );
      assert.equal(c.metrics().retries, 4);
    });

    it("POST and PATCH hung after being sent: one try, failed as a response timeout, never sent elsewhere", async () => {
      const { c, hung, live } = await hungAndLive();
      for (const method of ["POST", "patch"]) {
        const err = await failure(c.request("/", { method, body: "x" }));
        assert.ok(err instanceof AllTriesFailedError, String(err));
        assert.equal(err.tries, 1);
        assert.deepEqual(err.reasons, [`${hung.key}: no response within 800 ms`]);
        assert.match(err.message, /^no name\.internal task answered \(1 try in \d+ ms: /);
        // The live task's turn: it answers, and the next request starts on the hung one again.
        assert.equal((await c.request("/")).target, live.key);
      }
      assert.deepEqual(
        hung.seen.map((s) => s.method),
        ["POST", "PATCH"],
      );
      assert.deepEqual(
        live.seen.map((s) => s.method),
        ["GET", "GET"],
      );
      const m = c.metrics();
      assert.equal(m.retries, 0);
      assert.equal(m.failures, 2);
      assert.equal(m.targets[hung.key].failures, 2);
      assert.equal(m.targets[hung.key].outstanding, 0);
    });

    it("a POST still waiting for a free connection was never sent: a connect timeout, tried on another task, never sent to the first", async () => {
      const held: http.ServerResponse[] = [];
      const [busy, other] = await startScriptedGroup(f, 2, (i, seen, res) => {
        if (seen.url === "/hold") held.push(res);
        else res.writeHead(i === 1 && seen.method === "POST" ? 500 : 200).end(`task ${i}`);
      });
      const c = await ready([busy, other], {
        maxSocketsPerTarget: 1,
        connectTimeoutMs: 800,
        responseTimeoutMs: 60_000,
        deadlineMs: 120_000,
      });
      const hold = c.request("/hold"); // the busy task's only connection, taken
      await eventually(() => held.length === 1);
      assert.equal((await c.request("/")).target, other.key);
      // The busy task's turn: queued behind /hold until the connect timeout, then the other task.
      const err = await failure(c.request("/", { method: "POST", body: "x" }));
      assert.ok(err instanceof AllTriesFailedError, String(err));
      assert.equal(err.tries, 2);
      assert.deepEqual(err.reasons, [`${busy.key}: connect timeout after 800 ms`, `${other.key}: HTTP 500`]);
      held[0].end("held");
      assert.equal((await hold).body.toString(), "held");
      // The queued POST's turn on the freed connection came first: given up, it is dropped unsent.
      assert.equal((await c.request("/")).target, busy.key);
      assert.deepEqual(
        busy.seen.map((s) => s.method + " " + s.url),
        ["GET /hold", "GET /"],
      );
      assert.equal(c.metrics().targets[busy.key].outstanding, 0);
    });
  });

  describe("per-task counts", () => {
    it("counts requests in flight per task; the busy guard passes over a task with more than busySlack more in flight", async () => {
      const [stuck, fine] = await startScriptedGroup(f, 2, (i, _seen, res) => {
        if (i === 1) res.end("fine");
      });
      const c = await ready([stuck, fine], { busySlack: 2, responseTimeoutMs: 60_000, deadlineMs: 120_000 });
      const controller = new AbortController();
      const pending: Array<Promise<unknown>> = [];
      for (let i = 0; i < 12; i++) {
        const before = c.metrics().targets[stuck.key].outstanding;
        const p = c.request("/", { signal: controller.signal });
        // The try starts synchronously: the counts already say where it went.
        if (c.metrics().targets[stuck.key].outstanding > before) pending.push(p.catch((e: Error) => e));
        else assert.equal((await p).target, fine.key);
      }
      // Outstanding 0, 1, 2 when picked (within 0 + busySlack of the fine task): three, then passed over.
      let m = c.metrics().targets;
      assert.equal(m[stuck.key].outstanding, 3);
      assert.equal(m[stuck.key].requests, 3);
      assert.equal(m[fine.key].outstanding, 0);
      assert.equal(m[fine.key].requests, 9);
      assert.equal(fine.seen.length, 9);
      controller.abort();
      for (const e of await Promise.all(pending)) assert.ok(e instanceof RequestAbortedError);
      m = c.metrics().targets;
      assert.equal(m[stuck.key].outstanding, 0);
      assert.equal(m[stuck.key].failures, 0); // the caller left: no task is blamed
      assert.equal(c.metrics().aborted, 3);
    });

    it("a success clears a task's consecutive failures: failures apart never eject it", async () => {
      let failing = true;
      const [flaky, steady] = await startScriptedGroup(f, 2, (i, _seen, res) => {
        res.writeHead(i === 0 && failing ? 503 : 200).end();
      });
      const c = await ready([flaky, steady], { ejection: { consecutiveFailures: 3 } });
      const consecutive = () => c.metrics().targets[flaky.key].consecutiveFailures;
      for (let i = 0; i < 2; i++) assert.equal((await c.request("/")).tries, 2); // flaky first, then steady
      assert.equal(consecutive(), 2);
      failing = false;
      assert.equal((await c.request("/")).target, flaky.key);
      assert.equal(consecutive(), 0);
      assert.equal((await c.request("/")).target, steady.key);
      failing = true;
      for (let i = 0; i < 2; i++) assert.equal((await c.request("/")).tries, 2);
      const m = c.metrics();
      assert.equal(m.targets[flaky.key].consecutiveFailures, 2);
      assert.equal(m.targets[flaky.key].failures, 4);
      assert.equal(m.targets[flaky.key].requests, 5);
      assert.equal(m.targets[flaky.key].ejected, false);
      assert.equal(m.ejections, 0);
      assert.equal(m.targets[steady.key].failures, 0);
      assert.equal(m.targets[steady.key].outstanding, 0);
    });
  });

  describe("limits", () => {
    it("maxTries caps the tries, each on another task", async () => {
      const group = await startScriptedGroup(f, 4, (_i, _seen, res) => res.writeHead(500).end());
      for (const maxTries of [1, 2, 3]) {
        await f.client?.close();
        const c = await ready(group, { maxTries });
        const err = await failure(c.request("/"));
        assert.ok(err instanceof AllTriesFailedError);
        assert.equal(err.tries, maxTries);
        assert.equal(new Set(err.reasons.map((r) => r.split(": ")[0])).size, maxTries);
        assert.equal(c.metrics().retries, maxTries - 1);
      }
    });

    it("no try starts once the deadline has passed (on the injected clock)", async () => {
      let now = 1_000_000;
      const [slow, other] = await startScriptedGroup(f, 2, (i, _seen, res) => {
        if (i === 0) now += 5000; // the first task answers just as the deadline runs out
        res.writeHead(500).end();
      });
      const c = await ready([slow, other], { now: () => now, deadlineMs: 5000 });
      const err = await failure(c.request("/"));
      assert.ok(err instanceof DeadlineExceededError, String(err));
      assert.equal(err.tries, 1);
      assert.equal(
        err.message,
        `no name.internal task answered within the deadline of 5000 ms (1 try in 5000 ms: ${slow.key}: HTTP 500)`,
      );
      assert.equal(other.seen.length, 0);
    });

    it("the last try gets what is left of the deadline, not its whole response timeout", async () => {
      let now = 1_000_000;
      const [slow, hung] = await startScriptedGroup(f, 2, (i, _seen, res) => {
        if (i === 0) {
          now += 4200; // 800 ms of the 5 s deadline left
          res.writeHead(500).end();
        }
      });
      const c = await ready([slow, hung], { now: () => now, deadlineMs: 5000, responseTimeoutMs: 60_000 });
      const err = await failure(c.request("/"));
      assert.ok(err instanceof DeadlineExceededError, String(err));
      assert.equal(err.tries, 2);
      assert.equal(err.reasons[0], `${slow.key}: HTTP 500`);
      // The connect time on loopback is near zero, so the timer is the response's with 800 ms left.
      assert.equal(err.reasons[1], `${hung.key}: no response within 800 ms`);
    });

    it("a per-request deadline overrides the client's", async () => {
      const [hung] = await startScriptedGroup(f, 1, () => undefined);
      const c = await ready([hung], { deadlineMs: 600_000, responseTimeoutMs: 600_000 });
      const err = await failure(c.request("/", { deadlineMs: 700 }));
      assert.ok(err instanceof DeadlineExceededError, String(err));
      assert.match(
        err.message,
        /within the deadline of 700 ms \(1 try in \d+ ms: .*: no response within \d+ ms\)$/,
      );
      const shortest = await failure(c.request("/", { deadlineMs: 1 }));
      assert.ok(shortest instanceof DeadlineExceededError, String(shortest));
      for (const bad of [600_001, 1.5, 0])
        await assert.rejects(
          c.request("/", { deadlineMs: bad }),
          /^InvalidOptionError: invalid option deadlineMs: expected an integer from 1 to 600000/,
        );
    });
  });

  describe("timers", () => {
    it("a request on a kept-alive connection is sent at once: the connect timeout no longer applies", async () => {
      let hang = false;
      const [task] = await startScriptedGroup(f, 1, (_i, _seen, res) => {
        if (!hang) res.end("ok");
      });
      const c = await ready([task], {
        connectTimeoutMs: 300,
        responseTimeoutMs: 60_000,
        deadlineMs: 120_000,
      });
      await c.request("/"); // leaves one idle keep-alive connection
      hang = true;
      const controller = new AbortController();
      const pending = failure(c.request("/", { signal: controller.signal }));
      await sleep(1500); // five connect timeouts
      const m = c.metrics().targets[task.key];
      assert.equal(m.outstanding, 1);
      assert.equal(m.failures, 0);
      controller.abort();
      assert.ok((await pending) instanceof RequestAbortedError);
    });

    it("a try whose timeout is exactly what is left of the deadline fails as a timeout, not the deadline: the next task is tried", async () => {
      const now = 1_000_000; // frozen: the deadline never passes on this clock
      const [hung, live] = await startScriptedGroup(f, 2, (i, _seen, res) => {
        if (i === 1) res.end("live");
      });
      const c = await ready([hung, live], { now: () => now, deadlineMs: 800, responseTimeoutMs: 800 });
      const r = await c.request("/");
      assert.equal(r.tries, 2);
      assert.equal(r.target, live.key);
    });
  });

  describe("the caller and the client's life", () => {
    it("a request aborted while waiting for the first DNS answer makes no try once the answer comes", async () => {
      const [task] = await startScriptedGroup(f, 1, (_i, _seen, res) => res.end("ok"));
      f.serveA(() => [task]);
      const c = f.connect(task.port);
      const controller = new AbortController();
      const pending = failure(c.request("/", { signal: controller.signal }));
      controller.abort();
      assert.ok((await pending) instanceof RequestAbortedError);
      await c.ready();
      await sleep(50);
      assert.equal(c.metrics().targets[task.key].requests, 0);
      assert.equal(task.seen.length, 0);
    });

    it("aborting after the answer changes nothing", async () => {
      const [task] = await startScriptedGroup(f, 1, (_i, _seen, res) => res.end("ok"));
      const c = await ready([task]);
      const controller = new AbortController();
      assert.equal((await c.request("/", { signal: controller.signal })).status, 200);
      controller.abort();
      const m = c.metrics();
      assert.equal(m.aborted, 0);
      assert.equal(m.failures, 0);
      assert.equal(m.targets[task.key].outstanding, 0);
    });

    it("DNS silent past the deadline on the first lookup: DeadlineExceededError with no try", async () => {
      f.dns.silent = true;
      const c = f.connect(3000, { dnsTimeoutMs: 30_000, deadlineMs: 300 });
      const err = await failure(c.request("/"));
      assert.ok(err instanceof DeadlineExceededError, String(err));
      assert.equal(
        err.message,
        "no name.internal task known: DNS gave no answer within the deadline of 300 ms",
      );
      assert.equal(err.tries, 0);
      assert.deepEqual(err.reasons, []);
    });

    it("close() ends the requests in flight as aborted (blaming no task), and stops asking DNS", async () => {
      const [task] = await startScriptedGroup(f, 1, () => undefined);
      const c = await ready([task], { ttlMinSeconds: 1, responseTimeoutMs: 600_000, deadlineMs: 600_000 }, 1);
      const pending = [failure(c.request("/")), failure(c.request("/", { method: "POST" }))];
      await eventually(() => task.seen.length === 2);
      await c.close();
      for (const err of await Promise.all(pending)) {
        assert.ok(err instanceof RequestAbortedError, String(err)); // not "no task registered in DNS"
        assert.equal((err.cause as Error).message, "the client was closed");
      }
      const after = await failure(c.request("/"));
      assert.ok(after instanceof RequestAbortedError, String(after));
      const m = c.metrics();
      assert.equal(m.aborted, 3);
      assert.equal(m.failures, 0);
      const asked = f.dns.queries;
      await sleep(2500); // past two TTLs
      assert.equal(f.dns.queries, asked);
    });

    it("a task dropped from DNS finishes its request in flight, and its failure ejects nothing", async () => {
      const held: http.ServerResponse[] = [];
      const group = await startScriptedGroup(f, 3, (i, _seen, res) => {
        if (i === 0) held.push(res);
        else res.end(`task ${i}`);
      });
      let listed = group;
      f.serveA(() => listed, 1);
      const c = f.connect(group[0].port, {
        ttlMinSeconds: 1,
        connectTimeoutMs: 10_000,
        responseTimeoutMs: 60_000,
        deadlineMs: 120_000,
        ejection: { consecutiveFailures: 1, maxEjectionPercent: 100 },
      });
      await c.ready();
      const pending = c.request("/"); // the first task's turn: held
      await eventually(() => held.length === 1);
      listed = group.slice(1);
      await eventually(() => c.metrics().discovery.targets === 2);
      held[0].writeHead(500).end();
      const r = await pending;
      assert.equal(r.tries, 2);
      assert.notEqual(r.target, group[0].key);
      assert.equal(c.metrics().ejections, 0);
      assert.deepEqual(Object.keys(c.metrics().targets).sort(), [group[1].key, group[2].key].sort());
    });
  });

  describe("DNS refreshes", () => {
    it("each answer rebuilds the target set: a new SRV priority moves the traffic", async () => {
      const [a, b] = await startScriptedGroup(f, 2, (i, _seen, res) => res.end(`task ${i}`));
      let preferA = true;
      f.dns.handler = (q) =>
        q.type === "SRV"
          ? {
              answers: [
                srvRecord(SERVICE, `a.${SERVICE}`, a.port, 1, preferA ? 1 : 2),
                srvRecord(SERVICE, `b.${SERVICE}`, b.port, 1, preferA ? 2 : 1),
              ],
              additionals: [aRecord(`a.${SERVICE}`, a.host, 1), aRecord(`b.${SERVICE}`, b.host, 1)],
            }
          : { rcode: "NXDOMAIN" };
      const c = f.connect(1, { recordType: "SRV", ttlMinSeconds: 1 });
      for (let i = 0; i < 3; i++) assert.equal((await c.request("/")).target, a.key);
      preferA = false;
      const asked = f.dns.queries;
      // An answer given after the switch, and taken: one more refresh than when it was asked.
      await eventually(() => f.dns.queries > asked);
      const refreshes = c.metrics().dnsRefreshes;
      await eventually(() => c.metrics().dnsRefreshes > refreshes);
      for (let i = 0; i < 3; i++) assert.equal((await c.request("/")).target, b.key);
    });
  });
});
