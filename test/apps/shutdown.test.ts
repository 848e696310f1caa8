// SIGTERM under keep-alive load, for both apps: the drain a load balancer expects. The task keeps
// serving through DRAIN_DELAY_MS, each answer says `Connection: close` and closes its connection
// after it, then the task exits 0: no request is reset or lost.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { runApp, type RunningApp } from "./support/app-process";
import { startKeepAliveLoad, type KeepAliveLoadResult } from "./support/keep-alive-load";

const CLIENTS = 50;
const DRAIN = { DRAIN_DELAY_MS: "1500", DRAIN_TIMEOUT_MS: "8000" };

/** Load on `url`, SIGTERM to `app` mid-way; the counts, once every client ended and the app exited. */
async function sigtermUnderLoad(app: RunningApp, url: string, seed: number): Promise<void> {
  const load = startKeepAliveLoad(url, { clients: CLIENTS, thinkMaxMs: 40, seed, limitMs: 15_000 });
  await sleep(500); // every client connected and in its loop
  const signalled = Date.now();
  load.mark();
  app.child.kill("SIGTERM");
  const result = await load.done;
  const exit = await app.exited;
  const drainMs = Date.now() - signalled;
  console.log(
    `      ${app.label}: ${result.requests} requests (${result.requestsAfterMark} after SIGTERM), ` +
      `${result.resets} resets, ${result.failures} failures, ${result.toldToClose}/${CLIENTS} told to close; ` +
      `exit ${exit.code} after ${drainMs} ms`,
  );
  assertCleanDrain(result);
  assert.equal(exit.code, 0, `${app.label} exited ${exit.code}`);
  assert.ok(drainMs >= 1400, `exited ${drainMs} ms after SIGTERM, before the drain delay ended`);
}

function assertCleanDrain(r: KeepAliveLoadResult): void {
  assert.equal(r.resets, 0, `resets: ${r.samples.join("; ")}`);
  assert.equal(r.failures, 0, `failures: ${r.samples.join("; ")}`);
  assert.equal(r.toldToClose, CLIENTS, "every client is told Connection: close before its connection ends");
  assert.ok(r.requestsAfterMark >= CLIENTS, `only ${r.requestsAfterMark} requests served after SIGTERM`);
}

describe("apps: SIGTERM under keep-alive load (50 clients): zero resets, zero failures", function () {
  this.timeout(30_000);
  const started: RunningApp[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((a) => a.kill()));
  });

  it("name drains: serves through the delay, Connection: close on each answer, exits 0", async () => {
    const name = runApp("name", {
      PORT: "0",
      HOST: "127.0.0.1",
      TASK_NAME: "name-1",
      RESPONSE_DELAY_MS: "5", // some requests are in flight when the signal comes
      ...DRAIN,
    });
    started.push(name);
    const { port } = await name.listening;
    await sigtermUnderLoad(name, `http://127.0.0.1:${port}/`, 19);
  });

  it("hello drains the same way, its calls to name in flight included", async () => {
    const name = runApp("name", {
      PORT: "0",
      HOST: "127.0.0.1",
      TASK_NAME: "name-1",
      RESPONSE_DELAY_MS: "5",
    });
    started.push(name);
    const namePort = (await name.listening).port;
    const hello = runApp("hello", {
      PORT: "0",
      HOST: "127.0.0.1",
      TASK_NAME: "hello-1",
      NAME_SERVER: `http://127.0.0.1:${namePort}/`, // an IP address: no DNS
      ...DRAIN,
    });
    started.push(hello);
    const { port } = await hello.listening;
    await sigtermUnderLoad(hello, `http://127.0.0.1:${port}/`, 20);
    assert.ok(hello.lines.some((l) => l.msg === "drained"));
  });
});
