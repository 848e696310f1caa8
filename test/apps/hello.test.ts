// hello: configuration (pure) and the real process wired to a real DNS server and name processes.
import assert from "node:assert/strict";
import { parseHelloConfig } from "../../apps/hello/src/config";
import { CLIENT_DEFAULTS, ENV_OPTION_NAMES } from "../../apps/hello/src/discovery";
import { LATENCY_BOUNDS_MS, LatencyRecorder, type LatencyHistogram } from "../../apps/hello/src/latency";
import { runApp, type RunningApp } from "./support/app-process";
import { aRecord, soaRecord, srvRecord, TestDnsServer } from "./support/test-dns-server";
import { setTimeout as sleep } from "node:timers/promises";
import { httpGet as get } from "../../local/net-util";

describe("hello: configuration (pure)", () => {
  it("needs only NAME_SERVER and documents its defaults", () => {
    const parsed = parseHelloConfig({ NAME_SERVER: "http://name.internal:3000/" }, "host-h");
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.config, {
      port: 3000,
      host: "0.0.0.0",
      taskName: "host-h",
      nameServer: "http://name.internal:3000/",
      dnsServer: undefined,
      // Every option of the client's table that has a variable, at the table's default
      // (test/apps/discovery-options.test.ts checks each variable on its own).
      discovery: Object.fromEntries(ENV_OPTION_NAMES.map((name) => [name, CLIENT_DEFAULTS[name]])),
      drainDelayMs: 5000,
      drainTimeoutMs: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      metrics: { intervalMs: 60_000, stack: "local" },
    });
  });

  it("reads every tuning variable", () => {
    const parsed = parseHelloConfig(
      {
        NAME_SERVER: "http://10.0.0.5/",
        DNS_SERVER: "127.0.0.1:5353",
        DISCOVERY_RECORD_TYPE: "srv",
        DISCOVERY_TTL_MIN_SECONDS: "2",
        DISCOVERY_REFRESH_AT_PERCENT: "80",
        EJECTION_MAX_PERCENT: "100",
        DISCOVERY_MAX_TARGETS: "16",
        DNS_MAX_LOOKUPS_IN_FLIGHT: "2",
      },
      "h",
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.config.discovery.maxTargets, 16);
    assert.equal(parsed.config.discovery.maxDnsLookupsInFlight, 2);
    assert.deepEqual(parsed.config.dnsServer, { host: "127.0.0.1", port: 5353 });
    assert.equal(parsed.config.discovery.recordType, "SRV");
    assert.equal(parsed.config.discovery.ttlMinSeconds, 2);
    assert.equal(parsed.config.discovery.refreshAt, 0.8);
    assert.equal(parsed.config.discovery.ejection.maxEjectionPercent, 100);
  });

  it("reports every bad variable at once, naming it and what is allowed", () => {
    const parsed = parseHelloConfig(
      {
        DNS_SERVER: "dns.local",
        DISCOVERY_RECORD_TYPE: "MX",
        DISCOVERY_MODE: "mesh",
        DISCOVERY_TTL_MIN_SECONDS: "90",
        DISCOVERY_TTL_MAX_SECONDS: "30",
        MAX_TRIES: "0",
      },
      "h",
    );
    assert.ok(!parsed.ok);
    const text = parsed.errors.join("\n");
    assert.match(text, /NAME_SERVER is required: expected an http:\/\/ URL/);
    assert.match(
      text,
      /DNS_SERVER="dns.local" is invalid: expected an IP address, "ip:port" or "\[ipv6\]:port"/,
    );
    assert.match(text, /DISCOVERY_RECORD_TYPE="MX" is invalid: expected one of A, AAAA, SRV/);
    assert.match(text, /DISCOVERY_MODE="mesh" is invalid: expected one of dns, proxy/);
    assert.match(
      text,
      /DISCOVERY_TTL_MIN_SECONDS \(90\) is invalid: expected at most DISCOVERY_TTL_MAX_SECONDS \(30\)/,
    );
    assert.match(text, /MAX_TRIES="0" is invalid: expected an integer from 1 to 10/);
    assert.equal(parsed.errors.length, 6);
  });

  it("rejects NAME_SERVER values that are not plain http URLs", () => {
    for (const bad of [
      "name.internal:3000",
      "https://name.internal/",
      "http://user:pw@name.internal/",
      "http://name.internal/?q=1",
      "ftp://x/",
    ]) {
      const parsed = parseHelloConfig({ NAME_SERVER: bad }, "h");
      assert.ok(!parsed.ok, bad);
      assert.match(parsed.errors[0], /^NAME_SERVER=.* is invalid: expected an http:\/\/ URL/);
    }
  });
});

