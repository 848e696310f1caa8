// End to end: start, stop and signals of the local topology's processes; loopback addresses.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { assertBindable, freePort, httpGet } from "../../local/net-util";
import { childPids } from "./load";
import { topologyPerTest } from "./topology-per-test";

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
}

describe("local topology: lifecycle (real processes)", function () {
  this.timeout(60_000);
  const start = topologyPerTest();

  it("loopback aliases: 127.0.0.2, .3, … each bind the same port without set-up (Linux)", async function () {
    if (process.platform !== "linux") this.skip();
    const port = await freePort("127.0.0.2");
    const servers = [2, 3, 4, 5, 200].map(() => net.createServer((s) => s.end("x")));
    try {
      await Promise.all(servers.map((s, k) => listen(s, port, `127.0.0.${[2, 3, 4, 5, 200][k]}`)));
      const r = await new Promise<string>((resolve, reject) => {
        const c = net.connect(port, "127.0.0.200", () => undefined);
        c.on("data", (d) => resolve(d.toString()));
        c.on("error", reject);
      });
      assert.equal(r, "x");
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
    await assert.rejects(assertBindable("192.0.2.1"), /cannot bind 192\.0\.2\.1 .*EADDRNOTAVAIL/);
  });

  it("tasks have their own addresses and one port; DNS lists them; stop() leaves no process behind", async () => {
    const topology = await start({ ttlSeconds: 1 });
    const tasks = topology.tasks();
    assert.deepEqual(
      tasks.map((t) => `${t.id}@${t.ip}`),
      ["name-1@127.0.0.2", "name-2@127.0.0.3", "name-3@127.0.0.4"],
    );
    assert.equal(new Set(tasks.map((t) => t.port)).size, 1);
    assert.ok(tasks.every((t) => t.state === "running" && t.registered));
    assert.deepEqual(
      topology.dns
        .instances()
        .map((i) => i.ip)
        .sort(),
      ["127.0.0.2", "127.0.0.3", "127.0.0.4"],
    );
    assert.match(topology.helloUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(topology.nameServerUrl, `http://name.internal:${tasks[0].port}/`);
    const r = await httpGet(topology.helloUrl, 5000);
    assert.equal(r.status, 200);
    assert.match(r.body, /^Hello \(from [^)]+\) \S+ \(from name-[123]\)$/);
    assert.ok(childPids().length >= 4);

    await topology.stop();
    await topology.stop(); // twice is fine (and the fixture stops it a third time)
    assert.deepEqual(childPids(), []);
  });

  it("stopTask deregisters only after the configured delay", async () => {
    const topology = await start({ ttlSeconds: 1, deregisterDelayMs: 1500 });
    const t0 = Date.now();
    await topology.stopTask("name-1", { graceful: true });
    const listedRightAfter = topology.tasks().find((t) => t.id === "name-1")?.registered;
    const elapsed = Date.now() - t0;
    assert.equal(topology.tasks().find((t) => t.id === "name-1")?.state, "stopped");
    if (elapsed < 1000) assert.equal(listedRightAfter, true, "still in DNS right after the stop");
    await sleep(Math.max(0, 1500 - (Date.now() - t0)) + 500);
    assert.equal(topology.tasks().find((t) => t.id === "name-1")?.registered, false);
    assert.deepEqual(
      topology.dns
        .instances()
        .map((i) => i.id)
        .sort(),
      ["name-2", "name-3"],
    );
  });

  it("a failure during start stops what was started and says which process failed", async () => {
    const port = await freePort("127.0.0.3");
    const blocker = net.createServer();
    await listen(blocker, port, "127.0.0.3"); // name-2's address and port are taken
    try {
      await assert.rejects(start({ namePort: port, startTimeoutMs: 10_000 }), /name-2/);
      assert.deepEqual(childPids(), [], "no process left behind");
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("SIGTERM to hello during load: every in-flight request completes, then hello exits 0", async () => {
    // hello must wait longer than name's 1.5 s of work before it counts a try as timed out.
    const topology = await start({
      ttlSeconds: 1,
      nameEnv: { RESPONSE_DELAY_MS: "1500" },
      helloEnv: { RESPONSE_TIMEOUT_MS: "5000", REQUEST_DEADLINE_MS: "10000" },
    });
    const url = topology.helloUrl;
    const connected: Array<Promise<void>> = [];
    const inFlight = Array.from({ length: 12 }, () => {
      let onConnect: () => void = () => undefined;
      connected.push(new Promise<void>((r) => (onConnect = r)));
      return new Promise<number>((resolve, reject) => {
        const req = http.get(url, { agent: false }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("socket", (s) => s.on("connect", onConnect));
        req.on("error", reject);
        req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
      });
    });
    await Promise.all(connected);
    await sleep(500); // accepted by hello and forwarded: each now waits ~1 s more on name
    const exit = await topology.stopHello("SIGTERM");
    const statuses = await Promise.all(inFlight);
    assert.deepEqual(statuses, Array(12).fill(200));
    assert.deepEqual(exit, { code: 0, signal: null });
    await assert.rejects(httpGet(url, 2000), /ECONNREFUSED/);
  });
});
