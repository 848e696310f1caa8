// The discovery client as a library: option checks, error codes, AbortSignal, silence without a
// logger, injected clock and randomness, IPv6 targets, SRV weights and priorities, proxy mode.
// Behaviour that depends on sockets runs against a real DNS server and real HTTP servers.
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import {
  AllTargetsEjectedError,
  AllTriesFailedError,
  CLIENT_DEFAULTS,
  createServiceClient,
  DeadlineExceededError,
  DnsUnavailableError,
  InvalidOptionError,
  NoTargetsError,
  OPTION_LIMITS,
  RequestAbortedError,
  ServiceClientError,
  ServiceUnavailableError,
  type ServiceClientOptions,
} from "../../apps/hello/src/discovery";
import { parseHelloConfig } from "../../apps/hello/src/config";
import { formatDnsServer, systemDnsServers } from "../../apps/hello/src/discovery/dns-servers";
import { aaaaRecord, aRecord, soaRecord, srvRecord, TestDnsServer } from "./support/test-dns-server";
import { setTimeout as sleep } from "node:timers/promises";
import { startTaskServer, type TaskServer } from "./support/http-servers";
import { quiet, SERVICE, useDiscoveryFixture } from "./support/discovery-fixture";

/** Rejects with the error, or fails when the promise resolves. */
async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => assert.fail("expected the request to fail"),
    (err: Error) => err,
  );
}

async function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(0, "::1", () => s.close(() => resolve(true)));
  });
}