describe("hello: latency histogram (pure)", () => {
  it("puts each latency in the first bucket whose bound is >= it, and the slowest in the overflow bucket", () => {
    const r = new LatencyRecorder();
    for (const ms of [0, 0.5, 0.51, 1, 2.5, 10_000, 10_000.1, 60_000]) r.record(ms);
    const { le, counts } = r.snapshot();
    const at = (bound: number) => counts[le.indexOf(bound)];
    assert.equal(at(0.5), 2);
    assert.equal(at(1), 2);
    assert.equal(at(3), 1);
    assert.equal(at(10_000), 1);
    assert.equal(counts[counts.length - 1], 2);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      8,
    );
  });

  it("hands out copies: a snapshot does not change when more is recorded", () => {
    const r = new LatencyRecorder();
    const before = r.snapshot();
    r.record(1);
    assert.equal(
      before.counts.reduce((a, b) => a + b, 0),
      0,
    );
  });
});

describe("hello: process", () => {
  const SERVICE = "name.internal";
  let dns: TestDnsServer;
  let running: RunningApp[] = [];

  beforeEach(async () => {
    dns = await new TestDnsServer().start();
  });
  afterEach(async () => {
    await Promise.all(running.map((a) => a.kill()));
    running = [];
    await dns.stop();
  });

  function run(app: "name" | "hello", env: Record<string, string>): RunningApp {
    const a = runApp(app, env);
    running.push(a);
    return a;
  }

  /** Name processes on 127.0.0.2.. sharing one port; a new port when it is taken on a later address (bounded). */
  async function startNames(tasks: number, nameEnv: Record<string, string>): Promise<number> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const first = run("name", { PORT: "0", HOST: "127.0.0.2", TASK_NAME: "task-1", ...nameEnv });
      const { port } = await first.listening;
      const rest = Array.from({ length: tasks - 1 }, (_, i) =>
        run("name", { PORT: String(port), HOST: `127.0.0.${i + 3}`, TASK_NAME: `task-${i + 2}`, ...nameEnv }),
      );
      try {
        await Promise.all(rest.map((a) => a.listening));
        return port;
      } catch (err) {
        lastError = err;
        await Promise.all([first, ...rest].map((a) => a.kill()));
      }
    }
    throw lastError;
  }

  /** Name tasks on 127.0.0.2.. sharing one port, and hello pointed at them through the test DNS. */
  async function topology(
    tasks: number,
    helloEnv: Record<string, string> = {},
    nameEnv: Record<string, string> = {},
  ): Promise<{ hello: RunningApp; url: string; port: number }> {
    const port = await startNames(tasks, nameEnv);
    const ips = Array.from({ length: tasks }, (_, i) => `127.0.0.${i + 2}`);
    dns.handler = (q) => {
      if (q.name !== SERVICE) return { rcode: "NXDOMAIN", authorities: [soaRecord("internal", 1)] };
      if (q.type === "SRV") {
        return {
          answers: ips.map((_ip, i) => srvRecord(SERVICE, `t${i}.${SERVICE}`, port, 5)),
          additionals: ips.map((ip, i) => aRecord(`t${i}.${SERVICE}`, ip, 5)),
        };
      }
      return { answers: ips.map((ip) => aRecord(SERVICE, ip, 5)) };
    };
    const hello = run("hello", {
      PORT: "0",
      HOST: "127.0.0.1",
      TASK_NAME: "hello-1",
      NAME_SERVER: `http://${SERVICE}:${port}/`,
      DNS_SERVER: `127.0.0.1:${dns.port}`,
      ...helloEnv,
    });
    const bound = await hello.listening;
    return { hello, url: `http://127.0.0.1:${bound.port}`, port };
  }

  it("exits 2 when NAME_SERVER is missing, naming the variable", async () => {
    const hello = run("hello", { PORT: "0" });
    assert.equal((await hello.exited).code, 2);
    assert.match(
      hello.stderr(),
      /NAME_SERVER is required: expected an http:\/\/ URL such as http:\/\/name.internal:3000\//,
    );
  });

  it("exits 2 on a malformed NAME_SERVER and bad tuning, reporting all of them", async () => {
    const hello = run("hello", { NAME_SERVER: "name.internal:3000", CONNECT_TIMEOUT_MS: "fast" });
    assert.equal((await hello.exited).code, 2);
    assert.match(hello.stderr(), /NAME_SERVER="name.internal:3000" is invalid/);
    assert.match(hello.stderr(), /CONNECT_TIMEOUT_MS="fast" is invalid: expected an integer from 1 to 60000/);
  });

  for (const recordType of ["A", "SRV"]) {
    it(`answers "Hello (from <task>) <name's answer>" over ${recordType} records, spread evenly`, async () => {
      const { hello, url } = await topology(3, { DISCOVERY_RECORD_TYPE: recordType });
      assert.equal(hello.lines[0].msg, "listening");
      const from: Record<string, number> = {};
      for (let i = 0; i < 30; i++) {
        const r = await get(`${url}/`);
        assert.equal(r.status, 200);
        const m = /^Hello \(from hello-1\) [A-Z][a-z]+ \(from (task-\d)\)$/.exec(r.body);
        assert.ok(m, r.body);
        from[m[1]] = (from[m[1]] ?? 0) + 1;
      }
      assert.deepEqual(from, { "task-1": 10, "task-2": 10, "task-3": 10 });
      assert.deepEqual(JSON.parse((await get(`${url}/health`)).body), { status: "ok" });
    });
  }

  it("/metrics reports requests, retries, ejections, DNS counters and per-target counters", async () => {
    const { url, port } = await topology(2);
    for (let i = 0; i < 4; i++) await get(`${url}/`);
    const m = JSON.parse((await get(`${url}/metrics`)).body) as Record<string, unknown>;
    assert.deepEqual(
      Object.keys(m).sort(),
      [
        "aborted",
        "discovery",
        "dnsFailures",
        "dnsQueries",
        "dnsRefreshes",
        "dnsTruncated",
        "ejections",
        "failures",
        "latencyMs",
        "requests",
        "responses",
        "retries",
        "served",
        "staleRequests",
        "targets",
        "task",
        "tries",
      ].sort(),
    );
    assert.equal(m.requests, 4);
    assert.equal(m.tries, 4);
    assert.equal(m.staleRequests, 0);
    assert.deepEqual(m.responses, { "200": 4 });
    const latency = m.latencyMs as LatencyHistogram;
    assert.deepEqual(latency.le, LATENCY_BOUNDS_MS);
    assert.equal(latency.counts.length, LATENCY_BOUNDS_MS.length + 1);
    assert.equal(
      latency.counts.reduce((a, b) => a + b, 0),
      4,
      "one latency per GET / answered",
    );
    assert.equal(m.dnsQueries, 1);
    assert.equal(m.dnsRefreshes, 1);
    assert.deepEqual(m.targets, {
      [`127.0.0.2:${port}`]: {
        requests: 2,
        failures: 0,
        outstanding: 0,
        ejected: false,
        ejections: 0,
        consecutiveFailures: 0,
      },
      [`127.0.0.3:${port}`]: {
        requests: 2,
        failures: 0,
        outstanding: 0,
        ejected: false,
        ejections: 0,
        consecutiveFailures: 0,
      },
    });
  });

  it("answers 503 quickly with a stable code when no name task is reachable; the detail goes to the log", async () => {
    const { hello, url } = await topology(2);
    assert.equal((await get(`${url}/`)).status, 200);
    for (const task of running.filter((a) => a !== running[running.length - 1])) await task.kill();
    const r = await get(`${url}/`);
    assert.equal(r.status, 503);
    assert.equal(r.body, "NAME_UNAVAILABLE: no name task answered\n");
    const logged = hello.lines.find((l) => l.msg === "name call failed");
    assert.equal(logged?.answer, "NAME_UNAVAILABLE");
    assert.match(
      String(logged?.error),
      /^no name\.internal task answered \(2 tries in \d+ ms: .*ECONNREFUSED/,
    );
    assert.ok(r.ms < 1000, `took ${r.ms} ms`); // RESPONSE_TIMEOUT_MS is 1000: none was waited for
  });

  it("DISCOVERY_MODE=proxy: no DNS client of its own; NAME_SERVER's host resolved by the OS, through one pool", async () => {
    const name = run("name", { PORT: "0", HOST: "127.0.0.1", TASK_NAME: "task-p" });
    const { port } = await name.listening;
    // localhost comes from the hosts file, as a Service Connect alias does; DNS_SERVER must go unused.
    const hello = run("hello", {
      PORT: "0",
      HOST: "127.0.0.1",
      TASK_NAME: "hello-1",
      NAME_SERVER: `http://localhost:${port}/`,
      DNS_SERVER: `127.0.0.1:${dns.port}`,
      DISCOVERY_MODE: "proxy",
    });
    const url = `http://127.0.0.1:${(await hello.listening).port}`;
    assert.equal(hello.lines[0].discoveryMode, "proxy");
    for (let i = 0; i < 5; i++) {
      const r = await get(`${url}/`);
      assert.equal(r.status, 200);
      assert.match(r.body, /^Hello \(from hello-1\) [A-Z][a-z]+ \(from task-p\)$/);
    }
    const m = JSON.parse((await get(`${url}/metrics`)).body) as {
      dnsQueries: number;
      discovery: { mode: string };
      targets: Record<string, { requests: number; ejected: boolean }>;
    };
    assert.equal(dns.queries, 0);
    assert.equal(m.dnsQueries, 0);
    assert.equal(m.discovery.mode, "proxy");
    assert.deepEqual(Object.keys(m.targets), [`localhost:${port}`]);
    assert.equal(m.targets[`localhost:${port}`].requests, 5);
    await name.kill();
    const down = await get(`${url}/`);
    assert.equal(down.status, 503);
    assert.equal(down.body, "NAME_UNAVAILABLE: no name task answered\n");
    assert.doesNotMatch(down.body, new RegExp(`${port}|ECONNREFUSED|localhost`));
    assert.ok(down.ms < 1000, `took ${down.ms} ms`);
  });

  it("MAX_RESPONSE_BYTES reaches the client: a name answer above it is NAME_ANSWER_TOO_LARGE", async () => {
    const name = run("name", { PORT: "0", HOST: "127.0.0.1", TASK_NAME: "task-p" });
    const { port } = await name.listening;
    const hello = run("hello", {
      PORT: "0",
      HOST: "127.0.0.1",
      NAME_SERVER: `http://localhost:${port}/`,
      DISCOVERY_MODE: "proxy",
      MAX_RESPONSE_BYTES: "5", // name's answer, "<first name> (from task-p)", is longer
    });
    const url = `http://127.0.0.1:${(await hello.listening).port}`;
    const r = await get(`${url}/`);
    assert.equal(r.status, 502);
    assert.match(r.body, /^NAME_ANSWER_TOO_LARGE: /);
  });

  it("on SIGTERM lets in-flight requests finish, then exits 0", async () => {
    const { hello, url } = await topology(2, {}, { RESPONSE_DELAY_MS: "500" });
    const inFlight = Array.from({ length: 5 }, () => get(`${url}/`));
    await sleep(150);
    hello.child.kill("SIGTERM");
    const answers = await Promise.all(inFlight);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200, 200],
    );
    assert.equal((await hello.exited).code, 0);
  });
});
