// The live page's server without a browser: real processes, real HTTP on loopback.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import { COMMANDS, pageControls, type CommandSpec } from "../../local/cli/commands";
import type { LiveSnapshot } from "../../local/live/model";
import { startLiveServer, type LiveServer } from "../../local/live/server";
import type { LoadStatus } from "../../local/load/generator";
import { setTimeout as sleep } from "node:timers/promises";
import { getJson, httpGet, waitUntil } from "../../local/net-util";
import { startTopology, type Topology } from "../../local/topology/topology";
import { counter, helloMetrics } from "./load";
import { slowHeaderClients } from "../apps/support/slow-clients";

interface Received {
  id: number;
  data: string;
  at: number;
}

/** Reads /events for `ms` and returns every message with when it arrived. */
function readStream(
  url: string,
  ms: number,
): Promise<{ status: number; type: string; messages: Received[] }> {
  return new Promise((resolve, reject) => {
    const messages: Received[] = [];
    const req = http.get(`${url}events`, { agent: false }, (res) => {
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id && data) messages.push({ id: Number(id), data, at: Date.now() });
        }
      });
      setTimeout(() => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), messages });
      }, ms);
    });
    req.on("error", reject);
  });
}

function request(
  url: string,
  method: string,
  body: string | undefined,
  headers: http.OutgoingHttpHeaders = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const post = (url: string, body: unknown, headers?: http.OutgoingHttpHeaders) =>
  request(url, "POST", JSON.stringify(body), headers);
const snapshot = (live: LiveServer) => getJson<LiveSnapshot>(`${live.url}api/snapshot`);

describe("live page server (real processes, HTTP on loopback)", function () {
  this.timeout(60_000);
  let topology: Topology | undefined;
  let live: LiveServer | undefined;
  afterEach(async () => {
    await live?.close();
    await topology?.stop();
    live = topology = undefined;
  });

  async function start(
    o: { deregisterDelayMs?: number; headersTimeoutMs?: number; commands?: readonly CommandSpec[] } = {},
  ): Promise<{ topology: Topology; live: LiveServer }> {
    const deregisterDelayMs = o.deregisterDelayMs ?? 500;
    topology = await startTopology({ ttlSeconds: 1, deregisterDelayMs });
    live = await startLiveServer({
      topology,
      ttlSeconds: 1,
      deregisterDelayMs,
      headersTimeoutMs: o.headersTimeoutMs,
      commands: o.commands,
    });
    return { topology, live };
  }

  it("serves the page and its assets from the repository, with nothing allowed from elsewhere", async () => {
    const { live } = await start();
    const page = await httpGet(live.url, 2000);
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="\/live\.js" defer><\/script>/);
    assert.doesNotMatch(page.body, /https?:\/\//, "no external URL in the page");
    for (const asset of ["live.js", "live.css"])
      assert.equal((await httpGet(`${live.url}${asset}`, 2000)).status, 200, asset);
    const res = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(live.url, { agent: false }, resolve),
    );
    res.resume();
    assert.match(String(res.headers["content-security-policy"]), /default-src 'self'/);
    assert.equal((await httpGet(`${live.url}nope`, 2000)).status, 404);
    // The page's controls, from the prompt's command table.
    assert.deepEqual(await getJson(`${live.url}api/commands`), pageControls(COMMANDS));
    assert.equal((await request(`${live.url}api/commands`, "POST", "{}")).status, 405);
  });

  it("streams one snapshot per tick, at least twice a second, the same text to every client, one /metrics request per process per tick", async () => {
    const { live } = await start();
    const ticksBefore = live.feed.stats.ticks;
    const requestsBefore = live.feed.stats.metricsRequests;
    const [a, b] = await Promise.all([readStream(live.url, 3000), readStream(live.url, 3000)]);
    const ticks = live.feed.stats.ticks - ticksBefore;
    const requests = live.feed.stats.metricsRequests - requestsBefore;

    assert.equal(a.status, 200);
    assert.match(a.type, /^text\/event-stream/);
    for (const s of [a, b]) {
      // The first message is the latest snapshot at connect time; count those that arrived after it.
      const fresh = s.messages.slice(1);
      const span = (fresh[fresh.length - 1].at - s.messages[0].at) / 1000;
      assert.ok(fresh.length / span >= 2, `${fresh.length} snapshots in ${span.toFixed(2)} s`);
    }
    const byId = new Map(a.messages.map((m) => [m.id, m.data]));
    const shared = b.messages.filter((m) => byId.has(m.id));
    assert.ok(shared.length >= 5, `only ${shared.length} snapshots seen by both clients`);
    for (const m of shared) assert.equal(m.data, byId.get(m.id), `snapshot ${m.id} differs between clients`);
    // hello + 3 name tasks: 4 requests per tick whatever the number of clients.
    assert.ok(requests <= ticks * 4, `${requests} /metrics requests in ${ticks} ticks`);
    const last = JSON.parse(a.messages[a.messages.length - 1].data) as LiveSnapshot;
    assert.deepEqual(
      last.tasks.map((t) => [t.id, t.state, t.registered, t.inRecordSet]),
      [
        ["name-1", "running", true, true],
        ["name-2", "running", true, true],
        ["name-3", "running", true, true],
      ],
    );
    assert.equal(last.hello.up, true);
  });

  it("controls run the prompt's commands: kill shows in the snapshot and the event log; errors are clear", async () => {
    const { live, topology } = await start();
    const killed = await post(`${live.url}api/command`, { command: "kill name-2" });
    assert.deepEqual(killed, {
      status: 200,
      json: { message: "name-2 killed; DNS still lists it for 0.5 s" },
    });
    assert.equal(topology.tasks().find((t) => t.id === "name-2")?.state, "stopped");
    assert.ok(
      await waitUntil(async () => {
        const s = await snapshot(live);
        const t = s.tasks.find((x) => x.id === "name-2");
        return (
          t?.state === "killed" &&
          !t.registered &&
          s.events.some((e) => e.text === "name-2 deregistered from DNS")
        );
      }, 5000),
    );
    const events = (await snapshot(live)).events.map((e) => e.text);
    assert.ok(
      events.indexOf("name-2 killed (SIGKILL)") < events.indexOf("name-2 deregistered from DNS"),
      events.join("\n"),
    );

    assert.deepEqual(await post(`${live.url}api/command`, { command: "hang 1" }), {
      status: 200,
      json: { message: "name-1 hung (SIGSTOP); resume name-1 to wake it" },
    });
    assert.deepEqual(await post(`${live.url}api/command`, { command: "resume name-1" }), {
      status: 200,
      json: { message: "name-1 resumed" },
    });
    assert.deepEqual(await post(`${live.url}api/command`, { command: "hang name-2" }), {
      status: 409,
      json: { error: "task name-2 is stopped, can only hang a running task" },
    });
    assert.deepEqual(await post(`${live.url}api/command`, { command: "kill name-9" }), {
      status: 409,
      json: { error: 'no task "name-9"; tasks: name-1, name-2, name-3' },
    });
    assert.deepEqual(await post(`${live.url}api/command`, { command: "quit" }), {
      status: 400,
      json: { error: '"quit" is a prompt command; the page can send add, stop, kill, hang and resume' },
    });
    assert.deepEqual(await post(`${live.url}api/command`, { command: "explode 1" }), {
      status: 400,
      json: { error: 'unknown command "explode"; type help for the list' },
    });
    assert.deepEqual(await post(`${live.url}api/command`, { cmd: "add" }), {
      status: 400,
      json: { error: 'expected {"command": "<add | stop <id> | kill <id> | hang <id> | resume <id>>"}' },
    });
    assert.deepEqual(await post(`${live.url}api/command`, { command: " " }), {
      status: 400,
      json: { error: '"" is a prompt command; the page can send add, stop, kill, hang and resume' },
    });
    assert.deepEqual(await post(`${live.url}api/command`, { command: "add" }), {
      status: 200,
      json: { message: `added name-4 on 127.0.0.5:${topology.tasks()[0].port}` },
    });
  });

  it("a command added to the table alone is a page control the page may send", async () => {
    const pause: CommandSpec = {
      name: "pause",
      takesId: true,
      help: "pause a task (SIGSTOP)",
      page: { place: "tile", label: "Pause", states: ["running"] },
      run: ({ topology }, id) => {
        topology.hangTask(id);
        return `${id} paused`;
      },
    };
    const { live, topology } = await start({ commands: [...COMMANDS, pause] });
    const controls = await getJson<Array<{ command: string; title: string }>>(`${live.url}api/commands`);
    assert.deepEqual(controls.at(-1), {
      command: "pause",
      place: "tile",
      label: "Pause",
      title: "pause a task (SIGSTOP)",
      states: ["running"],
    });
    assert.deepEqual(await post(`${live.url}api/command`, { command: "pause 1" }), {
      status: 200,
      json: { message: "name-1 paused" },
    });
    assert.equal(topology.tasks().find((t) => t.id === "name-1")?.state, "hung");
    assert.deepEqual(await post(`${live.url}api/command`, { command: "list" }), {
      status: 400,
      json: {
        error: '"list" is a prompt command; the page can send add, stop, kill, hang, resume and pause',
      },
    });
    assert.deepEqual(await post(`${live.url}api/command`, { cmd: "pause 1" }), {
      status: 400,
      json: {
        error: 'expected {"command": "<add | stop <id> | kill <id> | hang <id> | resume <id> | pause <id>>"}',
      },
    });
  });

  it("refuses requests from other origins, other Host names and non-JSON bodies", async () => {
    const { live, topology } = await start();
    const add = JSON.stringify({ command: "add" });
    assert.equal(
      (await request(`${live.url}api/command`, "POST", add, { Origin: "http://evil.example" })).status,
      403,
    );
    assert.equal(
      (await request(`${live.url}api/command`, "POST", add, { Host: "rebound.example:80" })).status,
      403,
    );
    assert.equal(
      (await request(`${live.url}api/command`, "POST", add, { "Content-Type": "text/plain" })).status,
      415,
    );
    assert.equal((await request(`${live.url}api/command`, "GET", undefined)).status, 405);
    assert.equal(topology.tasks().length, 3, "nothing was added");
    const port = new URL(live.url).port;
    assert.equal(
      (await request(`${live.url}api/command`, "POST", add, { Origin: `http://127.0.0.1:${port}` })).status,
      200,
    );
  });

  it("answers an oversized body with 413 (declared or chunked), not a reset; cuts slow-header clients", async () => {
    const { live, topology } = await start({ headersTimeoutMs: 500 });
    const big = JSON.stringify({ command: "add", pad: "x".repeat(64 * 1024) });
    const declared = await request(`${live.url}api/command`, "POST", big);
    assert.equal(declared.status, 413);
    assert.match(String(declared.json.error), /body larger than 4096 bytes/);
    // No Content-Length: the body arrives in chunks and passes the bound part-way.
    const chunked = await request(`${live.url}api/load`, "POST", big, { "Transfer-Encoding": "chunked" });
    assert.equal(chunked.status, 413);
    assert.equal(topology.tasks().length, 3, "nothing was added");
    const port = Number(new URL(live.url).port);
    const slow = await slowHeaderClients("127.0.0.1", port, { count: 100, dripMs: 100, limitMs: 5000 });
    assert.equal(slow.stillOpen, 0);
    assert.ok(slow.lastClosedMs < 2500, `the last slow client was closed after ${slow.lastClosedMs} ms`);
    assert.equal((await httpGet(live.url)).status, 200, "the page is still served");
  });

  it("the load switch: bounded settings, steady rate through hello, stops by itself, zero failures", async () => {
    const { live, topology } = await start();
    const refused = await post(`${live.url}api/load`, { rate: 5000 });
    assert.deepEqual(refused, {
      status: 400,
      json: { error: "rate must be a whole number of requests per second from 1 to 1000, got 5000" },
    });
    const servedBefore = counter(await helloMetrics(topology), "served");

    const started = await post(`${live.url}api/load`, { rate: 50, durationSeconds: 2 });
    assert.equal(started.status, 200);
    assert.equal(started.json.running, true);
    assert.ok(
      await waitUntil(async () => (await snapshot(live)).load.running, 2000),
      "the snapshot shows the load running",
    );
    assert.ok(
      await waitUntil(() => !live.load.status().running && live.load.status().inFlight === 0, 5000),
      "it stopped by itself",
    );
    const status: LoadStatus = live.load.status();
    assert.equal(status.sent, 100, "50/s for 2 s");
    assert.equal(status.ok, status.sent);
    assert.equal(status.failed, 0);
    assert.equal(
      counter(await helloMetrics(topology), "served") - servedBefore,
      status.sent,
      "every request reached hello",
    );
    assert.ok(
      await waitUntil(
        async () => (await snapshot(live)).events.some((e) => e.text === "load stopped after 100 requests"),
        2000,
      ),
    );

    await post(`${live.url}api/load`, { rate: 20, durationSeconds: 60 });
    await sleep(300);
    const stopped = await request(`${live.url}api/load`, "DELETE", undefined);
    assert.equal(stopped.status, 200);
    assert.equal(stopped.json.running, false);
    const sent = live.load.status().sent;
    await sleep(500);
    assert.equal(live.load.status().sent, sent, "nothing sent after the stop");
  });
});