describe("discovery library: options", () => {
  const base: ServiceClientOptions = {
    url: "http://name.internal:3000/",
    dnsServers: [{ host: "127.0.0.1", port: 53 }],
    log: quiet,
  };
  const cases: Array<[string, Partial<ServiceClientOptions> | Record<string, unknown>, RegExp]> = [
    ["url", { url: "https://name.internal/" }, /^invalid option url: expected an http:\/\/ URL/],
    ["url", { url: "http://user:pw@name.internal/" }, /^invalid option url/],
    ["mode", { mode: "mesh" }, /^invalid option mode: expected one of dns, proxy, got "mesh"$/],
    [
      "recordType",
      { recordType: "MX" },
      /^invalid option recordType: expected one of A, AAAA, SRV, got "MX"$/,
    ],
    ["maxTries", { maxTries: 0 }, /^invalid option maxTries: expected an integer from 1 to 10, got 0$/],
    ["maxTries", { maxTries: 2.5 }, /^invalid option maxTries: expected an integer from 1 to 10, got 2.5$/],
    [
      "connectTimeoutMs",
      { connectTimeoutMs: 0 },
      /^invalid option connectTimeoutMs: expected an integer from 1 to 60000, got 0$/,
    ],
    ["responseTimeoutMs", { responseTimeoutMs: -1 }, /^invalid option responseTimeoutMs/],
    [
      "deadlineMs",
      { deadlineMs: Number.NaN },
      /^invalid option deadlineMs: expected an integer from 1 to 600000, got NaN$/,
    ],
    [
      "dnsTimeoutMs",
      { dnsTimeoutMs: "fast" },
      /^invalid option dnsTimeoutMs: expected an integer from 10 to 30000, got "fast"$/,
    ],
    ["refreshAt", { refreshAt: 0.2 }, /^invalid option refreshAt: expected a number from 0.5 to 1, got 0.2$/],
    [
      "maxTargets",
      { maxTargets: 0 },
      /^invalid option maxTargets: expected an integer from 1 to 1000, got 0$/,
    ],
    ["maxTargets", { maxTargets: 1001 }, /^invalid option maxTargets: expected an integer from 1 to 1000/],
    [
      "maxDnsLookupsInFlight",
      { maxDnsLookupsInFlight: 65 },
      /^invalid option maxDnsLookupsInFlight: expected an integer from 1 to 64, got 65$/,
    ],
    ["maxDnsLookupsInFlight", { maxDnsLookupsInFlight: 1.5 }, /^invalid option maxDnsLookupsInFlight/],
    [
      "ttlMinSeconds",
      { ttlMinSeconds: 90, ttlMaxSeconds: 30 },
      /^invalid option ttlMinSeconds: expected at most ttlMaxSeconds \(30\), got 90$/,
    ],
    ["busySlack", { busySlack: -1 }, /^invalid option busySlack/],
    ["maxSocketsPerTarget", { maxSocketsPerTarget: 0 }, /^invalid option maxSocketsPerTarget/],
    [
      "ejection.jitter",
      { ejection: { jitter: 2 } },
      /^invalid option ejection\.jitter: expected a number from 0 to 1, got 2$/,
    ],
    [
      "ejection.baseMs",
      { ejection: { baseMs: 5000, maxMs: 1000 } },
      /^invalid option ejection\.baseMs: expected at most ejection\.maxMs \(1000\), got 5000$/,
    ],
    [
      "dnsServers[1]",
      {
        dnsServers: [
          { host: "127.0.0.1", port: 53 },
          { host: "dns.local", port: 53 },
        ],
      },
      /^invalid option dnsServers\[1\]/,
    ],
    ["log", { log: "stdout" }, /^invalid option log: expected a function, got "stdout"$/],
    ["now", { now: 5 }, /^invalid option now: expected a function/],
  ];
  for (const [option, bad, message] of cases) {
    it(`rejects a bad ${option} with an InvalidOptionError naming it`, () => {
      assert.throws(
        () => createServiceClient({ ...base, ...(bad as Partial<ServiceClientOptions>) }),
        (err: unknown) => {
          assert.ok(err instanceof InvalidOptionError);
          assert.ok(err instanceof ServiceClientError);
          assert.equal(err.code, "DISCOVERY_INVALID_OPTION");
          assert.equal(err.option, option);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it("creates nothing when an option is bad: no DNS query is sent", async () => {
    const dns = await new TestDnsServer().start();
    try {
      assert.throws(
        () =>
          createServiceClient({
            url: `http://${SERVICE}:3000/`,
            dnsServers: [{ host: "127.0.0.1", port: dns.port }],
            maxTries: 0,
          }),
        InvalidOptionError,
      );
      await sleep(100);
      assert.equal(dns.queries, 0);
    } finally {
      await dns.stop();
    }
  });

  it("rejects a bad per-request deadline, naming it", async () => {
    const c = createServiceClient({ ...base, url: "http://127.0.0.1:9/" });
    try {
      const err = await failure(c.request("/", { deadlineMs: 0 }));
      assert.ok(err instanceof InvalidOptionError);
      assert.equal(err.option, "deadlineMs");
    } finally {
      await c.close();
    }
  });

  it("hello's environment uses the client's defaults and bounds (one table, no copy)", () => {
    const parsed = parseHelloConfig({ NAME_SERVER: "http://name.internal:3000/" }, "h");
    assert.ok(parsed.ok);
    const c = parsed.config.discovery;
    assert.deepEqual(
      [
        c.ttlMinSeconds,
        c.ttlMaxSeconds,
        c.refreshAt,
        c.dnsTimeoutMs,
        c.maxTargets,
        c.maxDnsLookupsInFlight,
        c.connectTimeoutMs,
        c.responseTimeoutMs,
        c.deadlineMs,
        c.maxTries,
        c.busySlack,
        c.ejection,
      ],
      [
        D.ttlMinSeconds,
        D.ttlMaxSeconds,
        D.refreshAt,
        D.dnsTimeoutMs,
        D.maxTargets,
        D.maxDnsLookupsInFlight,
        D.connectTimeoutMs,
        D.responseTimeoutMs,
        D.deadlineMs,
        D.maxTries,
        D.busySlack,
        D.ejection,
      ],
    );
    const bounds: Array<[string, { min: number; max: number }]> = [
      ["DISCOVERY_TTL_MAX_SECONDS", L.ttlMaxSeconds],
      ["DNS_TIMEOUT_MS", L.dnsTimeoutMs],
      ["DISCOVERY_MAX_TARGETS", L.maxTargets],
      ["DNS_MAX_LOOKUPS_IN_FLIGHT", L.maxDnsLookupsInFlight],
      ["CONNECT_TIMEOUT_MS", L.connectTimeoutMs],
      ["RESPONSE_TIMEOUT_MS", L.responseTimeoutMs],
      ["REQUEST_DEADLINE_MS", L.deadlineMs],
      ["MAX_TRIES", L.maxTries],
      ["BALANCER_BUSY_SLACK", L.busySlack],
      ["EJECTION_CONSECUTIVE_FAILURES", L.ejection.consecutiveFailures],
      ["EJECTION_MAX_PERCENT", L.ejection.maxEjectionPercent],
    ];
    for (const [name, range] of bounds) {
      const env = { NAME_SERVER: "http://name.internal:3000/" };
      assert.ok(parseHelloConfig({ ...env, [name]: String(range.max) }, "h").ok, `${name}=${range.max}`);
      const over = parseHelloConfig({ ...env, [name]: String(range.max + 1) }, "h");
      assert.ok(
        !over.ok && over.errors[0].includes(`from ${range.min} to ${range.max}`),
        `${name}=${range.max + 1}`,
      );
    }
    // Whatever the environment accepts, the client accepts.
    const max = parseHelloConfig(
      {
        NAME_SERVER: "http://name.internal:3000/",
        MAX_TRIES: String(L.maxTries.max),
        DISCOVERY_REFRESH_AT_PERCENT: "50",
      },
      "h",
    );
    assert.ok(max.ok);
    const client = createServiceClient({
      url: max.config.nameServer,
      maxTries: max.config.discovery.maxTries,
      refreshAt: max.config.discovery.refreshAt,
      ejection: max.config.discovery.ejection,
      dnsServers: [{ host: "127.0.0.1", port: 9 }],
    });
    void client.close();
  });
});

describe("discovery library: more option checks, and the errors' names and messages", () => {
  const base: ServiceClientOptions = {
    url: "http://name.internal:3000/",
    dnsServers: [{ host: "127.0.0.1", port: 9 }],
    log: quiet,
  };
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const bad: Array<[string, unknown, string]> = [
    ["options", null, "invalid option options: expected an object with at least url, got null"],
    [
      "options",
      "http://name.internal/",
      'invalid option options: expected an object with at least url, got "http://name.internal/"',
    ],
    ["url", { ...base, url: "http://:pw@name.internal/" }, "invalid option url"],
    ["url", { ...base, url: "http://name.internal/?a=1" }, "invalid option url"],
    ["url", { ...base, url: "http://name.internal/#top" }, "invalid option url"],
    ["url", { ...base, url: new URL("http://name.internal/") }, "invalid option url"],
    ["ejection", { ...base, ejection: 5 }, "invalid option ejection: expected an object, got 5"],
    [
      "ejection",
      { ...base, ejection: "strict" },
      'invalid option ejection: expected an object, got "strict"',
    ],
    [
      "dnsServers",
      { ...base, dnsServers: { host: "127.0.0.1", port: 53 } },
      'invalid option dnsServers: expected an array of { host: an IP address, port: 1-65535 }, got {"host":"127.0.0.1","port":53}',
    ],
    [
      "dnsServers[0]",
      { ...base, dnsServers: [null] },
      "invalid option dnsServers[0]: expected { host: an IP address, port: 1-65535 }, got null",
    ],
    [
      "dnsServers[0]",
      { ...base, dnsServers: ["127.0.0.1"] },
      'invalid option dnsServers[0]: expected { host: an IP address, port: 1-65535 }, got "127.0.0.1"',
    ],
    [
      "dnsServers[0]",
      { ...base, dnsServers: [{ host: "127.0.0.1", port: 0 }] },
      "invalid option dnsServers[0]",
    ],
    [
      "dnsServers[0]",
      { ...base, dnsServers: [{ host: "127.0.0.1", port: 65536 }] },
      "invalid option dnsServers[0]",
    ],
    [
      "dnsServers[0]",
      { ...base, dnsServers: [circular] },
      "invalid option dnsServers[0]: expected { host: an IP address, port: 1-65535 }, got [object Object]",
    ],
    ["random", { ...base, random: 0.5 }, "invalid option random: expected a function, got 0.5"],
    ["now", { ...base, now: true }, "invalid option now: expected a function, got true"],
    [
      "recordType",
      { ...base, recordType: () => "A" },
      "invalid option recordType: expected one of A, AAAA, SRV, got a function",
    ],
  ];
  for (const [option, options, message] of bad) {
    it(`${option}: ${message.slice(message.indexOf(":") + 2)}`, () => {
      assert.throws(
        () => createServiceClient(options as ServiceClientOptions),
        (err: unknown) => {
          assert.ok(err instanceof InvalidOptionError);
          assert.equal(err.name, "InvalidOptionError");
          assert.equal(err.option, option);
          assert.ok(err.message.startsWith(message), err.message);
          return true;
        },
      );
    });
  }

  it("accepts the edges of every range: ports 1 and 65535, ttlMinSeconds equal to ttlMaxSeconds, no ejection object", async () => {
    const c = createServiceClient({
      ...base,
      dnsServers: [
        { host: "127.0.0.1", port: 1 },
        { host: "::1", port: 65535 },
      ],
      ttlMinSeconds: 30,
      ttlMaxSeconds: 30,
      ejection: undefined,
    });
    assert.deepEqual(c.metrics().discovery.dnsServers, ["127.0.0.1:1", "[::1]:65535"]);
    await c.close();
  });

  it("without dnsServers the system resolvers are asked; proxy mode asks none", async () => {
    const system = createServiceClient({ url: "http://127.0.0.2:3000/" });
    assert.deepEqual(system.metrics().discovery.dnsServers, systemDnsServers().map(formatDnsServer));
    await system.close();
    const proxy = createServiceClient({ url: "http://localhost:3000/", mode: "proxy" });
    assert.deepEqual(proxy.metrics().discovery.dnsServers, []);
    await proxy.close();
  });

  it("every error class has its own name and code; the unavailable ones carry their tries and reasons", () => {
    const cases: Array<[ServiceClientError, string, string]> = [
      [new ServiceClientError("m", "DISCOVERY_NO_TARGETS"), "ServiceClientError", "DISCOVERY_NO_TARGETS"],
      [new NoTargetsError("m"), "NoTargetsError", "DISCOVERY_NO_TARGETS"],
      [new DnsUnavailableError("m", "timeout"), "DnsUnavailableError", "DISCOVERY_DNS_UNAVAILABLE"],
      [new AllTriesFailedError("m", 2, ["a", "b"]), "AllTriesFailedError", "DISCOVERY_ALL_TRIES_FAILED"],
      [new DeadlineExceededError("m", 1, ["a"]), "DeadlineExceededError", "DISCOVERY_DEADLINE_EXCEEDED"],
      [
        new AllTargetsEjectedError("m", 2, ["a", "b"]),
        "AllTargetsEjectedError",
        "DISCOVERY_ALL_TARGETS_EJECTED",
      ],
      [
        new ServiceUnavailableError("m", "DISCOVERY_NO_TARGETS", 0, []),
        "ServiceUnavailableError",
        "DISCOVERY_NO_TARGETS",
      ],
    ];
    for (const [err, name, code] of cases) {
      assert.equal(err.name, name);
      assert.equal(err.code, code);
      assert.equal(err.message, "m");
      assert.ok(err instanceof Error);
    }
    for (const err of [new NoTargetsError("m"), new DnsUnavailableError("m", "x")]) {
      assert.equal(err.tries, 0);
      assert.deepEqual(err.reasons, []);
    }
    const aborted = new RequestAbortedError("why");
    assert.equal(aborted.message, "request aborted by the caller");
    assert.equal(aborted.cause, "why");
  });
});

const D = CLIENT_DEFAULTS;
const L = OPTION_LIMITS;

describe("discovery library: behaviour on real sockets", function () {
  const f = useDiscoveryFixture();

  /** A free port on 127.0.0.x that refuses connections (listened on once, then closed). */
  async function refusingPort(host: string): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((resolve) => s.listen(0, host, resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }

  /** A port refused on 127.0.0.2 and served by a task on 127.0.0.3 (new ports while .3 has it taken; bounded). */
  async function deadAndLive(): Promise<{ port: number; live: TaskServer }> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await refusingPort("127.0.0.2");
      try {
        const live = await startTaskServer("127.0.0.3", port);
        f.tasks.push(live);
        return { port, live };
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  describe("error codes", () => {
    it("DISCOVERY_NO_TARGETS: DNS says the name has no task", async () => {
      f.dns.handler = () => ({ rcode: "NXDOMAIN", authorities: [soaRecord("internal", 1)] });
      const err = await failure(f.connect(3000).request("/"));
      assert.ok(err instanceof NoTargetsError && err instanceof ServiceUnavailableError);
      assert.equal(err.code, "DISCOVERY_NO_TARGETS");
      assert.equal(err.tries, 0);
    });

    it("DISCOVERY_DNS_UNAVAILABLE: DNS does not answer and nothing is cached", async () => {
      f.dns.silent = true;
      const err = await failure(f.connect(3000, { dnsTimeoutMs: 100 }).request("/"));
      assert.ok(err instanceof DnsUnavailableError);
      assert.equal(err.code, "DISCOVERY_DNS_UNAVAILABLE");
      assert.match(err.dnsError, /DNS timeout after 100 ms/);
      assert.match(
        err.message,
        /^no name\.internal task known: DNS lookup failed \(DNS timeout after 100 ms/,
      );
    });

    it("DISCOVERY_ALL_TRIES_FAILED: every task refuses; each try on another task", async () => {
      const two = await f.startTasks(2);
      f.serveA(() => two);
      const c = f.connect(two[0].port);
      await c.request("/");
      await Promise.all(two.map((t) => t.close()));
      f.tasks = [];
      const err = await failure(c.request("/"));
      assert.ok(err instanceof AllTriesFailedError);
      assert.equal(err.code, "DISCOVERY_ALL_TRIES_FAILED");
      assert.equal(err.tries, 2);
      assert.deepEqual(err.reasons.map((r) => r.split(": ")[0]).sort(), two.map((t) => t.key).sort());
      assert.ok(
        err.reasons.every((r) => r.includes("ECONNREFUSED")),
        err.reasons.join("; "),
      );
    });

    it("DISCOVERY_DEADLINE_EXCEEDED: hung tasks, the deadline (not the response timeout) ends the request", async () => {
      const two = await f.startTasks(2);
      f.serveA(() => two);
      const c = f.connect(two[0].port, { responseTimeoutMs: 5000, deadlineMs: 300 });
      await c.ready();
      for (const t of two) t.hang = true;
      const started = Date.now();
      const err = await failure(c.request("/"));
      const took = Date.now() - started;
      assert.ok(err instanceof DeadlineExceededError);
      assert.equal(err.code, "DISCOVERY_DEADLINE_EXCEEDED");
      assert.equal(err.tries, 1); // the one try used the whole deadline
      assert.ok(took >= 290 && took < 2000, `took ${took} ms`);
    });

    it("DISCOVERY_ALL_TARGETS_EJECTED: the record set shrank to ejected tasks, and they fail again", async () => {
      const host = (i: number) => `127.0.0.${i + 2}`;
      const port = await refusingPort(host(0));
      let listed = [0, 1, 2];
      f.dns.handler = (q) =>
        q.type === "A" ? { answers: listed.map((i) => aRecord(SERVICE, host(i), 1)) } : { rcode: "NXDOMAIN" };
      const c = f.connect(port, {
        ttlMinSeconds: 1,
        ejection: { consecutiveFailures: 1, maxEjectionPercent: 100, baseMs: 30_000, maxMs: 30_000 },
      });
      const first = await failure(c.request("/"));
      assert.equal((first as AllTriesFailedError).code, "DISCOVERY_ALL_TRIES_FAILED"); // 2 of 3 ejected: one always stays in
      const ejected = Object.entries(c.metrics().targets).filter(([, t]) => t.ejected);
      assert.equal(ejected.length, 2);
      listed = [0, 1]; // the task that stayed in leaves DNS
      const until = Date.now() + 3000;
      while (c.metrics().discovery.targets !== 2 && Date.now() < until) await sleep(50);
      assert.equal(c.metrics().discovery.targets, 2);
      const err = await failure(c.request("/"));
      assert.ok(err instanceof AllTargetsEjectedError);
      assert.equal(err.code, "DISCOVERY_ALL_TARGETS_EJECTED");
      assert.match(
        err.message,
        /^no name\.internal task answered, every one is ejected \(2 tries in \d+ ms: /,
      );
      assert.equal(err.tries, 2); // ejected tasks are still the last resort
    });
  });

  describe("AbortSignal", () => {
    it("stops the request at once, drops the try in flight, retries nothing and blames no task", async () => {
      const two = await f.startTasks(2);
      f.serveA(() => two);
      const c = f.connect(two[0].port, { responseTimeoutMs: 60_000, deadlineMs: 120_000 });
      await c.ready();
      for (const t of two) t.hang = true;
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("caller left")), 100);
      const started = Date.now();
      const err = await failure(c.request("/", { signal: controller.signal }));
      assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`); // far below the timeouts
      assert.ok(err instanceof RequestAbortedError);
      assert.equal(err.code, "DISCOVERY_ABORTED");
      assert.equal(err.name, "AbortError");
      assert.equal((err.cause as Error).message, "caller left");
      const m = c.metrics();
      assert.equal(m.retries, 0);
      assert.equal(m.failures, 0);
      assert.equal(m.aborted, 1);
      for (const t of Object.values(m.targets)) {
        assert.equal(t.outstanding, 0);
        assert.equal(t.failures, 0);
        assert.equal(t.consecutiveFailures, 0);
      }
    });

    it("an already aborted signal sends nothing", async () => {
      const one = await f.startTasks(1);
      f.serveA(() => one);
      const c = f.connect(one[0].port);
      await c.ready();
      const err = await failure(c.request("/", { signal: AbortSignal.abort() }));
      assert.ok(err instanceof RequestAbortedError);
      await sleep(50);
      assert.equal(one[0].served, 0);
      assert.equal(c.metrics().targets[one[0].key].requests, 0);
    });
  });

  describe("connect vs response phase", () => {
    it("a POST that hangs after being sent is not retried elsewhere; a GET is", async () => {
      const two = await f.startTasks(2);
      f.serveA(() => two);
      const c = f.connect(two[0].port, { connectTimeoutMs: 10_000, responseTimeoutMs: 1000 });
      await c.ready();
      two[0].hang = true;
      // Round robin starts at the first task: the hung one.
      const post = await failure(c.request("/", { method: "POST", body: "x" }));
      assert.ok(post instanceof AllTriesFailedError);
      assert.equal(post.tries, 1);
      assert.match(post.reasons[0], new RegExp(`^${two[0].key}: no response within 1000 ms$`));
      const get = await c.request("/"); // next in turn is the live task: answer at once
      assert.equal(get.tries, 1);
      const retried = await c.request("/"); // the hung one again: timed out, then the live one
      assert.equal(retried.tries, 2);
      assert.equal(retried.target, two[1].key);
      assert.equal(c.metrics().retries, 1);
    });

    it("a POST that never reached a task (refused) is retried on another task", async () => {
      const host = "127.0.0.2";
      const { live } = await deadAndLive();
      f.serveA(() => [{ host }, live]);
      const c = f.connect(live.port);
      await c.ready();
      const err = await failure(c.request("/", { method: "POST", body: "x" })); // the test task answers POST with 500
      assert.ok(err instanceof AllTriesFailedError);
      assert.equal(err.tries, 2);
      assert.match(err.reasons[0], /ECONNREFUSED/);
      assert.match(err.reasons[1], /HTTP 500/);
    });
  });

  describe("logging, clock and randomness", () => {
    it("writes nothing of its own without a logger; a given logger gets the events", async () => {
      const port = await refusingPort("127.0.0.2");
      f.serveA(() => [{ host: "127.0.0.2" }, { host: "127.0.0.3" }]);
      const written: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = (chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      };
      const logged: string[] = [];
      try {
        const silent = createServiceClient({
          url: `http://${SERVICE}:${port}/`,
          dnsServers: [{ host: "127.0.0.1", port: f.dns.port }],
          ejection: { consecutiveFailures: 1 },
        });
        await failure(silent.request("/"));
        await silent.close();
        const c = f.connect(port, { ejection: { consecutiveFailures: 1 }, log: (msg) => logged.push(msg) });
        await failure(c.request("/"));
      } finally {
        process.stdout.write = write;
      }
      assert.deepEqual(written, []);
      assert.ok(logged.includes("targets changed") && logged.includes("target ejected"), logged.join(", "));
    });

    it("ejection runs on the injected clock and jitter on the injected randomness", async () => {
      const { port, live } = await deadAndLive();
      f.serveA(() => [{ host: "127.0.0.2" }, live]);
      let now = 1_000_000;
      const events: Array<Record<string, unknown>> = [];
      const c = f.connect(port, {
        now: () => now,
        random: () => 0.5,
        ejection: { consecutiveFailures: 1, baseMs: 10_000, maxMs: 60_000, jitter: 0.2 },
        log: (msg, fields) => (msg === "target ejected" ? events.push(fields ?? {}) : undefined),
      });
      assert.equal((await c.request("/")).target, live.key); // the dead one failed first, then was ejected
      assert.equal(events[0].forMs, 9000); // 10 s less 0.5 × 20 %
      const dead = `127.0.0.2:${port}`;
      assert.equal(c.metrics().targets[dead].ejected, true);
      now += 8999;
      assert.equal(c.metrics().targets[dead].ejected, true);
      for (let i = 0; i < 4; i++) assert.equal((await c.request("/")).tries, 1); // passed over while ejected
      now += 1;
      assert.equal(c.metrics().targets[dead].ejected, false);
      await c.request("/");
      await c.request("/"); // back in rotation: one of these two tries it, fails, re-ejects for twice as long
      assert.equal(events.length, 2);
      assert.equal(events[1].forMs, 18_000);
      assert.equal(c.metrics().targets[dead].ejections, 2);
    });
  });

  describe("IPv6 and SRV", () => {
    it("AAAA: reaches tasks on ::1, keyed [::1]:port (skipped where there is no IPv6 loopback)", async function () {
      if (!(await ipv6Loopback())) this.skip(); // no IPv6 loopback on this machine
      const v6 = await startTaskServer("::1");
      f.tasks.push(v6);
      f.dns.handler = (q) =>
        q.type === "AAAA" && q.name === SERVICE
          ? { answers: [aaaaRecord(SERVICE, "::1", 30)] }
          : { rcode: "NXDOMAIN" };
      const c = f.connect(v6.port, { recordType: "AAAA" });
      const r = await c.request("/");
      assert.equal(r.status, 200);
      assert.equal(r.target, `[::1]:${v6.port}`);
      assert.equal(r.body.toString(), "Test (from ::1)");
      assert.deepEqual(Object.keys(c.metrics().targets), [`[::1]:${v6.port}`]);
    });

    it("SRV with IPv6 addresses: from the additional section, or an AAAA query when a task has no A record (skipped where there is no IPv6 loopback)", async function () {
      if (!(await ipv6Loopback())) this.skip(); // no IPv6 loopback on this machine
      const v6 = await startTaskServer("::1");
      const v4 = await startTaskServer("127.0.0.2");
      f.tasks.push(v6, v4);
      let withAdditionals = true;
      f.dns.handler = (q) => {
        if (q.type === "SRV" && q.name === SERVICE) {
          return {
            answers: [
              srvRecord(SERVICE, `six.${SERVICE}`, v6.port, 30),
              srvRecord(SERVICE, `four.${SERVICE}`, v4.port, 30),
            ],
            additionals: withAdditionals
              ? [aaaaRecord(`six.${SERVICE}`, "::1", 30), aRecord(`four.${SERVICE}`, "127.0.0.2", 30)]
              : [],
          };
        }
        if (q.name === `six.${SERVICE}` && q.type === "AAAA")
          return { answers: [aaaaRecord(q.name, "::1", 30)] };
        if (q.name === `four.${SERVICE}` && q.type === "A")
          return { answers: [aRecord(q.name, "127.0.0.2", 30)] };
        return { rcode: "NOERROR", authorities: [soaRecord("internal", 30)] }; // NODATA
      };
      for (const additionals of [true, false]) {
        withAdditionals = additionals;
        await f.client?.close();
        const before = f.dns.queries;
        const c = f.connect(1, { recordType: "SRV" });
        for (let i = 0; i < 4; i++) assert.equal((await c.request("/")).status, 200);
        assert.deepEqual(
          Object.keys(c.metrics().targets).sort(),
          [`127.0.0.2:${v4.port}`, `[::1]:${v6.port}`].sort(),
        );
        // Without additionals: SRV, A for each task, then AAAA for the one without an A record.
        assert.equal(f.dns.queries - before, additionals ? 1 : 4);
      }
    });

    it("SRV weights split the traffic; a higher priority serves only when the lower ones cannot", async () => {
      const three = await f.startTasks(3);
      f.dns.handler = (q) => {
        if (q.type !== "SRV") return { rcode: "NXDOMAIN" };
        const records = [
          srvRecord(SERVICE, `a.${SERVICE}`, three[0].port, 30, 1, 1),
          srvRecord(SERVICE, `b.${SERVICE}`, three[1].port, 30, 1, 3),
          srvRecord(SERVICE, `c.${SERVICE}`, three[2].port, 30, 2, 1),
        ];
        return {
          answers: records,
          additionals: three.map((t, i) => aRecord(`${"abc"[i]}.${SERVICE}`, t.host, 30)),
        };
      };
      let i = 0;
      const c = f.connect(1, { recordType: "SRV", random: () => (i++ % 100) / 100 });
      for (let k = 0; k < 400; k++) await c.request("/");
      assert.deepEqual(
        three.map((t) => t.served),
        [100, 300, 0],
      );
      await Promise.all(three.slice(0, 2).map((t) => t.close()));
      const r = await c.request("/");
      assert.equal(r.target, three[2].key); // the fallback answered after the priority-1 tasks refused
      assert.equal(r.tries, 3);
    });
  });

  describe("proxy mode (DISCOVERY_MODE=proxy)", () => {
    async function upstream(
      handler: http.RequestListener,
    ): Promise<{ port: number; connections: () => number }> {
      let connections = 0;
      const s = http.createServer(handler);
      s.on("connection", () => (connections += 1));
      f.servers.push(s);
      await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
      return { port: (s.address() as AddressInfo).port, connections: () => connections };
    }

    it("asks no DNS server itself: the OS resolves the host, one keep-alive pool carries every request", async () => {
      const up = await upstream((req, res) => res.end(`via ${req.headers.host}`));
      const c = f.connect(up.port, { mode: "proxy", url: `http://localhost:${up.port}/` });
      for (let k = 0; k < 20; k++) {
        const r = await c.request("/");
        assert.equal(r.body.toString(), `via localhost:${up.port}`);
        assert.equal(r.target, `localhost:${up.port}`);
      }
      // Keep-alive: undici frees a connection one event-loop turn after a response (so a request
      // sent at once takes a second one); 20 requests in a row must not open more than that.
      assert.ok(up.connections() <= 2, `${up.connections()} connections`);
      assert.equal(f.dns.queries, 0);
      const m = c.metrics();
      assert.equal(m.discovery.mode, "proxy");
      assert.equal(m.dnsQueries, 0);
      assert.deepEqual(Object.keys(m.targets), [`localhost:${up.port}`]);
    });

    it("timeouts and tries apply, ejection does not", async () => {
      let calls = 0;
      const up = await upstream((req, res) => {
        if (req.method === "POST") return; // hangs once sent
        calls += 1;
        if (calls % 2 === 1) return; // every other request hangs (the proxy picked a stuck task)
        res.end("ok");
      });
      const c = f.connect(up.port, {
        mode: "proxy",
        url: `http://localhost:${up.port}/`,
        connectTimeoutMs: 10_000,
        responseTimeoutMs: 800,
        ejection: { consecutiveFailures: 1 },
      });
      const r = await c.request("/");
      assert.equal(r.tries, 2); // the same upstream, tried again
      for (let k = 0; k < 3; k++) await failure(c.request("/", { method: "POST" })); // hangs: POST not retried
      const m = c.metrics();
      assert.equal(m.ejections, 0);
      assert.equal(m.targets[`localhost:${up.port}`].ejected, false);
    });
  });
});
